"""Lesson 13's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

recurrent_weights_to_keras (test cell recurrent_weights_to_keras_layout)
    the GRU's bias left (3H,) (r2k_gru_bias_1d) .. "(2, 3H) = (2, 6)"
    b on both rows of the GRU's bias (r2k_gru_bias_twice) .. "the recurrent bias (zeros)"
    the rows swapped, zeros first (r2k_gru_bias_rows_swapped) .. "bias[0], the input bias"
    the rows stacked as columns, (3H, 2) (r2k_gru_bias_columns) .. "(2, 3H) = (2, 6)"
    the matrices transposed, PyTorch's layout (r2k_transposed) .. "copy as it is"
    the LSTM's gates reordered i, f, o, g (r2k_lstm_reordered) .. "gate order is lesson 10's"
    the GRU's gates reordered r, z, n, PyTorch's order (r2k_gru_rzn) .. "z, r, n"
    an unknown cell not checked (r2k_no_cell_check) .. "unknown cell 'cnn'"
    the shapes not checked (r2k_no_shape_check) .. "an LSTM needs 4H"
    valid: np.vstack, a tuple, shapes checked one by one (r2k_vstack_tuple)
keras_weights_to_recurrent (test cell keras_weights_to_recurrent_folds_gru_bias)
    the recurrent bias dropped (k2r_drop_recurrent) .. "they fold"
    both rows summed, no candidate check (k2r_sum_rows) .. "is not zero"
    the Keras bias changed in place (k2r_in_place) .. "in place"
    only the update gate's bias folded (k2r_fold_z_only) .. "b[:2H]"
    the candidate's recurrent bias folded too (k2r_fold_candidate) .. "is not zero"
    a list returned (k2r_list) .. "expected a tuple"
    the matrices transposed (k2r_transposed) .. "the kernel as it is"
    an unknown cell not checked (k2r_no_cell_check) .. "'transformer'"
    valid: the first row plus a padded recurrent row (k2r_padded_sum)
pad_and_truncate (test cell pad_and_truncate_like_keras)
    padding after the ids by default (pad_post_default) .. "the fill goes BEFORE"
    truncating "pre" keeps the first ids (pad_truncate_keeps_start) .. "keep the LAST"
    an int64 result (pad_int64) .. "dtype=np.int32"
    value ignored, zeros always (pad_ignores_value) .. "value=-1"
    X[n, -len(seq):] for an empty sequence (pad_minus_zero_slice) .. "X[n, -0:]"
    truncation chosen by padding (pad_truncating_follows_padding) .. "independent options"
    maxlen not checked (pad_no_maxlen_check) .. "maxlen=0"
    the options not checked (pad_no_option_check) .. "padding='middle'"
    valid: each row built with np.concatenate (pad_concatenate), np.pad (pad_with_np_pad)
conv1d_text_classifier (test cell conv1d_text_classifier_layers)
    a softmax on the scores (conv_softmax_scores) .. "from_logits=True"
    no ReLU on the convolution (conv_no_relu) .. "activation='relu'"
    average pooling (conv_average_pool) .. "an average"
    Flatten in place of the pooling (conv_flatten) .. "or a Flatten"
    padding="same" (conv_same_padding) .. "padding='valid'"
    no keras.Input (conv_no_input) .. "not built"
    float input (conv_float_input) .. "dtype='int32'"
    num_words + 1 embedding rows (conv_embedding_plus_one) .. "parameters"
    the scores before the pooling (conv_scores_before_pool) .. "in this order"
    two classes whatever num_classes (conv_two_classes) .. "3 scores"
    valid: Sequential().add(...), keras.activations.relu (conv_add_layers)

No graded cell uses return_sequences (lstm_text_classifier and rnn_classifier are course.keras_rnn's,
not exercises) and none draws random numbers.
"""

from variants import edits

LESSON = "13_keras_rnn"


_e = edits(LESSON)


_GRU_RETURN = "        return [Wx, Wh, np.stack([b, np.zeros_like(b)])]\n"
_FOLD = "    b = bias[0].copy()\n    b[:2 * H] += bias[1, :2 * H]\n"
_CANDIDATE_CHECK = '''    if np.any(bias[1, 2 * H:] != 0):
        raise ValueError("the GRU's recurrent candidate bias bias[1, 2H:] is not zero: course.nn's GRU cannot "
                         "express it (it sits inside r * (h Wh + b)); train with it held at zero")
'''
_PAD_PLACE = '''            if padding == "pre":
                X[n, maxlen - len(seq):] = seq
            else:
                X[n, :len(seq)] = seq
'''

