"""Lesson 05's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

cross_entropy
    sum instead of mean (ce_sum_not_mean) ............. cross_entropy_hand_values: "expected 0.42.., got 1.27.."
    no clipping, log(0) (ce_no_clip) ................... cross_entropy_perfect_and_uniform, cross_entropy_clipping: nan
    the eps argument ignored, 1e-7 built in (ce_fixed_eps)  cross_entropy_clipping: -log(1e-7) / 2, not -log(1e-12) / 2
    the eps argument ignored, 1e-12 built in (ce_eps_ignored)  cross_entropy_clipping: "clip at the eps you are given"
    no shape check, silent broadcast (ce_no_shape_check) cross_entropy_shape_errors: "its message ... should mention"
    a message without P's shape (ce_message_one_shape) . cross_entropy_shape_errors: "... should mention '(4, 3)'"
    integer labels used as one-hot rows (ce_labels_as_rows)  cross_entropy_integer_labels
    valid: log(P + eps) instead of clipping (ce_log_p_plus_eps): the two differ by at most eps per example
    valid: picking P[n, y_n] for labels (ce_pick_true_class)
training_loss
    integer labels only (training_loss_labels_only) .... training_loss_values (one-hot Y)
accuracy
    no length check (accuracy_no_length_check) ......... accuracy_length_mismatch: 5 labels, 1 prediction broadcast
    lists compared with == (accuracy_lists) ............ accuracy_values: [1, 1, 0] == [1, 0, 0] is one bool for lists
    a count instead of a fraction (accuracy_count) ..... accuracy_values
    valid: np.count_nonzero / len (accuracy_count_nonzero)
confusion_matrix
    rows and columns swapped (cm_transposed) ........... confusion_matrix_values
    C[y_true, y_pred] += 1 loses repeated pairs (cm_fancy_plus_equals)  confusion_matrix_values
    float counts (cm_float) ............................ confusion_matrix_values: "wrong dtype ... .astype(np.int64)"
    only the upper bound checked, a negative label wraps around (cm_no_negative_check)  confusion_matrix_errors
    num_classes ignored (cm_ignores_num_classes) ....... confusion_matrix_num_classes
    valid: np.add.at on an int64 table (cm_add_at)
"""

LESSON = "05_cross_entropy_and_prediction"

_CE = '''def cross_entropy(P, Y, eps=1e-12):
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y)
    N, K = P.shape
    if Y.ndim == 1:
        if Y.shape[0] != N:
            raise ValueError(f"P has shape {P.shape} but y has shape {Y.shape}")
        Y = np.eye(K)[Y]
    elif Y.shape != P.shape:
        raise ValueError(f"P has shape {P.shape} but Y has shape {Y.shape}")
    return float(-np.sum(Y * LOG) / N)
'''


def _ce(log_expression, **replace):
    source = _CE.replace("LOG", log_expression)
    for old, new in replace.items():
        source = source.replace(old, new)
    return source


_CM = '''def confusion_matrix(y_true, y_pred, num_classes=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes {y_true.shape} and {y_pred.shape} differ")
    K = int(max(y_true.max(), y_pred.max())) + 1 if num_classes is None else num_classes
    CHECK
    C = np.zeros((K, K), dtype=np.int64)
    COUNT
    return C
'''
_CHECK = '''if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= K:
        raise ValueError(f"labels must lie in 0..{K - 1}")'''


def _cm(count="np.add.at(C, (y_true, y_pred), 1)", check=_CHECK, **replace):
    source = _CM.replace("CHECK", check).replace("COUNT", count)
    for old, new in replace.items():
        source = source.replace(old, new)
    return source


_ACC = '''def accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}")
    return RESULT
'''

