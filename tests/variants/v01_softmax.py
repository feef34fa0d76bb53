"""Lesson 01 (softmax): the mistakes students make, each with the test cell that catches it.

softmax(Z)
- no_max_shift: the textbook exp(Z) / sum, without subtracting the maximum: overflows to nan for scores
  like 1000 -> softmax_is_stable (visible).
- global_max: Z.max() over the whole batch instead of each row: a row far below the batch maximum
  underflows to 0 / 0 -> softmax_is_stable (visible, the rows of -1000).
- mean_shift: subtracts the row mean instead of the maximum: fine until one row holds both 1000 and
  -1000 -> softmax_is_stable (visible, the row [1000, -1000]).
- clip_scores: clips the scores to [-500, 500] instead of shifting: no nan, but [1000, 999] becomes
  [0.5, 0.5] -> softmax_is_stable (visible, the row [1000, 999]).
- sum_over_batch: normalizes by the sum of the whole batch -> softmax_rows_sum_to_one (visible).
- sum_axis_0: normalizes each column -> softmax_rows_sum_to_one (visible).
- no_keepdims: the row maximum without keepdims=True, broadcast against the columns: wrong values on
  square batches and a broadcasting error otherwise -> softmax_matches_values (visible).
- shift_in_place: `Z -= Z.max(...)` changes the caller's scores -> softmax_matches_values (visible:
  "your function changed its input Z in place").
- always_float64: np.asarray(Z, dtype=float) turns float32 scores into float64 -> softmax_float32 (visible).
- axis_1: axis=1 instead of axis=-1: a single (C,) vector fails -> softmax_vector (visible).
- int_output_loop: a row loop into np.empty_like(Z): integer scores give integer "probabilities" ->
  softmax_vector (visible: the spec's "integers become float64").

softmax_with_temperature(Z, T)
- times_T: multiplies by T instead of dividing -> temperature_values (visible, T=2).
- temperature_after_softmax: softmax(Z) / T: rows no longer sum to one -> temperature_values (visible).
- own_naive_softmax: divides by T, then the textbook formula: overflows for small T ->
  temperature_values (visible, T=0.001).
- assert_instead_of_error: `assert T > 0` raises AssertionError, not ValueError -> temperature_rejects_bad_T
  (visible).
- zero_only: rejects T == 0 but lets negative temperatures through -> temperature_rejects_bad_T
  (visible, T=-2.5).
- vague_message: ValueError("must be positive") that does not say which argument ->
  temperature_rejects_bad_T (visible).

Valid alternatives (row_by_row runs with COURSE_VARIANTS=all): the log-sum-exp form
exp(Z - logsumexp(Z)) (a textbook's), one row at a time,
the temperature as softmax(Z) ** (1 / T) renormalized (equal by exp(z / T) = exp(z) ** (1 / T)), and
`if T <= 0: raise ValueError("T must be > 0")`.
"""

LESSON = "01_softmax"


def _softmax(body):
    return "def softmax(Z):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())


def _temperature(body):
    return "def softmax_with_temperature(Z, T=1.0):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())


_FLOAT = """
Z = np.asarray(Z)
if not np.issubdtype(Z.dtype, np.floating):
    Z = Z.astype(np.float64)
"""

