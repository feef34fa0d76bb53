"""Lesson 10's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

rnn_step_forward / rnn_step_backward
    sigmoid in place of tanh (rnn_step_sigmoid) ............. rnn_step_forward_values: "h = tanh(x Wx + h_prev Wh + b)"
    the tanh derivative left out (rnn_step_backward_no_tanh_grad)  rnn_step_backward_gradcheck
    db summed over the wrong axis (rnn_step_db_wrong_axis) .. rnn_step_backward_gradcheck: "over the batch (axis 0)"
    valid: one matmul of [x, h_prev] with [Wx; Wh] (rnn_step_concatenated)
rnn_forward / rnn_backward
    h0 not used (rnn_forward_ignores_h0) .................... rnn_forward_sequence: "H_all[:, 0]"
    states returned time-major (rnn_forward_time_major) ..... rnn_forward_sequence: "wrong shape"
    the sequence read backwards (rnn_forward_reversed) ...... rnn_forward_sequence: "H_all[:, 0]"
    h0 overwritten in place, h[:] = ... (rnn_forward_h0_in_place)  rnn_forward_sequence: "changed its input h0 in place"
    dWh from the last step only (rnn_backward_dWh_last_step_only)  rnn_backward_gradcheck: "sum over every step"
    dh not carried to the earlier step (rnn_backward_no_carry)  rnn_backward_gradcheck
    valid: a loop over the step functions, gradients summed (rnn_sequence_from_steps)
clip_gradients
    the caller's gradients scaled in place (clip_in_place) .. clip_gradients_norm: "changed its input grads['W']"
    each gradient clipped by its own norm (clip_each_tensor)  clip_gradients_norm: "scaled by one factor"
    clipped by value (clip_by_value) ........................ clip_gradients_norm
    small gradients scaled up too (clip_always_rescales) .... clip_gradients_norm: "no clipping needed"
    valid: np.linalg.norm of the norms (clip_with_linalg_norm)
lstm_step_forward / lstm_step_backward
    gate blocks in the order i, f, o, g (lstm_gate_order_ifog)  lstm_step_forward_gates: "in the order i, f, g, o"
    sigmoid on the candidate g (lstm_g_sigmoid) ............. lstm_step_forward_gates: "tanh for g?"
    the previous cell state forgotten, c = i g (lstm_forgets_c_prev)  lstm_step_forward_gates: "the cell is kept"
    h = o c without tanh (lstm_h_without_tanh) .............. lstm_step_forward_gates: "h = o tanh(c)"
    dc_prev without the forget gate (lstm_step_backward_dc_prev_without_f)
                                                  lstm_step_backward_gradcheck: "dc_prev = dc_total * f"
    valid: one einsum and matmul per gate block, another sigmoid (lstm_step_separate_gates)
lstm_forward / lstm_backward
    the cell state started at h0 (lstm_forward_cell_from_h0)  lstm_forward_sequence: "the cell state starts at zeros"
    dc not carried back through time (lstm_backward_no_dc_carry)  lstm_backward_gradcheck
    valid: a loop over the step functions (lstm_sequence_from_steps)
gru_step_forward ... gru_backward
    z and 1 - z swapped (gru_update_flipped) ................ gru_step_values_and_gradcheck: "update gate held at 1"
    the reset applied before the product, (r h) Wh (gru_reset_before_product)
                                                   gru_step_values_and_gradcheck: "the reset applied after the product"
    dh_prev without the z h_prev path (gru_backward_no_dh_z)  gru_sequence_gradcheck
    valid: np.split blocks, h = n + z (h_prev - n) (gru_separate_blocks)
bidirectional_forward / bidirectional_backward
    the right-to-left states not reversed back (bidirectional_not_reversed_back)  "out[:, :, H:]"
    dout not reversed for the right-to-left layer (bidirectional_backward_not_reversed)  numeric check of dX
lstm_classifier_scores / lstm_classifier_loss
    the first state instead of the last (classifier_first_state)  lstm_classifier_gradcheck: "from the last state"
    the mean's gradient not divided by T (classifier_mean_not_divided)  lstm_classifier_gradcheck: "gets 1 / T"
embedding_forward / embedding_backward
    dW[tokens] += dout, repeats not accumulated (embedding_backward_no_accumulate)  embedding_accumulates: "np.add.at"
    negative tokens accepted (embedding_negative_tokens) .... embedding_accumulates: "token -1"
    dW sized by the largest token (embedding_backward_rows_from_tokens)  embedding_accumulates: "one row of dW per row"
    valid: a one-hot matrix product (embedding_one_hot)

No graded function of this lesson draws random numbers, so there is no draw-order mistake.
"""

