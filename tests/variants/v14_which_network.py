"""Lesson 14's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

count_dense_params / count_conv_params / count_lstm_params (test cell count_params_by_hand)
    the dense biases forgotten, D M (dense_no_bias) ......... "one bias per output"
    a float returned, 1488.0 (dense_float) .................. "should return an integer"
    the conv biases forgotten, K C F (conv_no_bias) ......... "(one bias per filter)"
    the input channels left out, K F + F (conv_no_in_channels)  "K weights per input channel"
    a 2-D kernel multiplied as a tuple, (3, 3) * C (conv_tuple_kernel)  "a 2-D kernel_size is a tuple"
    a 2-D kernel counted by its height, KH C F + F (conv_kernel_height_only)  "KH * KW weights per channel"
    three gate blocks, a GRU's count without its second bias (lstm_three_gates)  "four gates"
    one gate block, D H + H^2 + H (lstm_one_block) .......... "four gates"
    the recurrent weights left out, 4 (D H + H) (lstm_no_recurrent)  "its recurrent weights Wh (H, H)"
    two biases per gate, PyTorch's count (lstm_two_biases) .. "one bias (H,)"
    valid: kernel sizes unpacked, 4 H (D + H + 1) (count_unpacked)
size_for_budget (test cell size_for_budget_closest)
    the largest size under the budget (size_largest_under_budget)  "the closest count may be above the budget"
    ties to the last size, <= (size_ties_to_last) ........... "<, not <="
    no error when nothing is within the tolerance (size_never_raises)  "returned normally"
    an error that names neither size nor count (size_error_without_size)  "the closest size (3) and its count (30)"
    the count returned, not the size (size_returns_count) ... "expected size 100, got 1000"
    the tolerance as an absolute gap, gap > tolerance (size_absolute_tolerance)  its own "no size is within 10%"
    valid: min(sizes, key=gap) (size_with_min), np.argmin of the gaps (size_with_argmin),
           sorted(sizes, key=gap)[0], stable (size_with_sorted)
tabular_lstm (test cell tabular_lstm_layers)
    one step of D features, Reshape((1, D)) (tabular_one_step)  "Reshape((D, 1)): D steps of one feature"
    return_sequences=True (tabular_return_sequences) ........ "leave return_sequences=False"
    a softmax on the scores (tabular_softmax) ............... "output logits"
    the dropout rate fixed at 0.2 (tabular_fixed_dropout) ... "the dropout argument (0.5)"
    Dropout before the LSTM (tabular_dropout_first) ......... "Reshape, LSTM, Dropout, Dense"
    valid: Sequential().add(...), Reshape((-1, 1)) (tabular_add_layers)
bag_of_words (test cell bag_of_words_counts)
    counts[rows, tokens] += 1, repeats counted once (bow_repeats_once)  "counts a repeated id once"
    float64 counts (bow_float64) ............................ "expected float32"
    the vocabulary from the largest id (bow_vocab_from_tokens)  "vocabulary 8"
    (V, N), transposed (bow_transposed) ..................... "wrong shape: expected (2, 5)"
    valid: np.bincount per row (bow_bincount), a loop over passages and ids (bow_loops)
precision_recall_f1 (test cell precision_recall_f1_values)
    precision and recall swapped (prf_swapped) .............. "precision and recall are swapped"
    the confusion matrix transposed, the same swap (prf_confusion_transposed)  "are swapped"
    nan where nothing is predicted, plain division (prf_nan_zero_division)  "0 / 0 counts as 0, not nan"
    F1 as the arithmetic mean (prf_f1_arithmetic_mean) ...... "not the arithmetic mean"
    F1 nan where precision and recall are 0 (prf_f1_nan) .... "(0, not nan)"
    valid: a loop over the classes with boolean masks, F1 = 2 TP / (2 TP + FP + FN) (prf_loops)
average_precision (test cell average_precision_values)
    the trapezoid rule, np.trapezoid (ap_trapezoid) ......... "not a trapezoid"
    the thresholds from the lowest score up (ap_ascending) .. "from the highest score down"
    each tied score its own threshold (ap_ties_not_grouped) . "the two tied scores are ONE threshold"
    any label accepted, astype(bool) (ap_accepts_any_label) . "a 2 is a mistake upstream"
    the caller's scores negated in place to sort (ap_scores_in_place)  "changed its input scores in place"
    recall over all N examples (ap_recall_over_n) ........... "average precision of 8 scores"
    valid: a loop over the distinct scores, no np.cumsum (ap_loop), np.unique and np.cumsum (ap_unique)

No graded function of this lesson draws random numbers, so there is no draw-order mistake.
"""

from variants import edits

LESSON = "14_which_network"


_e = edits(LESSON)


