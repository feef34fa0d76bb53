"""Lesson 07's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

sgd
    w -= lr * dw, in place (sgd_in_place) ................. update_rules_leave_inputs_alone: "sgd modified w in place"
    a step up the gradient (sgd_wrong_sign) ................ sgd_step: wrong values
    another default learning rate (sgd_default_lr) ........ sgd_step: 'the default config["lr"]'
    valid: a new config dict each call (sgd_new_config)
run_optimizer
    the caller's config handed to the update rule (run_optimizer_shares_config)  run_optimizer_path:
        "let the update rule's state into the caller's config"
    no loss for the last point (run_optimizer_short_losses)  run_optimizer_path: wrong shape
sgd_momentum
    the velocity never stored (momentum_velocity_not_stored)  sgd_momentum_steps: 'did not keep its velocity'
    + lr * dw in the velocity (momentum_wrong_sign) ........ sgd_momentum_steps: wrong values
    valid: PyTorch's v = mu v + dw, w - lr v (momentum_pytorch): the same steps at a constant lr
adam
    no bias correction (adam_no_bias_correction) ........... adam_steps, adam_bias_correction
    the corrected m_hat, v_hat stored (adam_stores_corrected)  adam_steps: 'config["m"] ... (uncorrected)'
    t not counted (adam_t_not_stored) ...................... adam_steps: 'config["t"] should be 2'
    valid: the corrections folded into the step size (adam_folded), the paper's and Keras' form
minibatches
    no shuffle (minibatches_no_shuffle) .................... minibatches_shuffle
    batch_size=True accepted (minibatches_accepts_bool) .... minibatches_errors
    the last, smaller batch dropped (minibatches_drops_last)  minibatches_cover_every_sample
    valid: np.array_split of the permutation (minibatches_array_split)
train
    one optimizer config shared by every parameter (train_shared_config)  train_is_the_loop
    the caller's params trained in place (train_in_place) .. train_history: "train modified the caller's params"
"""

LESSON = "07_optimizers"

_SGD = '''def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", LR)
    STEP
    return next_w, config
'''


def _sgd(step="next_w = w - config[\"lr\"] * dw", lr="1e-2"):
    return _SGD.replace("STEP", step).replace("LR", lr)


_RUN = '''def run_optimizer(loss_and_grad, w0, update, config=None, num_steps=100):
    config = CONFIG
    w = np.array(w0, dtype=np.float64)
    path, losses = [w], []
    for _ in range(num_steps):
        loss, dw = loss_and_grad(w)
        losses.append(loss)
        w, config = update(w, dw, config=config)
        path.append(w)
    LAST
    return np.array(path), np.array(losses, dtype=np.float64)
'''


def _run(config="{} if config is None else dict(config)", last="losses.append(loss_and_grad(w)[0])"):
    return _RUN.replace("CONFIG", config).replace("LAST", last)


_MOM = '''def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    if v is None:
        v = np.zeros_like(w, dtype=np.float64)
    BODY
    return next_w, config
'''


def _mom(body):
    return _MOM.replace("BODY", body)


_ADAM = '''def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in [("lr", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)]:
        config.setdefault(key, value)
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    m = config.get("m", np.zeros_like(w, dtype=np.float64))
    v = config.get("v", np.zeros_like(w, dtype=np.float64))
    t = config.get("t", 0) + 1
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw ** 2
    BODY
    return next_w, config
'''
_ADAM_OURS = '''m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    next_w = w - config["lr"] * m_hat / (np.sqrt(v_hat) + eps)
    config["m"], config["v"], config["t"] = m, v, t'''


def _adam(body=_ADAM_OURS):
    return _ADAM.replace("BODY", body)


_BATCHES = '''def minibatches(X, y, batch_size, rng):
    CHECK
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    order = ORDER
    for start in range(0, STOP, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
'''
_BATCH_CHECK = '''if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")'''


def _batches(check=_BATCH_CHECK, order="rng.permutation(len(X))", stop="len(X)"):
    return _BATCHES.replace("CHECK", check).replace("ORDER", order).replace("STOP", stop)


_TRAIN = '''def train(params, X_train, y_train, X_val, y_val, loss_and_grads, predict, optimizer,
          optim_config=None, num_epochs=10, batch_size=100, rng=None, progress=True):
    rng = np.random.default_rng(0) if rng is None else rng
    params = PARAMS
    configs = CONFIGS
    history = {"loss": [], "train_acc": [], "val_acc": [], "seconds": [], "batch_loss": []}
    for epoch in range(num_epochs):
        start, losses = time.perf_counter(), []
        for X_batch, y_batch in minibatches(X_train, y_train, batch_size, rng):
            loss, grads = loss_and_grads(X_batch, y_batch, params)
            for name in params:
                UPDATE
            losses.append(float(loss))
        history["seconds"].append(time.perf_counter() - start)
        history["batch_loss"].extend(losses)
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(evaluate_accuracy(predict, params, X_train, y_train))
        history["val_acc"].append(evaluate_accuracy(predict, params, X_val, y_val))
    return params, history
'''
_TRAIN_UPDATE = "params[name], configs[name] = optimizer(params[name], grads[name], configs[name])"