from variants import edit, edits

LESSON = "10_rnn"


_e = edits(LESSON)


_LSTM_STEP_GATES = ("    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])\n"
                    "    g = np.tanh(a[:, 2 * H:3 * H])\n")

_GRU_RESET_BEFORE = """def gru_step_forward(x, h_prev, Wx, Wh, b):
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, D), got {x.shape}")
    H = Wh.shape[0]
    if h_prev.shape != (x.shape[0], H):
        raise ValueError(f"h_prev must have shape (N, H) = {(x.shape[0], H)}, got {h_prev.shape}")
    ax = x @ Wx + b
    z = sigmoid(ax[:, :H] + h_prev @ Wh[:, :H])
    r = sigmoid(ax[:, H:2 * H] + h_prev @ Wh[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
    return z * h_prev + (1 - z) * n, (x, h_prev, Wx, Wh, z, r, n)


def gru_step_backward(dh, cache):
    x, h_prev, Wx, Wh, z, r, n = cache
    H = Wh.shape[0]
    dn = dh * (1 - z) * (1 - n ** 2)
    dz = dh * (h_prev - n) * z * (1 - z)
    drh = dn @ Wh[:, 2 * H:].T
    dr = drh * h_prev * r * (1 - r)
    dax = np.concatenate([dz, dr, dn], axis=1)
    dWh = np.concatenate([h_prev.T @ dz, h_prev.T @ dr, (r * h_prev).T @ dn], axis=1)
    dh_prev = dh * z + dz @ Wh[:, :H].T + dr @ Wh[:, H:2 * H].T + drh * r
    return dax @ Wx.T, dh_prev, x.T @ dax, dWh, dax.sum(axis=0)


def gru_forward(X, h0, Wx, Wh, b):
    if X.ndim != 3:
        raise ValueError(f"X must have shape (N, T, D), got {X.shape}")
    if h0.shape != (X.shape[0], Wh.shape[0]):
        raise ValueError(f"h0 must have shape (N, H), got {h0.shape}")
    h, states, caches = h0, [], []
    for t in range(X.shape[1]):
        h, cache = gru_step_forward(X[:, t], h, Wx, Wh, b)
        states.append(h)
        caches.append(cache)
    return np.stack(states, axis=1), caches


def gru_backward(dH, cache):
    N, T, H = dH.shape
    dX, dh, total = [None] * T, np.zeros((N, H)), None
    for t in range(T - 1, -1, -1):
        dX[t], dh, *grads = gru_step_backward(dH[:, t] + dh, cache[t])
        total = grads if total is None else [a + g for a, g in zip(total, grads)]
    return (np.stack(dX, axis=1), dh, *total)
"""

