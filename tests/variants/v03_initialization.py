"""Lesson 03 (initialization): the mistakes students make, each with the test cell that catches it.

zeros_init, constant_init
- zeros_integer_dtype: np.zeros(..., dtype=int) -> constant_inits (visible: wrong dtype).
- constant_keeps_int: np.full(shape, value) gives int64 for value 3 -> constant_inits (visible: the spec's
  "an integer still gives float64").
- zeros_transposed: shape (fan_out, fan_in) -> constant_inits (visible: wrong shape).
normal_init
- variance_as_std: rng.normal(0, std ** 2) -> normal_init_statistics (visible: "0.5 times too large").
- global_generator: np.random.normal ignores rng -> initializers_reproducible (visible).
- truncated_normal: clipped at 2 std -> normal_init_statistics (visible: "Do not truncate or clip").
- uniform_instead_of_normal: rng.uniform with the same std -> normal_init_statistics (visible: 68.3%).
xavier_uniform
- xavier_limit_from_variance: r = sqrt(2 / (fan_in + fan_out)) (the variance, not the limit) ->
  xavier_uniform_limits (visible).
- xavier_only_fan_in: r = sqrt(6 / fan_in) -> xavier_uniform_limits (visible).
- uniform_from_zero: rng.uniform(0, r) -> xavier_uniform_limits (visible).
xavier_normal, he_normal, lecun_normal
- he_uses_fan_out: sqrt(2 / fan_out) -> scaled_normal_std (visible, fan_in 200 against fan_out 800).
- he_variance_as_std: std = 2 / fan_in -> scaled_normal_std (visible).
- lecun_like_he: sqrt(2 / fan_in) for LeCun -> scaled_normal_std (visible).
initialize_parameters
- draws_last_layer_first: W_L, ..., W1 drawn in reverse -> initialize_parameters_any_depth (visible: "random
  numbers drawn in a different order than the spec").
- own_generator: np.random.default_rng(0) inside instead of rng -> initialize_parameters_any_depth
  (visible: "not the draws the spec describes").
- random_biases: b drawn with the initializer -> initialize_parameters_two_layer (visible: zero biases).
- transposed_weights: init(fan_out, fan_in) -> initialize_parameters_two_layer (visible: wrong shape).
- last_layer_missing: range(1, len(sizes) - 1) -> initialize_parameters_two_layer (visible: keys).
- key_error_for_unknown_method: INITIALIZERS[method] without a check -> initialize_parameters_errors (visible).
- no_integer_check: only n <= 0 rejected: 2.5 reaches np.zeros -> initialize_parameters_errors (visible:
  TypeError instead of ValueError).
forward_stack
- fixed_two_layers: only W1 and W2 -> forward_stack_values (visible: a 3-layer stack).
- linear_last_layer: no nonlinearity after the last layer -> forward_stack_values (visible).
- includes_input: X as the first activation -> forward_stack_values (visible: length).
- key_error_for_unknown_activation: no ValueError -> forward_stack_values (visible).
count_distinct_units
- exact_equality: np.unique(A, axis=1) ignores atol -> count_distinct_units_values (visible: 1e-12 apart).
- counts_rows: the examples instead of the units -> count_distinct_units_values (visible).
- returns_float: a float count -> count_distinct_units_values (visible: wrong type).

Valid alternatives: std * rng.standard_normal(shape) (the textbook form, the same draws);
limit * (2 * rng.random(shape) - 1) for U(-limit, limit); a zip over consecutive layer sizes; forward_stack
as a for loop over range(1, len(params) // 2 + 1); count_distinct_units as a double loop over columns.
"""

from variants import edit

LESSON = "03_initialization"


def _e(gid, *pairs):
    return edit(LESSON, gid, *pairs)


_DRAW = "return rng.normal(0.0, std, size=(fan_in, fan_out))"
_LIMIT = "limit = np.sqrt(6.0 / (fan_in + fan_out))"
_LOOP = """    for l in range(1, len(sizes)):
        fan_in, fan_out = int(sizes[l - 1]), int(sizes[l])
        params[f"W{l}"] = np.asarray(init(fan_in, fan_out, rng), dtype=np.float64)
        params[f"b{l}"] = np.zeros(fan_out, dtype=np.float64)"""
_COUNT = "return int(A.shape[1] - copies.sum())"

