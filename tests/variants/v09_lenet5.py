"""Lesson 09's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

conv_output_size
    no + 1 (size_no_plus_one) ............................... conv_output_size_formula: "floor((size + 2 * pad ..."
    true division, a float (size_true_division) ............. conv_output_size_formula: "use the floor division //"
    ceil instead of floor (size_ceil) ....................... conv_output_size_formula: "(6, 3, 2, 0): expected 2"
    pad added once (size_pad_once) .......................... conv_output_size_formula: "pad added on both sides"
    valid: math.floor of the true division (size_with_floor)
conv_forward_naive
    the kernel flipped, a true convolution (naive_flipped_kernel)
                                                  conv_forward_naive_values: "cross-correlation ... do not flip"
    np.pad(X, pad) pads N and C too (naive_pad_every_axis) .. conv_forward_naive_values: "on the H and W axes only"
    stride ignored in the window (naive_stride_ignored) ..... conv_forward_naive_values: "starts at row i * stride"
    the bias added to every product (naive_bias_per_product)  conv_forward_naive_values: "added once to each output"
    valid: manual zero padding, one tensordot per output position (naive_tensordot_manual_pad)
conv_forward
    the kernel flipped (fast_flipped_kernel) ................ conv_forward_matches_the_formula: "do not flip"
    stride ignored in im2col (fast_stride_ignored) .......... conv_forward_matches_the_formula: "u:u + stride * OH"
    cols built as float64 (fast_cols_float64) ............... conv_forward_matches_the_formula: "wrong dtype"
    the naive loops inside (fast_is_naive) .................. conv_forward_matches_the_formula: "loop over the kernel"
conv_backward
    stride ignored in col2im (backward_stride_ignored) ...... conv_backward_gradcheck: "same strided slice"
    = instead of += in col2im (backward_assign_not_add) ..... conv_backward_gradcheck: "adds (+=)"
    db summed over (1, 2, 3) (backward_db_wrong_axes) ....... conv_backward_gradcheck: "axes (0, 2, 3)"
    the padding not cut off (backward_padding_kept) ......... conv_backward_gradcheck: "wrong shape"
    dW = cols @ dout2.T (backward_dW_transposed) ............ conv_backward_gradcheck: "dW = dout2 @ cols.T"
    valid (with conv_forward): sliding_window_view and einsum, its own cache (conv_sliding_window_einsum)
maxpool_forward / maxpool_backward
    the gradient to every tied maximum, X == max (pool_grad_to_all_ties)
                                                  maxpool_backward_one_max_per_window: "the FIRST maximum"
    the gradient to all four inputs (pool_grad_to_every_element)  maxpool_backward_one_max_per_window
    ties to the last maximum, > for >= (pool_ties_to_last) .. maxpool_backward_one_max_per_window: "FIRST maximum"
    average pooling (pool_average) .......................... maxpool_forward_values: "the largest value"
    valid: reshape into windows, max and argmax (pool_reshape_argmax)
flatten_forward / flatten_backward
    NHWC order (flatten_nhwc) ............................... flatten_round_trip: "no transpose"
    X.ravel(), one long vector (flatten_ravel) .............. flatten_round_trip: "wrong shape"
    valid: the array itself as the cache (flatten_cache_the_array)
lenet5_forward / lenet5_loss
    conv1 without padding (lenet5_conv1_no_pad) ............. lenet5_forward_scores: "conv1 5x5 with pad 2"
    no ReLU after the dense layers (lenet5_no_relu_on_dense)  lenet5_forward_scores: "dense 120 + ReLU"
    softmax probabilities returned (lenet5_softmax_scores) .. lenet5_forward_scores: "without softmax"
    the L2 gradient left out (loss_reg_not_in_grads) ........ lenet5_loss_gradcheck: "+ reg * W"
    L2 on the biases too (loss_reg_on_biases_too) ........... lenet5_loss_gradcheck: "the biases get no L2 term"
    2 reg W for the L2 gradient (loss_reg_grad_doubled) ..... lenet5_loss_gradcheck: "0.5 reg sum W**2"
    ReLU's backward skipped (loss_skips_relu_backward) ...... lenet5_loss_gradcheck: "ReLU -> pool -> conv"
    valid (both cells): ReLU before the pool, max and ReLU commute (lenet5_relu_before_pool)
batchnorm_forward
    statistics per pixel, axis 0 only, for (N, C, H, W) (bn_per_pixel)
                                                  batchnorm_forward_train: "ONE mean (3) ... over the axes (0, 2, 3)"
    running statistics not updated (bn_running_not_updated)  batchnorm_forward_train: "assigned back to bn_param"
    momentum and 1 - momentum swapped (bn_momentum_swapped) . batchnorm_forward_train: "momentum * running_mean"
    momentum fixed at 0.9 (bn_momentum_hard_coded) .......... batchnorm_forward_train: 'bn_param["momentum"] = 0.8'
    batch statistics at test time (bn_test_uses_batch_stats)  batchnorm_forward_test_mode: "never with the batch's"
    the variance with ddof=1 (bn_variance_ddof1) ............ batchnorm_forward_train: "not m - 1"
    eps outside the square root (bn_eps_outside_sqrt) ....... batchnorm_forward_train: "eps inside the square root"
    x -= mean, the input changed in place (bn_in_place) ..... batchnorm_forward_train: "changed its input x in place"
    any mode but "test" trains (bn_unknown_mode_is_train) ... batchnorm_forward_test_mode: "expected ValueError"
    valid: keepdims statistics, running statistics updated in place (bn_keepdims_running_in_place)
batchnorm_backward
    dx = gamma dout / std in training mode (bn_backward_affine_only)  batchnorm_backward_gradcheck: "three paths"
    m = N for (N, C, H, W) (bn_backward_m_is_N) ............. batchnorm_backward_gradcheck: "N*H*W"
    dgamma summed over axis 0 only (bn_backward_dgamma_axis0)  batchnorm_backward_gradcheck: "one value per feature"
    the training formula in test mode (bn_backward_train_formula_in_test)
                                                  batchnorm_backward_gradcheck: "the statistics are constants"
    valid: the three-term chain rule through the variance and the mean (bn_backward_three_terms)

No graded function of this lesson draws random numbers, so there is no draw-order mistake. conv_forward_naive
and conv_backward promise no dtype (their float32 checks are hidden); conv_forward does, and is checked.
"""

