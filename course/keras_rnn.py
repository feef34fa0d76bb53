"""Recurrent networks and text in Keras next to course.nn's (lesson 13).

- :func:`recurrent_weights_to_keras`, :func:`keras_weights_to_recurrent`: a course.nn cell's
  ``(Wx, Wh, b)`` as the list a Keras ``SimpleRNN`` / ``LSTM`` / ``GRU`` layer takes, and back. The
  gate blocks are in the same order on both sides (LSTM: i, f, g, o; GRU: z, r, n), so the matrices
  copy as they are; only Keras' GRU (``reset_after=True``) has a second, *recurrent* bias (2, 3H),
  which course.nn's GRU does not have.
- :func:`rnn_classifier`, :func:`numpy_rnn_scores`: lesson 10's row-by-row classifier in Keras (any
  cell, optionally bidirectional), and the scores course.nn computes with the same weights.
- :func:`pad_and_truncate`, :func:`restrict_vocabulary`: sequences of word ids of any length as one
  (N, maxlen) array, and Keras' ``num_words`` / ``skip_top`` rule for which ids are kept.
- :func:`load_imdb` (Keras' own ``keras.datasets.imdb`` loader, downloaded once into Keras' cache),
  :func:`load_austen_texts` (the offline stand-in: paragraphs of Jane Austen, early or late novel,
  encoded the way the IMDB loader encodes reviews) and :func:`load_text_data` (IMDB when it can be
  had, else Austen, and it says which).
- :func:`conv1d_text_classifier`, :func:`lstm_text_classifier`: Embedding + Conv1D +
  GlobalMaxPooling1D, and Embedding + LSTM; :func:`train_table`: train Keras models, one row each.

``recurrent_weights_to_keras``, ``keras_weights_to_recurrent``, ``pad_and_truncate`` and
``conv1d_text_classifier`` are the references of lesson 13's exercises (``course/nn/references.py``):
the notebook has the student write its own versions and never imports these.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from course.data import DataError
from course.frameworks import load_keras
from course.keras_cnn import compile_classifier
from course.nn import recurrent

__all__ = ["CELLS", "KERAS_LAYERS", "recurrent_weights_to_keras", "keras_weights_to_recurrent", "keras_recurrent",
           "rnn_classifier", "numpy_rnn_scores", "pad_and_truncate", "restrict_vocabulary", "TextData",
           "keras_dataset_path", "load_imdb", "load_austen_texts", "load_text_data", "conv1d_text_classifier",
           "lstm_text_classifier", "train_table", "conv1d_position_scores"]

CELLS = ("rnn", "lstm", "gru")
KERAS_LAYERS = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
START, OOV, INDEX_FROM = 1, 2, 3        # keras.datasets.imdb's defaults: 0 padding, 1 start, 2 unknown word
EARLY = ("sensesensibility", "prideprejudice", "northangerabbey")   # written in the 1790s
LATE = ("mansfieldpark", "emma", "persuasion")                       # written 1811-1816


def _check_cell(cell):
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
    return recurrent.GATES[cell]


def recurrent_weights_to_keras(cell, Wx, Wh, b):
    """course.nn weights of one cell as the list ``layer.set_weights`` takes.

    Parameters
    ----------
    cell : "rnn", "lstm" or "gru";  Wx : (D, G H);  Wh : (H, G H);  b : (G H,), G gate blocks (1, 4, 3)

    Returns
    -------
    [kernel (D, G H), recurrent_kernel (H, G H), bias]: bias (G H,), or (2, 3H) for the GRU, whose
    second row (the recurrent bias of Keras' reset_after form) is zero, as course.nn's GRU assumes
    """
    G = _check_cell(cell)
    Wx, Wh, b = (np.asarray(a) for a in (Wx, Wh, b))
    H = Wh.shape[0] if Wh.ndim == 2 else -1
    if Wh.ndim != 2 or Wh.shape[1] != G * H or Wx.ndim != 2 or Wx.shape[1] != G * H or b.shape != (G * H,):
        raise ValueError(f"a {cell} cell needs Wx (D, {G}H), Wh (H, {G}H), b ({G}H,); got Wx {Wx.shape}, "
                         f"Wh {Wh.shape}, b {b.shape}")
    if cell == "gru":
        return [Wx, Wh, np.stack([b, np.zeros_like(b)])]
    return [Wx, Wh, b]


def keras_weights_to_recurrent(cell, weights):
    """The weights of a Keras SimpleRNN / LSTM / GRU(reset_after=True) layer as course.nn's (Wx, Wh, b).

    The GRU's recurrent bias of the update and reset gates only adds to their input bias, so it is
    folded in; its candidate part sits *inside* ``r * (h Wh_n + b_hn)``, which course.nn's GRU cannot
    express: a non-zero one raises ValueError.

    Parameters
    ----------
    weights : [kernel (D, G H), recurrent_kernel (H, G H), bias (G H,) or, for the GRU, (2, 3H)]

    Returns
    -------
    (Wx (D, G H), Wh (H, G H), b (G H,))
    """
    G = _check_cell(cell)
    if len(weights) != 3:
        raise ValueError(f"expected [kernel, recurrent_kernel, bias] of a {cell} layer, got {len(weights)} arrays "
                         "(a layer built with use_bias=False has no bias)")
    Wx, Wh, bias = (np.asarray(a) for a in weights)
    H = Wh.shape[0]
    if cell != "gru":
        return Wx, Wh, bias
    if bias.shape != (2, G * H):
        raise ValueError(f"a GRU's bias should be (2, {G * H}) (reset_after=True), got {bias.shape}; build the "
                         "layer with keras.layers.GRU(..., reset_after=True)")
    if np.any(bias[1, 2 * H:] != 0):
        raise ValueError("this GRU has a recurrent bias on its candidate (bias[1, 2H:] is not zero), which "
                         "course.nn's GRU does not have; train it with keras_recurrent('gru', ..., "
                         "candidate_bias=False), or compare it in Keras only")
    b = bias[0].copy()
    b[:2 * H] += bias[1, :2 * H]
    return Wx, Wh, b


_CONSTRAINTS = {}


def _zero_candidate_bias(keras):
    """A constraint that keeps the recurrent candidate bias of a GRU at zero after every update.

    Registered with Keras, because ``Bidirectional`` rebuilds its layer from the layer's config.
    """
    if "gru" not in _CONSTRAINTS:
        @keras.saving.register_keras_serializable(package="course")
        class ZeroRecurrentCandidateBias(keras.constraints.Constraint):
            def __call__(self, w):
                H = w.shape[1] // 3
                mask = np.ones(tuple(w.shape))
                mask[1, 2 * H:] = 0
                return w * keras.ops.convert_to_tensor(mask, dtype=w.dtype)

        _CONSTRAINTS["gru"] = ZeroRecurrentCandidateBias
    return _CONSTRAINTS["gru"]()


def keras_recurrent(cell, units, return_sequences=False, candidate_bias=True, dtype="float32", name=None):
    """A Keras recurrent layer computing what course.nn's ``cell`` computes.

    ``candidate_bias=False`` holds the GRU's recurrent candidate bias at zero while it trains (a
    constraint), so that the trained layer is a course.nn GRU too.
    """
    _check_cell(cell)
    keras = load_keras()
    L = keras.layers
    if cell == "rnn":
        return L.SimpleRNN(units, return_sequences=return_sequences, dtype=dtype, name=name)
    if cell == "lstm":
        return L.LSTM(units, return_sequences=return_sequences, dtype=dtype, name=name)
    extra = {} if candidate_bias else {"bias_constraint": _zero_candidate_bias(keras)}
    return L.GRU(units, return_sequences=return_sequences, reset_after=True, dtype=dtype, name=name, **extra)


def rnn_classifier(cell, units, num_steps=28, num_inputs=28, num_classes=10, bidirectional=False, dtype="float32"):
    """Lesson 10's classifier in Keras: a recurrent layer over (N, T, D) rows, then a dense layer on its last state.

    Layers: "recurrent" (the cell, or ``Bidirectional`` of it: the last forward state next to the
    backward state after reading the whole sequence, 2 units), "scores" (num_classes logits). The GRU
    keeps its recurrent candidate bias at zero, so that every trained model can be read by course.nn.
    """
    keras = load_keras()
    layer = keras_recurrent(cell, units, candidate_bias=False, dtype=dtype, name=None if bidirectional else "recurrent")
    if bidirectional:
        layer = keras.layers.Bidirectional(layer, name="recurrent", dtype=dtype)
    return keras.Sequential([keras.Input((num_steps, num_inputs), dtype=dtype), layer,
                             keras.layers.Dense(num_classes, name="scores", dtype=dtype)],
                            name=("bi" if bidirectional else "") + cell)


def numpy_rnn_scores(model, cell, X):
    """The scores course.nn computes with the weights of a trained :func:`rnn_classifier`.

    Parameters
    ----------
    model : an rnn_classifier (bidirectional or not);  cell : its cell;  X : (N, T, D) float64 rows

    Returns
    -------
    scores : (N, num_classes), from course.nn.recurrent's forward passes and a dense head
    """
    weights = model.get_layer("recurrent").get_weights()
    W2, b2 = model.get_layer("scores").get_weights()
    forward = recurrent.CELLS[cell][0]
    X = np.asarray(X, dtype=np.float64)
    if len(weights) == 6:       # Bidirectional: the forward layer's three arrays, then the backward layer's
        fwd, bwd = keras_weights_to_recurrent(cell, weights[:3]), keras_weights_to_recurrent(cell, weights[3:])
        out, _ = recurrent.bidirectional_forward(X, cell, fwd, bwd)
        H = fwd[1].shape[0]
        # Keras' Bidirectional without return_sequences: the forward state after x_{T-1}, the backward after x_0.
        state = np.concatenate([out[:, -1, :H], out[:, 0, H:]], axis=1)
    else:
        Wx, Wh, b = keras_weights_to_recurrent(cell, weights)
        H_all, _ = forward(X, np.zeros((len(X), Wh.shape[0])), Wx, Wh, b)
        state = H_all[:, -1]
    return state @ W2 + b2


# --- text: sequences of word ids ----------------------------------------------------------------

def pad_and_truncate(sequences, maxlen, padding="pre", truncating="pre", value=0):
    """Sequences of different lengths as one (N, maxlen) int32 array, like ``keras.utils.pad_sequences``.

    Parameters
    ----------
    sequences : N lists (or 1-D arrays) of integer ids
    maxlen : the length of every row (a positive int)
    padding : "pre" (pad at the start: the last id always lands in the last column, where a recurrent
        layer's final state reads it) or "post"
    truncating : "pre" (keep the last maxlen ids) or "post" (keep the first maxlen)
    value : the padding id (0: Keras' Embedding(mask_zero=True) and the IMDB loader reserve it)

    Returns
    -------
    X : (N, maxlen) int32
    """
    for what, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f"{what} must be 'pre' or 'post', got {choice!r}")
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise ValueError(f"maxlen must be a positive integer, got {maxlen!r}")
    X = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for n, seq in enumerate(sequences):
        seq = np.asarray(seq, dtype=np.int64).ravel()
        seq = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if len(seq):
            if padding == "pre":
                X[n, maxlen - len(seq):] = seq
            else:
                X[n, :len(seq)] = seq
    return X


def restrict_vocabulary(sequences, num_words=None, skip_top=0, oov_char=OOV):
    """Keras' IMDB rule: an id w is kept when ``skip_top <= w < num_words``, else it becomes ``oov_char``.

    Ids count the reserved 0, 1, 2 (padding, start, unknown), so word ranks start at 3 and
    ``skip_top=20`` hides the 17 most common words (and the start mark). Returns a list of lists.
    """
    top = np.inf if num_words is None else num_words
    return [[w if skip_top <= w < top else oov_char for w in seq] for seq in sequences]


@dataclass
class TextData:
    """A text classification set, encoded like keras.datasets.imdb and padded.

    Attributes
    ----------
    X_train (N, maxlen) int32 ids, y_train (N,) int64;  X_test, y_test
    class_names : labels' names;  num_words, skip_top, maxlen : how it was encoded
    source : where it came from;  is_imdb : IMDB (True) or the offline stand-in (False)
    index_to_word : dict id -> word (with 0 "<pad>", 1 "<start>", 2 "<unk>"), possibly empty
    lengths_train : (N,) the length of each training text before padding or truncation
    raw_sample : a few test texts as ids before num_words / skip_top / padding (for the widget)
    note : one sentence for the reader (e.g. why it is not IMDB)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    num_words: int
    skip_top: int
    maxlen: int
    source: str
    is_imdb: bool
    index_to_word: dict = field(default_factory=dict)
    lengths_train: np.ndarray | None = None
    raw_sample: list = field(default_factory=list)
    note: str = ""

    def decode(self, ids):
        """Ids of one text as words, padding left out; an id without a word shows as #id."""
        return " ".join(self.index_to_word.get(int(i), f"#{int(i)}") for i in ids if int(i) != 0)

    def __repr__(self):
        return (f"TextData({self.source}: {len(self.y_train):,} training and {len(self.y_test):,} test texts, "
                f"classes {self.class_names}, num_words={self.num_words}, skip_top={self.skip_top}, "
                f"maxlen={self.maxlen})")


def keras_dataset_path(fname):
    """Where ``keras.utils.get_file`` keeps ``fname``: $KERAS_HOME (or ~/.keras) /datasets, as Keras decides."""
    load_keras()
    from keras.src.backend import config

    base = os.path.expanduser(config.keras_home())
    if not os.access(base, os.W_OK):           # get_file's own fallback for a read-only home
        base = os.path.join("/tmp", ".keras")
    return os.path.join(base, "datasets", fname)


def _check_params(num_words, skip_top, maxlen):
    if not isinstance(num_words, (int, np.integer)) or num_words <= INDEX_FROM:
        raise ValueError(f"num_words must be an integer above {INDEX_FROM} (ids 0-2 are reserved), got {num_words!r}")
    if not isinstance(skip_top, (int, np.integer)) or not 0 <= skip_top < num_words:
        raise ValueError(f"skip_top must be an integer in 0..num_words - 1 = {num_words - 1}, got {skip_top!r}")
    if not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise ValueError(f"maxlen must be a positive integer, got {maxlen!r}")


def _subset(X, y, num, seed):
    if num is None or num >= len(y):
        return X, y
    idx = np.sort(np.random.default_rng(seed).permutation(len(y))[:num])
    return X[idx], y[idx]


def _finish(train, test, lengths, num_train, num_test, seed):
    (X_train, y_train), (X_test, y_test) = train, test
    # Shuffled, so that Keras' validation_split (the last rows) holds both classes.
    idx = np.random.default_rng(seed).permutation(len(y_train))[:num_train]
    X_test, y_test = _subset(X_test, y_test, num_test, seed + 1)
    return X_train[idx], np.asarray(y_train)[idx].astype(np.int64), X_test, np.asarray(y_test).astype(np.int64), \
        np.asarray(lengths)[idx]


def load_imdb(num_words=10_000, skip_top=0, maxlen=200, num_train=None, num_test=None, download=False, seed=0,
              pad=None):
    """The IMDB reviews through Keras' own loader, padded and truncated to ``maxlen`` ids.

    ``keras.datasets.imdb.load_data`` downloads ``imdb.npz`` (17 MB, checked against its SHA-256) into
    Keras' cache once, and reads it from there afterwards. Without a cached copy this raises
    DataError unless ``download`` is True, so that nothing is fetched behind the reader's back.

    Parameters
    ----------
    num_words : keep the ids below num_words (the num_words - 3 most frequent words), others -> 2
    skip_top : ids below skip_top (the most frequent words) -> 2 as well
    maxlen : every review padded (at the start) or truncated (its start cut) to maxlen ids
    num_train, num_test : random subsets (quick mode);  download : fetch imdb.npz if it is not cached
    pad : ``pad(sequences, maxlen) -> (N, maxlen)`` that pads and truncates (lesson 13's
        ``pad_and_truncate``; default :func:`pad_and_truncate`)

    Returns
    -------
    TextData with X (N, maxlen) int32, y (N,) 0 negative / 1 positive
    """
    _check_params(num_words, skip_top, maxlen)
    path = keras_dataset_path("imdb.npz")
    if not download and not os.path.exists(path):
        raise DataError(f"IMDB: {path} not found (Keras' cache); keras.datasets.imdb.load_data() downloads it "
                        "once when the machine is online: load_imdb(download=True)")
    keras = load_keras()
    imdb = keras.datasets.imdb
    try:
        (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=num_words, skip_top=skip_top)
        (_, _), (raw_test, _) = imdb.load_data()
    except Exception as error:        # noqa: BLE001 - Keras raises a bare Exception for a failed download
        raise DataError(f"IMDB: keras.datasets.imdb.load_data() failed ({error}); delete {path} if it is "
                        "corrupt and run it again online") from error
    index_to_word = {0: "<pad>", START: "<start>", OOV: "<unk>"}
    words_path = keras_dataset_path("imdb_word_index.json")
    if download or os.path.exists(words_path):
        try:
            index_to_word.update({i + INDEX_FROM: w for w, i in imdb.get_word_index().items()})
        except Exception:             # noqa: BLE001 - the words only serve to print reviews
            pass
    lengths = [len(x) for x in x_train]
    pad = pad_and_truncate if pad is None else pad
    X_train, y_tr, X_test, y_te, lengths = _finish((pad(list(x_train), maxlen), y_train),
                                                   (pad(list(x_test), maxlen), y_test),
                                                   lengths, num_train, num_test, seed)
    return TextData(X_train, y_tr, X_test, y_te, ("negative", "positive"), num_words, skip_top, maxlen,
                    f"IMDB reviews (keras.datasets.imdb, {path})", True, index_to_word, lengths,
                    [list(x) for x in raw_test[:200]], "IMDB: 25,000 training and 25,000 test reviews, "
                    "labelled positive or negative")


def _paragraph_words(name, folder=None):
    from course.tasks import WORD_RE
    from course.text import load_austen

    text = load_austen([name], folder=folder).text
    return [words for p in text.split("\n\n") if len(words := WORD_RE.findall(p.lower())) >= 5]


def load_austen_texts(num_words=10_000, skip_top=0, maxlen=200, num_train=None, num_test=None, seed=0,
                      folder=None, pad=None):
    """The offline stand-in for IMDB: is a paragraph of Jane Austen from an early or a late novel?

    Early: Sense and Sensibility, Pride and Prejudice, Northanger Abbey (written in the 1790s);
    late: Mansfield Park, Emma, Persuasion (1811-1816). Paragraphs of at least 5 words, split half
    and half by blocks of 10 consecutive paragraphs (neighbours share scenes; a test paragraph's block
    is never seen in training). Encoded like keras.datasets.imdb: words ranked by their frequency in
    the training paragraphs (1 = the most frequent), id = rank + 3, a start mark 1, and the same
    num_words / skip_top rule (:func:`restrict_vocabulary`); test words never seen in training are
    left out, as the IMDB loader does. Same parameters and result as :func:`load_imdb`.
    """
    from collections import Counter

    from course.tasks import block_split

    _check_params(num_words, skip_top, maxlen)
    paragraphs, labels, counts = [], [], []
    for label, names in enumerate((EARLY, LATE)):
        for name in names:
            words = _paragraph_words(name, folder)
            paragraphs += words
            labels += [label] * len(words)
            counts.append(len(words))
    part = block_split(np.array(counts), block=10, seed=seed, fractions=(0.5, 0.0, 0.5))
    train_idx, test_idx = np.flatnonzero(part == 0), np.flatnonzero(part == 2)
    ranked = Counter(w for i in train_idx for w in paragraphs[i]).most_common()
    rank = {w: r + 1 for r, (w, _) in enumerate(ranked)}

    def encode(idx):
        raw = [[START] + [rank[w] + INDEX_FROM for w in paragraphs[i] if w in rank] for i in idx]
        return raw, restrict_vocabulary(raw, num_words, skip_top)

    (_, x_train), (raw_test, x_test) = encode(train_idx), encode(test_idx)
    y = np.array(labels, dtype=np.int64)
    lengths = [len(x) for x in x_train]
    pad = pad_and_truncate if pad is None else pad
    X_train, y_tr, X_test, y_te, lengths = _finish((pad(x_train, maxlen), y[train_idx]),
                                                   (pad(x_test, maxlen), y[test_idx]),
                                                   lengths, num_train, num_test, seed)
    index_to_word = {0: "<pad>", START: "<start>", OOV: "<unk>", **{r + INDEX_FROM: w for w, r in rank.items()}}
    return TextData(X_train, y_tr, X_test, y_te, ("early novel", "late novel"), num_words, skip_top, maxlen,
                    "Jane Austen's paragraphs (Debian's r-cran-janeaustenr), early or late novel", False,
                    index_to_word, lengths, raw_test[:200],
                    f"{len(train_idx):,} training and {len(test_idx):,} test paragraphs of Austen's six novels")


def load_text_data(num_words=10_000, skip_top=0, maxlen=200, num_train=None, num_test=None, download=False, seed=0,
                   pad=None):
    """IMDB (:func:`load_imdb`) when it can be had, else Austen's paragraphs (:func:`load_austen_texts`).

    Returns the TextData; when IMDB could not be had, its ``note`` starts with the reason.
    """
    try:
        return load_imdb(num_words, skip_top, maxlen, num_train, num_test, download=download, seed=seed, pad=pad)
    except DataError as error:
        data = load_austen_texts(num_words, skip_top, maxlen, num_train, num_test, seed=seed, pad=pad)
        data.note = f"IMDB is not available here ({error}). Instead: {data.note}"
        return data


# --- text models --------------------------------------------------------------------------------

def conv1d_text_classifier(num_words, maxlen, embedding_dim=32, filters=64, kernel_size=5, num_classes=2,
                           dtype="float32"):
    """Embedding -> Conv1D (ReLU) -> GlobalMaxPooling1D -> Dense logits, on (N, maxlen) word ids.

    Layers: "embedding" (num_words, embedding_dim), "conv" (kernel_size, embedding_dim, filters),
    "pool", "scores". Parameters: num_words E + (k E + 1) F + (F + 1) num_classes.
    """
    keras = load_keras()
    L = keras.layers
    return keras.Sequential([
        keras.Input((maxlen,), dtype="int32"),
        L.Embedding(num_words, embedding_dim, name="embedding", dtype=dtype),
        L.Conv1D(filters, kernel_size, activation="relu", name="conv", dtype=dtype),
        L.GlobalMaxPooling1D(name="pool", dtype=dtype),
        L.Dense(num_classes, name="scores", dtype=dtype)], name="conv1d")


def lstm_text_classifier(num_words, maxlen, embedding_dim=32, units=32, num_classes=2, bidirectional=False,
                         dtype="float32"):
    """Embedding -> LSTM (last state; Bidirectional if asked) -> Dense logits, on (N, maxlen) word ids.

    Layers: "embedding", "recurrent", "scores". Parameters: num_words E + 4 ((E + H) H + H) (twice if
    bidirectional) + (H or 2H + 1) num_classes.
    """
    keras = load_keras()
    L = keras.layers
    layer = L.LSTM(units, dtype=dtype, name=None if bidirectional else "recurrent")
    if bidirectional:
        layer = L.Bidirectional(layer, name="recurrent", dtype=dtype)
    return keras.Sequential([keras.Input((maxlen,), dtype="int32"),
                             L.Embedding(num_words, embedding_dim, name="embedding", dtype=dtype), layer,
                             L.Dense(num_classes, name="scores", dtype=dtype)],
                            name="bilstm" if bidirectional else "lstm")


def train_table(builders, X_train, y_train, X_test, y_test, num_epochs=3, batch_size=128, lr=1e-3, seed=0,
                validation_split=0.1):
    """Train every Keras model the same way (Adam, softmax cross-entropy on logits); one row each.

    Parameters
    ----------
    builders : dict name -> ``build() -> keras.Model`` (uncompiled, outputs logits)
    X_train (N, ...), y_train (N,);  X_test, y_test : the data
    num_epochs, batch_size, lr : the training;  seed : Keras' seed before each build (same start)
    validation_split : the share of the training set held out (Keras takes the last rows)

    Returns
    -------
    table : pandas DataFrame indexed by name: parameters, seconds per epoch, train / validation / test accuracy
    models, histories : dicts name -> trained model, name -> its history dict
    """
    import pandas as pd

    keras = load_keras()
    rows, models, histories = [], {}, {}
    for name, build in builders.items():
        keras.utils.set_random_seed(seed)
        model = compile_classifier(build(), lr)
        start = time.perf_counter()
        history = model.fit(X_train, y_train, batch_size=batch_size, epochs=num_epochs, verbose=0,
                            validation_split=validation_split)
        seconds = (time.perf_counter() - start) / num_epochs
        test_acc = float(model.evaluate(X_test, y_test, batch_size=512, verbose=0)[1])
        rows.append({"model": name, "parameters": model.count_params(), "s / epoch": seconds,
                     "train accuracy": history.history["accuracy"][-1],
                     "validation accuracy": history.history.get("val_accuracy", [np.nan])[-1],
                     "test accuracy": test_acc})
        models[name], histories[name] = model, history.history
    return pd.DataFrame(rows).set_index("model"), models, histories


def conv1d_position_scores(model, ids):
    """What GlobalMaxPooling1D picks in one text: each filter's winning window and its score.

    Parameters
    ----------
    model : a trained conv1d_text_classifier;  ids : (maxlen,) the word ids of one text

    Returns
    -------
    activations : (maxlen - k + 1, F) the conv layer's ReLU outputs; ``argmax(axis=0)`` is where each
        filter's maximum (what the pooling passes on) starts
    evidence : (F,) how much each filter's maximum adds to "class 1 minus class 0" through the last layer
    """
    keras = load_keras()
    inner = keras.Model(model.inputs[0], model.get_layer("conv").output)
    acts = np.asarray(inner(np.asarray(ids, dtype=np.int32)[None]))[0]
    W, _ = model.get_layer("scores").get_weights()
    return acts, acts.max(axis=0) * (W[:, -1] - W[:, 0])