def _train(params="{name: np.array(value, dtype=np.float64) for name, value in params.items()}",
           configs="{name: dict(optim_config or {}) for name in params}", update=_TRAIN_UPDATE):
    return _TRAIN.replace("PARAMS", params).replace("CONFIGS", configs).replace("UPDATE", update)


MISTAKES = {
    "sgd_in_place": {"sgd": _sgd(step='w -= config["lr"] * dw\n    next_w = w')},
    "sgd_wrong_sign": {"sgd": _sgd(step='next_w = w + config["lr"] * dw')},
    "sgd_default_lr": {"sgd": _sgd(lr="1e-3")},
    "run_optimizer_shares_config": {"run_optimizer": _run(config="{} if config is None else config")},
    "run_optimizer_short_losses": {"run_optimizer": _run(last="pass")},
    "momentum_velocity_not_stored": {"sgd_momentum": _mom(
        'v = config["momentum"] * v - config["lr"] * dw\n    next_w = w + v')},
    "momentum_wrong_sign": {"sgd_momentum": _mom(
        'v = config["momentum"] * v + config["lr"] * dw\n    config["velocity"] = v\n    next_w = w - v')},
    "adam_no_bias_correction": {"adam": _adam('''next_w = w - config["lr"] * m / (np.sqrt(v) + eps)
    config["m"], config["v"], config["t"] = m, v, t''')},
    "adam_stores_corrected": {"adam": _adam('''m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    next_w = w - config["lr"] * m_hat / (np.sqrt(v_hat) + eps)
    config["m"], config["v"], config["t"] = m_hat, v_hat, t''')},
    "adam_t_not_stored": {"adam": _adam('''m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    next_w = w - config["lr"] * m_hat / (np.sqrt(v_hat) + eps)
    config["m"], config["v"] = m, v''')},
    "minibatches_no_shuffle": {"minibatches": _batches(order="np.arange(len(X))")},
    "minibatches_accepts_bool": {"minibatches": _batches(check='''if not isinstance(batch_size, (int, np.integer)) \\
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")''')},
    "minibatches_drops_last": {"minibatches": _batches(stop="len(X) - batch_size + 1")},
    "train_shared_config": {"train": _train(configs="dict(optim_config or {})",
                                            update="params[name], configs = "
                                                   "optimizer(params[name], grads[name], configs)")},
    "train_in_place": {"train": _train(params="params", update='''new, configs[name] = optimizer(
                    params[name], grads[name], configs[name])
                params[name][...] = new''')},
}

ALTERNATIVES = {
    "sgd_new_config": {"sgd": '''def sgd(w, dw, config=None):
    config = {"lr": 1e-2, **(config or {})}
    return w - config["lr"] * dw, config
'''},
    "momentum_pytorch": {"sgd_momentum": _mom(
        'v = config["momentum"] * v + dw\n    config["velocity"] = v\n    next_w = w - config["lr"] * v')},
    "adam_folded": {"adam": _adam('''lr_t = config["lr"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    next_w = w - lr_t * m / (np.sqrt(v) + eps)
    config["m"], config["v"], config["t"] = m, v, t''')},
    "minibatches_array_split": {"minibatches": '''def minibatches(X, y, batch_size, rng):
    if type(batch_size) is bool or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")
    if len(X) != len(y):
        raise ValueError("X and y have different lengths")
    order = rng.permutation(len(X))
    for idx in np.array_split(order, range(batch_size, len(X), batch_size)):
        yield X[idx], y[idx]
'''},
}

LOSES = {
    "sgd_in_place": {"update_rules_leave_inputs_alone"},
    "sgd_wrong_sign": {"sgd_step"},
    "sgd_default_lr": {"sgd_step"},
    "run_optimizer_shares_config": {"run_optimizer_path"},
    "run_optimizer_short_losses": {"run_optimizer_path"},
    "momentum_velocity_not_stored": {"sgd_momentum_steps"},
    "momentum_wrong_sign": {"sgd_momentum_steps"},
    "adam_no_bias_correction": {"adam_steps", "adam_bias_correction"},
    "adam_stores_corrected": {"adam_steps"},
    "adam_t_not_stored": {"adam_steps"},
    "minibatches_no_shuffle": {"minibatches_shuffle"},
    "minibatches_accepts_bool": {"minibatches_errors"},
    "minibatches_drops_last": {"minibatches_cover_every_sample"},
    "train_shared_config": {"train_is_the_loop"},
    "train_in_place": {"train_history"},
}