from variants import edit, edits

LESSON = "09_lenet5"


_e = edits(LESSON)


_CONV_FORWARD_EINSUM = '''def conv_forward(X, W, b, stride=1, pad=0):
    if X.ndim != 4 or W.ndim != 4 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must be (N, C, H, W) and W (F, C, KH, KW) with the same C, got {X.shape}, {W.shape}")
    F, C, KH, KW = W.shape
    OH, OW = conv_output_size(X.shape[2], KH, stride, pad), conv_output_size(X.shape[3], KW, stride, pad)
    Xp = np.zeros((X.shape[0], C, X.shape[2] + 2 * pad, X.shape[3] + 2 * pad), dtype=X.dtype)
    Xp[:, :, pad:pad + X.shape[2], pad:pad + X.shape[3]] = X
    windows = np.lib.stride_tricks.sliding_window_view(Xp, (KH, KW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :OH, :OW]            # (N, C, OH, OW, KH, KW)
    out = np.einsum("nchwij,fcij->nfhw", windows, W, optimize=True) + b[None, :, None, None]
    return out, (X.shape, Xp, windows, W, stride, pad)


def conv_backward(dout, cache):
    X_shape, Xp, windows, W, stride, pad = cache
    N, C, H, Wd = X_shape
    F, _, KH, KW = W.shape
    OH, OW = dout.shape[2:]
    db = np.einsum("nfhw->f", dout)
    dW = np.einsum("nfhw,nchwij->fcij", dout, windows, optimize=True)
    dXp = np.zeros_like(Xp, dtype=np.result_type(dout, W))
    for u in range(KH):
        for v in range(KW):
            dXp[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride] += np.einsum(
                "nfhw,fc->nchw", dout, W[:, :, u, v], optimize=True)
    return dXp[:, :, pad:pad + H, pad:pad + Wd], dW, db
'''

