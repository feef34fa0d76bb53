"""Lesson 10's layers in ``course.nn``: the RNN, LSTM and GRU (steps and sequences), bidirectional, embeddings,
the recurrent layer objects and presets, the Jane Austen corpus; checked by centred differences and against Keras."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from course.data import DataError
from course.gradcheck import numeric_gradient, numeric_gradient_array, relative_error
from course.nn import embedding, recurrent
from course.nn.model import (GRU, LSTM, Dense, Embedding, Sequential, SimpleRNN, char_language_model,
                             lstm_classifier, orthogonal_init)
from course.nn.train import fit

GATES = recurrent.GATES
TOL = 1e-6


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def case(cell, N=3, T=5, D=4, H=3, seed=0, scale=0.5):
    g, G = np.random.default_rng(seed), GATES[cell]
    return (g.normal(size=(N, T, D)), g.normal(size=(N, H)), g.normal(scale=scale, size=(D, G * H)),
            g.normal(scale=scale, size=(H, G * H)), g.normal(scale=scale, size=G * H))


def assert_gradients(forward, args, dout, grads, names):
    for k, (name, grad) in enumerate(zip(names, grads)):
        def f(value, k=k):
            changed = list(args)
            changed[k] = value
            return forward(*changed)
        numeric = numeric_gradient_array(f, np.array(args[k], dtype=np.float64), dout)
        assert grad.shape == np.shape(args[k]), name
        assert relative_error(grad, numeric) < TOL, (name, relative_error(grad, numeric))


# --- the cells, one step ---------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_step_backward_matches_numeric_gradients(cell):
    """Do rnn_step_backward and gru_step_backward give dx, dh_prev, dWx, dWh, db equal to centred differences?"""
    X, h0, Wx, Wh, b = case(cell, seed=1)
    forward, backward = getattr(recurrent, f"{cell}_step_forward"), getattr(recurrent, f"{cell}_step_backward")
    h, cache = forward(X[:, 0], h0, Wx, Wh, b)
    dh = np.random.default_rng(2).normal(size=h.shape)
    assert_gradients(lambda *a: forward(*a)[0], (X[:, 0], h0, Wx, Wh, b), dh, backward(dh, cache),
                     ("dx", "dh_prev", "dWx", "dWh", "db"))


def test_lstm_step_backward_matches_numeric_gradients_of_h_and_c():
    """Does lstm_step_backward give dx, dh_prev, dc_prev, dWx, dWh, db equal to centred differences of (h, c)?"""
    X, h0, Wx, Wh, b = case("lstm", seed=3)
    g = np.random.default_rng(4)
    c0, dh, dc = g.normal(size=h0.shape), g.normal(size=h0.shape), g.normal(size=h0.shape)
    _, _, cache = recurrent.lstm_step_forward(X[:, 0], h0, c0, Wx, Wh, b)
    def both(*a):
        return np.concatenate(recurrent.lstm_step_forward(*a)[:2], axis=1)
    assert_gradients(both, (X[:, 0], h0, c0, Wx, Wh, b), np.concatenate([dh, dc], axis=1),
                     recurrent.lstm_step_backward(dh, dc, cache), ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"))


def test_gates_stay_in_range_and_saturated_gates_do_what_they_say():
    """Are the LSTM's states bounded by its gates, does an open forget gate with a shut input gate keep the cell,
    and does a GRU update gate at 1 copy the state?"""
    X, h0, Wx, Wh, b = case("lstm", N=50, H=6, seed=5, scale=3.0)
    c0 = np.random.default_rng(6).normal(size=h0.shape)
    h, c, cache = recurrent.lstm_step_forward(X[:, 0], h0, c0, Wx, Wh, b)
    i, f, g, o = cache[5:9]
    assert all(np.all((0 <= gate) & (gate <= 1)) for gate in (i, f, o)) and np.all(np.abs(g) <= 1)
    assert np.all(np.abs(h) <= 1) and np.all(np.abs(c) <= np.abs(c0) + 1)
    keep = np.zeros(24)
    keep[:6], keep[6:12] = -60.0, 60.0
    close(recurrent.lstm_step_forward(X[:, 0], h0, c0, 0 * Wx, 0 * Wh, keep)[1], c0)
    Xg, hg, Wxg, Whg, _ = case("gru", N=4, H=6, seed=7)
    copy = np.zeros(18)
    copy[:6] = 60.0
    close(recurrent.gru_step_forward(Xg[:, 0], hg, 0 * Wxg, 0 * Whg, copy)[0], hg)
    z_r = recurrent.gru_forward(Xg, hg, Wxg, Whg, copy)[1][4]
    assert np.all((0 <= z_r) & (z_r <= 1))


# --- whole sequences -------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("N, T, D, H", [(3, 5, 4, 3), (1, 7, 2, 5), (4, 1, 3, 2)])
def test_sequence_equals_the_step_loop_and_its_backward_matches_numeric_gradients(cell, N, T, D, H):
    """Does each fast sequence function compute the states of its step function applied T times (batch-first
    (N, T, H)), and its backward pass dX, dh0, dWx, dWh, db by centred differences?"""
    X, h0, Wx, Wh, b = case(cell, N, T, D, H, seed=8)
    forward, backward = recurrent.CELLS[cell]
    H_all, cache = forward(X, h0, Wx, Wh, b)
    assert H_all.shape == (N, T, H)
    h, c = h0, np.zeros_like(h0)
    for t in range(T):
        if cell == "lstm":
            h, c, _ = recurrent.lstm_step_forward(X[:, t], h, c, Wx, Wh, b)
        else:
            h, _ = getattr(recurrent, f"{cell}_step_forward")(X[:, t], h, Wx, Wh, b)
        close(H_all[:, t], h)
    dH = np.random.default_rng(9).normal(size=H_all.shape)
    assert_gradients(lambda *a: forward(*a)[0], (X, h0, Wx, Wh, b), dH, backward(dH, cache),
                     ("dX", "dh0", "dWx", "dWh", "db"))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequences_keep_float32(cell):
    """Do float32 inputs and weights give float32 states and gradients (no float64 constant sneaks in)?"""
    X, h0, Wx, Wh, b = (a.astype(np.float32) for a in case(cell, seed=10))
    forward, backward = recurrent.CELLS[cell]
    H_all, cache = forward(X, h0, Wx, Wh, b)
    assert H_all.dtype == np.float32
    assert all(g.dtype == np.float32 for g in backward(np.ones_like(H_all), cache))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_wrong_rank_or_hidden_state_shape_raises_a_clear_error(cell):
    """Does a 2-D X, a hidden state of the wrong shape or weights of the wrong width raise a ValueError that says so?"""
    X, h0, Wx, Wh, b = case(cell, seed=11)
    forward = recurrent.CELLS[cell][0]
    with pytest.raises(ValueError, match=r"\(N, T, D\)"):
        forward(X[0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="hidden state"):
        forward(X, h0[:, :2], Wx, Wh, b)
    with pytest.raises(ValueError, match="hidden state"):
        forward(X, h0[:2], Wx, Wh, b)
    with pytest.raises(ValueError, match="columns"):
        forward(X, h0, Wx[:, :-1], Wh, b)
    with pytest.raises(ValueError, match="features"):
        forward(X[:, :, :2], h0, Wx, Wh, b)
    step = getattr(recurrent, f"{cell}_step_forward")
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        step(X[0, 0], h0, h0, Wx, Wh, b) if cell == "lstm" else step(X[0, 0], h0, Wx, Wh, b)


def test_lstm_step_rejects_a_cell_state_of_the_wrong_shape():
    """Does lstm_step_forward say which state is wrong when c_prev does not match h_prev?"""
    X, h0, Wx, Wh, b = case("lstm", seed=12)
    with pytest.raises(ValueError, match="c_prev"):
        recurrent.lstm_step_forward(X[:, 0], h0, h0[:, :1], Wx, Wh, b)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bidirectional_output_size_and_gradients(cell):
    """Is the bidirectional output (N, T, 2H), forward states then the reversed pass's, and do its gradients of the
    input and of both directions' weights match centred differences?"""
    X = np.random.default_rng(13).normal(size=(2, 4, 3))
    pf, pb = case(cell, D=3, H=2, seed=14)[2:], case(cell, D=3, H=2, seed=15)[2:]
    out, cache = recurrent.bidirectional_forward(X, cell, pf, pb)
    assert out.shape == (2, 4, 4)
    zeros = np.zeros((2, 2))
    forward = recurrent.CELLS[cell][0]
    close(out[:, :, :2], forward(X, zeros, *pf)[0])
    close(out[:, :, 2:], forward(X[:, ::-1], zeros, *pb)[0][:, ::-1])
    dout = np.random.default_rng(16).normal(size=out.shape)
    dX, gf, gb = recurrent.bidirectional_backward(dout, cache)
    assert_gradients(lambda X_, *w: recurrent.bidirectional_forward(X_, cell, w[:3], w[3:])[0], (X, *pf, *pb), dout,
                     (dX, *gf, *gb), ("dX", "dWx_f", "dWh_f", "db_f", "dWx_b", "dWh_b", "db_b"))


