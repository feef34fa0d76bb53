"""Recurrent layers (lesson 10): the vanilla RNN, the LSTM and the GRU, one step and whole sequences.

Layout: **batch-first** ``(N, T, D)`` sequences (samples, time steps, features), the layout of Keras;
hidden states ``(N, H)``. Each cell reads the input of a step through ``Wx`` (D, G H) and the previous
hidden state through ``Wh`` (H, G H), with one bias ``b`` (G H,), where G is the number of gate blocks:
1 for the RNN, 4 for the LSTM (input, forget, candidate, output: Keras' order), 3 for the GRU (update,
reset, candidate). The weights of all the gates of a cell sit side by side in one matrix, so that a
step costs **one** matrix product.

    RNN   h = tanh(x Wx + h_prev Wh + b)
    LSTM  [i, f, g, o] = [sig, sig, tanh, sig](x Wx + h_prev Wh + b);  c = f c_prev + i g;  h = o tanh(c)
    GRU   [z, r] = sig(x Wx_zr + h_prev Wh_zr + b_zr);  n = tanh(x Wx_n + b_n + r (h_prev Wh_n))
          h = z h_prev + (1 - z) n          (Keras' GRU with reset_after=True, recurrent bias 0)

The step functions are the definitions. The sequence functions are the fast path: the input
projection ``X Wx + b`` of **all** time steps is one matrix product before the loop; each step then
adds one product ``h_prev Wh`` and applies its gates (one ``tanh`` for all four gates of the LSTM:
``sig(a) = (tanh(a / 2) + 1) / 2``); the backward pass collects the gradient of each step's
pre-activations and does the three weight-gradient products (``dWx``, ``dWh``, ``dX``) once, after
the loop. The only Python loop is over time. Intermediate arrays are stored time-major (T, N, ...)
so that every step reads and writes contiguous blocks; float32 stays float32. ``lstm_forward`` and
``lstm_backward`` take an optional ``workspace`` (``course.nn.conv.Workspace``) whose arrays are
reused from one training step to the next: the gates of a batch of 128 Fashion-MNIST sequences are 7 MB,
and fresh arrays of that size cost page faults on every step. The cache of a call with a workspace is
valid until the next call with the same workspace (a layer runs the backward pass of a batch before
the next forward pass).
"""

from __future__ import annotations

import numpy as np

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
           "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
           "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
           "bidirectional_forward", "bidirectional_backward", "CELLS", "GATES"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _empty(workspace, name, shape, dtype):
    """A temporary array: from the workspace when there is one (reused), else a fresh one."""
    return np.empty(shape, dtype=dtype) if workspace is None else workspace.get(name, shape, dtype)


def _sigmoid(a):
    """Logistic function without overflow warnings (float32 stays float32)."""
    return 0.5 * (np.tanh(0.5 * a) + 1)


def check_cell(x, h_prev, Wx, Wh, b, gates, name):
    """Shapes of one step or one sequence, or a ValueError that says which array does not fit."""
    x, h_prev = np.asarray(x), np.asarray(h_prev)
    if Wx.ndim != 2 or Wh.ndim != 2 or b.ndim != 1:
        raise ValueError(f"{name}: Wx must be (D, {gates} H), Wh (H, {gates} H) and b ({gates} H,), got "
                         f"Wx {Wx.shape}, Wh {Wh.shape}, b {b.shape}")
    H = Wh.shape[0]
    if Wh.shape[1] != gates * H or Wx.shape[1] != gates * H or b.shape[0] != gates * H:
        raise ValueError(f"{name}: with H = {H} hidden units (Wh has {H} rows) Wx, Wh and b need "
                         f"{gates} * H = {gates * H} columns, got Wx {Wx.shape}, Wh {Wh.shape}, b {b.shape}")
    if x.shape[-1] != Wx.shape[0]:
        raise ValueError(f"{name}: the input has {x.shape[-1]} features but Wx has {Wx.shape[0]} rows")
    if h_prev.ndim != 2 or h_prev.shape != (x.shape[0], H):
        raise ValueError(f"{name}: the hidden state must have shape (N, H) = {(x.shape[0], H)}, "
                         f"got {h_prev.shape}")
    return H