_BN_BACKWARD_THREE_TERMS = '''def batchnorm_backward(dout, cache):
    mode, xhat, gamma, inv_std, axes = cache
    shape = (1, -1) if dout.ndim == 2 else (1, -1, 1, 1)
    dbeta = np.sum(dout, axis=axes)
    dgamma = np.sum(dout * xhat, axis=axes)
    g = gamma.reshape(shape)
    s = inv_std.reshape(shape)
    dxhat = dout * g
    if mode == "test":
        return dxhat * s, dgamma, dbeta
    m = dout.size / dbeta.size
    xmu = xhat / s                                            # x - mean
    dvar = np.sum(dxhat * xmu, axis=axes, keepdims=True) * -0.5 * s ** 3
    dmean = -np.sum(dxhat * s, axis=axes, keepdims=True) - 2 * dvar * np.sum(xmu, axis=axes, keepdims=True) / m
    return dxhat * s + dvar * 2 * xmu / m + dmean / m, dgamma, dbeta
'''

ALL_MISTAKES = {
    # conv_output_size
    "size_no_plus_one": _e("conv_output_size", ("return (size + 2 * pad - kernel) // stride + 1",
                                                "return (size + 2 * pad - kernel) // stride")),
    "size_true_division": _e("conv_output_size", ("return (size + 2 * pad - kernel) // stride + 1",
                                                  "return (size + 2 * pad - kernel) / stride + 1")),
    "size_ceil": _e("conv_output_size", ("return (size + 2 * pad - kernel) // stride + 1",
                                         "return -(-(size + 2 * pad - kernel) // stride) + 1")),
    "size_pad_once": _e("conv_output_size", ("return (size + 2 * pad - kernel) // stride + 1",
                                             "return (size + pad - kernel) // stride + 1")),
    # conv_forward_naive
    "naive_flipped_kernel": _e("conv_forward_naive", ("np.sum(window * W[f])", "np.sum(window * W[f, :, ::-1, ::-1])")),
    "naive_pad_every_axis": _e("conv_forward_naive", ("Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))",
                                                      "Xp = np.pad(X, pad)")),
    "naive_stride_ignored": _e("conv_forward_naive", (
        "window = Xp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]",
        "window = Xp[n, :, i:i + KH, j:j + KW]")),
    "naive_bias_per_product": _e("conv_forward_naive", ("np.sum(window * W[f]) + b[f]",
                                                        "np.sum(window * W[f] + b[f])")),
    # conv_forward
    "fast_flipped_kernel": _e("conv_forward", ("out = W.reshape(F, -1) @ cols",
                                               "out = W[:, :, ::-1, ::-1].reshape(F, -1) @ cols")),
    "fast_stride_ignored": _e("conv_forward",
        ("cols[:, u, v] = Xp[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride]",
         "cols[:, u, v] = Xp[:, :, u:u + OH, v:v + OW]")),
    "fast_cols_float64": _e("conv_forward", ("cols = np.empty((C, KH, KW, N, OH, OW), dtype=Xp.dtype)",
                                             "cols = np.empty((C, KH, KW, N, OH, OW))")),
    "fast_is_naive": {"conv_forward": '''def conv_forward(X, W, b, stride=1, pad=0):
    out, (X, W, b, stride, pad) = conv_forward_naive(X, W, b, stride, pad)
    N, C, H, Wd = X.shape
    F, _, KH, KW = W.shape
    OH, OW = out.shape[2:]
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))).transpose(1, 0, 2, 3)
    cols = np.empty((C, KH, KW, N, OH, OW), dtype=Xp.dtype)
    for u in range(KH):
        for v in range(KW):
            cols[:, u, v] = Xp[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride]
    return out, (X.shape, W, stride, pad, cols.reshape(C * KH * KW, N * OH * OW))
'''},
    # conv_backward
    "backward_stride_ignored": _e("conv_backward", (
        "dXp[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride] += dcols[:, u, v]",
        "dXp[:, :, u:u + OH, v:v + OW] += dcols[:, u, v]")),
    "backward_assign_not_add": _e("conv_backward", (
        "dXp[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride] += dcols[:, u, v]",
        "dXp[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride] = dcols[:, u, v]")),
    "backward_db_wrong_axes": _e("conv_backward", ("db = dout2.sum(axis=1)", "db = dout.sum(axis=(1, 2, 3))")),
    "backward_padding_kept": _e("conv_backward",
        ("dX = dXp[:, :, pad:pad + H, pad:pad + Wd].transpose(1, 0, 2, 3).copy()",
         "dX = dXp.transpose(1, 0, 2, 3).copy()")),
    "backward_dW_transposed": _e("conv_backward", ("dW = (dout2 @ cols.T).reshape(W.shape)",
                                                   "dW = (cols @ dout2.T).reshape(W.shape)")),
    # maxpool_forward / maxpool_backward
    "pool_grad_to_all_ties": {"maxpool_forward": edit(LESSON, "maxpool_forward", (
        "return out, (X.shape, corner)", "return out, (X.shape, corner, X, out)")),
        "maxpool_backward": '''def maxpool_backward(dout, cache):
    X_shape, corner, X, out = cache
    H, W = 2 * (X_shape[2] // 2), 2 * (X_shape[3] // 2)
    dX = np.zeros(X_shape, dtype=dout.dtype)
    for r in (0, 1):
        for c in (0, 1):
            dX[:, :, r:H:2, c:W:2] = dout * (X[:, :, r:H:2, c:W:2] == out)
    return dX
'''},
    "pool_grad_to_every_element": _e("maxpool_backward", ("dX[:, :, r:H:2, c:W:2] = dout * (corner == k)",
                                                          "dX[:, :, r:H:2, c:W:2] = dout")),
    "pool_ties_to_last": _e("maxpool_forward",
        ("np.where(top >= bottom, np.where(a >= b, 0, 1), np.where(c >= d, 2, 3))",
         "np.where(top > bottom, np.where(a > b, 0, 1), np.where(c > d, 2, 3))")),
    "pool_average": _e("maxpool_forward", ("out = np.maximum(top, bottom)", "out = (a + b + c + d) / 4")),
    # flatten
    "flatten_nhwc": {"flatten": '''def flatten_forward(X):
    return X.transpose(0, 2, 3, 1).reshape(X.shape[0], -1), X.shape


def flatten_backward(dout, cache):
    N, C, H, W = cache
    return dout.reshape(N, H, W, C).transpose(0, 3, 1, 2)
'''},
    "flatten_ravel": _e("flatten", ("return X.reshape(X.shape[0], -1), X.shape", "return X.ravel(), X.shape")),
    # lenet5_forward
    "lenet5_conv1_no_pad": _e("lenet5_forward", ("for l, pad in ((1, 2), (2, 0)):", "for l, pad in ((1, 0), (2, 0)):")),
    "lenet5_no_relu_on_dense": _e("lenet5_forward",
        ("        A, relu_cache = relu_forward(Z)\n        caches.append((dense",
         "        A, relu_cache = Z, Z\n        caches.append((dense")),
    "lenet5_softmax_scores": _e("lenet5_forward", (
        'scores, dense_cache = dense_forward(A, params["W5"], params["b5"])',
        'scores, dense_cache = dense_forward(A, params["W5"], params["b5"])\n    scores = softmax(scores)')),
    # lenet5_loss
    "loss_reg_not_in_grads": _e("lenet5_loss", (
        '            grads[f"W{l}"] = grads[f"W{l}"] + reg * params[f"W{l}"]   # new arrays: params stay untouched\n',
        "            pass\n")),
    "loss_reg_on_biases_too": _e("lenet5_loss", (
        '            grads[f"W{l}"] = grads[f"W{l}"] + reg * params[f"W{l}"]   # new arrays: params stay untouched\n',
        '            grads[f"W{l}"] = grads[f"W{l}"] + reg * params[f"W{l}"]\n'
        '            grads[f"b{l}"] = grads[f"b{l}"] + reg * params[f"b{l}"]\n')),
    "loss_reg_grad_doubled": _e("lenet5_loss", ('grads[f"W{l}"] + reg * params[f"W{l}"]',
                                                'grads[f"W{l}"] + 2 * reg * params[f"W{l}"]')),
    "loss_skips_relu_backward": _e("lenet5_loss", ("dZ = maxpool_backward(relu_backward(dA, relu_cache), pool_cache)",
                                                   "dZ = maxpool_backward(dA, pool_cache)")),
    # batchnorm_forward
    "bn_per_pixel": {"batchnorm_forward": '''def batchnorm_forward(x, gamma, beta, bn_param):
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    mode = bn_param.get("mode")
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    running_mean = bn_param.setdefault("running_mean", np.zeros(x.shape[1:], dtype=x.dtype))
    running_var = bn_param.setdefault("running_var", np.ones(x.shape[1:], dtype=x.dtype))
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        mean, var = running_mean, running_var
    else:
        raise ValueError(f'bn_param["mode"] must be "train" or "test", got {mode!r}')
    if np.ndim(mean) == 1:
        mean, var = mean.reshape(shape), var.reshape(shape)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    out = gamma.reshape(shape) * xhat + beta.reshape(shape)
    return out, (mode, xhat, gamma, inv_std, (0,))
'''},
    "bn_running_not_updated": _e("batchnorm_forward", (
        '        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean\n'
        '        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var\n', "")),
    "bn_momentum_swapped": _e("batchnorm_forward", (
        'bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean',
        'bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * mean'), (
        'bn_param["running_var"] = momentum * running_var + (1 - momentum) * var',
        'bn_param["running_var"] = (1 - momentum) * running_var + momentum * var')),
    "bn_momentum_hard_coded": _e("batchnorm_forward", ('bn_param.setdefault("momentum", 0.9)', "0.9")),
    "bn_test_uses_batch_stats": _e("batchnorm_forward", ("        mean, var = running_mean, running_var\n",
                                                         "        mean, var = x.mean(axis=axes), x.var(axis=axes)\n")),
    "bn_variance_ddof1": _e("batchnorm_forward", ("x.var(axis=axes)", "x.var(axis=axes, ddof=1)")),
    "bn_eps_outside_sqrt": _e("batchnorm_forward", ("inv_std = 1.0 / np.sqrt(var + eps)",
                                                    "inv_std = 1.0 / (np.sqrt(var) + eps)")),
    "bn_in_place": _e("batchnorm_forward", (
        "    xhat = (x - mean.reshape(shape)) * inv_std.reshape(shape)\n",
        "    x -= mean.reshape(shape)\n    x *= inv_std.reshape(shape)\n    xhat = x\n")),
    "bn_unknown_mode_is_train": _e("batchnorm_forward", ('    if mode == "train":\n', '    if mode != "test":\n')),
    # batchnorm_backward
    "bn_backward_affine_only": _e("batchnorm_backward",
        ('    if mode == "test":\n        return dout * scale, dgamma, dbeta\n',
         "    return dout * scale, dgamma, dbeta\n")),
    "bn_backward_m_is_N": _e("batchnorm_backward", ("m = dout.size // dbeta.size", "m = dout.shape[0]")),
    "bn_backward_dgamma_axis0": _e("batchnorm_backward", ("dgamma = (dout * xhat).sum(axis=axes)",
                                                          "dgamma = (dout * xhat).sum(axis=0)")),
    "bn_backward_train_formula_in_test": _e("batchnorm_backward", (
        '    if mode == "test":\n        return dout * scale, dgamma, dbeta\n', "")),
}