# --- embeddings ------------------------------------------------------------------------------------

def test_embedding_gradient_accumulates_for_repeated_tokens():
    """Does embedding_backward add the gradient of every position of a repeated token (np.add.at), matching
    centred differences, and does embedding_forward reject floats and tokens out of range?"""
    W = np.random.default_rng(17).normal(size=(5, 3))
    tokens = np.array([[1, 1, 1], [4, 1, 0]])
    out, cache = embedding.embedding_forward(tokens, W)
    close(out, W[tokens])
    dW = embedding.embedding_backward(np.ones_like(out), cache)
    close(dW[:, 0], [1, 4, 0, 0, 1])
    dout = np.random.default_rng(18).normal(size=out.shape)
    numeric = numeric_gradient_array(lambda w: embedding.embedding_forward(tokens, w)[0], W.copy(), dout)
    assert relative_error(embedding.embedding_backward(dout, cache), numeric) < TOL
    with pytest.raises(ValueError, match="integers"):
        embedding.embedding_forward(tokens.astype(float), W)
    with pytest.raises(ValueError, match="0..4"):
        embedding.embedding_forward(tokens + 1, W)


# --- layer objects and presets -----------------------------------------------------------------------

def test_orthogonal_init_is_orthogonal():
    """Does orthogonal_init give orthonormal columns (tall) or rows (wide)?"""
    g = np.random.default_rng(19)
    Q = orthogonal_init(6, 4, g)
    close(Q.T @ Q, np.eye(4), atol=1e-12)
    Q = orthogonal_init(3, 5, g)
    close(Q @ Q.T, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("layer, pool", [(LSTM, "last"), (GRU, "mean"), (SimpleRNN, "last")])
def test_recurrent_layers_in_a_sequential_match_numeric_gradients(layer, pool):
    """Does a Sequential of a recurrent layer object and a Dense head give the gradients of centred differences?"""
    net = Sequential([layer(3, 4, pool=pool), Dense(4, 5)], np.random.default_rng(20), reg=0.01)
    X, y = np.random.default_rng(21).normal(size=(6, 4, 3)), np.arange(6) % 5
    loss, grads = net.loss(X, y)
    for name, value in net.params.items():
        numeric = numeric_gradient(lambda v: net.loss(X, y)[0], value)
        assert relative_error(grads[name], numeric) < TOL, name


def test_lstm_classifier_reads_rows_keeps_float32_and_trains_with_fit():
    """Does lstm_classifier take images as (N, 28, 28) or rows (N, 784) alike, start like Keras (forget bias 1),
    keep float32, and learn a toy task with fit?"""
    net = lstm_classifier(np.random.default_rng(22), num_hiddens=16)
    assert net.params["Wx1"].shape == (28, 64) and net.params["Wh1"].shape == (16, 64)
    assert net.params["Wx1"].dtype == np.float32 and np.all(net.params["b1"][16:32] == 1)
    X = np.random.default_rng(23).random((40, 28, 28)).astype(np.float32)
    close(net.scores(X), net.scores(X.reshape(40, 784)))
    y = (X[:, -1].mean(axis=1) > X[:, 0].mean(axis=1)).astype(np.int64)   # needs the first and the last row
    X[y == 1, -1] += 1.0
    history = fit(net, (X, y), num_epochs=15, batch_size=8, lr=1e-2, progress=False)
    assert history["train_acc"][-1] > 0.9, history["train_acc"]


def test_char_language_model_gradients_and_evaluation():
    """Does char_language_model (Embedding -> LSTM over every step -> dense) give numeric gradients for every
    parameter, score every position, and evaluate per position?"""
    lm = char_language_model(np.random.default_rng(24), vocab_size=7, embedding_dim=3, num_hiddens=4,
                             dtype=np.float64)
    X = np.random.default_rng(25).integers(0, 7, size=(3, 6))
    Y = np.roll(X, -1, axis=1)
    loss, grads = lm.loss(X.astype(np.float64), Y)
    for name, value in lm.params.items():
        numeric = numeric_gradient(lambda v: lm.loss(X.astype(np.float64), Y)[0], value)
        close(grads[name], numeric, rtol=1e-5, atol=1e-9)
    assert lm.scores(X).shape == (18, 7)
    eval_loss, acc = lm.evaluate(X, Y)
    close(eval_loss, loss)
    assert 0.0 <= acc <= 1.0
    assert repr(Embedding(7, 3)) == "Embedding(7, 3)"


# --- the corpus --------------------------------------------------------------------------------------

def test_austen_corpus_is_complete_and_verified():
    """Does load_austen read all six novels from Debian's r-cran-janeaustenr, each matching its SHA-256, with a
    character vocabulary that encodes and decodes the text?"""
    from course.text import AUSTEN_NOVELS, load_austen
    corpus = load_austen()
    assert len(corpus.titles) == 6 and len(corpus.text) > 4_000_000
    assert "It is a truth universally acknowledged" in corpus.text
    sample = corpus.text[10_000:10_200]
    assert corpus.decode(corpus.encode(sample)) == sample
    assert sorted(AUSTEN_NOVELS) == sorted(["sensesensibility", "prideprejudice", "mansfieldpark", "emma",
                                            "northangerabbey", "persuasion"])


def test_austen_missing_or_changed_files_say_how_to_fix(tmp_path, monkeypatch):
    """Does a missing package raise a DataError naming the apt-get command, and a changed novel one naming the
    expected checksum?"""
    from course import text
    monkeypatch.setenv("COURSE_AUSTEN_DIR", str(tmp_path))
    with pytest.raises(DataError, match="apt-get install"):
        text.load_austen()
    shutil.copy(text.DEBIAN_AUSTEN / "Rdata.rdb", tmp_path / "Rdata.rdb")
    shutil.copy(text.DEBIAN_AUSTEN / "Rdata.rdx", tmp_path / "Rdata.rdx")
    assert text.load_austen(["persuasion"]).titles == ["Persuasion"]
    monkeypatch.setitem(text.AUSTEN_NOVELS, "persuasion", ("Persuasion", 8328, "0" * 64))
    with pytest.raises(DataError, match="SHA-256"):
        text.load_austen(["persuasion"])
    (tmp_path / "Rdata.rdx").write_bytes(gzip.compress(b"not R"))
    with pytest.raises(DataError, match="cannot read"):
        text.load_austen(["emma"])


# --- against Keras -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("tensorflow")
    from course.frameworks import load_keras
    return load_keras()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequences_and_gradients_agree_with_keras(keras, cell):
    """Do the RNN, LSTM and GRU (reset_after=True) states and the gradients of X, Wx, Wh, b agree with Keras'
    SimpleRNN, LSTM and GRU with the same weights (float64, GradientTape)?"""
    import tensorflow as tf
    X, _, Wx, Wh, b = case(cell, N=4, T=6, D=3, H=5, seed=26)
    layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
             "gru": lambda H, **kw: keras.layers.GRU(H, reset_after=True, **kw)}[cell]
    model = keras.Sequential([keras.Input((None, 3), dtype="float64"),
                              layer(5, return_sequences=True, dtype="float64")])
    model.set_weights([Wx, Wh, np.stack([b, np.zeros_like(b)]) if cell == "gru" else b])
    dout = np.random.default_rng(27).normal(size=(4, 6, 5))
    X_tf = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(X_tf)
        H_tf = model(X_tf)
        objective = tf.reduce_sum(H_tf * dout)
    dX_tf, *weight_grads = [g.numpy() for g in tape.gradient(objective, [X_tf, *model.trainable_variables])]
    if cell == "gru":
        weight_grads[2] = weight_grads[2][0]
    forward, backward = recurrent.CELLS[cell]
    H_all, cache = forward(X, np.zeros((4, 5)), Wx, Wh, b)
    close(H_all, H_tf.numpy(), rtol=1e-9)
    dX, _, dWx, dWh, db = backward(dout, cache)
    for ours, theirs in zip((dX, dWx, dWh, db), (dX_tf, *weight_grads)):
        close(ours, theirs, rtol=1e-8, atol=1e-11)