_CONV = "    return int(np.prod(kernel_size)) * in_channels * filters + filters\n"
_LSTM = "    return int(4 * (num_inputs * num_hiddens + num_hiddens ** 2 + num_hiddens))\n"
_GAP = "        if best_gap is None or gap < best_gap:\n"
_AP_LABELS = ('    if not np.isin(y_true, (0, 1)).all():\n'
              '        raise ValueError(f"y_true must hold 0/1 (or boolean) labels, '
              'got the values {np.unique(y_true)}")\n')
_AP_SUM = "    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))\n"

_TABULAR_HEAD = '''def tabular_lstm(num_features, num_hiddens, num_classes, dropout=0.2):
    L = keras.layers
'''

ALL_MISTAKES = {
    # count_dense_params / count_conv_params / count_lstm_params
    "dense_no_bias": _e("count_params", ("int(num_inputs * num_outputs + num_outputs)",
                                         "int(num_inputs * num_outputs)")),
    "dense_float": _e("count_params", ("int(num_inputs * num_outputs + num_outputs)",
                                       "num_inputs * num_outputs + num_outputs * 1.0")),
    "conv_no_bias": _e("count_params", (_CONV, "    return int(np.prod(kernel_size)) * in_channels * filters\n")),
    "conv_no_in_channels": _e("count_params", (_CONV, "    return int(np.prod(kernel_size)) * filters + filters\n")),
    "conv_tuple_kernel": _e("count_params", (_CONV, "    return kernel_size * in_channels * filters + filters\n")),
    "conv_kernel_height_only": _e("count_params", (_CONV, (
        "    k = kernel_size[0] if isinstance(kernel_size, tuple) else kernel_size\n"
        "    return k * in_channels * filters + filters\n"))),
    "lstm_three_gates": _e("count_params", (_LSTM, _LSTM.replace("int(4 *", "int(3 *"))),
    "lstm_one_block": _e("count_params", (_LSTM,
                                          "    return num_inputs * num_hiddens + num_hiddens ** 2 + num_hiddens\n")),
    "lstm_no_recurrent": _e("count_params", (_LSTM, "    return 4 * (num_inputs * num_hiddens + num_hiddens)\n")),
    "lstm_two_biases": _e("count_params", (_LSTM, _LSTM.replace("+ num_hiddens))", "+ 2 * num_hiddens))"))),
    # size_for_budget
    "size_largest_under_budget": {"size_for_budget": '''def size_for_budget(count, budget, sizes, tolerance=0.1):
    best = None
    for size in sizes:
        if count(size) <= budget:
            best = size
    if best is None or budget - count(best) > tolerance * budget:
        raise ValueError(f"no size is within {tolerance:.0%} of {budget}: the largest under it is {best}")
    return best
'''},
    "size_ties_to_last": _e("size_for_budget", (_GAP, "        if best_gap is None or gap <= best_gap:\n")),
    "size_never_raises": _e("size_for_budget", (
        '    if best_gap > tolerance * budget:\n'
        '        raise ValueError(f"no size is within {tolerance:.0%} of {budget}: '
        'the closest, {best}, has {count(best)}")\n', "")),
    "size_error_without_size": _e("size_for_budget", (
        'raise ValueError(f"no size is within {tolerance:.0%} of {budget}: the closest, {best}, has {count(best)}")',
        'raise ValueError("no size is close enough to the budget")')),
    "size_returns_count": _e("size_for_budget", ("    return best\n", "    return count(best)\n")),
    "size_absolute_tolerance": _e("size_for_budget", ("    if best_gap > tolerance * budget:\n",
                                                      "    if best_gap > tolerance:\n")),
    # tabular_lstm
    "tabular_one_step": _e("tabular_lstm", ("L.Reshape((num_features, 1))", "L.Reshape((1, num_features))")),
    "tabular_return_sequences": _e("tabular_lstm", ("L.LSTM(num_hiddens)",
                                                    "L.LSTM(num_hiddens, return_sequences=True)")),
    "tabular_softmax": _e("tabular_lstm", ("L.Dense(num_classes)", 'L.Dense(num_classes, activation="softmax")')),
    "tabular_fixed_dropout": _e("tabular_lstm", ("L.Dropout(dropout)", "L.Dropout(0.2)")),
    "tabular_dropout_first": _e("tabular_lstm", (
        "L.Reshape((num_features, 1)), L.LSTM(num_hiddens),\n                             L.Dropout(dropout),",
        "L.Reshape((num_features, 1)), L.Dropout(dropout),\n                             L.LSTM(num_hiddens),")),
    # bag_of_words
    "bow_repeats_once": _e("bag_of_words", (
        "    np.add.at(counts, (np.repeat(np.arange(len(tokens)), tokens.shape[1]), tokens.ravel()), 1.0)\n",
        "    counts[np.arange(len(tokens))[:, None], tokens] += 1\n")),
    "bow_float64": _e("bag_of_words", ("dtype=np.float32", "dtype=np.float64")),
    "bow_vocab_from_tokens": _e("bag_of_words", ("np.zeros((len(tokens), vocab_size)",
                                                 "np.zeros((len(tokens), tokens.max() + 1)")),
    "bow_transposed": _e("bag_of_words", ("    return counts\n", "    return counts.T\n")),
    # precision_recall_f1
    "prf_swapped": _e("precision_recall_f1", ("C.sum(axis=0), C.sum(axis=1)", "C.sum(axis=1), C.sum(axis=0)")),
    "prf_confusion_transposed": _e("precision_recall_f1", ("(y_true, y_pred), 1)", "(y_pred, y_true), 1)")),
    "prf_nan_zero_division": _e("precision_recall_f1", (
        "    precision = np.divide(tp, predicted, out=np.zeros(num_classes), where=predicted > 0)\n"
        "    recall = np.divide(tp, actual, out=np.zeros(num_classes), where=actual > 0)\n",
        "    precision, recall = tp / predicted, tp / actual\n")),
    "prf_f1_arithmetic_mean": _e("precision_recall_f1", (
        "    f1 = np.divide(2 * precision * recall, total, out=np.zeros(num_classes), where=total > 0)\n",
        "    f1 = (precision + recall) / 2\n")),
    "prf_f1_nan": _e("precision_recall_f1", (
        "    f1 = np.divide(2 * precision * recall, total, out=np.zeros(num_classes), where=total > 0)\n",
        "    f1 = 2 * precision * recall / total\n")),
    # average_precision
    "ap_trapezoid": _e("average_precision", (
        _AP_SUM, "    return float(np.trapezoid(np.r_[1.0, precision], np.r_[0.0, recall]))\n")),
    "ap_ascending": _e("average_precision", ('np.argsort(-scores, kind="stable")',
                                             'np.argsort(scores, kind="stable")')),
    "ap_ties_not_grouped": _e("average_precision", (
        "    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]     # the last example of each distinct score\n",
        "    last = np.arange(len(s))\n")),
    "ap_accepts_any_label": _e("average_precision", (_AP_LABELS, "")),
    "ap_scores_in_place": _e("average_precision", (
        '    order = np.argsort(-scores, kind="stable")\n',
        '    scores *= -1                                     # from the highest score down\n'
        '    order = np.argsort(scores, kind="stable")\n')),
    "ap_recall_over_n": _e("average_precision", ("tp / hits.sum()", "tp / len(hits)")),
}