def check_sequence(X, name):
    """A batch-first sequence (N, T, D), or a ValueError naming the expected rank."""
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(f"{name}: X must have shape (N, T, D) (3 dimensions: samples, time steps, "
                         f"features), got shape {X.shape}; one sequence (T, D) becomes X[None]")
    if X.shape[1] == 0:
        raise ValueError(f"{name}: X has no time steps (shape {X.shape})")
    return X


def _check_step(x, name):
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name}: x must have shape (N, D) (one time step of a batch), got {x.shape}")
    return x


# --- the vanilla RNN ------------------------------------------------------------------------------

def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step of a vanilla RNN: ``h = tanh(x Wx + h_prev Wh + b)``.

    Parameters
    ----------
    x : (N, D) inputs of this step;  h_prev : (N, H) previous hidden state
    Wx : (D, H);  Wh : (H, H);  b : (H,)

    Returns
    -------
    h : (N, H);  cache : (x, h_prev, Wx, Wh, h)
    """
    x = _check_step(x, "rnn_step_forward")
    check_cell(x, h_prev, Wx, Wh, b, 1, "rnn_step_forward")
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of rnn_step_forward: returns (dx (N, D), dh_prev (N, H), dWx, dWh, db)."""
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1 - h * h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(X, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence.

    Parameters
    ----------
    X : (N, T, D) batch-first sequences;  h0 : (N, H) initial hidden state
    Wx : (D, H);  Wh : (H, H);  b : (H,)

    Returns
    -------
    H_all : (N, T, H) the hidden state after every step;  cache : for rnn_backward
    """
    X = check_sequence(X, "rnn_forward")
    check_cell(X[:, 0], h0, Wx, Wh, b, 1, "rnn_forward")
    N, T, _ = X.shape
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2))                     # (T, N, D)
    A = (Xt.reshape(T * N, -1) @ Wx + b).reshape(T, N, -1)             # every step's input projection
    hs = np.empty((T + 1, N, Wh.shape[0]), dtype=A.dtype)
    hs[0] = h0
    for t in range(T):
        np.tanh(A[t] + hs[t] @ Wh, out=hs[t + 1])
    return hs[1:].transpose(1, 0, 2), (Xt, Wx, Wh, hs)


def rnn_backward(dH, cache):
    """Backpropagation through time for rnn_forward.

    Parameters
    ----------
    dH : (N, T, H) gradient of the loss with respect to every hidden state
    cache : from rnn_forward

    Returns
    -------
    dX : (N, T, D);  dh0 : (N, H);  dWx : (D, H);  dWh : (H, H);  db : (H,)
    """
    Xt, Wx, Wh, hs = cache
    T, N, _ = Xt.shape
    dA = np.empty((T, N, Wh.shape[1]), dtype=hs.dtype)
    dh = np.zeros_like(hs[0])
    dHt = dH.transpose(1, 0, 2)
    for t in range(T - 1, -1, -1):
        h = hs[t + 1]
        np.multiply(dHt[t] + dh, 1 - h * h, out=dA[t])
        dh = dA[t] @ Wh.T
    dA2 = dA.reshape(T * N, -1)
    dX = (dA2 @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2)
    return dX, dh, Xt.reshape(T * N, -1).T @ dA2, hs[:-1].reshape(T * N, -1).T @ dA2, dA2.sum(axis=0)


# --- the LSTM -------------------------------------------------------------------------------------

def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step, gates in Keras' order: input i, forget f, candidate g, output o.

    Parameters
    ----------
    x : (N, D);  h_prev, c_prev : (N, H) previous hidden and cell states
    Wx : (D, 4H);  Wh : (H, 4H);  b : (4H,)

    Returns
    -------
    h, c : (N, H) the next hidden and cell states;  cache : for lstm_step_backward
    """
    x = _check_step(x, "lstm_step_forward")
    H = check_cell(x, h_prev, Wx, Wh, b, 4, "lstm_step_forward")
    if np.shape(c_prev) != np.shape(h_prev):
        raise ValueError(f"lstm_step_forward: c_prev must have the shape of h_prev {np.shape(h_prev)}, "
                         f"got {np.shape(c_prev)}")
    a = x @ Wx + h_prev @ Wh + b
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)


