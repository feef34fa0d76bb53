"""course.testing: each check passes on right answers and fails with a message that says what is wrong."""

import warnings

import numpy as np
import pytest

from course.testing import (CheckFailure, check_array, check_close, check_dtype, check_finite,
                            check_raises, check_shape, check_true, check_type, explain, quiet)


def test_integer_values_are_shown_plainly():
    """Are integer entries shown as plain numbers (not np.int64(...))?"""
    with pytest.raises(CheckFailure, match=r"index \(1,\): expected 2, got 3"):
        check_array(np.array([1, 3]), np.array([1, 2]))


def test_check_array_accepts_a_right_answer():
    """Does a correct array pass silently?"""
    assert check_array(np.array([[0.5, 0.5]]), [[0.5, 0.5]], name="P") is None


def test_wrong_type_names_both_types_and_hints_at_return():
    """Is None reported as a wrong type with a hint about a missing return?"""
    with pytest.raises(CheckFailure, match=r"softmax\(Z\): wrong type: expected ndarray, got NoneType.*return"):
        check_array(None, [1.0], name="softmax(Z)")


def test_wrong_type_for_a_list_suggests_asarray():
    """Is a list (instead of an array) reported with a hint to use NumPy?"""
    with pytest.raises(CheckFailure, match=r"got list.*np.asarray"):
        check_array([1.0, 2.0], [1.0, 2.0])


def test_wrong_shape_gives_both_shapes():
    """Does a shape mismatch show the expected and actual shapes and a hint about axes?"""
    with pytest.raises(CheckFailure, match=r"wrong shape: expected \(2, 3\), got \(3,\).*keepdims"):
        check_array(np.zeros(3), np.zeros((2, 3)), name="P")


def test_wrong_values_list_indices_expected_and_actual():
    """Are wrong values listed by index with expected and actual numbers and the largest difference?"""
    with pytest.raises(CheckFailure) as info:
        check_array(np.array([[1.0, 2.0], [3.0, 5.0]]), [[1.0, 2.0], [3.0, 4.0]], name="out")
    message = str(info.value)
    assert "wrong values at 1 of 4 entries" in message
    assert "index (1, 1): expected 4, got 5" in message
    assert "largest absolute difference: 1" in message


def test_many_wrong_values_are_summarised():
    """Are only the first few mismatches listed, with a count of the rest?"""
    with pytest.raises(CheckFailure, match=r"(?s)wrong values at 10 of 10.*and 7 more"):
        check_array(np.ones(10), np.zeros(10), max_report=3)


def test_nan_is_reported_as_overflow():
    """Is a NaN in the answer reported with its index and the likely cause?"""
    with pytest.raises(CheckFailure, match=r"1 of 3 entries are NaN or infinite \(first at index \(2,\).*overflow"):
        check_array(np.array([0.5, 0.5, np.nan]), [0.5, 0.5, 0.0])


def test_dtype_checked_when_asked():
    """Is a float64 answer rejected where float32 is required?"""
    check_array(np.ones(2, np.float32), np.ones(2), dtype=np.float32)
    with pytest.raises(CheckFailure, match="wrong dtype: expected float32, got float64"):
        check_array(np.ones(2), np.ones(2), dtype=np.float32)
    with pytest.raises(CheckFailure, match="wrong dtype"):
        check_dtype(np.ones(2, np.int64), np.float64)


def test_tolerances_are_respected():
    """Do rtol and atol decide what counts as equal?"""
    check_array(np.array([1.0 + 1e-9]), [1.0])
    with pytest.raises(CheckFailure):
        check_array(np.array([1.001]), [1.0], rtol=1e-6)
    check_array(np.array([1.001]), [1.0], rtol=1e-2)


