"""Lesson 12's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

keras_lenet5 (the check: keras_lenet5_computes, unless another is named)
    softmax on the last layer (lenet5_softmax_scores) ............ "it should output logits"
    tanh, LeNet's original activation, in relu1 / relu2 (lenet5_tanh)  "it should be ReLU"
    dense1 without its ReLU (lenet5_dense1_linear) ............... "dense1's activation"
    average pooling (lenet5_average_pooling) ..................... "the max of each 2x2 window"
    Keras' truncated "he_normal" (lenet5_he_truncated) ........... "truncated at 2 standard deviations"
    "he_uniform" (lenet5_he_uniform) ............................. "'he_uniform' is uniform"
    Keras' default Glorot initialiser (lenet5_glorot) ............ "He normal gives sqrt(2 / fan-in)"
    the fan-in and fan-out averaged (lenet5_he_fan_avg) .......... "He normal gives sqrt(2 / fan-in)"
    dtype passed to keras.Input only (lenet5_dtype_input_only) ... "Pass dtype=dtype ... to every layer"
    keras.Input without the dtype (lenet5_input_float32) ......... "these do not: {'the input': 'float32'}"
    conv1 with 'valid' padding (lenet5_conv1_valid) .............. keras_lenet5_layers: "the padding of conv1"
    conv2 with 'same' padding (lenet5_conv2_same) ................ keras_lenet5_layers: "should output (10, 10, 16)"
    pooling with stride 1 (lenet5_pool_stride1) .................. keras_lenet5_layers: "should output (14, 14, 6)"
    the activation before the pooling (lenet5_relu_before_pool) .. keras_lenet5_layers: "should be named"
    convolutions without biases (lenet5_conv_no_bias) ............ keras_lenet5_layers: "61,706 parameters"
    valid: keras.layers.ReLU layers, tf.nn.relu, an initialiser per layer, Sequential.add (lenet5_relu_layers_and_add)
conv_kernel_to_keras (the check: conv_kernel_to_keras_transpose)
    the transpose returned as a view (kernel_not_contiguous) ..... "np.ascontiguousarray"
    the axes reversed, (KW, KH, C, F) (kernel_axes_reversed) ..... "should be (KH, KW, C, F)"
    F and C left in place, (KH, KW, F, C) (kernel_filters_channels_swapped)  "should be (KH, KW, C, F)"
    a reshape instead of a transpose (kernel_reshaped) ........... "a transpose, not a reshape or a flip"
    the filters flipped, as in a true convolution (kernel_flipped)  "a transpose, not a reshape or a flip"
    valid: np.moveaxis + .copy() (kernel_moveaxis_copy), np.einsum + np.ascontiguousarray (kernel_einsum)
lenet5_weights_to_keras (the check: lenet5_weights_to_keras_order)
    W3's rows left in course.nn's (C, H, W) order (weights_W3_not_reordered)  "reorder W3's rows from (C, H, W)"
    W3's rows in (W, H, C) order (weights_W3_whc_order) .......... "the maps flattened the Keras way"
    the inverse reordering, (H, W, C) -> (C, H, W) (weights_W3_inverse_order)  "reorder W3's rows from (C, H, W)"
    the kernels reshaped (weights_kernels_reshaped) .............. "the kernel transposed, not reshaped"
    the biases left out (weights_biases_dropped) ................. "(the biases too)"
    Keras' dense kernel taken as (outputs, inputs) (weights_dense_transposed)  "weights[6]: wrong shape"
    params["W3"] overwritten with the reordered rows (weights_params_overwritten)  "params['W3'] was changed in place"
    valid: an index permutation of the rows and inline transposes (weights_index_permutation), np.moveaxis and
        a loop over the rows (weights_moveaxis_loop)
activation_model (the check: activation_model_outputs)
    the outputs in the model's order (act_model_model_order) ..... "in the model's order"
    the layers' inputs instead of their outputs (act_model_layer_inputs)  "model.get_layer(name).output"
    a dict of outputs (act_model_dict) ........................... "a list of two outputs, got dict"
    valid: the first layer's input, a name -> layer dict (act_model_by_name)
permute_pixels (the check: permute_pixels_one_permutation)
    the inverse permutation, out[:, permutation] = X (permute_inverse)  "not the other way round"
    (N, H, W) images only (permute_images_only) .................. "It should take rows too"
    the pixels reordered inside X (permute_in_place) ............. "X was changed in place"
    valid: np.take along axis 1 (permute_take), one image at a time (permute_loop)

No graded function of this lesson draws NumPy random numbers (Keras' initialisers draw from Keras' seed),
so there is no draw-order mistake.
"""

