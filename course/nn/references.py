"""Which graded notebook function each piece of ``course.nn`` is the reference of.

(Lessons 11, 12 and 13 rebuild the models in Keras: their references live in ``course.keras_mlp``,
``course.keras_cnn`` and ``course.keras_rnn``.)

``REFERENCES[lesson][graded_function]`` is the dotted name of the library function that computes the
same thing, or None for an exercise that stays in its lesson only. Two users:

- ``tests/test_references.py`` runs every solution function and its reference on the same random
  inputs and fails when they disagree (one source of truth: change one, the test tells you);
- the grader withholds the references of the lesson being graded, so that a submission for lesson
  07 cannot ``from course.nn.optim import adam`` its way to the points (``withheld(lesson)``).
  Withholding is by name, from the submission's own code: the library keeps calling its functions
  (``fit`` still evaluates with ``softmax_cross_entropy`` while lesson 06 is graded), and a lesson's
  setup cell may import other names of the same module.

A graded function whose library counterpart has another signature is compared through an adapter
in the test (e.g. lesson 08's ``deep_loss`` against ``course.nn.model.mlp(...).loss``); its entry
names the library function the adapter calls.
"""

from __future__ import annotations

REFERENCES = {
    "01_softmax": {
        "softmax": "course.nn.functional.softmax",
        "softmax_with_temperature": None,
    },
    "02_dense_layers": {
        "dense": "course.nn.dense.dense_forward",
        "relu": "course.nn.activations.relu_forward",
        "relu_grad": None, "leaky_relu": "course.nn.activations.leaky_relu_forward",
        "leaky_relu_grad": None, "sigmoid": "course.nn.functional.sigmoid", "sigmoid_grad": None,
        "tanh": "course.nn.activations.tanh_forward", "tanh_grad": None, "lecun_tanh": None,
        "lecun_tanh_grad": None, "elu": "course.nn.activations.elu_forward", "elu_grad": None,
        "selu": None, "selu_grad": None, "softmax_jacobian": None, "dense_layer": None,
    },
    "03_initialization": {
        "zeros_init": "course.nn.init.zeros_init",
        "constant_init": "course.nn.init.constant_init",
        "normal_init": "course.nn.init.normal_init",
        "xavier_uniform": "course.nn.init.xavier_uniform",
        "xavier_normal": "course.nn.init.xavier_normal",
        "he_normal": "course.nn.init.he_normal",
        "lecun_normal": "course.nn.init.lecun_normal",
        "initialize_parameters": "course.nn.init.init_params",
        "forward_stack": None, "count_distinct_units": None,
    },
    "04_one_hot_and_forward": {
        "one_hot": None,
        "two_layer_forward": "course.nn.model.two_layer_net",
        "predict": "course.nn.model.two_layer_net",
    },
    "05_cross_entropy_and_prediction": {
        "cross_entropy": "course.nn.losses.cross_entropy",
        "training_loss": "course.nn.losses.cross_entropy",
        "accuracy": "course.nn.metrics.accuracy",
        "confusion_matrix": "course.nn.metrics.confusion_matrix",
    },
    "06_backpropagation": {
        "dense_backward": "course.nn.dense.dense_backward",
        "relu_backward": "course.nn.activations.relu_backward",
        "sigmoid_backward": "course.nn.activations.sigmoid_backward",
        "tanh_backward": "course.nn.activations.tanh_backward",
        "softmax_cross_entropy": "course.nn.losses.softmax_cross_entropy",
        "two_layer_loss": "course.nn.model.two_layer_net",
    },
    "07_optimizers": {
        "sgd": "course.nn.optim.sgd",
        "run_optimizer": None,
        "sgd_momentum": "course.nn.optim.sgd_momentum",
        "adam": "course.nn.optim.adam",
        "minibatches": "course.nn.batches.minibatches",
        "train": "course.nn.train.fit",
    },
    "08_deep_networks": {
        "init_deep": "course.nn.init.init_params",
        "dropout_forward": "course.nn.dropout.dropout_forward",
        "dropout_backward": "course.nn.dropout.dropout_backward",
        "deep_forward": "course.nn.model.mlp",
        "deep_backward": "course.nn.model.mlp",
        "l2_penalty": "course.nn.losses.l2_penalty",
        "deep_loss": "course.nn.model.mlp",
        "segment_digits": None, "to_mnist_frame": None,
    },
    "09_lenet5": {
        "conv_output_size": "course.nn.conv.conv_output_size",
        "conv_forward_naive": "course.nn.conv.conv_forward_naive",
        "conv_forward": "course.nn.conv.conv_forward",
        "conv_backward": "course.nn.conv.conv_backward",
        "maxpool_forward": "course.nn.pool.maxpool_forward",
        "maxpool_backward": "course.nn.pool.maxpool_backward",
        "flatten_forward": "course.nn.reshape.flatten_forward",
        "flatten_backward": "course.nn.reshape.flatten_backward",
        "lenet5_forward": "course.nn.model.lenet5",
        "lenet5_loss": "course.nn.model.lenet5",
        "batchnorm_forward": "course.nn.batchnorm.batchnorm_forward",
        "batchnorm_backward": "course.nn.batchnorm.batchnorm_backward",
    },
    "10_rnn": {
        "rnn_step_forward": "course.nn.recurrent.rnn_step_forward",
        "rnn_step_backward": "course.nn.recurrent.rnn_step_backward",
        "rnn_forward": "course.nn.recurrent.rnn_forward",
        "rnn_backward": "course.nn.recurrent.rnn_backward",
        "clip_gradients": None, "sigmoid": None,
        "lstm_step_forward": "course.nn.recurrent.lstm_step_forward",
        "lstm_step_backward": "course.nn.recurrent.lstm_step_backward",
        "lstm_forward": "course.nn.recurrent.lstm_forward",
        "lstm_backward": "course.nn.recurrent.lstm_backward",
        "gru_step_forward": "course.nn.recurrent.gru_step_forward",
        "gru_step_backward": "course.nn.recurrent.gru_step_backward",
        "gru_forward": "course.nn.recurrent.gru_forward",
        "gru_backward": "course.nn.recurrent.gru_backward",
        "bidirectional_forward": "course.nn.recurrent.bidirectional_forward",
        "bidirectional_backward": "course.nn.recurrent.bidirectional_backward",
        "embedding_forward": "course.nn.embedding.embedding_forward",
        "embedding_backward": "course.nn.embedding.embedding_backward",
        "lstm_classifier_scores": "course.nn.model.lstm_classifier",
        "lstm_classifier_loss": "course.nn.model.lstm_classifier",
    },
    "11_keras_mlp": {
        "count_dense_params": None,
        "build_keras_mlp": "course.keras_mlp.keras_mlp",
        "copy_weights_to_keras": "course.keras_mlp.dense_weights_to_keras",
    },
    "12_keras_lenet5": {
        "keras_lenet5": "course.keras_cnn.keras_lenet5",
        "conv_kernel_to_keras": "course.keras_cnn.conv_kernel_to_keras",
        "lenet5_weights_to_keras": "course.keras_cnn.lenet5_weights_to_keras",
        "activation_model": "course.keras_cnn.activation_model",
        "permute_pixels": "course.keras_cnn.permute_pixels",
    },
    "13_keras_rnn": {       # lesson 13's references live in course.keras_rnn
        "recurrent_weights_to_keras": "course.keras_rnn.recurrent_weights_to_keras",
        "keras_weights_to_recurrent": "course.keras_rnn.keras_weights_to_recurrent",
        "pad_and_truncate": "course.keras_rnn.pad_and_truncate",
        "conv1d_text_classifier": "course.keras_rnn.conv1d_text_classifier",
    },
    "14_which_network": {   # lesson 14's references live in course.lab (networks, metrics) and course.tasks
        "count_dense_params": "course.lab.models.dense_params",
        "count_conv_params": "course.lab.models.conv_params",
        "count_lstm_params": "course.lab.models.lstm_params",
        "size_for_budget": "course.lab.models.size_for_budget",
        "tabular_lstm": "course.lab.models.tabular_lstm",
        "bag_of_words": "course.tasks.bag_of_words",
        "precision_recall_f1": "course.lab.metrics.precision_recall_f1",
        "average_precision": "course.lab.metrics.average_precision",
    },
}

