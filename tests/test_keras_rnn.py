"""course.keras_rnn: recurrent weights between course.nn and Keras, IMDB through Keras' loader, the text models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course import keras_rnn
from course.data import DataError
from course.nn import recurrent

G = {"rnn": 1, "lstm": 4, "gru": 3}


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("tensorflow")
    return keras_rnn.load_keras()


def close(a, b, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def cell_weights(cell, D, H, seed):
    g = np.random.default_rng(seed)
    return (g.normal(scale=0.5, size=(D, G[cell] * H)), g.normal(scale=0.5, size=(H, G[cell] * H)),
            g.normal(scale=0.5, size=G[cell] * H))


@pytest.mark.parametrize("cell", keras_rnn.CELLS)
def test_course_nn_weights_in_keras_give_the_same_states(keras, cell):
    """With course.nn's weights copied in, does the Keras layer return course.nn's states (float64, 1e-12)?"""
    X = np.random.default_rng(1).normal(size=(4, 7, 3))
    Wx, Wh, b = cell_weights(cell, 3, 5, 2)
    layer = keras_rnn.keras_recurrent(cell, 5, return_sequences=True, dtype="float64")
    model = keras.Sequential([keras.Input((7, 3), dtype="float64"), layer])
    layer.set_weights(keras_rnn.recurrent_weights_to_keras(cell, Wx, Wh, b))
    close(model(X), recurrent.CELLS[cell][0](X, np.zeros((4, 5)), Wx, Wh, b)[0])


def test_bidirectional_keras_matches_bidirectional_forward(keras):
    """Does Keras' Bidirectional(GRU) with both directions' weights return course.nn's bidirectional states?"""
    X = np.random.default_rng(3).normal(size=(3, 6, 2))
    fwd, bwd = cell_weights("gru", 2, 4, 4), cell_weights("gru", 2, 4, 5)
    bi = keras.layers.Bidirectional(keras_rnn.keras_recurrent("gru", 4, return_sequences=True, dtype="float64"),
                                    dtype="float64")
    model = keras.Sequential([keras.Input((6, 2), dtype="float64"), bi])
    to_keras = keras_rnn.recurrent_weights_to_keras
    bi.set_weights(to_keras("gru", *fwd) + to_keras("gru", *bwd))
    close(model(X), recurrent.bidirectional_forward(X, "gru", fwd, bwd)[0])


@pytest.mark.parametrize("cell, bidirectional", [(c, False) for c in keras_rnn.CELLS] + [("lstm", True), ("gru", True)])
def test_trained_keras_classifier_read_back_by_course_nn(keras, cell, bidirectional):
    """After a few Adam steps in Keras (biases no longer zero), do course.nn's scores from the weights equal Keras'?"""
    g = np.random.default_rng(6)
    X, y = g.random((64, 28, 28)), g.integers(0, 10, 64)
    keras.utils.set_random_seed(0)
    model = keras_rnn.rnn_classifier(cell, 6, bidirectional=bidirectional, dtype="float64")
    keras_rnn.compile_classifier(model)
    model.fit(X, y, batch_size=16, epochs=1, verbose=0)
    close(keras_rnn.numpy_rnn_scores(model, cell, X[:8]), model(X[:8]), rtol=1e-10, atol=1e-10)
    if cell == "gru":   # the constraint kept the recurrent candidate bias at zero, the rest of the bias moved
        bias = model.get_layer("recurrent").get_weights()[2]
        assert np.all(bias[1, 12:] == 0) and np.any(bias[1, :12] != 0)


def test_gru_bias_folds_and_a_candidate_bias_is_refused():
    """Are the GRU's recurrent z, r biases folded into b, and is a recurrent candidate bias refused with the reason?"""
    bias = np.arange(18.0).reshape(2, 9)
    bias[1, 6:] = 0
    Wx, Wh, b = keras_rnn.keras_weights_to_recurrent("gru", [np.zeros((2, 9)), np.zeros((3, 9)), bias])
    close(b, [9, 11, 13, 15, 17, 19, 6, 7, 8])
    bias[1, 8] = 0.5
    with pytest.raises(ValueError, match="recurrent bias on its candidate"):
        keras_rnn.keras_weights_to_recurrent("gru", [Wx, Wh, bias])
    with pytest.raises(ValueError, match="reset_after=True"):
        keras_rnn.keras_weights_to_recurrent("gru", [Wx, Wh, b])
    with pytest.raises(ValueError, match="unknown cell"):
        keras_rnn.recurrent_weights_to_keras("cnn", Wx, Wh, b)
    with pytest.raises(ValueError, match=r"Wx \(D, 4H\)"):
        keras_rnn.recurrent_weights_to_keras("lstm", Wx, Wh, b)