ALL_ALTERNATIVES = {
    "count_unpacked": {"count_params": '''def count_dense_params(num_inputs, num_outputs):
    weights, biases = num_inputs * num_outputs, num_outputs
    return weights + biases


def count_conv_params(kernel_size, in_channels, filters):
    kh, kw = (kernel_size, 1) if isinstance(kernel_size, int) else kernel_size
    return (kh * kw * in_channels + 1) * filters


def count_lstm_params(num_inputs, num_hiddens):
    return 4 * num_hiddens * (num_inputs + num_hiddens + 1)
'''},
    "size_with_min": {"size_for_budget": '''def size_for_budget(count, budget, sizes, tolerance=0.1):
    sizes = list(sizes)
    if not sizes:
        raise ValueError("no sizes to choose from")
    best = min(sizes, key=lambda s: abs(count(s) - budget))   # min keeps the first of equal keys
    if abs(count(best) - budget) > tolerance * budget:
        raise ValueError(f"the closest size, {best}, has {count(best)} parameters: more than "
                         f"{tolerance:.0%} away from {budget}")
    return best
'''},
    "size_with_argmin": {"size_for_budget": '''def size_for_budget(count, budget, sizes, tolerance=0.1):
    sizes = list(sizes)
    counts = np.array([count(s) for s in sizes])
    k = int(np.argmin(np.abs(counts - budget)))                # the first index of the minimum
    if abs(counts[k] - budget) > tolerance * budget:
        raise ValueError(f"size {sizes[k]} is the closest with {counts[k]} parameters, "
                         f"{abs(counts[k] - budget) / budget:.1%} from {budget}")
    return sizes[k]
'''},
    "size_with_sorted": {"size_for_budget": '''def size_for_budget(count, budget, sizes, tolerance=0.1):
    ranked = sorted(((abs(count(s) - budget), s) for s in sizes), key=lambda pair: pair[0])   # stable
    gap, best = ranked[0]
    if gap > tolerance * budget:
        raise ValueError(f"closest size {best} ({count(best)} parameters) is off by {gap}")
    return best
'''},
    "tabular_add_layers": {"tabular_lstm": _TABULAR_HEAD + '''    model = keras.Sequential()
    model.add(keras.Input(shape=(num_features,)))
    model.add(L.Reshape((-1, 1)))
    model.add(L.LSTM(units=num_hiddens))
    model.add(L.Dropout(rate=dropout))
    model.add(L.Dense(num_classes, activation=None))
    return model
'''},
    "bow_bincount": {"bag_of_words": '''def bag_of_words(tokens, vocab_size):
    return np.stack([np.bincount(row, minlength=vocab_size) for row in np.asarray(tokens)]).astype(np.float32)
'''},
    "prf_loops": {"precision_recall_f1": '''def precision_recall_f1(y_true, y_pred, num_classes):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    precision, recall, f1 = np.zeros(num_classes), np.zeros(num_classes), np.zeros(num_classes)
    for k in range(num_classes):
        tp = np.sum((y_true == k) & (y_pred == k))
        fp = np.sum((y_true != k) & (y_pred == k))
        fn = np.sum((y_true == k) & (y_pred != k))
        if tp + fp:
            precision[k] = tp / (tp + fp)
        if tp + fn:
            recall[k] = tp / (tp + fn)
        if tp:
            f1[k] = 2 * tp / (2 * tp + fp + fn)
    return precision, recall, f1
'''},
    "ap_loop": {"average_precision": '''def average_precision(y_true, scores):
    labels = [int(v) for v in y_true]
    if any(v not in (0, 1) for v in labels):
        raise ValueError(f"labels must be 0 or 1, got {sorted(set(labels))}")
    pairs = sorted(zip(scores, labels), key=lambda pair: -pair[0])
    num_positive = sum(labels)
    ap, tp, seen, previous_recall, i = 0.0, 0, 0, 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:     # a group of tied scores: one threshold
            tp += pairs[j][1]
            seen += 1
            j += 1
        recall = tp / num_positive
        ap += (recall - previous_recall) * (tp / seen)
        previous_recall, i = recall, j
    return ap
'''},
    "ap_unique": {"average_precision": '''def average_precision(y_true, scores):
    y_true = np.asarray(y_true)
    if np.setdiff1d(np.unique(y_true.astype(float)), [0.0, 1.0]).size:
        raise ValueError(f"y_true should be binary, got {np.unique(y_true)}")
    values, inverse = np.unique(-np.asarray(scores, dtype=float), return_inverse=True)   # highest score first
    positives = np.bincount(inverse, weights=y_true.astype(float), minlength=len(values))
    examples = np.bincount(inverse, minlength=len(values))
    tp, seen = np.cumsum(positives), np.cumsum(examples)
    return float(np.sum(positives / y_true.sum() * tp / seen))
'''},
}