from variants import edit, edits

LESSON = "12_keras_lenet5"


_e = edits(LESSON)


_INIT = 'init = keras.initializers.VarianceScaling(2.0, mode="fan_in", distribution="untruncated_normal")'

ALL_MISTAKES = {
    # keras_lenet5
    "lenet5_softmax_scores": _e("keras_lenet5", ('L.Dense(num_classes, kernel_initializer=init, name="scores"',
                                                 'L.Dense(num_classes, activation="softmax", kernel_initializer=init, '
                                                 'name="scores"')),
    "lenet5_tanh": _e("keras_lenet5", ('L.Activation("relu", name="relu1"', 'L.Activation("tanh", name="relu1"'),
                      ('L.Activation("relu", name="relu2"', 'L.Activation("tanh", name="relu2"')),
    "lenet5_dense1_linear": _e("keras_lenet5", ('L.Dense(120, activation="relu", ', 'L.Dense(120, ')),
    "lenet5_average_pooling": _e("keras_lenet5",
                                 ('L.MaxPooling2D(2, name="pool1"', 'L.AveragePooling2D(2, name="pool1"'),
                                 ('L.MaxPooling2D(2, name="pool2"', 'L.AveragePooling2D(2, name="pool2"')),
    "lenet5_he_truncated": _e("keras_lenet5", (_INIT, 'init = "he_normal"')),
    "lenet5_he_uniform": _e("keras_lenet5", (_INIT, 'init = "he_uniform"')),
    "lenet5_glorot": _e("keras_lenet5", (_INIT, 'init = "glorot_uniform"   # Keras\' default')),
    "lenet5_he_fan_avg": _e("keras_lenet5", ('mode="fan_in"', 'mode="fan_avg"')),
    "lenet5_dtype_input_only": {"keras_lenet5": edit(LESSON, "keras_lenet5").replace(", dtype=dtype)", ")")
                                .replace("keras.Input((28, 28, 1))", "keras.Input((28, 28, 1), dtype=dtype)")},
    "lenet5_input_float32": _e("keras_lenet5", ("keras.Input((28, 28, 1), dtype=dtype)", "keras.Input((28, 28, 1))")),
    "lenet5_conv1_valid": _e("keras_lenet5", ('L.Conv2D(6, 5, padding="same", ', 'L.Conv2D(6, 5, ')),
    "lenet5_conv2_same": _e("keras_lenet5", ('L.Conv2D(16, 5, ', 'L.Conv2D(16, 5, padding="same", ')),
    "lenet5_pool_stride1": _e("keras_lenet5",
                              ('L.MaxPooling2D(2, name="pool1"', 'L.MaxPooling2D(2, strides=1, name="pool1"')),
    "lenet5_relu_before_pool": _e("keras_lenet5", (
        'L.MaxPooling2D(2, name="pool1", dtype=dtype), L.Activation("relu", name="relu1", dtype=dtype)',
        'L.Activation("relu", name="relu1", dtype=dtype), L.MaxPooling2D(2, name="pool1", dtype=dtype)')),
    "lenet5_conv_no_bias": _e("keras_lenet5", ('L.Conv2D(6, 5, ', 'L.Conv2D(6, 5, use_bias=False, '),
                              ('L.Conv2D(16, 5, ', 'L.Conv2D(16, 5, use_bias=False, ')),
    # conv_kernel_to_keras
    "kernel_not_contiguous": _e("conv_kernel_to_keras", ("np.ascontiguousarray(np.transpose(W, (2, 3, 1, 0)))",
                                                         "np.transpose(W, (2, 3, 1, 0))")),
    "kernel_axes_reversed": _e("conv_kernel_to_keras", ("(2, 3, 1, 0)", "(3, 2, 1, 0)")),
    "kernel_filters_channels_swapped": _e("conv_kernel_to_keras", ("(2, 3, 1, 0)", "(2, 3, 0, 1)")),
    "kernel_reshaped": _e("conv_kernel_to_keras", ("np.ascontiguousarray(np.transpose(W, (2, 3, 1, 0)))",
                                                   "W.reshape(W.shape[2], W.shape[3], W.shape[1], W.shape[0])")),
    "kernel_flipped": _e("conv_kernel_to_keras", ("np.transpose(W, (2, 3, 1, 0))",
                                                  "np.transpose(W, (2, 3, 1, 0))[::-1, ::-1]")),
    # lenet5_weights_to_keras
    "weights_W3_not_reordered": _e("lenet5_weights_to_keras", (
        'W3 = params["W3"].reshape(16, 5, 5, -1).transpose(1, 2, 0, 3).reshape(400, -1)', 'W3 = params["W3"]')),
    "weights_W3_whc_order": _e("lenet5_weights_to_keras", (".transpose(1, 2, 0, 3)", ".transpose(2, 1, 0, 3)")),
    "weights_W3_inverse_order": _e("lenet5_weights_to_keras", (".reshape(16, 5, 5, -1).transpose(1, 2, 0, 3)",
                                                               ".reshape(5, 5, 16, -1).transpose(2, 0, 1, 3)")),
    "weights_kernels_reshaped": _e("lenet5_weights_to_keras",
                                   ('conv_kernel_to_keras(params["W1"])', 'params["W1"].reshape(5, 5, 1, 6)'),
                                   ('conv_kernel_to_keras(params["W2"])', 'params["W2"].reshape(5, 5, 6, 16)')),
    "weights_biases_dropped": _e("lenet5_weights_to_keras", (
        '''[conv_kernel_to_keras(params["W1"]), params["b1"], conv_kernel_to_keras(params["W2"]), params["b2"],
            np.ascontiguousarray(W3), params["b3"], params["W4"], params["b4"], params["W5"], params["b5"]]''',
        '[conv_kernel_to_keras(params["W1"]), conv_kernel_to_keras(params["W2"]), np.ascontiguousarray(W3), '
        'params["W4"], params["W5"]]')),
    "weights_dense_transposed": _e("lenet5_weights_to_keras", ('params["W4"], params["b4"], params["W5"]',
                                                               'params["W4"].T, params["b4"], params["W5"].T')),
    "weights_params_overwritten": _e("lenet5_weights_to_keras",
                                     ('    W3 = params["W3"]', '    params["W3"] = W3 = params["W3"]')),
    # activation_model
    "act_model_model_order": _e("activation_model", (
        "[model.get_layer(name).output for name in layer_names]",
        "[layer.output for layer in model.layers if layer.name in layer_names]")),
    "act_model_layer_inputs": _e("activation_model", ("model.get_layer(name).output", "model.get_layer(name).input")),
    "act_model_dict": _e("activation_model", ("[model.get_layer(name).output for name in layer_names]",
                                              "{name: model.get_layer(name).output for name in layer_names}")),
    # permute_pixels
    "permute_inverse": _e("permute_pixels", ("    return X.reshape(len(X), -1)[:, permutation].reshape(X.shape)",
                                             "    flat = X.reshape(len(X), -1)\n    out = np.empty_like(flat)\n"
                                             "    out[:, permutation] = flat\n    return out.reshape(X.shape)")),
    "permute_images_only": _e("permute_pixels", ("    return X.reshape(len(X), -1)[:, permutation].reshape(X.shape)",
                                                 "    N, H, W = X.shape\n"
                                                 "    return X.reshape(N, H * W)[:, permutation].reshape(N, H, W)")),
    "permute_in_place": _e("permute_pixels", ("    return X.reshape(len(X), -1)[:, permutation].reshape(X.shape)",
                                              "    flat = X.reshape(len(X), -1)\n    flat[:] = flat[:, permutation]\n"
                                              "    return X")),
}