MISTAKES = {
    "ce_sum_not_mean": {"cross_entropy": _ce("np.log(np.clip(P, eps, 1.0))", **{"/ N)": ")"})},
    "ce_no_clip": {"cross_entropy": _ce("np.log(P)")},
    "ce_fixed_eps": {"cross_entropy": _ce("np.log(np.clip(P, 1e-7, 1.0))")},
    "ce_eps_ignored": {"cross_entropy": _ce("np.log(np.clip(P, 1e-12, 1.0))")},
    "ce_no_shape_check": {"cross_entropy": '''def cross_entropy(P, Y, eps=1e-12):
    P, Y = np.asarray(P, dtype=np.float64), np.asarray(Y)
    if Y.ndim == 1:
        Y = np.eye(P.shape[1])[Y]
    return float(-np.sum(Y * np.log(np.clip(P, eps, 1.0))) / P.shape[0])
'''},
    "ce_message_one_shape": {"cross_entropy": _ce("np.log(np.clip(P, eps, 1.0))",
                                                  **{"P has shape {P.shape} but Y": "Y"})},
    "ce_labels_as_rows": {"cross_entropy": '''def cross_entropy(P, Y, eps=1e-12):
    P, Y = np.asarray(P, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if Y.shape != P.shape and Y.ndim == 2:
        raise ValueError(f"P has shape {P.shape} but Y has shape {Y.shape}")
    if Y.ndim == 1 and len(Y) != len(P):
        raise ValueError(f"P has shape {P.shape} but y has shape {Y.shape}")
    return float(-np.sum(Y[:, None] * np.log(np.clip(P, eps, 1.0))) / P.shape[0])
'''},
    "training_loss_labels_only": {"training_loss": '''def training_loss(X, Y, params):
    P = two_layer_forward(X, params)
    return cross_entropy(P, np.asarray(Y).astype(np.int64).ravel()[:len(X)])
'''},
    "accuracy_no_length_check": {"accuracy": '''def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
'''},
    "accuracy_lists": {"accuracy": '''def accuracy(y_true, y_pred):
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    return float(np.mean(y_true == y_pred))
'''},
    "accuracy_count": {"accuracy": _ACC.replace("RESULT", "float(np.sum(y_true == y_pred))")},
    "cm_transposed": {"confusion_matrix": _cm("np.add.at(C, (y_pred, y_true), 1)")},
    "cm_fancy_plus_equals": {"confusion_matrix": _cm("C[y_true, y_pred] += 1")},
    "cm_float": {"confusion_matrix": _cm(**{"dtype=np.int64": "dtype=np.float64"})},
    "cm_no_negative_check": {"confusion_matrix": _cm(check='''if max(y_true.max(), y_pred.max()) >= K:
        raise ValueError(f"labels must lie in 0..{K - 1}")''')},
    "cm_ignores_num_classes": {"confusion_matrix": _cm(**{
        " if num_classes is None else num_classes": ""})},
}

ALTERNATIVES = {
    "ce_log_p_plus_eps": {"cross_entropy": _ce("np.log(P + eps)")},
    "ce_pick_true_class": {"cross_entropy": '''def cross_entropy(P, Y, eps=1e-12):
    P, Y = np.asarray(P, dtype=np.float64), np.asarray(Y)
    N = len(P)
    if Y.ndim == 1:
        if Y.shape != (N,):
            raise ValueError(f"P has shape {P.shape} but y has shape {Y.shape}")
        return float(-np.mean(np.log(np.maximum(P[np.arange(N), Y], eps))))
    if Y.shape != P.shape:
        raise ValueError(f"P has shape {P.shape} but Y has shape {Y.shape}")
    return float(-np.mean(np.sum(Y * np.log(np.clip(P, eps, 1)), axis=1)))
'''},
    "accuracy_count_nonzero": {"accuracy": '''def accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    return np.count_nonzero(y_true == y_pred) / len(y_true)
'''},
    "cm_add_at": {"confusion_matrix": _cm()},
}

LOSES = {
    "ce_sum_not_mean": {"cross_entropy_hand_values"},
    "ce_no_clip": {"cross_entropy_perfect_and_uniform", "cross_entropy_clipping"},
    "ce_fixed_eps": {"cross_entropy_clipping"},
    "ce_eps_ignored": {"cross_entropy_clipping"},
    "ce_no_shape_check": {"cross_entropy_shape_errors"},
    "ce_message_one_shape": {"cross_entropy_shape_errors"},
    "ce_labels_as_rows": {"cross_entropy_integer_labels"},
    "training_loss_labels_only": {"training_loss_values"},
    "accuracy_no_length_check": {"accuracy_length_mismatch"},
    "accuracy_lists": {"accuracy_values"},
    "accuracy_count": {"accuracy_values"},
    "cm_transposed": {"confusion_matrix_values"},
    "cm_fancy_plus_equals": {"confusion_matrix_values"},
    "cm_float": {"confusion_matrix_values"},
    "cm_no_negative_check": {"confusion_matrix_errors"},
    "cm_ignores_num_classes": {"confusion_matrix_num_classes"},
}
