"""Lesson 14's course code: the three tasks, the networks at one budget, the metrics, the experiment lab.

The lab is driven the way a student drives it, through its widgets' values and button clicks, on
small synthetic tasks of the real shapes (so that each training takes a second); the real data sets
are checked separately (their sizes, splits and the absence of leaks between the splits).
"""

from __future__ import annotations

import numpy as np
import pytest

from course.lab import metrics as M
from course.lab.models import (ARCHITECTURES, BUDGETS, SIZES, TOLERANCE, build_model, param_count, size_for_budget,
                               sizes_for_budget, trainable_params)
from course.tasks import Task, bag_of_words

keras = pytest.importorskip("keras")


def tiny_task(name="tabular", n=48, seed=0):
    """A synthetic task with the real inputs of ``name``: learnable (the label is in the inputs)."""
    g = np.random.default_rng(seed)
    if name == "tabular":
        X = g.normal(size=(3 * n, 30)).astype(np.float32)
        y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
        classes = ("malignant", "benign")
    elif name == "image":
        y = g.integers(0, 10, size=3 * n)
        X = (g.random((3 * n, 28, 28)) * 0.1).astype(np.float32)
        X[np.arange(3 * n), y, :] = 1.0                       # the label's row is lit
        classes = tuple(f"class {k}" for k in range(10))
    else:
        y = g.integers(0, 6, size=3 * n)
        X = g.integers(2, 2_000, size=(3 * n, 40)).astype(np.int32)
        X[:, 0] = 2 + y                                        # the first word gives the novel away
        classes = tuple(f"novel {k}" for k in range(6))
    vocab = [f"w{k}" for k in range(1_998)] if name == "sequence" else None
    parts = [slice(0, n), slice(n, 2 * n), slice(2 * n, 3 * n)]
    arrays = [a for part in parts for a in (X[part], y[part])]
    return Task(name, f"tiny {name}", *arrays, classes, "synthetic (tests)", vocab=vocab)


# -- the networks and their budgets ---------------------------------------------------------------

@pytest.mark.parametrize("task", list(ARCHITECTURES))
def test_every_network_is_within_ten_percent_of_its_task_budget(task):
    """Are the MLP, the CNN, the LSTM and the extra network of each task within 10% of one budget, counted by Keras?"""
    sizes = sizes_for_budget(task)
    assert list(sizes) == list(ARCHITECTURES[task]) and len(sizes) == 4
    for arch, size in sizes.items():
        model = build_model(task, arch, size)
        count = trainable_params(model)
        assert abs(count - BUDGETS[task]) <= TOLERANCE * BUDGETS[task], (task, arch, count)
        assert any(isinstance(layer, keras.layers.Dropout) for layer in model.layers), f"{task} {arch} has no dropout"


@pytest.mark.parametrize("task", list(ARCHITECTURES))
def test_parameters_counted_by_hand_match_keras(task):
    """Does param_count (the layer formulas) give Keras' number of trainable parameters for small and budget sizes?"""
    for arch, size in sizes_for_budget(task).items():
        for s in (1, 5, size):
            assert param_count(task, arch, s) == trainable_params(build_model(task, arch, s)), (task, arch, s)


def test_networks_read_their_task_inputs_and_output_logits():
    """Does every network take its task's inputs as they are and return (N, K) scores?"""
    for name in ARCHITECTURES:
        task = tiny_task(name, n=4)
        for arch in ARCHITECTURES[name]:
            out = build_model(name, arch, 3).predict(task.X_train, verbose=0)
            assert out.shape == (4, task.num_classes), (name, arch)


def test_size_for_budget_picks_the_closest_and_refuses_a_far_budget():
    """Does size_for_budget return the closest size, the first of a tie, and raise when nothing is within 10%?"""
    assert size_for_budget(lambda s: 10 * s, 1_000, SIZES) == 100
    assert size_for_budget(lambda s: 10 * s, 1_004, range(99, 102)) == 100
    assert size_for_budget(lambda s: 10 * s, 1_005, range(99, 102)) == 100        # a tie: the first
    assert size_for_budget(lambda s: 100 * s, 1_050, [10, 11, 12], tolerance=0.1) == 10
    with pytest.raises(ValueError, match="closest, 3, has 30"):
        size_for_budget(lambda s: 10 * s, 1_000, [1, 2, 3])