def lstm_step_backward(dh, dc, cache):
    """Backward pass of lstm_step_forward.

    Parameters
    ----------
    dh, dc : (N, H) gradients with respect to h and c (dc: from the next step; zeros at the end)

    Returns
    -------
    dx : (N, D);  dh_prev, dc_prev : (N, H);  dWx : (D, 4H);  dWh : (H, 4H);  db : (4H,)
    """
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(X, h0, Wx, Wh, b, c0=None, workspace=None):
    """An LSTM over a whole sequence (the fast path: one product per step, one tanh for four gates).

    Parameters
    ----------
    X : (N, T, D);  h0 : (N, H) initial hidden state;  c0 : (N, H) initial cell state (default zeros)
    Wx : (D, 4H);  Wh : (H, 4H);  b : (4H,)
    workspace : optional ``course.nn.conv.Workspace`` for the temporary arrays (see the module's notes)

    Returns
    -------
    H_all : (N, T, H) hidden states;  cache : for lstm_backward
    """
    X = check_sequence(X, "lstm_forward")
    H = check_cell(X[:, 0], h0, Wx, Wh, b, 4, "lstm_forward")
    N, T, D = X.shape
    dtype = np.result_type(X, Wx, Wh, b)
    Xt = _empty(workspace, "Xt", (T, N, D), dtype)
    Xt[...] = X.transpose(1, 0, 2)
    # The columns of the three sigmoid gates are halved once (exact in binary), so that one tanh gives
    # all four blocks: sigmoid(a) = (tanh(a / 2) + 1) / 2, and tanh is cheaper than exp and never overflows.
    scale = np.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H:3 * H] = 1
    Wx2, Wh2 = _empty(workspace, "Wx2", Wx.shape, dtype), _empty(workspace, "Wh2", Wh.shape, dtype)
    np.multiply(Wx, scale, out=Wx2)
    np.multiply(Wh, scale, out=Wh2)
    b2 = b * scale
    gates = _empty(workspace, "gates", (T, N, 4 * H), dtype)          # (T, N, 4H), in place below
    np.matmul(Xt.reshape(T * N, D), Wx2, out=gates.reshape(T * N, 4 * H))
    gates += b2
    hs = _empty(workspace, "hs", (T + 1, N, H), dtype)
    cs = _empty(workspace, "cs", (T + 1, N, H), dtype)
    tanh_cs = _empty(workspace, "tanh_cs", (T, N, H), dtype)
    ig = _empty(workspace, "ig", (N, H), dtype)
    hW = _empty(workspace, "hW", (N, 4 * H), dtype)
    hs[0] = h0
    cs[0] = 0 if c0 is None else c0
    for t in range(T):
        a = gates[t]
        np.matmul(hs[t], Wh2, out=hW)
        a += hW
        np.tanh(a, out=a)                                                # the candidate g is done
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        for s in (a[:, :2 * H], o):                                      # i, f side by side, then o
            s *= 0.5
            s += 0.5                                                     # sigmoid
        c = cs[t + 1]
        np.multiply(f, cs[t], out=c)
        np.multiply(i, g, out=ig)
        c += ig
        np.tanh(c, out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])
    return hs[1:].transpose(1, 0, 2), (Xt, Wx, Wh, hs, cs, tanh_cs, gates, workspace)