ALL_ALTERNATIVES = {
    "size_with_floor": {"conv_output_size": '''import math


def conv_output_size(size, kernel, stride=1, pad=0):
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    padded = size + 2 * pad
    if kernel > padded:
        raise ValueError(f"kernel {kernel} is larger than the padded input {padded}")
    return int(math.floor((padded - kernel) / stride)) + 1
'''},
    "naive_tensordot_manual_pad": {"conv_forward_naive": '''def conv_forward_naive(X, W, b, stride=1, pad=0):
    if X.ndim != 4 or W.ndim != 4:
        raise ValueError(f"X and W must be 4-D, got {X.ndim}-D and {W.ndim}-D")
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X has {X.shape[1]} channels but the filters expect {W.shape[1]}")
    N, C, H, Wd = X.shape
    F, _, KH, KW = W.shape
    OH, OW = conv_output_size(H, KH, stride, pad), conv_output_size(Wd, KW, stride, pad)
    Xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad), dtype=X.dtype)
    Xp[:, :, pad:pad + H, pad:pad + Wd] = X
    out = np.empty((N, F, OH, OW), dtype=np.result_type(X, W))
    for i in range(OH):
        for j in range(OW):
            window = Xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]   # (N, C, KH, KW)
            out[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (X, W, b, stride, pad)
'''},
    "conv_sliding_window_einsum": {"conv_forward": _CONV_FORWARD_EINSUM.split("\n\n\ndef conv_backward")[0] + "\n",
                                   "conv_backward": "def conv_backward" + _CONV_FORWARD_EINSUM.split(
                                       "\n\n\ndef conv_backward")[1]},
    "pool_reshape_argmax": {"maxpool_forward": '''def maxpool_forward(X):
    if X.ndim != 4:
        raise ValueError(f"maxpool_forward expects (N, C, H, W), got {X.ndim} dimensions")
    N, C, H, W = X.shape
    OH, OW = H // 2, W // 2
    windows = X[:, :, :2 * OH, :2 * OW].reshape(N, C, OH, 2, OW, 2).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(N, C, OH, OW, 4)                 # reading order inside each window
    return windows.max(axis=-1), (X.shape, windows.argmax(axis=-1))   # argmax: the first maximum
''', "maxpool_backward": '''def maxpool_backward(dout, cache):
    (N, C, H, W), corner = cache
    OH, OW = dout.shape[2:]
    onehot = (corner[..., None] == np.arange(4)) * dout[..., None]          # (N, C, OH, OW, 4)
    dX = np.zeros((N, C, H, W), dtype=dout.dtype)
    dX[:, :, :2 * OH, :2 * OW] = onehot.reshape(N, C, OH, OW, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        N, C, 2 * OH, 2 * OW)
    return dX
'''},
    "flatten_cache_the_array": {"flatten": '''def flatten_forward(X):
    N = X.shape[0]
    return np.reshape(X, (N, int(np.prod(X.shape[1:])))), X


def flatten_backward(dout, cache):
    return np.reshape(dout, np.shape(cache))
'''},
    "lenet5_relu_before_pool": {
        "lenet5_forward": edit(LESSON, "lenet5_forward", (
            "        P, pool_cache = maxpool_forward(Z)\n        A, relu_cache = relu_forward(P)"
            "                 # ReLU after the pool: 4x fewer values\n",
            "        R, relu_cache = relu_forward(Z)                 # max and ReLU commute\n"
            "        A, pool_cache = maxpool_forward(R)\n")),
        "lenet5_loss": edit(LESSON, "lenet5_loss", (
            "dZ = maxpool_backward(relu_backward(dA, relu_cache), pool_cache)",
            "dZ = relu_backward(maxpool_backward(dA, pool_cache), relu_cache)"))},
    "bn_keepdims_running_in_place": {"batchnorm_forward": '''def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    if mode not in ("train", "test"):
        raise ValueError(f"unknown batch norm mode {mode!r}: use 'train' or 'test'")
    eps = bn_param.setdefault("eps", 1e-5)
    momentum = bn_param.setdefault("momentum", 0.9)
    C = x.shape[1]
    running_mean = bn_param.setdefault("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.setdefault("running_var", np.ones(C, dtype=x.dtype))
    axes = tuple(a for a in range(x.ndim) if a != 1)
    shape = [1] * x.ndim
    shape[1] = C
    if mode == "train":
        mean = np.mean(x, axis=axes, keepdims=True)
        var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
        running_mean *= momentum
        running_mean += (1 - momentum) * mean.reshape(C)
        running_var *= momentum
        running_var += (1 - momentum) * var.reshape(C)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    inv_std = (var + eps) ** -0.5
    xhat = (x - mean) * inv_std
    return np.reshape(gamma, shape) * xhat + np.reshape(beta, shape), (mode, xhat, gamma, inv_std.reshape(C), axes)
'''},
    "bn_backward_three_terms": {"batchnorm_backward": _BN_BACKWARD_THREE_TERMS},
}