MISTAKES = {
    "no_max_shift": {"softmax": _softmax(_FLOAT + "E = np.exp(Z)\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "global_max": {"softmax": _softmax(_FLOAT + "E = np.exp(Z - Z.max())\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "mean_shift": {"softmax": _softmax(
        _FLOAT + "E = np.exp(Z - Z.mean(axis=-1, keepdims=True))\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "clip_scores": {"softmax": _softmax(
        _FLOAT + "E = np.exp(np.clip(Z, -500, 500))\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "sum_over_batch": {"softmax": _softmax(
        _FLOAT + "E = np.exp(Z - Z.max(axis=-1, keepdims=True))\nreturn E / E.sum()")},
    "sum_axis_0": {"softmax": _softmax(
        _FLOAT + "E = np.exp(Z - Z.max(axis=-1, keepdims=True))\nreturn E / E.sum(axis=0, keepdims=True)")},
    "no_keepdims": {"softmax": _softmax(
        _FLOAT + "E = np.exp(Z - Z.max(axis=-1))\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "shift_in_place": {"softmax": _softmax(
        _FLOAT + "Z -= Z.max(axis=-1, keepdims=True)\nE = np.exp(Z)\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "always_float64": {"softmax": _softmax(
        "Z = np.asarray(Z, dtype=float)\nE = np.exp(Z - Z.max(axis=-1, keepdims=True))\n"
        "return E / E.sum(axis=-1, keepdims=True)")},
    "axis_1": {"softmax": _softmax(
        _FLOAT + "E = np.exp(Z - Z.max(axis=1, keepdims=True))\nreturn E / E.sum(axis=1, keepdims=True)")},
    "times_T": {"softmax_with_temperature": _temperature(
        'if not T > 0:\n    raise ValueError(f"T must be positive, got {T}")\nreturn softmax(np.asarray(Z) * T)')},
    "temperature_after_softmax": {"softmax_with_temperature": _temperature(
        'if not T > 0:\n    raise ValueError(f"T must be positive, got {T}")\nreturn softmax(Z) / T')},
    "own_naive_softmax": {"softmax_with_temperature": _temperature(
        'if not T > 0:\n    raise ValueError(f"T must be positive, got {T}")\n'
        "E = np.exp(np.asarray(Z) / T)\nreturn E / E.sum(axis=-1, keepdims=True)")},
    "assert_instead_of_error": {"softmax_with_temperature": _temperature(
        'assert T > 0, "T must be positive"\nreturn softmax(np.asarray(Z) / T)')},
    "zero_only": {"softmax_with_temperature": _temperature(
        'if T == 0:\n    raise ValueError("T must not be zero")\nreturn softmax(np.asarray(Z) / T)')},
    "vague_message": {"softmax_with_temperature": _temperature(
        'if T <= 0:\n    raise ValueError("must be positive")\nreturn softmax(np.asarray(Z) / T)')},
}

LOSES = {
    "no_max_shift": {"softmax_is_stable"},
    "global_max": {"softmax_is_stable"},
    "mean_shift": {"softmax_is_stable"},
    "clip_scores": {"softmax_is_stable"},
    "sum_over_batch": {"softmax_rows_sum_to_one"},
    "sum_axis_0": {"softmax_rows_sum_to_one"},
    "no_keepdims": {"softmax_matches_values"},
    "shift_in_place": {"softmax_matches_values"},
    "always_float64": {"softmax_float32"},
    "axis_1": {"softmax_vector"},
    "times_T": {"temperature_values"},
    "temperature_after_softmax": {"temperature_values"},
    "own_naive_softmax": {"temperature_values"},
    "assert_instead_of_error": {"temperature_rejects_bad_T"},
    "zero_only": {"temperature_rejects_bad_T"},
    "vague_message": {"temperature_rejects_bad_T"},
}

ALTERNATIVES = {
    "log_sum_exp": {"softmax": _softmax(
        _FLOAT + "m = Z.max(axis=-1, keepdims=True)\n"
        "log_sum = m + np.log(np.exp(Z - m).sum(axis=-1, keepdims=True))\nreturn np.exp(Z - log_sum)")},
    "row_by_row": {"softmax": _softmax(
        _FLOAT + "rows = np.atleast_2d(Z)\nout = np.empty_like(rows)\nfor i, z in enumerate(rows):\n"
        "    e = np.exp(z - np.max(z))\n    out[i] = e / np.sum(e)\nreturn out.reshape(Z.shape)")},
    "power_of_softmax": {"softmax_with_temperature": _temperature(
        'if T <= 0:\n    raise ValueError("T must be > 0")\nP = softmax(Z) ** (1.0 / T)\n'
        "return P / P.sum(axis=-1, keepdims=True)")},
}

MISTAKES["int_output_loop"] = {"softmax": _softmax(
    "Z = np.asarray(Z)\nrows = np.atleast_2d(Z)\nout = np.empty_like(rows)\nfor i, z in enumerate(rows):\n"
    "    e = np.exp(z - np.max(z))\n    out[i] = e / np.sum(e)\nreturn out.reshape(Z.shape)")}
LOSES["int_output_loop"] = {"softmax_vector"}

# The default run grades these (4 submissions: one softmax and one temperature mistake in each); the
# rest run with COURSE_VARIANTS=all.
_MAIN = ["shift_in_place", "mean_shift", "clip_scores", "int_output_loop",
         "own_naive_softmax", "zero_only", "assert_instead_of_error", "times_T"]
EXTRA_MISTAKES = {name: answers for name, answers in MISTAKES.items() if name not in _MAIN}
MISTAKES = {name: MISTAKES[name] for name in _MAIN}
EXTRA_ALTERNATIVES = {"row_by_row": ALTERNATIVES.pop("row_by_row")}