def lstm_backward(dH, cache, need_dX=True):
    """Backpropagation through time for lstm_forward.

    Parameters
    ----------
    dH : (N, T, H) gradient with respect to every hidden state;  cache : from lstm_forward
    need_dX : False skips the input gradient (the first layer of a network: the data needs none)

    Returns
    -------
    dX : (N, T, D), or None when ``need_dX`` is False;  dh0 : (N, H);  dWx : (D, 4H);  dWh : (H, 4H);
    db : (4H,)
    """
    Xt, Wx, Wh, hs, cs, tanh_cs, gates, workspace = cache
    T, N, _ = Xt.shape
    H = Wh.shape[0]
    dA = _empty(workspace, "dA", gates.shape, gates.dtype)
    dh, dc = np.zeros_like(hs[0]), np.zeros_like(hs[0])
    u, v = np.empty_like(dh), np.empty_like(dh)                      # scratch, (N, H)
    dHt = dH.transpose(1, 0, 2)
    WhT = Wh.T                                                       # BLAS reads the transpose as it is
    for t in range(T - 1, -1, -1):
        a, d, tc = gates[t], dA[t], tanh_cs[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        dh += dHt[t]
        np.multiply(tc, tc, out=u)                                   # dc += dh o (1 - tanh(c)^2)
        np.subtract(1, u, out=u)
        u *= o
        u *= dh
        dc += u
        np.subtract(1, i, out=u)                                     # di' = dc g i (1 - i)
        u *= i
        np.multiply(dc, g, out=v)
        np.multiply(u, v, out=d[:, :H])
        np.subtract(1, f, out=u)                                     # df' = dc c_prev f (1 - f)
        u *= f
        np.multiply(dc, cs[t], out=v)
        np.multiply(u, v, out=d[:, H:2 * H])
        np.multiply(g, g, out=u)                                     # dg' = dc i (1 - g^2)
        np.subtract(1, u, out=u)
        np.multiply(dc, i, out=v)
        np.multiply(u, v, out=d[:, 2 * H:3 * H])
        np.subtract(1, o, out=u)                                     # do' = dh tanh(c) o (1 - o)
        u *= o
        np.multiply(dh, tc, out=v)
        np.multiply(u, v, out=d[:, 3 * H:])
        dc *= f
        np.matmul(d, WhT, out=dh)
    dA2 = dA.reshape(T * N, -1)
    dX = (dA2 @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2) if need_dX else None
    return dX, dh, Xt.reshape(T * N, -1).T @ dA2, hs[:-1].reshape(T * N, -1).T @ dA2, dA2.sum(axis=0)


# --- the GRU --------------------------------------------------------------------------------------

def gru_step_forward(x, h_prev, Wx, Wh, b):
    """One GRU step (Keras' reset_after=True form): update z, reset r, candidate n.

    Parameters
    ----------
    x : (N, D);  h_prev : (N, H);  Wx : (D, 3H);  Wh : (H, 3H);  b : (3H,)

    Returns
    -------
    h : (N, H) = z h_prev + (1 - z) n;  cache : for gru_step_backward
    """
    x = _check_step(x, "gru_step_forward")
    H = check_cell(x, h_prev, Wx, Wh, b, 3, "gru_step_forward")
    ax, ah = x @ Wx + b, h_prev @ Wh
    z = _sigmoid(ax[:, :H] + ah[:, :H])
    r = _sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    h = z * h_prev + (1 - z) * n
    return h, (x, h_prev, Wx, Wh, z, r, n, ah[:, 2 * H:])


def gru_step_backward(dh, cache):
    """Backward pass of gru_step_forward: (dx (N, D), dh_prev (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,))."""
    x, h_prev, Wx, Wh, z, r, n, hn = cache
    dn = dh * (1 - z) * (1 - n * n)                  # gradient of the candidate's pre-activation
    dz = dh * (h_prev - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    dax = np.concatenate([dz, dr, dn], axis=1)       # with respect to x Wx + b
    dah = np.concatenate([dz, dr, dn * r], axis=1)   # with respect to h_prev Wh
    return dax @ Wx.T, dh * z + dah @ Wh.T, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0)


def gru_forward(X, h0, Wx, Wh, b):
    """A GRU over a whole sequence (the input projection up front, one product h_prev Wh per step).

    Parameters
    ----------
    X : (N, T, D);  h0 : (N, H);  Wx : (D, 3H);  Wh : (H, 3H);  b : (3H,)

    Returns
    -------
    H_all : (N, T, H);  cache : for gru_backward
    """
    X = check_sequence(X, "gru_forward")
    H = check_cell(X[:, 0], h0, Wx, Wh, b, 3, "gru_forward")
    N, T, _ = X.shape
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2))
    AX = (Xt.reshape(T * N, -1) @ Wx + b).reshape(T, N, 3 * H)
    hs = np.empty((T + 1, N, H), dtype=AX.dtype)
    zr = np.empty((T, N, 2 * H), dtype=AX.dtype)
    ns, hns = np.empty((T, N, H), dtype=AX.dtype), np.empty((T, N, H), dtype=AX.dtype)
    hs[0] = h0
    for t in range(T):
        ah = hs[t] @ Wh
        zr[t] = _sigmoid(AX[t, :, :2 * H] + ah[:, :2 * H])
        z, r = zr[t, :, :H], zr[t, :, H:]
        hns[t] = ah[:, 2 * H:]
        np.tanh(AX[t, :, 2 * H:] + r * hns[t], out=ns[t])
        hs[t + 1] = ns[t] + z * (hs[t] - ns[t])
    return hs[1:].transpose(1, 0, 2), (Xt, Wx, Wh, hs, zr, ns, hns)