def test_pad_and_truncate_is_keras_pad_sequences(keras):
    """Does pad_and_truncate equal keras.utils.pad_sequences for every padding/truncating, and refuse bad options?"""
    seqs = [list(np.random.default_rng(n).integers(1, 90, size=n)) for n in (0, 2, 5, 11, 23)]
    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            ours = keras_rnn.pad_and_truncate(seqs, 8, padding, truncating, value=7)
            assert ours.dtype == np.int32
            close(ours, keras.utils.pad_sequences(seqs, maxlen=8, padding=padding, truncating=truncating, value=7))
    for bad in ({"padding": "both"}, {"truncating": "middle"}):
        with pytest.raises(ValueError, match="'pre' or 'post'"):
            keras_rnn.pad_and_truncate(seqs, 8, **bad)
    for maxlen in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="maxlen must be a positive integer"):
            keras_rnn.pad_and_truncate(seqs, maxlen)


# --- IMDB through keras.datasets.imdb, offline ---------------------------------------------------

WORDS = ["the", "and", "a", "great", "awful", "film", "plot", "actor", "boring", "loved", "music", "ending"]


@pytest.fixture
def imdb_cache(keras, tmp_path, monkeypatch):
    """A small IMDB in the loader's own format, in a Keras home of its own; every download fails the test.

    Keras checks a cached imdb.npz against the real file's SHA-256 (and the word index against its MD5)
    and downloads again on a mismatch: for this fixture, and only for its files, the check passes.
    """
    from keras.src.backend import config
    from keras.src.utils import file_utils

    g = np.random.default_rng(0)

    def reviews(n):   # word ranks 1..12 (1 = "the"), of lengths 3..30, as the object arrays of imdb.npz
        return np.array([list(map(int, g.integers(1, 13, size=g.integers(3, 31)))) for _ in range(n)], dtype=object)

    home = tmp_path / "keras-home"
    datasets = home / "datasets"
    datasets.mkdir(parents=True)
    np.savez(datasets / "imdb.npz", x_train=reviews(40), y_train=g.integers(0, 2, 40), x_test=reviews(30),
             y_test=g.integers(0, 2, 30))
    (datasets / "imdb_word_index.json").write_text(json.dumps({w: i + 1 for i, w in enumerate(WORDS)}))
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    real_validate = file_utils.validate_file
    monkeypatch.setattr(file_utils, "validate_file",
                        lambda fpath, *a, **k: str(fpath).startswith(str(datasets)) or real_validate(fpath, *a, **k))

    def no_network(url, *args, **kwargs):
        raise AssertionError(f"the test tried to download {url}")

    monkeypatch.setattr(file_utils, "urlretrieve", no_network)
    return datasets


def test_load_imdb_reads_keras_cache_with_the_lessons_parameters(keras, imdb_cache):
    """Does load_imdb read imdb.npz through keras.datasets.imdb (no network) with num_words, skip_top and maxlen?"""
    data = keras_rnn.load_imdb(num_words=10, skip_top=5, maxlen=12)
    assert data.is_imdb and "imdb.npz" in data.source
    assert data.X_train.shape == (40, 12) and data.X_test.shape == (30, 12) and data.X_train.dtype == np.int32
    ids = data.X_train[data.X_train != 0]
    assert set(ids.tolist()) <= {keras_rnn.OOV} | set(range(5, 10))      # below skip_top or from num_words on: 2
    (x_train, y_train), _ = keras.datasets.imdb.load_data(num_words=10, skip_top=5)
    assert sorted(map(tuple, data.X_train)) == sorted(map(tuple, keras_rnn.pad_and_truncate(list(x_train), 12)))
    assert sorted(data.y_train.tolist()) == sorted(y_train.tolist())
    assert sorted(data.lengths_train.tolist()) == sorted(len(x) for x in x_train)
    assert data.decode([0, 1, 4, 9, 2]) == "<start> the film <unk>"       # id = rank + 3
    assert len(data.raw_sample) == 30 and max(map(max, data.raw_sample)) <= 12 + 3
    assert keras_rnn.load_text_data(num_words=10, maxlen=12).is_imdb