def test_check_close_on_scalars():
    """Does check_close accept numbers and 0-d arrays and reject arrays and wrong values?"""
    check_close(np.float64(0.5), 0.5)
    check_close(np.array(2.0), 2.0)
    with pytest.raises(CheckFailure, match="expected 1.0986123, got 1"):
        check_close(1.0, 1.0986123, name="loss")
    with pytest.raises(CheckFailure, match="expected a number, got ndarray of shape \\(2,\\)"):
        check_close(np.ones(2), 1.0)
    with pytest.raises(CheckFailure, match="return"):
        check_close(None, 1.0)


def test_check_shape_type_true_finite():
    """Do the small checks pass and fail as their names say?"""
    check_shape(np.zeros((2, 1)), (2, 1))
    check_type(3, int)
    check_true(True, "never shown")
    check_finite(np.ones(3))
    with pytest.raises(CheckFailure, match="rows must"):
        check_true(False, "rows must sum to one")
    with pytest.raises(CheckFailure, match="expected int or float"):
        check_type("3", (int, float))


def _raises_value_error(T):
    if T <= 0:
        raise ValueError("T must be positive")
    return T


def test_check_raises():
    """Does check_raises pass on the right error and fail on none, the wrong one, or a vague message?"""
    check_raises(_raises_value_error, 0, error=ValueError, match="positive")
    with pytest.raises(CheckFailure, match="returned normally"):
        check_raises(_raises_value_error, 1, error=ValueError)
    with pytest.raises(CheckFailure, match="should mention 'temperature'"):
        check_raises(_raises_value_error, 0, error=ValueError, match="temperature")
    with pytest.raises(CheckFailure, match="expected ValueError, but it raised TypeError"):
        check_raises(_raises_value_error, "x", error=ValueError)


def test_check_raises_says_what_to_do_about_another_error():
    """Is an IndexError (no check at all) or an AssertionError (an assert) told to raise the wanted error itself?"""
    def no_check(X):
        return X.shape[1]

    def asserts(T):
        assert T > 0, "T must be positive"

    with pytest.raises(CheckFailure, match=r"raised IndexError: tuple index out of range\. Fix: .*check it at the "
                                           r"start of the function and raise ValueError yourself"):
        check_raises(no_check, np.ones(3), error=ValueError)
    with pytest.raises(CheckFailure, match=r"an assert is not an input check.*raise ValueError\(\.\.\.\) instead"):
        check_raises(asserts, 0, error=ValueError)


def test_check_raises_tells_numpy_s_own_message_from_the_student_s():
    """Is the right error with NumPy's own message (no check ran) told apart from a message that misses a word?"""
    def unchecked(P, Y):
        return np.asarray(P) * np.asarray(Y)

    def checked(P, Y):
        raise ValueError(f"Y has shape {np.shape(Y)}")

    with pytest.raises(CheckFailure, match=r"came from NumPy or Python, not from a check of yours.*raise ValueError "
                                           r"yourself, with a message that mentions '\(4, 3\)'.*broadcast"):
        check_raises(unchecked, np.ones((4, 3)), np.ones((4, 2)), match=r"\(4, 3\)")
    with pytest.raises(CheckFailure, match=r"raised ValueError as expected, but its message 'Y has shape \(4, 2\)' "
                                           r"should mention '\(4, 3\)'"):
        check_raises(checked, np.ones((4, 3)), np.ones((4, 2)), match=r"\(4, 3\)")


def test_explain_turns_an_error_into_a_message_that_says_what_to_do():
    """Does explain name the call, give the fix and keep the error's text, and let the course's own errors through?"""
    with pytest.raises(CheckFailure, match=r"^dense\(X, W, b\) with X \(2, 3\) raised ValueError\. W is \(D, M\)\.\n"
                                           r"  The error: matmul"):
        with explain("dense(X, W, b) with X (2, 3)", "W is (D, M)."):
            np.ones((2, 3)) @ np.ones((2, 3))
    for passes in (CheckFailure("already a message"), NotImplementedError(), RuntimeError("withheld")):
        with pytest.raises(type(passes)) as info:
            with explain("f(x)", "fix it"):
                raise passes
        assert info.value is passes
    with explain("f(x)", "fix it"):   # no error: nothing happens
        pass