ALL_MISTAKES = {
    # recurrent_weights_to_keras
    "r2k_gru_bias_1d": _e("recurrent_weights_to_keras", (_GRU_RETURN, "        return [Wx, Wh, b]\n")),
    "r2k_gru_bias_twice": _e("recurrent_weights_to_keras", ("np.stack([b, np.zeros_like(b)])", "np.stack([b, b])")),
    "r2k_gru_bias_rows_swapped": _e("recurrent_weights_to_keras", ("np.stack([b, np.zeros_like(b)])",
                                                                   "np.stack([np.zeros_like(b), b])")),
    "r2k_gru_bias_columns": _e("recurrent_weights_to_keras", ("np.stack([b, np.zeros_like(b)])",
                                                              "np.stack([b, np.zeros_like(b)], axis=1)")),
    "r2k_transposed": _e("recurrent_weights_to_keras",
        ("        return [Wx, Wh, np.stack", "        return [Wx.T, Wh.T, np.stack"),
                         ("    return [Wx, Wh, b]\n", "    return [Wx.T, Wh.T, b]\n")),
    "r2k_lstm_reordered": _e("recurrent_weights_to_keras", ("    return [Wx, Wh, b]\n", '''    if cell == "lstm":
        def ifog(M):
            return np.concatenate([M[..., :2 * H], M[..., 3 * H:], M[..., 2 * H:3 * H]], axis=-1)
        return [ifog(Wx), ifog(Wh), ifog(b)]
    return [Wx, Wh, b]
''')),
    "r2k_gru_rzn": _e("recurrent_weights_to_keras", (_GRU_RETURN, '''        def rzn(M):
            return np.concatenate([M[..., H:2 * H], M[..., :H], M[..., 2 * H:]], axis=-1)
        return [rzn(Wx), rzn(Wh), np.stack([rzn(b), np.zeros_like(b)])]
''')),
    "r2k_no_cell_check": _e("recurrent_weights_to_keras", ('''    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}; choose from 'rnn', 'lstm', 'gru'")
''', "")),
    "r2k_no_shape_check": _e("recurrent_weights_to_keras",
        ('''    if Wh.ndim != 2 or Wh.shape[1] != G * H or Wx.ndim != 2 or Wx.shape[1] != G * H or b.shape != (G * H,):
        raise ValueError(f"a {cell} cell needs Wx (D, {G}H), Wh (H, {G}H), b ({G}H,); "
                         f"got Wx {Wx.shape}, Wh {Wh.shape}, b {b.shape}")
''', "")),
    # keras_weights_to_recurrent
    "k2r_drop_recurrent": _e("keras_weights_to_recurrent", (_FOLD, "    b = bias[0].copy()\n")),
    "k2r_sum_rows": _e("keras_weights_to_recurrent", (_CANDIDATE_CHECK + _FOLD, "    b = bias.sum(axis=0)\n")),
    "k2r_in_place": _e("keras_weights_to_recurrent", ("    b = bias[0].copy()\n", "    b = bias[0]\n")),
    "k2r_fold_z_only": _e("keras_weights_to_recurrent", ("b[:2 * H] += bias[1, :2 * H]", "b[:H] += bias[1, :H]")),
    "k2r_fold_candidate": _e("keras_weights_to_recurrent", (_CANDIDATE_CHECK, ""),
                             ("b[:2 * H] += bias[1, :2 * H]", "b += bias[1]")),
    "k2r_list": _e("keras_weights_to_recurrent", ("    return Wx, Wh, b\n", "    return [Wx, Wh, b]\n")),
    "k2r_transposed": _e("keras_weights_to_recurrent",
        ("        return Wx, Wh, bias\n", "        return Wx.T, Wh.T, bias\n"),
                         ("    return Wx, Wh, b\n", "    return Wx.T, Wh.T, b\n")),
    "k2r_no_cell_check": _e("keras_weights_to_recurrent", ('''    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}; choose from 'rnn', 'lstm', 'gru'")
''', "")),
    # pad_and_truncate
    "pad_post_default": _e("pad_and_truncate",
        ('            if padding == "pre":\n', '            if padding == "post":\n')),
    "pad_truncate_keeps_start": _e("pad_and_truncate", ('seq[-maxlen:] if truncating == "pre" else seq[:maxlen]',
                                                        'seq[:maxlen] if truncating == "pre" else seq[-maxlen:]')),
    "pad_int64": _e("pad_and_truncate", ("np.full((len(sequences), maxlen), value, dtype=np.int32)",
                                         "np.full((len(sequences), maxlen), value)")),
    "pad_ignores_value": _e("pad_and_truncate", ("np.full((len(sequences), maxlen), value, dtype=np.int32)",
                                                 "np.zeros((len(sequences), maxlen), dtype=np.int32)")),
    "pad_minus_zero_slice": _e("pad_and_truncate",
        ("        if len(seq):\n" + _PAD_PLACE, '''        if padding == "pre":
            X[n, -len(seq):] = seq
        else:
            X[n, :len(seq)] = seq
''')),
    "pad_truncating_follows_padding": _e("pad_and_truncate", ('seq[-maxlen:] if truncating == "pre"',
                                                              'seq[-maxlen:] if padding == "pre"')),
    "pad_no_maxlen_check": _e("pad_and_truncate",
        ('''    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise ValueError(f"maxlen must be a positive integer, got {maxlen!r}")
''', "")),
    "pad_no_option_check": _e("pad_and_truncate",
        ('''    for what, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f"{what} must be 'pre' or 'post', got {choice!r}")
''', "")),
    # conv1d_text_classifier
    "conv_softmax_scores": _e("conv1d_text_classifier", ('L.Dense(num_classes, name="scores")',
                                                         'L.Dense(num_classes, activation="softmax", name="scores")')),
    "conv_no_relu": _e("conv1d_text_classifier", ('L.Conv1D(filters, kernel_size, activation="relu", name="conv")',
                                                  'L.Conv1D(filters, kernel_size, name="conv")')),
    "conv_average_pool": _e("conv1d_text_classifier", ("L.GlobalMaxPooling1D(", "L.GlobalAveragePooling1D(")),
    "conv_flatten": _e("conv1d_text_classifier", ("L.GlobalMaxPooling1D(", "L.Flatten(")),
    "conv_same_padding": _e("conv1d_text_classifier", ('activation="relu", name="conv"',
                                                       'activation="relu", padding="same", name="conv"')),
    "conv_no_input": _e("conv1d_text_classifier", ('        keras.Input((maxlen,), dtype="int32"),\n', "")),
    "conv_float_input": _e("conv1d_text_classifier",
        ('keras.Input((maxlen,), dtype="int32")', "keras.Input((maxlen,))")),
    "conv_embedding_plus_one": _e("conv1d_text_classifier", ("L.Embedding(num_words, ", "L.Embedding(num_words + 1, ")),
    "conv_scores_before_pool": _e("conv1d_text_classifier", ('''        L.GlobalMaxPooling1D(name="pool"),
        L.Dense(num_classes, name="scores")])''', '''        L.Dense(num_classes, name="scores"),
        L.GlobalMaxPooling1D(name="pool")])''')),
    "conv_two_classes": _e("conv1d_text_classifier",
        ('L.Dense(num_classes, name="scores")', 'L.Dense(2, name="scores")')),
}