def test_restrict_vocabulary_is_the_loaders_rule(keras, imdb_cache):
    """Does restrict_vocabulary turn load_data()'s full ids into exactly load_data(num_words, skip_top)'s?"""
    (full, _), (full_test, _) = keras.datasets.imdb.load_data()
    (cut, _), (cut_test, _) = keras.datasets.imdb.load_data(num_words=9, skip_top=6)
    assert keras_rnn.restrict_vocabulary(list(full), 9, 6) == [list(x) for x in cut]
    assert keras_rnn.restrict_vocabulary(list(full_test), 9, 6) == [list(x) for x in cut_test]


def test_without_imdb_the_austen_stand_in_is_loaded_and_said(keras, tmp_path, monkeypatch):
    """Without a cached imdb.npz, does load_imdb refuse without downloading, and load_text_data say it uses Austen?"""
    from keras.src.backend import config
    from keras.src.utils import file_utils

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(file_utils, "urlretrieve", lambda url, *a, **k: pytest.fail(f"downloaded {url}"))
    with pytest.raises(DataError, match=r"imdb\.npz not found.*download=True"):
        keras_rnn.load_imdb()
    data = keras_rnn.load_text_data(num_words=500, skip_top=3, maxlen=30, num_train=300, num_test=200)
    assert not data.is_imdb and data.note.startswith("IMDB is not available here")
    assert data.class_names == ("early novel", "late novel")
    assert data.X_train.shape == (300, 30) and data.X_test.shape == (200, 30)
    assert data.X_train.max() < 500 and not np.isin(data.X_train, [1]).any()    # skip_top=3 hides the start mark
    assert 0.3 < data.y_train.mean() < 0.7 and 0.3 < data.y_test.mean() < 0.7    # both classes, shuffled
    assert data.decode(keras_rnn.pad_and_truncate([data.raw_sample[0]], 5)[0]).split()[0] != "#"


def test_parameters_are_checked_with_the_fix(keras):
    """Do bad num_words, skip_top or maxlen raise a ValueError that names the parameter and its range?"""
    for kwargs, match in (({"num_words": 3}, "num_words must be an integer above 3"),
                          ({"skip_top": 10_000}, "skip_top must be an integer in 0..num_words - 1"),
                          ({"maxlen": 0}, "maxlen must be a positive integer")):
        with pytest.raises(ValueError, match=match):
            keras_rnn.load_austen_texts(**kwargs)
        with pytest.raises(ValueError, match=match):
            keras_rnn.load_imdb(**kwargs)


def test_text_models_parameters_training_and_pooling(keras):
    """Do the text models have their parameters by hand, train to a table, and show what the max pooling picked?"""
    conv = keras_rnn.conv1d_text_classifier(1_000, 40, embedding_dim=8, filters=12, kernel_size=5)
    assert conv.count_params() == 1_000 * 8 + (5 * 8 + 1) * 12 + (12 + 1) * 2
    lstm = keras_rnn.lstm_text_classifier(1_000, 40, embedding_dim=8, units=6, bidirectional=True)
    assert lstm.count_params() == 1_000 * 8 + 2 * 4 * ((8 + 6) * 6 + 6) + (12 + 1) * 2
    g = np.random.default_rng(7)
    X, y = g.integers(0, 1_000, size=(80, 40)).astype(np.int32), g.integers(0, 2, 80)
    table, models, _ = keras_rnn.train_table({"conv": lambda: keras_rnn.conv1d_text_classifier(1_000, 40)},
                                             X[:60], y[:60], X[60:], y[60:], num_epochs=1, batch_size=20)
    assert list(table.index) == ["conv"] and table.loc["conv", "parameters"] == 330_434 - 9_000 * 32
    assert 0 <= table.loc["conv", "test accuracy"] <= 1 and table.loc["conv", "s / epoch"] > 0
    acts, evidence = keras_rnn.conv1d_position_scores(models["conv"], X[60])
    assert acts.shape == (36, 64) and evidence.shape == (64,) and (acts >= 0).all()
    W = models["conv"].get_layer("scores").get_weights()[0]
    close(evidence, acts.max(axis=0) * (W[:, 1] - W[:, 0]), rtol=1e-6, atol=1e-7)