ALL_MISTAKES = {
    # rnn_step_forward / rnn_step_backward
    "rnn_step_sigmoid": _e("rnn_step",
                           ("h = np.tanh(x @ Wx + h_prev @ Wh + b)", "h = sigmoid(x @ Wx + h_prev @ Wh + b)"),
                           ("def rnn_step_forward",
                            "def sigmoid(a):\n    return 1 / (1 + np.exp(-a))\n\n\ndef rnn_step_forward"),
                           ("da = dh * (1 - h * h)", "da = dh * h * (1 - h)")),
    "rnn_step_backward_no_tanh_grad": _e("rnn_step", ("da = dh * (1 - h * h)", "da = dh")),
    "rnn_step_db_wrong_axis": _e("rnn_step", ("da.sum(axis=0)", "da.sum(axis=1)")),
    # rnn_forward / rnn_backward
    "rnn_forward_ignores_h0": _e("rnn_sequence", ("    h = h0\n    for t", "    h = np.zeros_like(h0)\n    for t")),
    "rnn_forward_time_major": _e("rnn_sequence", ("return H_all, (X, h0", "return H_all.transpose(1, 0, 2), (X, h0")),
    "rnn_forward_reversed": _e("rnn_sequence", ("    for t in range(T):\n        h = np.tanh",
                                                "    for t in range(T - 1, -1, -1):\n        h = np.tanh")),
    "rnn_forward_h0_in_place": _e("rnn_sequence", ("        h = np.tanh(A[:, t] + h @ Wh)\n",
                                                   "        h[:] = np.tanh(A[:, t] + h @ Wh)\n")),
    "rnn_backward_dWh_last_step_only": _e(
        "rnn_sequence", ("H_prev.reshape(N * T, H).T @ dA2", "H_prev[:, -1].T @ dA[:, -1]")),
    "rnn_backward_no_carry": _e("rnn_sequence", ("dA[:, t] = (dH[:, t] + dh) * (1", "dA[:, t] = dH[:, t] * (1")),
    # clip_gradients
    "clip_in_place": _e("clip_gradients", (
        "    return {name: g * np.asarray(scale, dtype=np.asarray(g).dtype) for name, g in grads.items()}, norm",
        "    for g in grads.values():\n        g *= scale\n    return grads, norm")),
    "clip_each_tensor": {"clip_gradients": '''def clip_gradients(grads, max_norm):
    clipped, norms = {}, []
    for name, g in grads.items():
        n = float(np.linalg.norm(g))
        norms.append(n)
        clipped[name] = g * (max_norm / n) if n > max_norm else g.copy()
    return clipped, float(np.sqrt(sum(n * n for n in norms)))
'''},
    "clip_by_value": {"clip_gradients": '''def clip_gradients(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    return {name: np.clip(g, -max_norm, max_norm) for name, g in grads.items()}, norm
'''},
    "clip_always_rescales": _e("clip_gradients", ("scale = max_norm / norm if norm > max_norm else 1.0",
                                                  "scale = max_norm / norm")),
    # lstm_step_forward / lstm_step_backward
    "lstm_gate_order_ifog": _e("lstm_step", (_LSTM_STEP_GATES,
                                             "    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), "
                                             "sigmoid(a[:, 2 * H:3 * H])\n"
                                             "    g = np.tanh(a[:, 3 * H:])\n"),
                               ("da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), "
                                "dc * i * (1 - g ** 2),\n"
                                "                         dh * tanh_c * o * (1 - o)], axis=1)",
                                "da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),\n"
                                "                         dh * tanh_c * o * (1 - o), dc * i * (1 - g ** 2)], axis=1)")),
    "lstm_g_sigmoid": _e("lstm_step", ("    g = np.tanh(a[:, 2 * H:3 * H])\n", "    g = sigmoid(a[:, 2 * H:3 * H])\n"),
                         ("dc * i * (1 - g ** 2)", "dc * i * g * (1 - g)")),
    "lstm_forgets_c_prev": _e("lstm_step", ("c = f * c_prev + i * g", "c = i * g")),
    "lstm_h_without_tanh": _e("lstm_step", ("    tanh_c = np.tanh(c)\n", "    tanh_c = c\n")),
    "lstm_step_backward_dc_prev_without_f": _e("lstm_step", ("dc * f, x.T @ da", "dc, x.T @ da")),
    # lstm_forward / lstm_backward
    "lstm_forward_cell_from_h0": _e("lstm_sequence", ("    hs[0] = h0\n", "    hs[0] = h0\n    cs[0] = h0\n")),
    "lstm_backward_no_dc_carry": _e("lstm_sequence", ("        dc = dc + dh * o", "        dc = dh * o")),
    # gru
    "gru_update_flipped": _e("gru", ("return z * h_prev + (1 - z) * n, (x", "return (1 - z) * h_prev + z * n, (x"),
                             ("h = Z[:, t] * h + (1 - Z[:, t]) * Ns[:, t]",
                              "h = (1 - Z[:, t]) * h + Z[:, t] * Ns[:, t]")),
    "gru_reset_before_product": {"gru": _GRU_RESET_BEFORE},
    "gru_backward_no_dh_z": _e("gru", ("        dh = dh * z + dAH[:, t] @ Wh.T", "        dh = dAH[:, t] @ Wh.T")),
    # bidirectional
    "bidirectional_not_reversed_back": _e("bidirectional", ("np.concatenate([H_f, H_b[:, ::-1]], axis=2)",
                                                             "np.concatenate([H_f, H_b], axis=2)")),
    "bidirectional_backward_not_reversed": _e("bidirectional", ("backward(dout[:, ::-1, H:], cache_b)",
                                                                 "backward(dout[:, :, H:], cache_b)")),
    # lstm_classifier
    "classifier_first_state": _e("lstm_classifier",
                                 ('pooled = H_all[:, -1] if pool == "last" else H_all.mean(axis=1)\n    return',
                                  'pooled = H_all[:, 0] if pool == "last" else H_all.mean(axis=1)\n    return')),
    "classifier_mean_not_divided": _e("lstm_classifier", ("dH[:] = dpooled[:, None] / T", "dH[:] = dpooled[:, None]")),
    # embedding
    "embedding_backward_no_accumulate": _e("embedding", (
        "    np.add.at(dW, tokens.reshape(-1), dout.reshape(-1, dout.shape[-1]))\n",
        "    dW[tokens.reshape(-1)] += dout.reshape(-1, dout.shape[-1])\n")),
    "embedding_negative_tokens": _e("embedding", ("(tokens.min() < 0 or tokens.max() >= W.shape[0])",
                                                  "tokens.max() >= W.shape[0]")),
    "embedding_backward_rows_from_tokens": _e("embedding",
                                              ("return W[tokens], (tokens, W.shape[0])", "return W[tokens], (tokens,)"),
                                              ("    tokens, V = cache\n",
                                               "    tokens, = cache\n    V = int(tokens.max()) + 1\n")),
}

