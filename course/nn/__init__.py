"""``course.nn``: the course's one small network library, grown lesson by lesson.

Where things go (one idea per module; every layer follows one contract,
``out, cache = X_forward(...)`` and ``grads = X_backward(dout, cache)``):

    functional.py   softmax, log_softmax, sigmoid (lessons 01, 02): written once, used everywhere
    dense.py        dense_forward / dense_backward (lessons 02, 06)
    activations.py  ReLU, leaky ReLU, ELU, tanh, sigmoid as layers; pick one by name (lessons 02, 06)
    dropout.py      inverted dropout (lesson 08)
    conv.py         convolution: naive loops, im2col / col2im, the fast row-shift version (lesson 09)
    pool.py         2 x 2 max pooling, the gradient to one maximum per window (lesson 09)
    reshape.py      flatten (and reshape) between feature maps and dense layers (lesson 09)
    batchnorm.py    batch normalization, training and inference statistics (lesson 09)
    augment.py      data augmentation: random left-right flips (lesson 09)
    recurrent.py    RNN, LSTM, GRU steps and batch-first sequences (N, T, D), bidirectional (lesson 10)
    embedding.py    embedding_forward / embedding_backward: a lookup table (lesson 10)
    init.py         the initializers and init_params (lesson 03)
    losses.py       cross_entropy (05), softmax_cross_entropy (06), l2_penalty (08), mean_squared_error (11)
    metrics.py      accuracy, confusion_matrix (lesson 05)
    optim.py        update rules sgd, sgd_momentum, adam: update(w, dw, config) -> (next_w, config) (07)
    batches.py      minibatches (lesson 07)
    model.py        layer objects, Sequential, FunctionModel, Augmented, the mlp / two_layer_net / lenet5 /
                    lstm_classifier / char_language_model presets
    train.py        split_validation and the one training loop, fit(model, data, ...)
    parallel.py     DataParallel(model, workers): each batch split across processes, gradients averaged
    schedules.py    learning-rate schedules (Constant, ExponentialDecay, StepDecay, CosineDecay)
    io.py           save_params / load_params (.npz)
    references.py   which graded notebook function each of these is the reference of

A new layer goes in a module of its own (forward, backward, and a layer object in model.py); a new
loss in losses.py; a new update rule in optim.py (and UPDATE_RULES); a lesson's exercise stays in its
notebook, with its reference here and an entry in references.py.
"""

from course.nn.model import Activation, Dense, Dropout, FunctionModel, Sequential, mlp, two_layer_net
from course.nn.schedules import Constant, CosineDecay, ExponentialDecay, StepDecay
from course.nn.train import Split, fit, split_validation

__all__ = ["Activation", "Dense", "Dropout", "FunctionModel", "Sequential", "mlp", "two_layer_net",
           "Constant", "CosineDecay", "ExponentialDecay", "StepDecay", "Split", "fit", "split_validation"]