_NAIVE = {"conv_forward_naive_values", "conv_forward_matches_the_formula"}   # conv_forward is checked against it
_SIZE = {"conv_output_size_formula"} | _NAIVE
_FAST = {"conv_forward_matches_the_formula", "conv_backward_gradcheck"}
_LENET = {"lenet5_forward_scores", "lenet5_loss_gradcheck"}
_CONV_BACK, _LOSS = {"conv_backward_gradcheck"}, {"lenet5_loss_gradcheck"}
_POOL_BACK = {"maxpool_backward_one_max_per_window"}
_BN_TRAIN, _BN_TEST = {"batchnorm_forward_train"}, {"batchnorm_forward_test_mode"}
_BN_BACK = {"batchnorm_backward_gradcheck"}

# Every cell each mistake fails when graded on its own (hidden tests included), so that mistakes sharing a
# submission never hide one another.
LOSES = {
    "size_no_plus_one": _SIZE | _LENET,
    "size_true_division": _SIZE | _CONV_BACK | _LENET,
    "size_ceil": _SIZE | _CONV_BACK,
    "size_pad_once": _SIZE | _CONV_BACK | _LENET,
    "naive_flipped_kernel": _NAIVE,
    "naive_pad_every_axis": _NAIVE,
    "naive_stride_ignored": _NAIVE,
    "naive_bias_per_product": _NAIVE,
    "fast_flipped_kernel": _FAST | _LENET,
    "fast_stride_ignored": _FAST,
    "fast_cols_float64": _FAST | _LENET,
    "fast_is_naive": _FAST,
    "backward_stride_ignored": _CONV_BACK,
    "backward_assign_not_add": _CONV_BACK | _LOSS,
    "backward_db_wrong_axes": _CONV_BACK | _LOSS,
    "backward_padding_kept": _CONV_BACK,
    "backward_dW_transposed": _CONV_BACK | _LOSS,
    "pool_grad_to_all_ties": _POOL_BACK,
    "pool_grad_to_every_element": _POOL_BACK | _LOSS,
    "pool_ties_to_last": _POOL_BACK,
    "pool_average": {"maxpool_forward_values"} | _POOL_BACK | _LENET,
    "flatten_nhwc": {"flatten_round_trip"} | _LENET,
    "flatten_ravel": {"flatten_round_trip"} | _LENET,
    "lenet5_conv1_no_pad": _LENET,
    "lenet5_no_relu_on_dense": _LENET,
    "lenet5_softmax_scores": _LENET,
    "loss_reg_not_in_grads": _LOSS,
    "loss_reg_on_biases_too": _LOSS,
    "loss_reg_grad_doubled": _LOSS,
    "loss_skips_relu_backward": _LOSS,
    "bn_per_pixel": _BN_TRAIN | _BN_BACK,
    "bn_running_not_updated": _BN_TRAIN,
    "bn_momentum_swapped": _BN_TRAIN,
    "bn_momentum_hard_coded": _BN_TRAIN,
    "bn_test_uses_batch_stats": _BN_TEST | _BN_BACK,
    "bn_variance_ddof1": _BN_TRAIN | _BN_BACK,
    "bn_eps_outside_sqrt": _BN_TRAIN | _BN_TEST | _BN_BACK,
    "bn_in_place": _BN_TRAIN | _BN_TEST | _BN_BACK,
    "bn_unknown_mode_is_train": _BN_TEST,
    "bn_backward_affine_only": _BN_BACK,
    "bn_backward_m_is_N": _BN_BACK,
    "bn_backward_dgamma_axis0": _BN_BACK,
    "bn_backward_train_formula_in_test": _BN_BACK,
}

# The default run: seven submissions (mistakes in different cells with disjoint LOSES share one).
_DEFAULT = [
    "size_no_plus_one", "backward_stride_ignored", "pool_grad_to_all_ties", "bn_per_pixel",
    "naive_flipped_kernel", "backward_db_wrong_axes", "pool_ties_to_last", "bn_running_not_updated",
    "bn_backward_affine_only",
    "naive_pad_every_axis", "backward_padding_kept", "pool_grad_to_every_element", "bn_test_uses_batch_stats",
    "naive_stride_ignored", "loss_reg_not_in_grads", "bn_variance_ddof1",
    "naive_bias_per_product", "backward_assign_not_add", "bn_momentum_swapped", "bn_backward_m_is_N",
    "fast_cols_float64", "bn_eps_outside_sqrt",
    "fast_stride_ignored", "flatten_nhwc", "bn_in_place",
]
MISTAKES = {name: ALL_MISTAKES[name] for name in _DEFAULT}
EXTRA_MISTAKES = {name: answers for name, answers in ALL_MISTAKES.items() if name not in MISTAKES}
ALTERNATIVES = ALL_ALTERNATIVES