MISTAKES = {
    "zeros_integer_dtype": {"constant_initializers": _e("constant_initializers", (
        "np.zeros((fan_in, fan_out), dtype=np.float64)", "np.zeros((fan_in, fan_out), dtype=int)"))},
    "constant_keeps_int": {"constant_initializers": _e("constant_initializers", (
        "np.full((fan_in, fan_out), value, dtype=np.float64)", "np.full((fan_in, fan_out), value)"))},
    "zeros_transposed": {"constant_initializers": _e("constant_initializers", (
        "np.zeros((fan_in, fan_out), dtype=np.float64)", "np.zeros((fan_out, fan_in), dtype=np.float64)"))},
    "variance_as_std": {"normal_init": _e("normal_init", (
        _DRAW, "return rng.normal(0.0, std ** 2, size=(fan_in, fan_out))"))},
    "global_generator": {"normal_init": _e("normal_init", (
        _DRAW, "return np.random.normal(0.0, std, size=(fan_in, fan_out))"))},
    "truncated_normal": {"normal_init": _e("normal_init", (
        _DRAW, "return np.clip(rng.normal(0.0, std, size=(fan_in, fan_out)), -2 * std, 2 * std)"))},
    "uniform_instead_of_normal": {"normal_init": _e("normal_init", (
        _DRAW, "return rng.uniform(-np.sqrt(3) * std, np.sqrt(3) * std, size=(fan_in, fan_out))"))},
    "xavier_limit_from_variance": {"xavier_uniform": _e("xavier_uniform", (
        _LIMIT, "limit = np.sqrt(2.0 / (fan_in + fan_out))"))},
    "xavier_only_fan_in": {"xavier_uniform": _e("xavier_uniform", (_LIMIT, "limit = np.sqrt(6.0 / fan_in)"))},
    "uniform_from_zero": {"xavier_uniform": _e("xavier_uniform", (
        "rng.uniform(-limit, limit, size=(fan_in, fan_out))", "rng.uniform(0, limit, size=(fan_in, fan_out))"))},
    "he_uses_fan_out": {"scaled_normal_initializers": _e("scaled_normal_initializers", (
        "np.sqrt(2.0 / fan_in), rng)", "np.sqrt(2.0 / fan_out), rng)"))},
    "he_variance_as_std": {"scaled_normal_initializers": _e("scaled_normal_initializers", (
        "np.sqrt(2.0 / fan_in), rng)", "2.0 / fan_in, rng)"))},
    "lecun_like_he": {"scaled_normal_initializers": _e("scaled_normal_initializers", (
        "np.sqrt(1.0 / fan_in), rng)", "np.sqrt(2.0 / fan_in), rng)"))},
    "draws_last_layer_first": {"initialize_parameters": _e("initialize_parameters", (
        "    for l in range(1, len(sizes)):", "    for l in reversed(range(1, len(sizes))):"))},
    "own_generator": {"initialize_parameters": _e("initialize_parameters", (
        "np.asarray(init(fan_in, fan_out, rng)", "np.asarray(init(fan_in, fan_out, np.random.default_rng(0))"))},
    "random_biases": {"initialize_parameters": _e("initialize_parameters", (
        'params[f"b{l}"] = np.zeros(fan_out, dtype=np.float64)',
        'params[f"b{l}"] = np.asarray(init(1, fan_out, rng), dtype=np.float64).ravel()'))},
    "transposed_weights": {"initialize_parameters": _e("initialize_parameters", (
        "np.asarray(init(fan_in, fan_out, rng)", "np.asarray(init(fan_out, fan_in, rng)"))},
    "last_layer_missing": {"initialize_parameters": _e("initialize_parameters", (
        "    for l in range(1, len(sizes)):", "    for l in range(1, len(sizes) - 1):"))},
    "key_error_for_unknown_method": {"initialize_parameters": _e("initialize_parameters", (
        "    elif method in INITIALIZERS:\n        init = INITIALIZERS[method]\n    else:\n",
        "    else:\n        init = INITIALIZERS[method]\n    if False:\n"))},
    "no_integer_check": {"initialize_parameters": _e("initialize_parameters", (
        "if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n <= 0:", "if n <= 0:"))},
    "fixed_two_layers": {"forward_stack": _e("forward_stack", (
        '    while f"W{l}" in params:', '    while l <= 2:'))},
    "linear_last_layer": {"forward_stack": _e("forward_stack", (
        '        A = nonlinearity(A @ params[f"W{l}"] + params[f"b{l}"])   # (N, n_l)',
        '        A = A @ params[f"W{l}"] + params[f"b{l}"]\n'
        '        if f"W{l + 1}" in params:\n            A = nonlinearity(A)'))},
    "includes_input": {"forward_stack": _e("forward_stack", ("    activations = []", "    activations = [A]"))},
    "key_error_for_unknown_activation": {"forward_stack": _e("forward_stack", (
        "    if activation not in ACTIVATIONS:", "    if False:"))},
    "exact_equality": {"count_distinct_units": "def count_distinct_units(A, atol=1e-8):\n"
                                               "    return int(np.unique(np.asarray(A), axis=1).shape[1])\n"},
    "counts_rows": {"count_distinct_units": _e("count_distinct_units", ("A = np.asarray(A, dtype=np.float64)",
                                                                         "A = np.asarray(A, dtype=np.float64).T"))},
    "returns_float": {"count_distinct_units": _e("count_distinct_units", (
        _COUNT, "return A.shape[1] - copies.sum() * 1.0"))},
}