ALL_ALTERNATIVES = {
    "r2k_vstack_tuple": {"recurrent_weights_to_keras": '''def recurrent_weights_to_keras(cell, Wx, Wh, b):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}.get(cell)
    if gates is None:
        raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru', not {cell!r}")
    Wx, Wh, b = np.array(Wx), np.array(Wh), np.array(b)
    if Wh.ndim != 2 or Wh.shape != (Wh.shape[0], gates * Wh.shape[0]):
        raise ValueError(f"Wh must be (H, {gates}H), got {Wh.shape}")
    H = Wh.shape[0]
    if Wx.ndim != 2 or Wx.shape[1] != gates * H:
        raise ValueError(f"Wx must be (D, {gates * H}), got {Wx.shape}")
    if b.shape != (gates * H,):
        raise ValueError(f"b must be ({gates * H},), got {b.shape}")
    bias = np.vstack([b, np.zeros(gates * H)]) if cell == "gru" else b
    return (Wx, Wh, bias)
'''},
    "k2r_padded_sum": {"keras_weights_to_recurrent": '''def keras_weights_to_recurrent(cell, weights):
    kernel, recurrent_kernel, bias = map(np.asarray, weights)
    if cell in ("rnn", "lstm"):
        return kernel, recurrent_kernel, bias
    if cell != "gru":
        raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru', got {cell!r}")
    H = recurrent_kernel.shape[0]
    if bias.shape != (2, 3 * H):
        raise ValueError(f"expected a (2, {3 * H}) GRU bias, got {bias.shape}")
    if not np.all(bias[1, 2 * H:] == 0):
        raise ValueError("a non-zero recurrent candidate bias cannot be folded into course.nn's GRU")
    return kernel, recurrent_kernel, bias[0] + np.concatenate([bias[1, :2 * H], np.zeros(H)])
'''},
    "pad_concatenate": {"pad_and_truncate": '''def pad_and_truncate(sequences, maxlen, padding="pre", truncating="pre",
                     value=0):
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post', got {padding!r}, {truncating!r}")
    if type(maxlen) is not int or maxlen <= 0:
        raise ValueError(f"maxlen must be an int >= 1, got {maxlen!r}")
    rows = []
    for seq in sequences:
        seq = list(seq)
        kept = seq[len(seq) - maxlen:] if truncating == "pre" and len(seq) > maxlen else seq[:maxlen]
        fill = [value] * (maxlen - len(kept))
        rows.append(fill + kept if padding == "pre" else kept + fill)
    return np.array(rows, dtype="int32").reshape(len(rows), maxlen)
'''},
    "conv_add_layers": {"conv1d_text_classifier": '''def conv1d_text_classifier(num_words, maxlen, embedding_dim=32,
                           filters=64, kernel_size=5, num_classes=2):
    model = keras.Sequential()
    model.add(keras.Input(shape=(maxlen,), dtype="int32"))
    model.add(keras.layers.Embedding(input_dim=num_words, output_dim=embedding_dim, name="embedding"))
    model.add(keras.layers.Conv1D(filters=filters, kernel_size=kernel_size, activation=keras.activations.relu,
                                  padding="valid", name="conv"))
    model.add(keras.layers.GlobalMaxPooling1D(name="pool"))
    model.add(keras.layers.Dense(units=num_classes, activation=None, name="scores"))
    return model
'''},
}