ALL_ALTERNATIVES = {
    "rnn_step_concatenated": {"rnn_step": '''def rnn_step_forward(x, h_prev, Wx, Wh, b):
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {x.shape}")
    if h_prev.shape != (len(x), Wh.shape[0]):
        raise ValueError(f"h_prev must have shape {(len(x), Wh.shape[0])}, got {h_prev.shape}")
    xh = np.concatenate([x, h_prev], axis=1)             # (N, D + H)
    W = np.concatenate([Wx, Wh], axis=0)                 # (D + H, H)
    h = np.tanh(xh @ W + b)
    return h, (xh, W, h, x.shape[1])


def rnn_step_backward(dh, cache):
    xh, W, h, D = cache
    da = dh * (1 - h ** 2)
    dxh, dW = da @ W.T, xh.T @ da
    return dxh[:, :D], dxh[:, D:], dW[:D], dW[D:], np.sum(da, axis=0)
'''},
    "rnn_sequence_from_steps": {"rnn_sequence": '''def rnn_forward(X, h0, Wx, Wh, b):
    if X.ndim != 3:
        raise ValueError(f"X must be 3-D (N, T, D), got shape {X.shape}")
    if h0.shape != (X.shape[0], Wh.shape[0]):
        raise ValueError(f"h0 must have shape {(X.shape[0], Wh.shape[0])}, got {h0.shape}")
    h, states, caches = h0, [], []
    for t in range(X.shape[1]):
        h, cache = rnn_step_forward(X[:, t, :], h, Wx, Wh, b)
        states.append(h)
        caches.append(cache)
    return np.stack(states, axis=1), (caches, X.shape[2], Wx, Wh)


def rnn_backward(dH, cache):
    cache, D, Wx, Wh = cache
    N, T, H = dH.shape
    dX = np.zeros((N, T, D), dtype=dH.dtype)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=dH.dtype)
    dh_prev = np.zeros((N, H), dtype=dH.dtype)
    for t in reversed(range(T)):
        dX[:, t], dh_prev, dWx_t, dWh_t, db_t = rnn_step_backward(dH[:, t] + dh_prev, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dX, dh_prev, dWx, dWh, db
'''},
    "clip_with_linalg_norm": {"clip_gradients": '''def clip_gradients(grads, max_norm):
    norm = float(np.linalg.norm([np.linalg.norm(g) for g in grads.values()]))
    if norm <= max_norm:
        return {k: np.array(g, copy=True) for k, g in grads.items()}, norm
    return {k: g * (max_norm / norm) for k, g in grads.items()}, norm
'''},
    "lstm_step_separate_gates": {"lstm_step": '''def sigmoid(a):
    return np.exp(-np.logaddexp(0, -a))


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {x.shape}")
    N, H = x.shape[0], Wh.shape[0]
    if h_prev.shape != (N, H) or c_prev.shape != (N, H):
        raise ValueError(f"h_prev and c_prev must have shape {(N, H)}, got {h_prev.shape} and {c_prev.shape}")
    def block(k):
        cols = slice(k * H, (k + 1) * H)
        return np.einsum("nd,dh->nh", x, Wx[:, cols]) + h_prev @ Wh[:, cols] + b[cols]
    i, f, g, o = sigmoid(block(0)), sigmoid(block(1)), np.tanh(block(2)), sigmoid(block(3))
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    t = np.tanh(c)
    dc_total = dc + dh * o * (1 - t ** 2)
    di, df, dg, do = dc_total * g, dc_total * c_prev, dc_total * i, dh * t
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])
    return da @ Wx.T, da @ Wh.T, dc_total * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
'''},
    "lstm_sequence_from_steps": {"lstm_sequence": '''def lstm_forward(X, h0, Wx, Wh, b):
    if X.ndim != 3:
        raise ValueError(f"X must be 3-D (N, T, D), got shape {X.shape}")
    if h0.shape != (X.shape[0], Wh.shape[0]):
        raise ValueError(f"h0 must have shape {(X.shape[0], Wh.shape[0])}, got {h0.shape}")
    h, c = h0, np.zeros_like(h0)
    states, caches = [], []
    for t in range(X.shape[1]):
        h, c, cache = lstm_step_forward(X[:, t], h, c, Wx, Wh, b)
        states.append(h)
        caches.append(cache)
    return np.stack(states, axis=1), (caches, X.shape)


def lstm_backward(dH, cache):
    caches, (N, T, D) = cache
    dX = np.zeros((N, T, D), dtype=dH.dtype)
    dh = np.zeros_like(dH[:, 0])
    dc = np.zeros_like(dh)
    total = None
    for t in range(T - 1, -1, -1):
        dX[:, t], dh, dc, *grads = lstm_step_backward(dH[:, t] + dh, dc, caches[t])
        total = grads if total is None else [a + g for a, g in zip(total, grads)]
    return (dX, dh, *total)
'''},
    "gru_separate_blocks": {"gru": edit(LESSON, "gru", (
        '''    ax, ah = x @ Wx + b, h_prev @ Wh
    z = sigmoid(ax[:, :H] + ah[:, :H])
    r = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return z * h_prev + (1 - z) * n, (x, h_prev, Wx, Wh, z, r, n, ah[:, 2 * H:])''',
        '''    Wxz, Wxr, Wxn = np.split(Wx, 3, axis=1)
    Whz, Whr, Whn = np.split(Wh, 3, axis=1)
    bz, br, bn = np.split(b, 3)
    z = 1 / (1 + np.exp(-(x @ Wxz + h_prev @ Whz + bz)))
    r = 1 / (1 + np.exp(-(x @ Wxr + h_prev @ Whr + br)))
    hn = h_prev @ Whn
    n = np.tanh(x @ Wxn + bn + r * hn)
    return n + z * (h_prev - n), (x, h_prev, Wx, Wh, z, r, n, hn)'''))},
    "embedding_one_hot": {"embedding": '''def embedding_forward(tokens, W):
    tokens = np.asarray(tokens)
    if tokens.dtype.kind not in "iu":
        raise ValueError(f"tokens must be integer ids, got {tokens.dtype}")
    if np.any(tokens < 0) or np.any(tokens >= len(W)):
        raise ValueError(f"every token must be in [0, {len(W)}), got values from {tokens.min()} to {tokens.max()}")
    return W[tokens], (tokens, len(W))


def embedding_backward(dout, cache):
    tokens, V = cache
    one_hot = np.eye(V, dtype=dout.dtype)[tokens.reshape(-1)]      # (N*T, V)
    return one_hot.T @ dout.reshape(-1, dout.shape[-1])
'''},
}