ALL_ALTERNATIVES = {
    "lenet5_relu_layers_and_add": {"keras_lenet5": '''def keras_lenet5(num_classes=10, dtype="float32"):
    import tensorflow as tf

    L = keras.layers
    model = keras.Sequential(name="lenet5")
    model.add(keras.Input(shape=(28, 28, 1), dtype=dtype))

    def he():                  # a fresh initialiser per layer
        return keras.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="untruncated_normal")

    for k, (filters, padding) in enumerate([(6, "same"), (16, "valid")], start=1):
        model.add(L.Conv2D(filters, (5, 5), strides=(1, 1), padding=padding, kernel_initializer=he(),
                           bias_initializer="zeros", name=f"conv{k}", dtype=dtype))
        model.add(L.MaxPool2D(pool_size=(2, 2), name=f"pool{k}", dtype=dtype))
        model.add(L.ReLU(name=f"relu{k}", dtype=dtype))
    model.add(L.Flatten(name="flatten", dtype=dtype))
    for k, units in enumerate([120, 84], start=1):
        model.add(L.Dense(units, activation=tf.nn.relu, kernel_initializer=he(), name=f"dense{k}", dtype=dtype))
    model.add(L.Dense(num_classes, activation=None, kernel_initializer=he(), name="scores", dtype=dtype))
    return model
'''},
    "kernel_moveaxis_copy": _e("conv_kernel_to_keras", ("np.ascontiguousarray(np.transpose(W, (2, 3, 1, 0)))",
                                                        "np.moveaxis(W, (0, 1, 2, 3), (3, 2, 0, 1)).copy()")),
    "weights_index_permutation": {"lenet5_weights_to_keras": '''def lenet5_weights_to_keras(params):
    # Keras row 16 (5 h + w) + c holds course.nn row 25 c + 5 h + w
    rows = np.arange(400).reshape(16, 5, 5).transpose(1, 2, 0).ravel()
    kernels = [params[name].transpose(2, 3, 1, 0).copy() for name in ("W1", "W2")]
    return [kernels[0], params["b1"].copy(), kernels[1], params["b2"].copy(), params["W3"][rows], params["b3"],
            params["W4"], params["b4"], params["W5"], params["b5"]]
'''},
    "act_model_by_name": {"activation_model": '''def activation_model(model, layer_names):
    by_name = {layer.name: layer for layer in model.layers}
    return keras.Model(inputs=model.layers[0].input, outputs=[by_name[name].output for name in layer_names])
'''},
    "permute_take": _e("permute_pixels", ("    return X.reshape(len(X), -1)[:, permutation].reshape(X.shape)",
                                          "    flat = X.reshape(X.shape[0], -1)\n"
                                          "    return np.take(flat, permutation, axis=1).reshape(X.shape)")),
}

