"""Import TensorFlow/Keras for the comparison cells, without a screen of start-up noise.

TensorFlow's native code prints log lines (oneDNN notices, "could not find cuda drivers", a failed
cuInit on machines without a GPU) straight to the process's stderr while it loads and while it first
looks for devices. They are harmless and confuse students, so they are silenced for that moment only:
Python exceptions still propagate normally.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _native_stderr_silenced():
    sys.stderr.flush()
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (embedded interpreter)
        yield
        return
    saved = os.dup(fd)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def load_keras():
    """Return the ``keras`` module on the TensorFlow backend, with TensorFlow initialised quietly.

    The first call takes a few seconds (importing TensorFlow); later calls are instant.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _native_stderr_silenced():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # the device probe is what logs the cuInit failure
    return keras
