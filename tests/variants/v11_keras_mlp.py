"""Lesson 11's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

count_dense_params (test cell count_dense_params_formula)
    the biases left out, n_in n_out (count_no_biases) .. "n_out biases"
    one bias per input, n_in (n_out + 1) (count_bias_per_input) .. "expected 235,146"
    a float returned (count_float) .. "should return an int"
    no check of the sizes (count_no_validation) .. "(10,): expected ValueError"
    a size of 0 accepted (count_zero_size_accepted) .. "(3, 0, 2)"
    valid: NumPy arrays of the sizes (count_with_numpy), a loop (count_with_loop)
build_keras_mlp (test cell build_keras_mlp_layers)
    the activation on the output layer too (mlp_activation_on_output) .. "logits .. from_logits"
    a softmax output layer (mlp_softmax_output) .. "no softmax"
    no activation on the hidden layers (mlp_hidden_linear) .. "tanh, tanh, then linear"
    dtype given to the Input only (mlp_dtype_input_only) .. "Pass dtype=dtype to .. each Dense"
    dtype given to the layers only (mlp_dtype_layers_only) .. "the input float32"
    layers named from dense0 (mlp_names_from_zero) .. "named dense1, dense2, dense3"
    api="functional" returns a Sequential (mlp_functional_is_sequential) .. "not a keras.Sequential"
    an unknown api accepted (mlp_no_api_check) .. "api='graph'"
    functional layers each called on the input (mlp_functional_not_chained) .. "out = layer(out)"
    a Dense layer for the input size n_0 too (mlp_dense_for_inputs) .. "n_0 is the input size"
    valid: Sequential().add(...) and a functional loop over the sizes (mlp_sequential_add)
TargetReached (test cell target_reached_callback_stops)
    stopped_epoch counted from 0 (callback_epoch_from_zero) .. "stopped_epoch should be 3"
    > in place of >= (callback_strict_greater) .. "using >="
    the training not stopped (callback_no_stop) .. "model.stop_training"
    'val_accuracy' read whatever the monitor (callback_ignores_monitor) .. "logs[self.monitor]"
    a missing metric read as 0 (callback_missing_metric_is_zero) .. "expected KeyError"
    on_train_begin does nothing (callback_no_reset) .. "start afresh"
    stopped_epoch not reset (callback_stopped_epoch_not_reset) .. "stopped_epoch None"
    epochs timed from on_train_begin (callback_cumulative_time) .. "each epoch alone"
    the clock's value appended, not a duration (callback_timestamps) .. "each epoch alone"
    valid: logs.get and an explicit KeyError, time.monotonic (callback_monotonic)
copy_weights_to_keras (test cell copy_weights_to_keras_predictions)
    W transposed (copy_transposed) .. "no transpose"
    the bias as a (1, n_out) row (copy_bias_as_row) .. "(n_out,), 1-D"
    every layer counted, Dropout too (copy_counts_every_layer) .. "Dropout"
    the biases not copied (copy_no_bias) .. "the bias of Dense layer 1"
    the keys not checked (copy_no_key_check) .. "expected ValueError"
    nothing returned (copy_returns_none) .. "return the Keras model"
    the weights in reverse layer order (copy_reversed_layers) . "the l-th Dense layer"
    valid: layer.set_weights([W, b]) (copy_with_set_weights)

No graded function of this lesson draws random numbers (Keras' own initializers are overwritten by the
tests), so there is no initializer or draw-order mistake; dtype mistakes are build_keras_mlp's.
"""

from variants import edits

LESSON = "11_keras_mlp"


_e = edits(LESSON)


_MLP_LAYERS = "activation=activation if l < num_layers else None"
_COUNT_CHECK = ('    if len(sizes) < 2 or min(sizes) < 1:\n'
                '        raise ValueError(f"layer_sizes needs at least two sizes, '
                'all >= 1 (inputs and outputs), got {tuple(sizes)}")\n')
_COPY_ASSIGN = ("        layer.kernel.assign(np.asarray(W, dtype=layer.kernel.dtype))\n"
                "        layer.bias.assign(np.asarray(b, dtype=layer.bias.dtype))\n")
_CALLBACK_STOP = ("        if logs[self.monitor] >= self.target:\n            self.stopped_epoch = epoch + 1\n"
                  "            self.model.stop_training = True\n")