EXTRA_ALTERNATIVES_ALL = {
    "kernel_einsum": _e("conv_kernel_to_keras", ("np.ascontiguousarray(np.transpose(W, (2, 3, 1, 0)))",
                                                 'np.ascontiguousarray(np.einsum("fcuv->uvcf", W))')),
    "weights_moveaxis_loop": {"lenet5_weights_to_keras": '''def lenet5_weights_to_keras(params):
    C, H, W = 16, 5, 5
    W3 = np.empty_like(params["W3"])
    for c in range(C):          # course.nn row c H W + h W + w -> Keras row (h W + w) C + c
        for h in range(H):
            for w in range(W):
                W3[(h * W + w) * C + c] = params["W3"][(c * H + h) * W + w]
    kernels = [np.ascontiguousarray(np.moveaxis(params[name], (0, 1), (3, 2))) for name in ("W1", "W2")]
    return [kernels[0], params["b1"], kernels[1], params["b2"], W3, params["b3"], params["W4"], params["b4"],
            params["W5"], params["b5"]]
'''},
    "permute_loop": {"permute_pixels": '''def permute_pixels(X, permutation):
    X = np.asarray(X)
    out = np.empty_like(X)
    for n in range(len(X)):
        out[n] = X[n].ravel()[permutation].reshape(X[n].shape)
    return out
'''},
}