_COUNT, _SIZE, _TAB = {"count_params_by_hand"}, {"size_for_budget_closest"}, {"tabular_lstm_layers"}
_BOW, _PRF, _AP = {"bag_of_words_counts"}, {"precision_recall_f1_values"}, {"average_precision_values"}
_CELLS = {"count_params": _COUNT, "size_for_budget": _SIZE, "tabular_lstm": _TAB, "bag_of_words": _BOW,
          "precision_recall_f1": _PRF, "average_precision": _AP}

# Each mistake fails the test cell of its own function only (the given cells that call it through
# course.lab are not graded), so mistakes of different functions share one submission.
LOSES = {name: _CELLS[next(iter(answers))] for name, answers in ALL_MISTAKES.items()}

# The default run, two submissions of mistakes (two per function) and one of alternatives: each submission
# executes the whole notebook, its quick-mode experiment included; the rest are extra.
_DEFAULT = [
    "conv_no_in_channels", "size_largest_under_budget", "tabular_softmax", "bow_repeats_once",
    "prf_nan_zero_division", "ap_ties_not_grouped",
    "lstm_no_recurrent", "size_ties_to_last", "tabular_fixed_dropout", "bow_vocab_from_tokens",
    "prf_f1_arithmetic_mean", "ap_scores_in_place",
]
MISTAKES = {name: ALL_MISTAKES[name] for name in _DEFAULT}
EXTRA_MISTAKES = {name: answers for name, answers in ALL_MISTAKES.items() if name not in MISTAKES}
ALTERNATIVES = {name: ALL_ALTERNATIVES[name] for name in
                ("count_unpacked", "size_with_min", "tabular_add_layers", "bow_bincount", "prf_loops", "ap_loop")}
EXTRA_ALTERNATIVES = {name: answers for name, answers in ALL_ALTERNATIVES.items() if name not in ALTERNATIVES}