ALL_MISTAKES = {
    # count_dense_params
    "count_no_biases": _e("count_dense_params", ("(n_in + 1) * n_out", "n_in * n_out")),
    "count_bias_per_input": _e("count_dense_params", ("(n_in + 1) * n_out", "n_in * (n_out + 1)")),
    "count_float": _e("count_dense_params", ("return sum(", "return 1.0 * sum(")),
    "count_no_validation": _e("count_dense_params", (_COUNT_CHECK, "")),
    "count_zero_size_accepted": _e("count_dense_params",
        ("if len(sizes) < 2 or min(sizes) < 1:", "if len(sizes) < 2:")),
    # build_keras_mlp
    "mlp_activation_on_output": _e("build_keras_mlp", (_MLP_LAYERS, "activation=activation")),
    "mlp_softmax_output": _e("build_keras_mlp",
        (_MLP_LAYERS, 'activation=activation if l < num_layers else "softmax"')),
    "mlp_hidden_linear": _e("build_keras_mlp", (_MLP_LAYERS, "activation=None")),
    "mlp_dtype_input_only": _e("build_keras_mlp", ('name=f"dense{l}", dtype=dtype)', 'name=f"dense{l}")')),
    "mlp_dtype_layers_only": _e("build_keras_mlp",
        ("keras.Input((sizes[0],), dtype=dtype)", "keras.Input((sizes[0],))")),
    "mlp_names_from_zero": _e("build_keras_mlp", ("enumerate(sizes[1:], start=1)", "enumerate(sizes[1:])"),
                              ("l < num_layers", "l < num_layers - 1")),
    "mlp_functional_is_sequential": _e("build_keras_mlp", ('    if api == "sequential":\n',
                                                           '    if api in ("sequential", "functional"):\n')),
    "mlp_no_api_check": _e("build_keras_mlp", ('''    if api not in ("sequential", "functional"):
        raise ValueError(f"api must be 'sequential' or 'functional', got {api!r}")
''', "")),
    "mlp_functional_not_chained": _e("build_keras_mlp",
        ("        out = layer(out)\n", "        out = layer(inputs)\n")),
    "mlp_dense_for_inputs": _e("build_keras_mlp", ("num_layers = len(sizes) - 1", "num_layers = len(sizes)"),
                               ("enumerate(sizes[1:], start=1)", "enumerate(sizes, start=1)")),
    # TargetReached
    "callback_epoch_from_zero": _e("target_reached_callback",
        ("self.stopped_epoch = epoch + 1", "self.stopped_epoch = epoch")),
    "callback_strict_greater": _e("target_reached_callback",
        ("logs[self.monitor] >= self.target", "logs[self.monitor] > self.target")),
    "callback_no_stop": _e("target_reached_callback", ("            self.model.stop_training = True\n", "")),
    "callback_ignores_monitor": _e("target_reached_callback", (
        '''        if self.monitor not in logs:
            raise KeyError(f"{self.monitor!r} is not among the logged metrics {sorted(logs)}")
        if logs[self.monitor] >= self.target:''', '        if logs["val_accuracy"] >= self.target:')),
    "callback_missing_metric_is_zero": _e("target_reached_callback", (
        '''        if self.monitor not in logs:
            raise KeyError(f"{self.monitor!r} is not among the logged metrics {sorted(logs)}")
        if logs[self.monitor] >= self.target:''', "        if logs.get(self.monitor, 0.0) >= self.target:")),
    "callback_no_reset": _e("target_reached_callback",
        ("        self.seconds, self.stopped_epoch = [], None\n", "        pass\n")),
    "callback_stopped_epoch_not_reset": _e("target_reached_callback",
        ("        self.seconds, self.stopped_epoch = [], None\n",
                                                                       "        self.seconds = []\n")),
    "callback_cumulative_time": _e("target_reached_callback",
                                   ("        self._start = time.perf_counter()\n", "        pass\n"),
                                   ("        self.seconds, self.stopped_epoch = [], None\n",
                                    "        self.seconds, self.stopped_epoch = [], None\n"
                                    "        self._start = time.perf_counter()\n")),
    "callback_timestamps": _e("target_reached_callback", ("self.seconds.append(time.perf_counter() - self._start)",
                                                          "self.seconds.append(time.perf_counter())")),
    # copy_weights_to_keras
    "copy_transposed": _e("copy_weights_to_keras", ('W, b = np.asarray(params[f"W{l}"]), ',
                                                    'W, b = np.asarray(params[f"W{l}"]).T, ')),
    "copy_bias_as_row": _e("copy_weights_to_keras", (
        "        if W.shape != tuple(layer.kernel.shape) or b.shape != tuple(layer.bias.shape):",
        "        b = b.reshape(1, -1)\n        if W.shape != tuple(layer.kernel.shape):")),
    "copy_counts_every_layer": _e("copy_weights_to_keras", (
        "dense = [layer for layer in keras_model.layers if isinstance(layer, keras.layers.Dense)]",
        "dense = list(keras_model.layers)")),
    "copy_no_bias": _e("copy_weights_to_keras", (_COPY_ASSIGN,
                                                 _COPY_ASSIGN.split("\n")[0] + "\n")),
    "copy_no_key_check": _e("copy_weights_to_keras", ('''    if set(params) != expected:
        raise ValueError(f"the model has {len(dense)} Dense layers, so params needs the keys {sorted(expected)}, "
                         f"got {sorted(params)}")
''', "")),
    "copy_returns_none": _e("copy_weights_to_keras", ("    return keras_model\n", "")),
    "copy_reversed_layers": _e("copy_weights_to_keras",
        ("enumerate(dense, start=1)", "enumerate(dense[::-1], start=1)")),
}