_FORWARD_RNN = {"rnn_forward_sequence", "rnn_backward_gradcheck", "bidirectional_size_and_gradcheck"}
_LSTM_STEP = {"lstm_step_forward_gates", "lstm_forward_sequence"}

# Every cell each mistake fails (graded on its own), so that mistakes sharing a submission never hide
# one another.
LOSES = {
    "rnn_step_sigmoid": {"rnn_step_forward_values"},
    "rnn_step_backward_no_tanh_grad": {"rnn_step_backward_gradcheck"},
    "rnn_step_db_wrong_axis": {"rnn_step_backward_gradcheck"},
    "rnn_forward_ignores_h0": {"rnn_forward_sequence", "rnn_backward_gradcheck"},
    "rnn_forward_time_major": _FORWARD_RNN,
    "rnn_forward_reversed": _FORWARD_RNN,
    "rnn_forward_h0_in_place": _FORWARD_RNN,
    "rnn_backward_dWh_last_step_only": {"rnn_backward_gradcheck", "bidirectional_size_and_gradcheck"},
    "rnn_backward_no_carry": {"rnn_backward_gradcheck", "bidirectional_size_and_gradcheck"},
    "clip_in_place": {"clip_gradients_norm"},
    "clip_each_tensor": {"clip_gradients_norm"},
    "clip_by_value": {"clip_gradients_norm"},
    "clip_always_rescales": {"clip_gradients_norm"},
    "lstm_gate_order_ifog": _LSTM_STEP,
    "lstm_g_sigmoid": _LSTM_STEP,
    "lstm_forgets_c_prev": _LSTM_STEP | {"lstm_step_backward_gradcheck"},
    "lstm_h_without_tanh": _LSTM_STEP | {"lstm_step_backward_gradcheck"},
    "lstm_step_backward_dc_prev_without_f": {"lstm_step_backward_gradcheck"},
    "lstm_forward_cell_from_h0": {"lstm_forward_sequence", "lstm_backward_gradcheck"},
    "lstm_backward_no_dc_carry": {"lstm_backward_gradcheck", "lstm_classifier_gradcheck",
                                  "bidirectional_size_and_gradcheck"},
    "gru_update_flipped": {"gru_step_values_and_gradcheck", "gru_sequence_gradcheck",
                           "bidirectional_size_and_gradcheck"},
    "gru_reset_before_product": {"gru_step_values_and_gradcheck", "gru_sequence_gradcheck"},
    "gru_backward_no_dh_z": {"gru_sequence_gradcheck", "bidirectional_size_and_gradcheck"},
    "bidirectional_not_reversed_back": {"bidirectional_size_and_gradcheck"},
    "bidirectional_backward_not_reversed": {"bidirectional_size_and_gradcheck"},
    "classifier_first_state": {"lstm_classifier_gradcheck"},
    "classifier_mean_not_divided": {"lstm_classifier_gradcheck"},
    "embedding_backward_no_accumulate": {"embedding_accumulates"},
    "embedding_negative_tokens": {"embedding_accumulates"},
    "embedding_backward_rows_from_tokens": {"embedding_accumulates"},
}

# The default run: three submissions (mistakes in different cells with disjoint LOSES share one).
_DEFAULT = [
    "rnn_step_sigmoid", "rnn_forward_h0_in_place", "clip_in_place", "lstm_gate_order_ifog",
    "gru_reset_before_product", "classifier_mean_not_divided", "embedding_backward_rows_from_tokens",
    "rnn_step_db_wrong_axis", "rnn_backward_dWh_last_step_only", "clip_each_tensor", "lstm_g_sigmoid",
    "embedding_negative_tokens", "classifier_first_state",
    "lstm_step_backward_dc_prev_without_f", "lstm_forward_cell_from_h0", "gru_update_flipped",
    "clip_always_rescales", "embedding_backward_no_accumulate",
]
MISTAKES = {name: ALL_MISTAKES[name] for name in _DEFAULT}
EXTRA_MISTAKES = {name: answers for name, answers in ALL_MISTAKES.items() if name not in MISTAKES}
ALTERNATIVES = ALL_ALTERNATIVES