def test_check_raises_lets_not_implemented_through():
    """Is an unwritten function (NotImplementedError) reported as such, not as a wrong error?"""
    def todo(x):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_raises(todo, 1, error=ValueError)


def test_quiet_silences_numpy_and_python_warnings():
    """Does quiet() keep overflow and Python warnings from reaching stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet():
            np.exp(np.array([1000.0]))
            warnings.warn("noise")


def test_check_raises_says_in_words_what_the_message_should_mention():
    """With ``mention``, does a vague message fail with that wording instead of the regular expression?"""
    def vague(T):
        raise ValueError("must be > 0")
    with pytest.raises(CheckFailure, match="should mention T or the temperature") as info:
        check_raises(vague, 0, error=ValueError, match=r"\bT\b|temperature", mention="T or the temperature")
    assert "\\b" not in str(info.value)
    check_raises(lambda T: (_ for _ in ()).throw(ValueError("T must be positive")), 0, match=r"\bT\b")


def test_check_unchanged_names_an_input_changed_in_place():
    """Does check_unchanged pass on an untouched input and name the first changed entry and the fix otherwise?"""
    from course.testing import check_unchanged
    dout = np.array([[1.0, np.nan], [3.0, 4.0]])
    saved = dout.copy()
    check_unchanged(dout, saved, "dout", "build a new array")
    dout[1, 0] = 0.0
    with pytest.raises(CheckFailure, match=r"dout was changed in place \(1 entry, the first at index \(1, 0\)"
                                           r".*build a new array"):
        check_unchanged(dout, saved, "dout", "build a new array")


def test_check_raises_shows_a_pattern_as_plain_text():
    """Without ``mention``, does the failure message show the pattern unescaped (no backslashes) to the student?"""
    def vague(W):
        raise ValueError("shapes do not fit")
    with pytest.raises(CheckFailure) as info:
        check_raises(vague, 0, error=ValueError, match=r"\(3,\)|b\.shape")
    assert "should mention '(3,)' or 'b.shape'" in str(info.value) and "\\" not in str(info.value)


def test_check_inputs_unchanged_returns_the_result_and_names_the_changed_argument():
    """Does check_inputs_unchanged pass on a pure function and say "changed its input in place", naming the argument?"""
    from course.testing import check_inputs_unchanged

    def pure(Z, params):
        return Z - Z.max() + params["b"]

    def shifts_in_place(Z, params):
        Z -= Z.max()
        return Z

    def writes_into_params(Z, params):
        params["W1"][0, 0] = 7.0
        return Z

    Z, params = np.array([[1.0, 2.0]]), {"b": np.zeros(2), "W1": np.ones((2, 2))}
    out = check_inputs_unchanged(pure, Z, params, name="softmax(Z)")
    np.testing.assert_array_equal(out, [[-1.0, 0.0]])
    with pytest.raises(CheckFailure, match=r"softmax\(Z\): your function changed its input Z in place "
                                           r"\(2 of 2 entries; at index \(0, 0\) 1 became -1\).*instead of"):
        check_inputs_unchanged(shifts_in_place, Z.copy(), params, name="softmax(Z)")
    with pytest.raises(CheckFailure, match=r"changed its input params\['W1'\] in place"):
        check_inputs_unchanged(writes_into_params, Z, {"W1": np.ones((2, 2))}, fix="copy W1 first")


def test_check_draw_order_tells_a_different_order_from_other_draws():
    """Does check_draw_order accept the spec's draws and tell 'different order' from 'not the spec's draws'?"""
    from course.testing import check_draw_order

    def replay(seed):
        r = np.random.default_rng(seed)
        return {"W1": r.normal(size=(3, 2)), "W2": r.normal(size=(2, 4))}

    spec = "W1 is drawn first, then W2"
    check_draw_order(replay(0), replay(0), "init", spec)
    r = np.random.default_rng(0)
    W2 = r.normal(size=(2, 4))
    swapped = {"W1": r.normal(size=(3, 2)), "W2": W2}
    with pytest.raises(CheckFailure, match="W1: random numbers drawn in a different order than the spec.*"
                                           "W1 is drawn first"):
        check_draw_order(swapped, replay(0), "init", spec)
    transposed = {"W1": np.random.default_rng(0).normal(size=(2, 3)).T, "W2": replay(0)["W2"]}
    with pytest.raises(CheckFailure, match="different order"):
        check_draw_order(transposed, replay(0), "init", spec)
    with pytest.raises(CheckFailure, match="not the draws the spec describes"):
        check_draw_order(replay(1), replay(0), "init", spec)
    r = np.random.default_rng(0)
    W2, W1 = 2.0 * r.normal(size=(2, 4)), r.normal(size=(3, 2))   # last first, and W2 scaled: still "order"
    with pytest.raises(CheckFailure, match="W1: random numbers drawn in a different order"):
        check_draw_order({"W1": W1, "W2": W2}, replay(0), "init", spec)
    with pytest.raises(CheckFailure, match=r"wrong shape: expected \(2, 4\)"):
        check_draw_order({"W1": replay(0)["W1"], "W2": np.zeros((4, 2))}, replay(0), "init", spec)


def test_wrong_dtype_hint_fits_the_kinds_of_dtype():
    """Does a wrong dtype come with advice for its case (float for float, integers for floats, floats for indices)?"""
    with pytest.raises(CheckFailure, match="expected float32, got float64. Avoid mixing"):
        check_dtype(np.ones(2), np.float32)
    with pytest.raises(CheckFailure, match=r"expected float64, got int64. Build the result as floats.*"
                                           r"astype\(np.float64\)"):
        check_dtype(np.ones(2, np.int64), np.float64)
    with pytest.raises(CheckFailure, match="expected int64, got float64. Class indices are integers"):
        check_dtype(np.ones(2), np.int64)


def test_counts_of_the_wrong_dtype_are_told_how_to_get_integers():
    """Is a float table of counts told to count into an integer array or to convert with .astype (not to avoid it)?"""
    from course.testing import check_counts

    assert check_counts(np.array([[2, 1], [0, 3]]), [[2, 1], [0, 3]], name="C") is None
    with pytest.raises(CheckFailure, match=r"C: wrong dtype: expected int64 \(whole counts\), got float64.*"
                                           r"\.astype\(np\.int64\)"):
        check_counts(np.array([[2.0, 1.0], [0.0, 3.0]]), [[2, 1], [0, 3]], name="C")
    with pytest.raises(CheckFailure, match=r"C: wrong values at 1 of 4 entries"):
        check_counts(np.array([[2, 1], [1, 3]]), [[2, 1], [0, 3]], name="C")
    with pytest.raises(CheckFailure, match=r"C: wrong shape"):
        check_counts(np.array([2, 1]), [[2, 1], [0, 3]], name="C")


def test_check_either_accepts_each_form_and_names_them_when_none_fits():
    """Does an answer pass when it matches any accepted form, and does a wrong one hear about every form?"""
    from course.testing import check_either

    forms = {"ours": np.array([1.0, 2.0]), "theirs": np.array([1.5, 2.5])}
    assert check_either(np.array([1.0, 2.0]), forms, name="w") is None
    assert check_either(np.array([1.5, 2.5 + 1e-12]), forms, name="w") is None
    with pytest.raises(CheckFailure, match=r"(?s)w \(ours\): wrong values at 2 of 2.*also accepted.*theirs"):
        check_either(np.array([3.0, 4.0]), forms, name="w")
    with pytest.raises(CheckFailure, match=r"wrong type: expected ndarray, got NoneType"):
        check_either(None, forms, name="w")
