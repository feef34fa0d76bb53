"""Checks for notebook test cells that tell the student *what* is wrong.

Every check raises :class:`CheckFailure` (an ``AssertionError``) whose message names the quantity,
says whether the type, the shape, or the values are wrong, and shows the expected and actual numbers,
e.g.::

    softmax(Z): wrong values at 2 of 6 entries (rtol=1e-07, atol=1e-10)
      index (0, 1): expected 0.24472847, got 0.33333333
      ...
      largest absolute difference: 0.0886
"""

from __future__ import annotations

import contextlib
import re
import warnings

import numpy as np


class CheckFailure(AssertionError):
    """A test-cell check failed; the message says what to fix."""


def _fmt(value):
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.8g}"
    if isinstance(value, (np.integer, np.bool_)):
        return repr(value.item())
    return repr(value)


def check_type(actual, expected_type, name="output"):
    """Fail unless ``actual`` is an instance of ``expected_type`` (a type or a tuple of types)."""
    if not isinstance(actual, expected_type):
        names = (expected_type if isinstance(expected_type, tuple) else (expected_type,))
        wanted = " or ".join(t.__name__ for t in names)
        hint = ""
        if actual is None:
            hint = " Did you forget a `return` statement?"
        elif isinstance(actual, (list, tuple)) and np.ndarray in names:
            hint = " Convert with np.asarray(...) or build the result with NumPy operations."
        raise CheckFailure(f"{name}: wrong type: expected {wanted}, got {type(actual).__name__}.{hint}")


def check_shape(actual, expected_shape, name="output"):
    """Fail unless ``actual.shape == expected_shape``."""
    shape = np.shape(actual)
    if tuple(shape) != tuple(expected_shape):
        hint = ""
        if len(shape) != len(expected_shape):
            hint = (" The number of dimensions differs: check the axis of a sum or max "
                    "(keepdims=True keeps a dimension) or a missing reshape.")
        raise CheckFailure(f"{name}: wrong shape: expected {tuple(expected_shape)}, "
                           f"got {tuple(shape)}.{hint}")


def check_dtype(actual, expected_dtype, name="output"):
    """Fail unless ``actual.dtype`` equals ``expected_dtype``."""
    if np.dtype(actual.dtype) != np.dtype(expected_dtype):
        raise CheckFailure(f"{name}: wrong dtype: expected {np.dtype(expected_dtype)}, got "
                           f"{actual.dtype}. Avoid mixing in values of another float type "
                           f"(e.g. np.float64 constants) or calling .astype on the result.")


def check_finite(actual, name="output"):
    """Fail if ``actual`` contains NaN or infinity, pointing at the first bad entry."""
    arr = np.asarray(actual)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        raise CheckFailure(f"{name}: {int(bad.sum())} of {arr.size} entries are NaN or infinite "
                           f"(first at index {first}: {arr[first]}). This usually means an "
                           "overflow, e.g. np.exp of a large number, or a division by zero.")


def check_array(actual, expected, name="output", rtol=1e-7, atol=1e-10, dtype=None, max_report=5):
    """Check an array's type, shape, finiteness and values against ``expected``.

    Parameters
    ----------
    actual : what the student's code returned
    expected : array-like of the right shape and values
    name : how to call the quantity in messages, e.g. ``"softmax(Z)"``
    rtol, atol : tolerances as in ``np.allclose``
    dtype : if given, the dtype ``actual`` must have
    max_report : at most this many mismatching entries are listed
    """
    expected = np.asarray(expected)
    check_type(actual, np.ndarray, name)
    check_shape(actual, expected.shape, name)
    if dtype is not None:
        check_dtype(actual, dtype, name)
    if np.all(np.isfinite(expected)):
        check_finite(actual, name)
    with np.errstate(all="ignore"):
        close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return
    wrong = np.argwhere(~close) if expected.ndim else [()]
    lines = [f"{name}: wrong values at {len(wrong)} of {expected.size} entries "
             f"(rtol={rtol:g}, atol={atol:g})"]
    for idx in wrong[:max_report]:
        idx = tuple(int(i) for i in idx)
        where = f"index {idx}" if idx else "value"
        lines.append(f"  {where}: expected {_fmt(expected[idx])}, got {_fmt(actual[idx])}")
    if len(wrong) > max_report:
        lines.append(f"  ... and {len(wrong) - max_report} more")
    with np.errstate(all="ignore"):
        diff = np.nanmax(np.abs(np.asarray(actual, dtype=np.float64) - expected))
    lines.append(f"  largest absolute difference: {diff:.3g}")
    raise CheckFailure("\n".join(lines))