def gru_backward(dH, cache):
    """Backpropagation through time for gru_forward: (dX (N, T, D), dh0 (N, H), dWx, dWh, db)."""
    Xt, Wx, Wh, hs, zr, ns, hns = cache
    T, N, _ = Xt.shape
    H = Wh.shape[0]
    dAX, dAH = np.empty((T, N, 3 * H), dtype=hs.dtype), np.empty((T, N, 3 * H), dtype=hs.dtype)
    dh = np.zeros_like(hs[0])
    dHt = dH.transpose(1, 0, 2)
    WhT = np.ascontiguousarray(Wh.T)
    for t in range(T - 1, -1, -1):
        z, r, n = zr[t, :, :H], zr[t, :, H:], ns[t]
        dh = dh + dHt[t]
        dn = dh * (1 - z) * (1 - n * n)
        dAX[t, :, :H] = dh * (hs[t] - n) * z * (1 - z)
        dAX[t, :, H:2 * H] = dn * hns[t] * r * (1 - r)
        dAX[t, :, 2 * H:] = dn
        dAH[t, :, :2 * H] = dAX[t, :, :2 * H]
        np.multiply(dn, r, out=dAH[t, :, 2 * H:])
        dh = dh * z + dAH[t] @ WhT
    dAX2, dAH2 = dAX.reshape(T * N, -1), dAH.reshape(T * N, -1)
    dX = (dAX2 @ Wx.T).reshape(T, N, -1).transpose(1, 0, 2)
    return dX, dh, Xt.reshape(T * N, -1).T @ dAX2, hs[:-1].reshape(T * N, -1).T @ dAH2, dAX2.sum(axis=0)


CELLS = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward),
         "gru": (gru_forward, gru_backward)}


# --- bidirectional --------------------------------------------------------------------------------

def bidirectional_forward(X, layer, params_forward, params_backward):
    """Run a recurrent layer left to right and another right to left; concatenate their states.

    Parameters
    ----------
    X : (N, T, D)
    layer : "rnn", "lstm", "gru", or a pair (forward, backward) of sequence functions with the
        signatures of rnn_forward / rnn_backward
    params_forward, params_backward : (Wx, Wh, b) of each direction; both start from zero states

    Returns
    -------
    out : (N, T, 2H): ``out[:, t]`` is the forward state after reading x_0..x_t next to the backward
        state after reading x_{T-1}..x_t;  cache : for bidirectional_backward
    """
    X = check_sequence(X, "bidirectional_forward")
    forward, backward = CELLS[layer] if isinstance(layer, str) else layer
    outs, caches = [], []
    for params, reverse in ((params_forward, False), (params_backward, True)):
        Wx, Wh, b = params
        h0 = np.zeros((X.shape[0], Wh.shape[0]), dtype=np.result_type(X, Wh))
        H_all, cache = forward(X[:, ::-1] if reverse else X, h0, Wx, Wh, b)
        outs.append(H_all[:, ::-1] if reverse else H_all)
        caches.append(cache)
    return np.concatenate(outs, axis=2), (backward, caches, outs[0].shape[2])


def bidirectional_backward(dout, cache):
    """Backward pass of bidirectional_forward.

    Returns
    -------
    dX : (N, T, D);  grads_forward, grads_backward : (dWx, dWh, db) of each direction
    """
    backward, caches, H = cache
    dX_f, _, *grads_f = backward(dout[:, :, :H], caches[0])
    dX_b, _, *grads_b = backward(dout[:, ::-1, H:], caches[1])
    return dX_f + dX_b[:, ::-1], tuple(grads_f), tuple(grads_b)