def test_lstm_classifier_agrees_with_keras(keras):
    """Does lstm_classifier's loss and every gradient agree with Keras' LSTM + Dense with the benchmark's weight
    mapping (float64)?"""
    import tensorflow as tf

    from benchmarks.lstm_vs_keras import to_keras_weights
    net = lstm_classifier(np.random.default_rng(28), num_hiddens=6, dtype=np.float64)
    X, y = np.random.default_rng(29).random((8, 28, 28)), np.arange(8) % 10
    model = keras.Sequential([keras.Input((28, 28), dtype="float64"), keras.layers.LSTM(6, dtype="float64"),
                              keras.layers.Dense(10, dtype="float64")])
    model.set_weights(to_keras_weights(net.params))
    with tf.GradientTape() as tape:
        scores = model(X)
        loss = keras.ops.mean(keras.ops.sparse_categorical_crossentropy(y, scores, from_logits=True))
    keras_grads = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
    our_loss, our_grads = net.loss(X, y)
    close(our_loss, float(loss), rtol=1e-9)
    for ours, theirs in zip(to_keras_weights(our_grads), keras_grads):
        close(ours, theirs, rtol=1e-7, atol=1e-11)


def _lstm_by_steps(X, h0, Wx, Wh, b, dH):
    """The LSTM and its backward pass by the step functions (the definitions): states (N, T, H) and
    (dX, dh0, dWx, dWh, db)."""
    N, T, _ = X.shape
    h, c, caches, states = h0, np.zeros_like(h0), [], []
    for t in range(T):
        h, c, cache = recurrent.lstm_step_forward(X[:, t], h, c, Wx, Wh, b)
        caches.append(cache)
        states.append(h)
    dX, dWx, dWh, db = np.zeros_like(X), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh, dc = np.zeros_like(h0), np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dx, dh, dc, dWx_t, dWh_t, db_t = recurrent.lstm_step_backward(dH[:, t] + dh, dc, caches[t])
        dX[:, t] = dx
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(states, axis=1), (dX, dh, dWx, dWh, db)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_fast_lstm_with_a_workspace_equals_the_step_functions(dtype, tol):
    """Does the fast LSTM (one tanh for the four gates, a reused workspace, need_dX=False skipping dX) give the
    states and gradients of the step functions, in float64 and in float32, call after call?"""
    from course.nn.conv import Workspace
    X, h0, Wx, Wh, b = (a.astype(dtype) for a in case("lstm", 4, 6, 5, 3, seed=21))
    Wx, Wh, b = Wx * 3, Wh * 3, b + np.linspace(-2, 2, b.size, dtype=dtype)   # saturated gates too
    dH = np.random.default_rng(22).normal(size=(4, 6, 3)).astype(dtype)
    states, expected = _lstm_by_steps(X, h0, Wx, Wh, b, dH)
    workspace = Workspace()
    for _ in range(3):                      # the second and third calls reuse the workspace's arrays
        H_all, cache = recurrent.lstm_forward(X, h0, Wx, Wh, b, workspace=workspace)
        assert H_all.dtype == dtype
        np.testing.assert_allclose(H_all, states, rtol=tol, atol=tol)
        grads = recurrent.lstm_backward(dH, cache)
        for name, g, e in zip(("dX", "dh0", "dWx", "dWh", "db"), grads, expected):
            assert g.dtype == dtype, name
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=name)
        skipped = recurrent.lstm_backward(dH, cache, need_dX=False)
        assert skipped[0] is None
        for name, g, e in zip(("dh0", "dWx", "dWh", "db"), skipped[1:], grads[1:]):
            np.testing.assert_array_equal(g, e, err_msg=name)
