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
    want, got = np.dtype(expected_dtype), np.dtype(actual.dtype)
    if got != want:
        if want.kind == "f" and got.kind == "f":
            hint = ("Avoid mixing in values of another float type (e.g. np.float64 constants) or calling "
                    ".astype on the result.")
        elif want.kind == "f":
            hint = (f"Build the result as floats (e.g. np.zeros(shape, dtype=np.{want}), or np.full with "
                    f"dtype=np.{want}), or convert integer input with .astype(np.{want}) first.")
        elif want.kind in "iu":
            hint = (f"Class indices are integers: keep what np.argmax returns (or use .astype(np.{want})), "
                    "do not turn them into floats.")
        else:
            hint = f"Convert the result with .astype(np.{want})."
        raise CheckFailure(f"{name}: wrong dtype: expected {want}, got {got}. {hint}")


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


# Phrases of NumPy's and Python's own error messages: an error raised by an operation that the bad input
# broke, not by a check the student wrote.
_LIBRARY_MESSAGE = re.compile(
    r"operands could not be broadcast together|could not broadcast input array|matmul: Input operand"
    r"|shapes \(.*\) and \(.*\) not aligned|cannot reshape array of size|out of bounds for axis"
    r"|^(tuple|list) index out of range|too many indices for array|setting an array element with a sequence"
    r"|^invalid literal for|object has no attribute|unsupported operand type|all the input array dimensions",
    re.IGNORECASE)


def check_raises(func, *args, error=ValueError, match=None, name=None, mention=None, **kwargs):
    """Check that ``func(*args, **kwargs)`` raises ``error`` whose message matches ``match``.

    ``match`` is a regular expression (searched, case ignored); ``mention`` says in words what the
    message should mention, for the failure message (default: the pattern itself), so that a student
    never has to read a pattern like ``\\bT\\b``. Returns nothing, so that a test cell ending with
    this check prints nothing.

    Every failure says what to do: when another error came out (an ``IndexError`` from indexing with the
    bad input, an ``AssertionError`` from an ``assert``), or the right error but with NumPy's own message
    (an operation broke on the bad input before any check of the student's ran), the message says to
    check the input at the start of the function and raise ``error`` there.
    """
    name = name or f"{getattr(func, '__name__', 'function')}(...)"
    wanted = error.__name__
    try:
        func(*args, **kwargs)
    except error as exc:
        if match is not None and not re.search(match, str(exc), flags=re.IGNORECASE):
            what = mention or _readable(match)
            if _LIBRARY_MESSAGE.search(str(exc)):
                raise CheckFailure(f"{name}: the {type(exc).__name__} came from NumPy or Python, not from a check of "
                                   f"yours (its message does not mention {what}). Check the input at the start of "
                                   f"the function and raise {wanted} yourself, with a message that mentions {what}. "
                                   f"The message was: {str(exc)!r}") from None
            raise CheckFailure(f"{name}: raised {type(exc).__name__} as expected, but its message "
                               f"{str(exc)!r} should mention {what}: say there what is wrong, so that "
                               "the caller knows what to fix.") from None
        return
    except NotImplementedError:
        raise  # the student has not written the function yet: say so plainly
    except Exception as exc:  # noqa: BLE001 - any other error is the student's to see
        if isinstance(exc, AssertionError):
            fix = (f"an assert is not an input check (python -O removes every assert): raise {wanted}(...) "
                   "instead")
        else:
            fix = (f"this input is invalid on purpose: check it at the start of the function and raise {wanted} "
                   "yourself, before the line that failed")
        raise CheckFailure(f"{name}: expected {wanted}, but it raised {type(exc).__name__}: "
                           f"{str(exc).rstrip('.')}. Fix: {fix}.") from None
    raise CheckFailure(f"{name}: expected {wanted} to be raised, but it returned normally. "
                       "Check the input and raise a clear error.")


# What a test cell's call may raise on input that is fine: errors of the student's code, to explain. Not
# RuntimeError: that is the course's own (an answer withheld during grading, a broken connection).
_CODE_ERRORS = (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError)


@contextlib.contextmanager
def explain(call, fix):
    """Turn an error that the student's code raises inside the block into a failure that says what to do.

    For calls on valid input, whose error would otherwise be NumPy's bare message (``operands could not be
    broadcast together with shapes (4,2) (2,1)``). ``call`` names the call in the student's terms, with
    the shapes ("dense(X, W, b) with X (2, 3), W (3, 2) and b (2,)"); ``fix`` says what the spec expects
    there and where to look. The message is ``"<call> raised <error>. <fix>"`` and then the error's own
    text. A :class:`CheckFailure` and a ``NotImplementedError`` (a function not written yet) pass through.
    """
    try:
        yield
    except (CheckFailure, NotImplementedError):
        raise
    except _CODE_ERRORS as exc:
        raise CheckFailure(f"{call} raised {type(exc).__name__}. {fix}\n  The error: {exc}") from None


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