LOSES = {
    "zeros_integer_dtype": {"constant_inits"}, "constant_keeps_int": {"constant_inits"},
    "zeros_transposed": {"constant_inits"},
    "variance_as_std": {"normal_init_statistics"}, "global_generator": {"initializers_reproducible"},
    "truncated_normal": {"normal_init_statistics"}, "uniform_instead_of_normal": {"normal_init_statistics"},
    "xavier_limit_from_variance": {"xavier_uniform_limits"}, "xavier_only_fan_in": {"xavier_uniform_limits"},
    "uniform_from_zero": {"xavier_uniform_limits"},
    "he_uses_fan_out": {"scaled_normal_std"}, "he_variance_as_std": {"scaled_normal_std"},
    "lecun_like_he": {"scaled_normal_std"},
    "draws_last_layer_first": {"initialize_parameters_any_depth"},
    "own_generator": {"initialize_parameters_any_depth"},
    "random_biases": {"initialize_parameters_two_layer"}, "transposed_weights": {"initialize_parameters_two_layer"},
    "last_layer_missing": {"initialize_parameters_two_layer"},
    "key_error_for_unknown_method": {"initialize_parameters_errors"},
    "no_integer_check": {"initialize_parameters_errors"},
    "fixed_two_layers": {"forward_stack_values"}, "linear_last_layer": {"forward_stack_values"},
    "includes_input": {"forward_stack_values"}, "key_error_for_unknown_activation": {"forward_stack_values"},
    "exact_equality": {"count_distinct_units_values"}, "counts_rows": {"count_distinct_units_values"},
    "returns_float": {"count_distinct_units_values"},
}

ALTERNATIVES = {
    "textbook_forms": {
        "normal_init": _e("normal_init", (_DRAW, "return std * rng.standard_normal((fan_in, fan_out))")),
        "xavier_uniform": _e("xavier_uniform", ("rng.uniform(-limit, limit, size=(fan_in, fan_out))",
                                                "limit * (2 * rng.random((fan_in, fan_out)) - 1)")),
        "count_distinct_units": "def count_distinct_units(A, atol=1e-8):\n"
                                "    A = np.asarray(A, dtype=np.float64)\n    count = 0\n"
                                "    for j in range(A.shape[1]):\n"
                                "        if not any(np.max(np.abs(A[:, j] - A[:, i])) <= atol for i in range(j)):\n"
                                "            count += 1\n    return count\n"},
    "loops_over_layers": {
        "initialize_parameters": _e("initialize_parameters", (_LOOP, """    for l, (fan_in, fan_out) in enumerate(
            zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = np.asarray(init(int(fan_in), int(fan_out), rng), dtype=np.float64)
        params[f"b{l}"] = np.zeros(int(fan_out))""")),
        "forward_stack": _e("forward_stack", ('''    l = 1
    while f"W{l}" in params:
        A = nonlinearity(A @ params[f"W{l}"] + params[f"b{l}"])   # (N, n_l)
        activations.append(A)
        l += 1''', '''    for l in range(1, len(params) // 2 + 1):
        A = nonlinearity(np.dot(A, params[f"W{l}"]) + params[f"b{l}"])
        activations.append(A)'''))},
}

# The default run grades these (3 submissions); the rest run with COURSE_VARIANTS=all.
_MAIN = ["constant_keeps_int", "zeros_integer_dtype", "variance_as_std", "truncated_normal", "global_generator",
         "xavier_limit_from_variance", "uniform_from_zero", "he_uses_fan_out", "lecun_like_he",
         "draws_last_layer_first", "own_generator", "no_integer_check", "fixed_two_layers",
         "key_error_for_unknown_activation", "exact_equality", "counts_rows"]
EXTRA_MISTAKES = {name: answers for name, answers in MISTAKES.items() if name not in _MAIN}
MISTAKES = {name: MISTAKES[name] for name in _MAIN}
