"""Three real data sets for lesson 14, one per kind of input: a table, an image, a sequence.

- ``"tabular"``: the Breast Cancer Wisconsin (Diagnostic) data set (W. N. Street, W. H. Wolberg,
  O. L. Mangasarian, 1993; UCI Machine Learning Repository), as scikit-learn ships it inside the
  package (``sklearn.datasets.load_breast_cancer``: a CSV file in the wheel, nothing is downloaded):
  569 tumours, 30 measurements of their cell nuclei, malignant or benign.
- ``"image"``: Fashion-MNIST (``course.data.load_fashion_mnist``): 28x28 grey images of clothes, 10 classes.
- ``"sequence"``: passages of 40 words from Jane Austen's six novels (``course.text``, Debian's
  ``r-cran-janeaustenr``): which novel is this passage from? 6 classes, word ids (N, 40).

Every task is split into training, validation and test sets the same way every time (fixed seeds),
and its inputs are what all of its models read: (N, 30) standardised floats, (N, 28, 28) images in
[0, 1], (N, 40) int32 word ids. Each model turns them into what it needs with its first layer
(``course.lab.models``).

    task = load_task("tabular")
    task.X_train, task.y_train, task.X_val, task.y_val, task.X_test, task.y_test, task.class_names
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from course.data import DataError

__all__ = ["TASK_NAMES", "Task", "load_task", "load_breast_cancer_task", "load_fashion_task", "load_austen_task",
           "austen_words", "block_split", "bag_of_words", "PAD", "OOV"]

TASK_NAMES = ("tabular", "image", "sequence")
PAD, OOV = 0, 1                     # word id 0: padding (never produced here), 1: a word outside the vocabulary
# SHA-256 of the breast cancer features (569, 30) as little-endian float64, then the labels (569,) as int64
BREAST_CANCER_SHA256 = "25e2eb7b7a8745b1bde5ba18bc4969983d2e2f403291ecd5bde4a29ef30c3859"
WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass
class Task:
    """One classification task: its three splits, its classes and where it comes from.

    Attributes
    ----------
    name : "tabular", "image" or "sequence";  title : what it is, for people
    X_train (N, ...), y_train (N,) int64;  X_val, y_val;  X_test, y_test : the three splits
    class_names : tuple of K names, indexed by label
    source : where the data was read from;  notes : how it was prepared (list of sentences)
    vocab : for "sequence", the words of ids 2, 3, ... (ids 0 and 1 are padding and out-of-vocabulary)
    """

    name: str
    title: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    source: str
    notes: list = field(default_factory=list)
    vocab: list | None = None

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def input_shape(self):
        """The shape of one example, e.g. (30,), (28, 28) or (40,)."""
        return tuple(self.X_train.shape[1:])

    def sizes(self):
        """{"train": N_train, "validation": N_val, "test": N_test}."""
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}

    def decode(self, ids):
        """Word ids of one passage as text (sequence task only)."""
        if self.vocab is None:
            raise ValueError(f"the {self.name} task has no vocabulary")
        words = ["<pad>", "<unk>", *self.vocab]
        return " ".join(words[int(i)] for i in ids if int(i) != PAD)

    def __repr__(self):
        sizes = ", ".join(f"{k} {v:,}" for k, v in self.sizes().items())
        return f"Task({self.name!r}: {self.title}; inputs {self.input_shape}, {self.num_classes} classes; {sizes})"


def _stratified_split(y, fractions, seed):
    """Indexes of the parts (e.g. train / validation / test), each with the class proportions of y."""
    rng = np.random.default_rng(seed)
    parts = [[] for _ in fractions]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        cuts = np.round(np.cumsum(fractions)[:-1] * len(idx)).astype(int)
        for part, chunk in zip(parts, np.split(idx, cuts)):
            part.extend(chunk.tolist())
    return [rng.permutation(np.array(p, dtype=np.int64)) for p in parts]


def _subset(X, y, num, seed):
    if num is None or num >= len(y):
        return X, y
    idx = np.sort(np.random.default_rng(seed).permutation(len(y))[:num])
    return X[idx], y[idx]


def load_breast_cancer_task(seed=0, fractions=(0.6, 0.2, 0.2)):
    """Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 features, malignant (0) or benign (1).

    Split 60 / 20 / 20 with the class proportions kept (stratified, ``seed``); every feature is
    standardised with the mean and standard deviation of the *training* part only, so that nothing
    about the validation and test tumours leaks into the inputs.

    Returns
    -------
    Task with X (N, 30) float32, y (N,) int64
    """
    try:
        from sklearn.datasets import load_breast_cancer
        data = load_breast_cancer()
    except (ImportError, OSError) as error:
        raise DataError(f"the breast cancer data set ships inside scikit-learn, which cannot give it ({error}); "
                        "reinstall it with `pip install --force-reinstall scikit-learn`") from error
    X, y = data.data.astype(np.float64), data.target.astype(np.int64)
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype="<f8").tobytes()
                            + np.ascontiguousarray(y, dtype="<i8").tobytes()).hexdigest()
    if X.shape != (569, 30) or np.bincount(y).tolist() != [212, 357] or digest != BREAST_CANCER_SHA256:
        raise DataError(f"scikit-learn's breast_cancer.csv: expected 569 x 30 with 212 malignant and 357 benign "
                        f"tumours and SHA-256 {BREAST_CANCER_SHA256}, got {X.shape} with {np.bincount(y).tolist()} "
                        f"and {digest}; reinstall scikit-learn (`pip install --force-reinstall scikit-learn`)")
    train, val, test = _stratified_split(y, fractions, seed)
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    Z = ((X - mean) / std).astype(np.float32)
    return Task("tabular", "Breast Cancer Wisconsin (Diagnostic): 30 measurements of a tumour's cell nuclei",
                Z[train], y[train], Z[val], y[val], Z[test], y[test], tuple(data.target_names),
                "scikit-learn's bundled copy (sklearn/datasets/data/breast_cancer.csv) of the UCI data set",
                notes=["stratified 60/20/20 split", "features standardised with the training statistics"])


def load_fashion_task(num_train=None, num_val=5_000, num_test=None, seed=0):
    """Fashion-MNIST as a task: (N, 28, 28) float32 images in [0, 1], 10 classes.

    ``num_train`` / ``num_test`` keep random subsets (quick mode); the validation images are held out
    of the training set with ``course.nn.train.split_validation`` (the course's one split).
    """
    from course.data import load_fashion_mnist
    from course.nn.train import split_validation

    fashion = load_fashion_mnist(num_test=num_test)
    split = split_validation(fashion.X_train, fashion.y_train, num_val=num_val, seed=seed)
    X_train, y_train = _subset(split.X_train, split.y_train, num_train, seed)
    notes = [f"{num_val:,} training images held out for validation"]
    if num_train is not None or num_test is not None:
        notes.append("a random subset (quick mode)")
    return Task("image", "Fashion-MNIST: 28x28 grey images of clothes", X_train, y_train, split.X_val, split.y_val,
                fashion.X_test, fashion.y_test, tuple(fashion.class_names), fashion.source, notes=notes)


def austen_words(folder=None):
    """The words of each of Jane Austen's six novels: {title: list of lower-case words}.

    Words are runs of letters with an inner apostrophe ("don't", "elizabeth's"); punctuation and
    numbers are left out. Each novel is checked against its SHA-256 by ``course.text.load_austen``.
    """
    from course.text import AUSTEN_NOVELS, load_austen

    words = {}
    for name, (title, _, _) in AUSTEN_NOVELS.items():
        corpus = load_austen([name], folder=folder)
        words[title] = WORD_RE.findall(corpus.text.lower())
    return words


def load_austen_task(passage_words=40, vocab_size=2_000, block=10, num_train=None, num_val=None, num_test=None,
                     seed=0, folder=None):
    """Which of Jane Austen's six novels is a passage of ``passage_words`` consecutive words from?

    Each novel is cut into consecutive passages; neighbouring passages share characters and scenes,
    so the split is by **blocks** of ``block`` consecutive passages (60 / 20 / 20, ``seed``): a test
    passage's neighbours are never training passages of the same block. The vocabulary is the
    ``vocab_size - 2`` most frequent words of the *training* passages; id 0 is padding (unused: all
    passages have the same length) and id 1 any other word.

    Returns
    -------
    Task with X (N, passage_words) int32 word ids in [0, vocab_size), y (N,) int64 novel indexes
    """
    novels = austen_words(folder)
    passages, labels = [], []
    for k, words in enumerate(novels.values()):
        for i in range(len(words) // passage_words):
            passages.append(words[i * passage_words:(i + 1) * passage_words])
            labels.append(k)
    y = np.array(labels, dtype=np.int64)
    part = block_split(np.bincount(y), block, seed)
    counts = Counter(w for p, words in zip(part, passages) if p == 0 for w in words)
    vocab = [w for w, _ in counts.most_common(vocab_size - 2)]
    index = {w: i + 2 for i, w in enumerate(vocab)}
    X = np.array([[index.get(w, OOV) for w in words] for words in passages], dtype=np.int32)
    splits = [(X[part == p], y[part == p]) for p in range(3)]
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = splits
    X_train, y_train = _subset(X_train, y_train, num_train, seed)
    X_val, y_val = _subset(X_val, y_val, num_val, seed)
    X_test, y_test = _subset(X_test, y_test, num_test, seed)
    notes = [f"{len(y):,} passages of {passage_words} words", f"split by blocks of {block} consecutive passages",
             f"vocabulary: the {vocab_size - 2:,} most frequent training words, id 1 for the others"]
    if num_train is not None or num_val is not None or num_test is not None:
        notes.append("a random subset (quick mode)")
    return Task("sequence", f"Jane Austen: which novel is a passage of {passage_words} words from?",
                X_train, y_train, X_val, y_val, X_test, y_test, tuple(novels),
                f"Debian's r-cran-janeaustenr ({folder or _austen_dir()})", notes=notes, vocab=vocab)


def block_split(counts, block=10, seed=0, fractions=(0.6, 0.2, 0.2)):
    """Which part (0 train, 1 validation, 2 test) each passage goes to, by blocks of consecutive passages.

    Parameters
    ----------
    counts : (G,) the number of consecutive passages of each novel (passages are numbered novel by
        novel, in order)
    block : passages per block (the last block of a novel may be shorter);  seed : the blocks' draw
    fractions : the shares of the blocks in the three parts

    Returns
    -------
    part : (sum(counts),) int64 in {0, 1, 2}; the passages of one block share their part
    """
    block_of = np.concatenate([k * 10**9 + np.arange(n) // block for k, n in enumerate(counts)])
    block_ids = np.unique(block_of, return_inverse=True)[1].ravel()
    num_blocks = int(block_ids.max()) + 1 if len(block_ids) else 0
    order = np.random.default_rng(seed).permutation(num_blocks)
    cut1, cut2 = int(fractions[0] * num_blocks), int((fractions[0] + fractions[1]) * num_blocks)
    part_of_block = np.zeros(num_blocks, dtype=np.int64)
    part_of_block[order[cut1:cut2]], part_of_block[order[cut2:]] = 1, 2
    return part_of_block[block_ids]


def _austen_dir():
    from course.text import austen_dir

    return austen_dir()


def load_task(name, quick=None):
    """The task ``name`` ("tabular", "image" or "sequence"), in full or quick size.

    ``quick`` None follows ``course.mode.quick()``: quick mode keeps 2,000 training, 1,000 validation
    and 1,000 test images or passages (the tabular set is always whole).
    """
    from course import mode

    quick = mode.quick() if quick is None else quick
    if name == "tabular":
        return load_breast_cancer_task()
    if name == "image":
        return load_fashion_task(num_train=2_000 if quick else None, num_val=1_000 if quick else 5_000,
                                 num_test=1_000 if quick else None)
    if name == "sequence":
        return load_austen_task(num_train=2_000 if quick else None, num_val=1_000 if quick else None,
                                num_test=1_000 if quick else None)
    raise KeyError(f"unknown task {name!r}; choose from {', '.join(TASK_NAMES)}")


def bag_of_words(tokens, vocab_size):
    """Word counts of each passage: what a bag-of-words model reads (the order of the words is gone).

    Parameters
    ----------
    tokens : (N, T) integer word ids in [0, vocab_size)
    vocab_size : V

    Returns
    -------
    counts : (N, V) float32; counts[n, v] = how many times id v occurs in passage n (like Keras'
        ``CategoryEncoding(num_tokens=V, output_mode="count")``)
    """
    tokens = np.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError(f"tokens must be (N, T) word ids, got shape {tokens.shape}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(f"word ids must lie in 0..{vocab_size - 1}, got {tokens.min()}..{tokens.max()}")
    N = len(tokens)
    counts = np.zeros((N, vocab_size), dtype=np.float32)
    np.add.at(counts, (np.repeat(np.arange(N), tokens.shape[1]), tokens.ravel()), 1.0)
    return counts