def _arrays_in(value, label):
    """(label, array) for every NumPy array in ``value``: the value itself, or the values of a dict, list or tuple."""
    if isinstance(value, np.ndarray):
        return [(label, value)]
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _arrays_in(item, f"{label}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        return [pair for i, item in enumerate(value) for pair in _arrays_in(item, f"{label}[{i}]")]
    return []


def check_inputs_unchanged(func, *args, name=None, fix=None, **kwargs):
    """Call ``func(*args, **kwargs)`` and fail if it changed one of its array inputs in place; return its result.

    Arrays are found in the arguments themselves and inside dicts, lists and tuples (a ``params`` dict).
    The failure message says "your function changed its input in place", names the argument in the
    function's own terms (``Z``, ``params['W1']``), shows the first changed entry and says what to do
    (``fix``, default: compute a new array instead of assigning into the input).
    """
    import inspect

    name = name or f"{getattr(func, '__name__', 'function')}(...)"
    try:
        bound = inspect.signature(func).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {**{f"argument {i + 1}": a for i, a in enumerate(args)}, **kwargs}
    saved = [(label, array, array.copy()) for key, value in bound.items() for label, array in _arrays_in(value, key)]
    result = func(*args, **kwargs)
    fix = fix or ("build a new array (e.g. `x = x - m`, `np.maximum(x, 0)`, `np.where(...)`) instead of "
                  "assigning into the input (`x -= m`, `x[x < 0] = 0`, `out=x`)")
    for label, array, copy in saved:
        if array.shape != copy.shape:
            raise CheckFailure(f"{name}: your function changed its input {label} in place: its shape went from "
                               f"{copy.shape} to {array.shape}. The caller's array must stay as it was: {fix}.")
        if array.dtype.kind in "fc":
            differ = ~((array == copy) | (np.isnan(array) & np.isnan(copy)))
        else:
            differ = array != copy
        if np.any(differ):
            first = tuple(int(i) for i in np.argwhere(differ)[0]) if array.ndim else ()
            count = int(np.sum(differ))
            raise CheckFailure(f"{name}: your function changed its input {label} in place ({count} of {array.size} "
                               f"entries; at index {first} {_fmt(copy[first])} became {_fmt(array[first])}). "
                               f"The caller's array must stay as it was: {fix}.")
    return result


def check_draw_order(actual, expected, name, spec):
    """Fail unless the random arrays ``actual`` are the draws ``expected``, drawn in the order of the spec.

    ``expected`` maps each quantity to the array the spec's draws give when replayed from the same seed,
    in the order the spec draws them (e.g. ``{"W1": ..., "W2": ...}``); ``actual`` maps the same names to
    what the student's function returned. ``spec`` quotes the line of the spec that fixes the order
    ("W1, W2, ... are drawn from rng in this order"). When a value is not its expected draw but every
    number in it is one of the spec's draws, the numbers came from the right generator in a different
    order, and the message says so. "Every number" is tested as "some number": a float drawn by a generator
    equals one of the spec's draws by chance with probability about zero, so a shared nonzero value means
    the same generator at another position (another quantity drawn first, an extra draw in between, the
    shape transposed). Otherwise the numbers are not the spec's draws at all (another generator, or
    another distribution or scale).
    """
    stream = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in expected.values()])
    for key, want in expected.items():
        label = f"{name}: {key}"
        if key not in actual:
            raise CheckFailure(f"{label} is missing; expected it among {list(expected)}.")
        got = actual[key]
        check_type(got, np.ndarray, label)
        check_shape(got, np.shape(want), label)
        if np.array_equal(got, want):
            continue
        if np.any(np.isin(np.ravel(got), stream[stream != 0])):
            raise CheckFailure(f"{label}: random numbers drawn in a different order than the spec. The numbers "
                               f"come from rng, but not in the order the spec fixes: {spec}. Draw each array "
                               "with its own shape, in that order, and nothing else from rng in between.")
        raise CheckFailure(f"{label}: these are not the draws the spec describes ({spec}). Draw them from the "
                           "rng argument only, with the distribution and scale the spec names, in that order.")


def check_counts(actual, expected, name, dtype=np.int64):
    """Check an array of counts: an ndarray of the shape of ``expected``, of an integer ``dtype``, with its values.

    A float array of counts is told how to get integers (start from an integer array, or convert the
    finished table with ``.astype``), rather than :func:`check_dtype`'s hint for float arrays.
    """
    expected = np.asarray(expected)
    check_type(actual, np.ndarray, name)
    check_shape(actual, expected.shape, name)
    if np.dtype(actual.dtype) != np.dtype(dtype):
        raise CheckFailure(f"{name}: wrong dtype: expected {np.dtype(dtype)} (whole counts), got {actual.dtype}. "
                           f"Count into an integer array (np.zeros(..., dtype=np.{np.dtype(dtype)}), np.bincount), "
                           f"or convert the finished table with .astype(np.{np.dtype(dtype)}).")
    check_array(actual, expected, name=name, rtol=0, atol=0)


def check_either(actual, candidates, name, rtol=1e-7, atol=1e-10):
    """Pass if ``actual`` matches any of ``candidates`` (form -> expected array), each within the tolerances.

    For a quantity that two correct formulations compute differently (Adam's epsilon inside or outside
    the bias correction). On failure the message compares with the first form, as :func:`check_array`
    does, and names the other forms that would also have been accepted.
    """
    forms = list(candidates)
    with np.errstate(all="ignore"):
        for form in forms:
            want = np.asarray(candidates[form])
            if (isinstance(actual, np.ndarray) and actual.shape == want.shape
                    and np.all(np.isclose(actual, want, rtol=rtol, atol=atol))):
                return
    try:
        check_array(actual, candidates[forms[0]], name=f"{name} ({forms[0]})", rtol=rtol, atol=atol)
    except CheckFailure as failure:
        others = "; ".join(forms[1:])
        raise CheckFailure(f"{failure}\n  (also accepted, and not matched either: {others})") from None