# -- the metrics, against scikit-learn ------------------------------------------------------------

def test_precision_recall_f1_match_scikit_learn():
    """Do the per-class precision, recall and F1 equal scikit-learn's (zero_division=0), absent classes included?"""
    from sklearn.metrics import precision_recall_fscore_support

    g = np.random.default_rng(1)
    for n, K in ((30, 3), (7, 5), (100, 2)):
        y_true, y_pred = g.integers(0, K, n), g.integers(0, K, n)
        ours = M.precision_recall_f1(y_true, y_pred, K)
        theirs = precision_recall_fscore_support(y_true, y_pred, labels=range(K), zero_division=0)[:3]
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_average_precision_matches_scikit_learn_with_ties():
    """Does average_precision equal scikit-learn's average_precision_score, with tied scores too?"""
    from sklearn.metrics import average_precision_score

    g = np.random.default_rng(2)
    for trial in range(50):
        y = g.integers(0, 2, size=25)
        y[0] = 1
        scores = g.integers(0, 4, size=25).astype(float) if trial % 2 else g.normal(size=25)
        assert M.average_precision(y, scores) == pytest.approx(average_precision_score(y, scores), abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        M.average_precision([0, 0], [0.1, 0.2])


def test_compute_metrics_are_macro_averages():
    """Are precision, recall, F1 and AUC-PR of compute_metrics scikit-learn's macro averages?"""
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

    g = np.random.default_rng(3)
    P = g.dirichlet(np.ones(4), size=60)
    y = g.integers(0, 4, size=60)
    out = M.compute_metrics(y, P)
    pred = P.argmax(1)
    assert out["accuracy"] == pytest.approx(np.mean(pred == y))
    assert out["precision"] == pytest.approx(precision_score(y, pred, average="macro", zero_division=0))
    assert out["recall"] == pytest.approx(recall_score(y, pred, average="macro", zero_division=0))
    assert out["F1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    Y = np.eye(4)[y]
    assert out["AUC-PR"] == pytest.approx(average_precision_score(Y, P, average="macro"))
    with pytest.raises(KeyError, match="choose from"):
        M.compute_metrics(y, P, ["accuracy", "ROC"])


def test_bag_of_words_matches_keras_category_encoding():
    """Are bag_of_words' counts Keras' CategoryEncoding(output_mode='count'), the sequence MLP's first layer?"""
    tokens = np.random.default_rng(4).integers(0, 50, size=(6, 40))
    expected = keras.layers.CategoryEncoding(num_tokens=50, output_mode="count")(tokens)
    np.testing.assert_array_equal(bag_of_words(tokens, 50), np.asarray(expected))
    with pytest.raises(ValueError, match="0..49"):
        bag_of_words(tokens + 1, 50)


# -- the real data sets -----------------------------------------------------------------------------

def test_breast_cancer_task_is_stratified_and_standardised_on_training_data():
    """Is the tabular task 569 tumours split 60/20/20 by class, standardised with the training statistics only?"""
    from course.tasks import load_breast_cancer_task

    task = load_breast_cancer_task()
    assert sum(task.sizes().values()) == 569 and task.input_shape == (30,)
    for y in (task.y_train, task.y_val, task.y_test):
        assert abs(np.mean(y == 0) - 212 / 569) < 0.02
    np.testing.assert_allclose(task.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(task.X_train.std(axis=0), 1, atol=1e-4)
    assert np.abs(task.X_test.mean(axis=0)).max() > 1e-3            # the test set was not standardised on itself


def test_a_changed_breast_cancer_file_is_a_data_error(monkeypatch):
    """Does a breast cancer table that differs from the published one (a value changed) raise a DataError naming it?"""
    import sklearn.datasets

    from course.data import DataError
    from course.tasks import load_breast_cancer_task

    original = sklearn.datasets.load_breast_cancer

    def altered():
        data = original()
        data.data[100, 3] += 1.0
        return data

    monkeypatch.setattr(sklearn.datasets, "load_breast_cancer", altered)
    with pytest.raises(DataError, match="breast_cancer.csv.*SHA-256"):
        load_breast_cancer_task()


def test_block_split_keeps_each_block_of_consecutive_passages_together():
    """Does block_split give all the passages of a block one part (neighbours never split), 60/20/20 of the blocks?"""
    from course.tasks import block_split

    counts = [25, 13, 40]
    part = block_split(counts, block=10, seed=3)
    assert part.shape == (78,)
    for start, n in zip(np.r_[0, np.cumsum(counts)[:-1]], counts):
        for b in range(0, n, 10):
            assert len(set(part[start + b:start + min(b + 10, n)])) == 1, (start, b)
    many = block_split([1_000] * 6, block=10, seed=0).reshape(600, 10)
    assert (many == many[:, :1]).all()
    np.testing.assert_allclose(np.bincount(many[:, 0]) / 600, [0.6, 0.2, 0.2])


def test_austen_task_splits_by_blocks_without_shared_passages():
    """Does the sequence task hold six novels' 40-word passages, split by blocks, with no passage in two splits?"""
    from course.data import DataError
    from course.tasks import load_austen_task

    try:
        task = load_austen_task(num_train=3_000)
    except DataError as error:
        pytest.skip(str(error))
    assert task.input_shape == (40,) and task.num_classes == 6 and task.X_train.dtype == np.int32
    assert task.X_train.min() >= 0 and task.X_train.max() < 2_000 and len(task.vocab) == 1_998
    train = {row.tobytes() for row in task.X_train}
    assert not any(row.tobytes() in train for row in task.X_test)
    assert set(np.unique(task.y_test)) == set(range(6))
    assert "<pad>" not in task.decode(task.X_test[0]) and len(task.decode(task.X_test[0]).split()) == 40


# -- the lab, driven through its widgets -----------------------------------------------------------------

@pytest.fixture
def lab(tmp_path):
    from course.lab.app import Lab

    tasks = {"tabular": tiny_task("tabular"), "image": lambda: tiny_task("image", n=24)}
    return Lab(tasks, tmp_path / "weights", num_epochs=2, batch_size=16, max_metric_examples=32)


def log_text(lab):
    return "\n".join(lab.log_lines)


def test_lab_trains_the_active_networks_with_progress_and_curves(lab):
    """Does Train train only the ticked networks, fill their progress bars, log each epoch, draw each chosen curve?"""
    lab.active["tabular"]["CNN"].value = False
    lab.active["tabular"]["MLP + batch norm"].value = False
    lab.train_metrics["F1"].value = True                     # training: accuracy (ticked already) and F1
    lab.val_metrics["accuracy"].value = lab.val_metrics["F1"].value = False
    lab.val_metrics["AUC-PR"].value = True                   # validation: AUC-PR only
    lab.train_button.click()
    trained = {a for (t, a), s in lab.slots.items() if s.model is not None}
    assert trained == {"MLP", "LSTM"}
    for arch in ("MLP", "LSTM"):
        slot, bar = lab.slots["tabular", arch], lab.progress["tabular"][arch]
        assert slot.epochs == 2 and slot.unsaved and bar.value == bar.max == 2 * 3
        assert len(slot.history["val AUC-PR"]) == 2 and len(slot.history["train F1"]) == 2
    assert lab.progress["tabular"]["CNN"].value == 0
    fig = lab.figures["curves"]
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "F1", "AUC-PR"]
    assert len(fig.axes[0].lines) == 4                       # two networks, training and validation loss
    assert len(fig.axes[3].lines) == 2                       # AUC-PR: validation only, two networks
    assert "tabular LSTM: epoch 2" in log_text(lab)
    lab.train_button.click()                                 # Train again continues the same weights
    assert lab.slots["tabular", "MLP"].history["epoch"] == [1, 2, 3, 4]


def test_lab_tests_and_draws_confusion_matrices(lab):
    """Does Test compute the test metrics and one confusion matrix (counting every test example) per trained network?"""
    lab.test_button.click()
    assert "nothing to test" in log_text(lab)
    for arch in ("CNN", "LSTM", "MLP + batch norm"):
        lab.active["tabular"][arch].value = False
    lab.train_button.click()
    lab.test_button.click()
    result = lab.slots["tabular", "MLP"].last_test
    assert result["confusion"].shape == (2, 2) and result["confusion"].sum() == 48
    assert set(M.METRICS) <= set(result)
    assert len(lab.figures["confusion"].axes) == 1
    assert "tabular MLP: test (48 examples): accuracy" in log_text(lab)


def test_lab_saves_loads_and_asks_before_overwriting(lab, tmp_path):
    """Does Save write each network's weights, ask (Yes/No) before replacing them, and Load bring them back?"""
    from course.lab.app import weights_file

    lab.active["tabular"]["CNN"].value = lab.active["tabular"]["LSTM"].value = False
    lab.active["tabular"]["MLP + batch norm"].value = False
    lab.train_button.click()
    slot = lab.slots["tabular", "MLP"]
    lab.save_button.click()
    path = weights_file(tmp_path / "weights", "tabular", "MLP")
    assert path.is_file() and not slot.unsaved and lab.pending is None
    saved = [w.copy() for w in slot.model.get_weights()]
    stamp = path.stat().st_mtime_ns

    lab.train_button.click()                                  # new weights, not saved
    assert slot.unsaved
    lab.save_button.click()                                   # the file exists: a question, nothing written
    assert lab.pending and "Replace 1 saved file" in lab.pending and lab.confirm_row.layout.display == "flex"
    assert path.stat().st_mtime_ns == stamp
    lab.no_button.click()
    assert lab.pending is None and lab.confirm_row.layout.display == "none" and path.stat().st_mtime_ns == stamp

    lab.load_button.click()                                   # would discard the unsaved training: asks
    assert lab.pending and "Load saved weights over MLP" in lab.pending
    lab.yes_button.click()
    for a, b in zip(slot.model.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
    assert not slot.unsaved and slot.epochs == 0

    lab.train_button.click()
    lab.save_button.click()
    lab.yes_button.click()                                    # now replaced
    assert path.stat().st_mtime_ns != stamp and not slot.unsaved
    lab.yes_button.click()
    assert "nothing to confirm" in log_text(lab)


def test_lab_load_into_a_fresh_lab_and_a_missing_file(lab, tmp_path):
    """Does a new lab load weights saved by another (same predictions), and say so when a network has no file?"""
    from course.lab.app import Lab

    lab.train_button.click()
    lab.save_button.click()
    other = Lab({"tabular": tiny_task("tabular")}, tmp_path / "weights", num_epochs=1)
    other.load_button.click()
    assert other.pending is None                              # nothing trained there: nothing to lose
    X = lab.task().X_test
    for arch in ARCHITECTURES["tabular"]:
        np.testing.assert_allclose(other.slots["tabular", arch].model.predict(X, verbose=0),
                                   lab.slots["tabular", arch].model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    empty = Lab({"tabular": tiny_task("tabular")}, tmp_path / "elsewhere")
    empty.load_button.click()
    assert "no saved weights at" in log_text(empty) and all(s.model is None for s in empty.slots.values())


def test_lab_reset_asks_when_it_would_discard_training(lab):
    """Does Reset ask first when the networks hold unsaved training, and give new untrained networks on Yes?"""
    for arch in ("CNN", "LSTM", "MLP + batch norm"):
        lab.active["tabular"][arch].value = False
    lab.train_button.click()
    lab.reset_button.click()
    assert lab.pending and "Reset MLP" in lab.pending
    lab.no_button.click()
    assert lab.slots["tabular", "MLP"].epochs == 2
    lab.reset_button.click()
    lab.yes_button.click()
    assert lab.slots["tabular", "MLP"].epochs == 0 and lab.progress["tabular"]["MLP"].value == 0


def test_lab_switches_data_set_and_keeps_each_ones_networks(lab):
    """Does choosing another data set load it once, show its networks, and keep the first one's trained networks?"""
    lab.active["tabular"]["CNN"].value = lab.active["tabular"]["LSTM"].value = False
    lab.active["tabular"]["MLP + batch norm"].value = False
    lab.train_button.click()
    lab.dataset.value = "image"
    assert [box.description for box in lab.models_box.children] == list(ARCHITECTURES["image"])
    assert lab.figures["curves"] is None                      # nothing trained on images yet
    for arch in ("MLP", "LSTM", "CNN + batch norm"):
        lab.active["image"][arch].value = False
    lab.epochs.value = 1
    lab.train_button.click()
    assert lab.slots["image", "CNN"].epochs == 1 and lab.task().num_classes == 10
    lab.dataset.value = "tabular"
    assert lab.slots["tabular", "MLP"].epochs == 2 and lab.figures["curves"] is not None
    assert log_text(lab).count("loading the image data set") == 1


def test_lab_log_clear_and_save_ask_before_losing_lines(lab, tmp_path):
    """Do Clear log and Save log ask before losing unsaved lines or replacing the log file?"""
    from course.lab.app import LOG_NAME

    lab.clear_log_button.click()
    assert lab.pending and "lines were not saved" in lab.pending
    lab.no_button.click()
    lab.save_log_button.click()
    path = tmp_path / "weights" / LOG_NAME
    assert path.is_file() and "lab ready" in path.read_text()
    lab.clear_log_button.click()                              # everything saved: no question
    assert lab.pending is None and lab.log_lines[-1].endswith("log cleared") and len(lab.log_lines) == 1
    lab.save_log_button.click()
    assert lab.pending and "Replace the log file" in lab.pending
    lab.yes_button.click()
    assert path.read_text().splitlines()[0].endswith("log cleared")


def test_lab_reports_errors_in_its_log_instead_of_raising(lab):
    """Does a failing action (an unknown metric forced into a control) end up in the log, not as an exception?"""
    lab.active["tabular"]["CNN"].value = lab.active["tabular"]["LSTM"].value = False
    lab.active["tabular"]["MLP + batch norm"].value = False
    lab.folder.value = "/proc/forbidden-folder"
    lab.train_button.click()
    lab.save_button.click()
    assert "error:" in log_text(lab)
    for box in lab.active["tabular"].values():
        box.value = False
    lab.train_button.click()
    assert "no network is active" in log_text(lab)


# -- the student's functions in place of the lab's (functions=...) ---------------------------------------

def test_param_count_and_sizes_for_budget_call_the_functions_passed():
    """Do param_count and sizes_for_budget count and size with the functions passed, not the lab's own?"""
    from course.lab.models import conv_params, dense_params, lstm_params

    same = {"dense_params": lambda d, m: dense_params(d, m), "conv_params": lambda k, c, f: conv_params(k, c, f),
            "lstm_params": lambda d, h: lstm_params(d, h)}
    for task in ARCHITECTURES:
        assert sizes_for_budget(task, functions=same) == sizes_for_budget(task)
    no_bias = {"dense_params": lambda d, m: d * m}                  # a wrong count: the biases forgotten
    assert param_count("tabular", "MLP", 10, functions=no_bias) == 30 * 10 + 10 * 10 + 10 * 2
    assert param_count("tabular", "MLP", 10, functions=no_bias) != param_count("tabular", "MLP", 10)
    assert param_count("image", "CNN", 4, functions={"conv_params": lambda k, c, f: 0}) == 7 * 7 * 8 * 10 + 10
    assert param_count("image", "LSTM", 5, functions={"lstm_params": lambda d, h: 1}) == 1 + 5 * 10 + 10
    calls = []

    def first_size(count, budget, sizes, tolerance=0.1):
        calls.append((count(3), budget, tolerance))
        return 3
    assert sizes_for_budget("tabular", functions={**no_bias, "size_for_budget": first_size}) == dict.fromkeys(
        ARCHITECTURES["tabular"], 3)
    assert len(calls) == 4 and calls[0] == (30 * 3 + 3 * 3 + 3 * 2, BUDGETS["tabular"], TOLERANCE)


def test_compute_metrics_calls_the_functions_passed():
    """Do compute_metrics' precision, recall, F1 and AUC-PR come from the functions passed when there are some?"""
    g = np.random.default_rng(5)
    P, y = g.dirichlet(np.ones(3), size=40), g.integers(0, 3, size=40)
    same = {"precision_recall_f1": lambda *a: M.precision_recall_f1(*a),
            "average_precision": lambda *a: M.average_precision(*a)}
    assert M.compute_metrics(y, P, functions=same) == M.compute_metrics(y, P)
    wrong = {"precision_recall_f1": lambda y_true, y_pred, K: (np.full(K, 0.1), np.full(K, 0.2), np.full(K, 0.3)),
             "average_precision": lambda y_true, scores: 0.25}
    out = M.compute_metrics(y, P, functions=wrong)
    assert (out["precision"], out["recall"], out["F1"], out["AUC-PR"]) == pytest.approx((0.1, 0.2, 0.3, 0.25))
    assert out["accuracy"] == M.compute_metrics(y, P)["accuracy"]


WRONG_METRICS = {"precision_recall_f1": lambda y_true, y_pred, K: (np.zeros(K), np.zeros(K), np.full(K, 0.125)),
                 "average_precision": lambda y_true, scores: 0.375}


def test_run_experiment_sizes_and_scores_with_the_functions_passed():
    """Does run_experiment build each network at the size the given size_for_budget picks and test it with the
    given metrics?"""
    from course.lab.training import run_experiment

    mine = {**WRONG_METRICS, "size_for_budget": lambda count, budget, sizes, tolerance=0.1: 3}
    rows, models = run_experiment({"tabular": tiny_task("tabular")}, {"tabular": {"num_epochs": 1, "batch_size": 16}},
                                  architectures={"tabular": ("MLP",)}, functions=mine)
    assert rows[0]["size"] == 3 and rows[0]["parameters"] == param_count("tabular", "MLP", 3)
    assert rows[0]["test F1"] == 0.125 and rows[0]["test AUC-PR"] == 0.375


def test_lab_sizes_trains_and_tests_with_the_functions_passed(tmp_path):
    """Does the lab size its networks, follow their metrics and test them with the functions it was given?"""
    from course.lab.app import Lab

    mine = {**WRONG_METRICS, "size_for_budget": lambda count, budget, sizes, tolerance=0.1: 4}
    lab = Lab({"tabular": tiny_task("tabular")}, tmp_path, num_epochs=1, batch_size=16, functions=mine)
    for arch in ("CNN", "LSTM", "MLP + batch norm"):
        lab.active["tabular"][arch].value = False
    lab.train_button.click()
    lab.test_button.click()
    slot = lab.slots["tabular", "MLP"]
    assert trainable_params(slot.model) == param_count("tabular", "MLP", 4)
    assert slot.history["val F1"] == [0.125] and slot.history["train AUC-PR"] == [0.375]
    assert slot.last_test["F1"] == 0.125 and slot.last_test["AUC-PR"] == 0.375 and "error" not in log_text(lab)


def test_an_unknown_function_name_is_a_value_error_naming_it_and_the_accepted_ones(tmp_path):
    """Is a name the lab does not know (or a value that is not a function) refused at once, saying what is accepted?"""
    from course.lab.app import Lab
    from course.lab.functions import REPLACEABLE
    from course.lab.training import run_experiment

    typo = {"dense": lambda d, m: d * m + m}
    accepted = "'dense'; the lab accepts " + ", ".join(REPLACEABLE)
    calls = [lambda: param_count("tabular", "MLP", 3, functions=typo),
             lambda: sizes_for_budget("tabular", functions=typo),
             lambda: M.compute_metrics([0, 1], np.eye(2), functions=typo),
             lambda: run_experiment({"tabular": tiny_task("tabular")}, functions=typo),
             lambda: Lab({"tabular": tiny_task("tabular")}, tmp_path, functions=typo)]
    for call in calls:
        with pytest.raises(ValueError) as error:
            call()
        assert accepted in str(error.value)
    with pytest.raises(TypeError, match="'average_precision'.*function"):
        M.compute_metrics([0, 1], np.eye(2), functions={"average_precision": 0.5})