ALL_ALTERNATIVES = {
    "count_with_numpy": {"count_dense_params": '''def count_dense_params(layer_sizes):
    sizes = np.asarray(layer_sizes, dtype=np.int64).ravel()
    if sizes.size < 2 or np.any(sizes < 1):
        raise ValueError(f"need at least two sizes, each >= 1, got {list(layer_sizes)}")
    return int(np.dot(sizes[:-1] + 1, sizes[1:]))
'''},
    "mlp_sequential_add": {"build_keras_mlp": '''def build_keras_mlp(layer_sizes, activation="relu", api="sequential",
                    dtype="float32"):
    n_0, *rest = (int(n) for n in layer_sizes)
    if api == "sequential":
        model = keras.Sequential(name="mlp")
        model.add(keras.Input(shape=(n_0,), dtype=dtype))
        for l, n in enumerate(rest, start=1):
            model.add(keras.layers.Dense(units=n, activation=None if l == len(rest) else activation,
                                         name="dense" + str(l), dtype=dtype))
        return model
    if api == "functional":
        inputs = x = keras.Input(shape=(n_0,), dtype=dtype)
        for l, n in enumerate(rest, start=1):
            x = keras.layers.Dense(n, activation=activation if l < len(rest) else "linear", name=f"dense{l}",
                                   dtype=dtype)(x)
        return keras.Model(inputs=inputs, outputs=x)
    raise ValueError(f"unknown api {api!r}: use 'sequential' or 'functional'")
'''},
    "callback_monotonic": {"target_reached_callback": '''class TargetReached(keras.callbacks.Callback):
    def __init__(self, target, monitor="val_accuracy"):
        super().__init__()
        self.target, self.monitor = target, monitor
        self.seconds, self.stopped_epoch, self._start = [], None, None

    def on_train_begin(self, logs=None):
        self.seconds = []
        self.stopped_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.monotonic() - self._start)
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"no metric {self.monitor!r} in the logs; logged: {list(logs or {})}")
        if not value < self.target:
            self.stopped_epoch = epoch + 1
            self.model.stop_training = True
'''},
    "copy_with_set_weights": {"copy_weights_to_keras": '''def copy_weights_to_keras(params, keras_model):
    dense = [layer for layer in keras_model.layers if isinstance(layer, keras.layers.Dense)]
    L = len(dense)
    if sorted(params) != sorted([f"W{l}" for l in range(1, L + 1)] + [f"b{l}" for l in range(1, L + 1)]):
        raise ValueError(f"expected W1, b1, ..., W{L}, b{L} for {L} Dense layers, got {sorted(params)}")
    for l, layer in enumerate(dense, start=1):
        kernel, bias = layer.get_weights()
        W, b = params[f"W{l}"], params[f"b{l}"]
        if np.shape(W) != kernel.shape or np.shape(b) != bias.shape:
            raise ValueError(f"W{l}, b{l} have shapes {np.shape(W)}, {np.shape(b)}; "
                             f"the layer needs {kernel.shape}, {bias.shape}")
        layer.set_weights([np.asarray(W, dtype=kernel.dtype), np.asarray(b, dtype=bias.dtype)])
    return keras_model
'''},
}

EXTRA_ALTERNATIVES = {
    "count_with_loop": {"count_dense_params": '''def count_dense_params(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError("a network needs at least an input size and an output size")
    total = 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        if n_in < 1 or n_out < 1:
            raise ValueError(f"every size must be at least 1, got {sizes}")
        total += n_in * n_out + n_out
    return int(total)
'''},
}

_COUNT, _MLP = {"count_dense_params_formula"}, {"build_keras_mlp_layers"}
_CALLBACK, _COPY = {"target_reached_callback_stops"}, {"copy_weights_to_keras_predictions"}
# Each mistake fails the test cell of its own function only (the other test cells build their models by hand).
LOSES = {name: (_COUNT if name.startswith("count") else _MLP if name.startswith("mlp")
                else _CALLBACK if name.startswith("callback") else _COPY) for name in ALL_MISTAKES}

# The default run: five submissions (one mistake of each function in each).
_DEFAULT = [
    "count_no_biases", "mlp_softmax_output", "callback_epoch_from_zero", "copy_transposed",
    "count_float", "mlp_dtype_input_only", "callback_strict_greater", "copy_counts_every_layer",
    "count_no_validation", "mlp_functional_not_chained", "callback_no_reset", "copy_no_bias",
    "count_zero_size_accepted", "mlp_activation_on_output", "callback_cumulative_time", "copy_no_key_check",
    "mlp_functional_is_sequential", "callback_ignores_monitor", "copy_bias_as_row",
]
MISTAKES = {name: ALL_MISTAKES[name] for name in _DEFAULT}
EXTRA_MISTAKES = {name: answers for name, answers in ALL_MISTAKES.items() if name not in MISTAKES}
ALTERNATIVES = ALL_ALTERNATIVES