_KERNEL = {"conv_kernel_to_keras_transpose", "lenet5_weights_to_keras_order"}
_WEIGHTS = {"lenet5_weights_to_keras_order"}

# Every cell each mistake fails (graded on its own), so that mistakes sharing a submission never hide
# one another.
LOSES = {
    "lenet5_softmax_scores": {"keras_lenet5_computes"},
    "lenet5_tanh": {"keras_lenet5_computes"},
    "lenet5_dense1_linear": {"keras_lenet5_computes"},
    "lenet5_average_pooling": {"keras_lenet5_computes"},
    "lenet5_he_truncated": {"keras_lenet5_computes"},
    "lenet5_he_uniform": {"keras_lenet5_computes"},
    "lenet5_glorot": {"keras_lenet5_computes"},
    "lenet5_he_fan_avg": {"keras_lenet5_computes"},
    "lenet5_dtype_input_only": {"keras_lenet5_computes"},
    "lenet5_input_float32": {"keras_lenet5_computes"},
    "lenet5_conv1_valid": {"keras_lenet5_layers", "keras_lenet5_computes", "activation_model_outputs"},
    "lenet5_conv2_same": {"keras_lenet5_layers", "keras_lenet5_computes", "activation_model_outputs"},
    "lenet5_pool_stride1": {"keras_lenet5_layers", "keras_lenet5_computes", "activation_model_outputs"},
    "lenet5_relu_before_pool": {"keras_lenet5_layers"},
    "lenet5_conv_no_bias": {"keras_lenet5_layers", "keras_lenet5_computes"},
    "kernel_not_contiguous": {"conv_kernel_to_keras_transpose"},
    "kernel_axes_reversed": _KERNEL,
    "kernel_filters_channels_swapped": _KERNEL,
    "kernel_reshaped": _KERNEL,
    "kernel_flipped": _KERNEL,
    "weights_W3_not_reordered": _WEIGHTS,
    "weights_W3_whc_order": _WEIGHTS,
    "weights_W3_inverse_order": _WEIGHTS,
    "weights_kernels_reshaped": _WEIGHTS,
    "weights_biases_dropped": _WEIGHTS,
    "weights_dense_transposed": _WEIGHTS,
    "weights_params_overwritten": _WEIGHTS,
    "act_model_model_order": {"activation_model_outputs"},
    "act_model_layer_inputs": {"activation_model_outputs"},
    "act_model_dict": {"activation_model_outputs"},
    "permute_inverse": {"permute_pixels_one_permutation"},
    "permute_images_only": {"permute_pixels_one_permutation"},
    "permute_in_place": {"permute_pixels_one_permutation"},
}

_DEFAULT = [
    "lenet5_softmax_scores", "kernel_not_contiguous", "weights_W3_whc_order", "act_model_model_order",
    "permute_images_only",
    "lenet5_he_truncated", "weights_params_overwritten", "act_model_layer_inputs", "permute_in_place",
    "lenet5_dtype_input_only", "weights_W3_not_reordered", "act_model_dict", "permute_inverse",
    "lenet5_average_pooling", "weights_biases_dropped",
    "lenet5_tanh", "kernel_reshaped",
    "lenet5_glorot", "kernel_axes_reversed",
]
MISTAKES = {name: ALL_MISTAKES[name] for name in _DEFAULT}
EXTRA_MISTAKES = {name: answers for name, answers in ALL_MISTAKES.items() if name not in MISTAKES}
ALTERNATIVES = ALL_ALTERNATIVES
EXTRA_ALTERNATIVES = EXTRA_ALTERNATIVES_ALL