def check_close(actual, expected, name="output", rtol=1e-7, atol=1e-10):
    """Check a scalar: a real number close to ``expected``."""
    if isinstance(actual, np.ndarray) and actual.shape == ():
        actual = actual.item()
    if isinstance(actual, bool) or not isinstance(actual, (int, float, np.integer, np.floating)):
        hint = " Did you forget a `return` statement?" if actual is None else ""
        shape = f" of shape {actual.shape}" if isinstance(actual, np.ndarray) else ""
        raise CheckFailure(f"{name}: wrong type: expected a number, got "
                           f"{type(actual).__name__}{shape}.{hint}")
    if not np.isclose(actual, expected, rtol=rtol, atol=atol):
        raise CheckFailure(f"{name}: wrong value: expected {_fmt(expected)}, got {_fmt(actual)} "
                           f"(difference {abs(float(actual) - float(expected)):.3g}).")


def check_unchanged(array, saved, name, fix):
    """Fail if ``array`` no longer equals ``saved`` (its copy from before the call): an input changed in place.

    ``name`` names the input in the student's terms ("relu_backward's dout"), ``fix`` says what to do
    instead. A changed input is reported as such, not as the wrong result it may cause later.
    """
    array, saved = np.asarray(array), np.asarray(saved)
    if array.shape != saved.shape:
        raise CheckFailure(f"{name} changed shape in place from {saved.shape} to {array.shape}: "
                           f"the function must not change its inputs; {fix}.")
    differ = ~((array == saved) | (np.isnan(array) & np.isnan(saved)) if array.dtype.kind in "fc"
               else (array == saved))
    if differ.any():
        first = tuple(int(i) for i in np.argwhere(differ)[0])
        count = int(differ.sum())
        entries = f"{count} entr{'y' if count == 1 else 'ies'}"
        raise CheckFailure(f"{name} was changed in place ({entries}, the first at index {first}: "
                           f"{_fmt(saved[first])} became {_fmt(array[first])}); the function must not "
                           f"change its inputs: {fix}.")


def check_true(condition, message):
    """Fail with ``message`` unless ``condition`` holds (for properties such as 'rows sum to one')."""
    if not condition:
        raise CheckFailure(message)


def _readable(pattern):
    """A regular expression as a student reads it: ``\\(3,\\)`` -> ``'(3,)'``, ``T|temp`` -> ``'T' or 'temp'``."""
    plain = re.sub(r"\\b", "", pattern)                # word boundaries say nothing to a reader
    plain = re.sub(r"\\(\W)", r"\1", plain)            # escaped punctuation: \( -> (
    return " or ".join(repr(part) for part in plain.split("|"))


def check_raises(func, *args, error=ValueError, match=None, name=None, mention=None, **kwargs):
    """Check that ``func(*args, **kwargs)`` raises ``error`` whose message matches ``match``.

    ``match`` is a regular expression (searched, case ignored); ``mention`` says in words what the
    message should mention, for the failure message (default: the pattern itself), so that a student
    never has to read a pattern like ``\\bT\\b``. Returns nothing, so that a test cell ending with
    this check prints nothing.
    """
    name = name or f"{getattr(func, '__name__', 'function')}(...)"
    try:
        func(*args, **kwargs)
    except error as exc:
        if match is not None and not re.search(match, str(exc), flags=re.IGNORECASE):
            raise CheckFailure(f"{name}: raised {type(exc).__name__} as expected, but its message "
                               f"{str(exc)!r} should mention {mention or _readable(match)}.") from None
        return
    except NotImplementedError:
        raise  # the student has not written the function yet: say so plainly
    except Exception as exc:  # noqa: BLE001 - any other error is the student's to see
        raise CheckFailure(f"{name}: expected {error.__name__}, but it raised "
                           f"{type(exc).__name__}: {exc}") from None
    raise CheckFailure(f"{name}: expected {error.__name__} to be raised, but it returned normally. "
                       "Check the input and raise a clear error.")


@contextlib.contextmanager
def quiet():
    """Silence NumPy floating-point warnings and Python warnings inside a test.

    A stray warning printed on stderr is noise to a student and can upset a grader.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def check_tuple(result, length, name):
    """Fail unless ``result`` is a tuple of ``length`` items (a backward pass returns several gradients)."""
    if not isinstance(result, tuple) or len(result) != length:
        if result is None:
            got = "None. Did you forget a `return` statement?"
        elif isinstance(result, (tuple, list)):
            got = f"a {type(result).__name__} of length {len(result)}."
        else:
            got = f"a {type(result).__name__}."
        raise CheckFailure(f"{name}: expected a tuple of {length} items, got {got}")
