"""Saving and loading trained parameters as ``.npz`` files (one array per parameter name)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["save_params", "load_params"]


def save_params(path, params):
    """Write ``params`` (dict name -> array) to ``path`` (.npz), atomically: a crash leaves the old file.

    Returns the path written (".npz" is added when missing).
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial.npz")
    try:
        np.savez(partial, **{name: np.asarray(value) for name, value in params.items()})
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)        # a failed write leaves no partial file behind
        raise
    return path


def load_params(path, like=None):
    """Read parameters saved by :func:`save_params`.

    Parameters
    ----------
    path : the .npz file
    like : optional dict name -> array (e.g. ``model.params``): the file must hold exactly these names
        with these shapes, and the arrays come back in their dtypes

    Returns
    -------
    params : dict name -> array

    Raises
    ------
    FileNotFoundError : no such file;  ValueError : not a parameter file, or names/shapes that differ
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no parameter file at {path}: train the model and save_params first")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not named parameters")
        with archive:
            params = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:   # empty or truncated too
        raise ValueError(f"{path} is not a parameter file written by save_params ({exc})") from exc
    if like is not None:
        if set(params) != set(like):
            raise ValueError(f"{path} holds {sorted(params)} but the model has {sorted(like)}")
        for name, value in like.items():
            if params[name].shape != np.shape(value):
                raise ValueError(f"{path}: {name} has shape {params[name].shape}, the model needs "
                                 f"{np.shape(value)}")
            params[name] = params[name].astype(np.asarray(value).dtype, copy=False)
    return params