# Library functions that carry a graded function's name and do its job, but without an agreement check
# (their outputs are not compared with the solution's: e.g. the digit reader's segmentation, tuned for
# pages rather than the exercise's spec). They are withheld like references while their lesson is
# graded, and left out of a student bundle like them (autograder/bundle.py).
SAME_NAME = {
    "04_one_hot_and_forward": {   # a preset over two_layer_net, under the exercise's own name
        "two_layer_forward": "course.twolayer.two_layer_forward",
    },
    "08_deep_networks": {
        "segment_digits": "course.digitreader.segment_digits",
        "to_mnist_frame": "course.digitreader.to_mnist_frame",
    },
}


def answers(lesson):
    """{graded function: dotted library function} of everything that answers one of ``lesson``'s
    exercises: its references and its SAME_NAME functions."""
    if lesson not in REFERENCES:
        raise KeyError(f"unknown lesson {lesson!r}; known: {', '.join(REFERENCES)}")
    found = {graded: ref for graded, ref in REFERENCES[lesson].items() if ref}
    return {**found, **SAME_NAME.get(lesson, {})}


def withheld(lesson):
    """The library names a submission for ``lesson`` must not reach while it is graded.

    Returns a sorted list of dotted names: every reference of that lesson's graded functions, and its
    SAME_NAME functions.
    """
    return sorted(set(answers(lesson).values()))