EXTRA_ALTERNATIVES = {
    "pad_with_np_pad": {"pad_and_truncate": '''def pad_and_truncate(sequences, maxlen, padding="pre", truncating="pre",
                     value=0):
    for name, option in {"padding": padding, "truncating": truncating}.items():
        if option not in {"pre", "post"}:
            raise ValueError(f"{name}={option!r}: use 'pre' or 'post'")
    if not isinstance(maxlen, (int, np.integer)) or isinstance(maxlen, bool) or maxlen < 1:
        raise ValueError(f"maxlen={maxlen!r} is not a positive integer")
    out = np.empty((len(sequences), maxlen), dtype=np.int32)
    for n, seq in enumerate(sequences):
        seq = np.asarray(seq, dtype=np.int32).reshape(-1)
        seq = seq[max(len(seq) - maxlen, 0):] if truncating == "pre" else seq[:maxlen]
        width = (maxlen - len(seq), 0) if padding == "pre" else (0, maxlen - len(seq))
        out[n] = np.pad(seq, width, constant_values=value)
    return out
'''},
}

_R2K, _K2R = {"recurrent_weights_to_keras_layout"}, {"keras_weights_to_recurrent_folds_gru_bias"}
_PAD, _CONV = {"pad_and_truncate_like_keras"}, {"conv1d_text_classifier_layers"}
# Each mistake fails the test cell of its own function only (the test cells build their inputs by hand).
LOSES = {name: {"r2k": _R2K, "k2r": _K2R, "pad": _PAD, "conv": _CONV}[name[:name.index("_")]]
         for name in ALL_MISTAKES}

# The default run: five submissions (one mistake of each function in each).
_DEFAULT = [
    "r2k_gru_bias_1d", "k2r_drop_recurrent", "pad_post_default", "conv_softmax_scores",
    "r2k_gru_rzn", "k2r_sum_rows", "pad_ignores_value", "conv_average_pool",
    "r2k_transposed", "k2r_in_place", "pad_minus_zero_slice", "conv_no_relu",
    "r2k_no_shape_check", "k2r_fold_z_only", "pad_truncating_follows_padding", "conv_no_input",
    "r2k_gru_bias_rows_swapped", "k2r_no_cell_check", "pad_int64", "conv_same_padding",
]
MISTAKES = {name: ALL_MISTAKES[name] for name in _DEFAULT}
EXTRA_MISTAKES = {name: answers for name, answers in ALL_MISTAKES.items() if name not in MISTAKES}
ALTERNATIVES = ALL_ALTERNATIVES
