"""The metrics of lesson 14's lab, computed by hand from labels and probabilities.

- :func:`precision_recall_f1`: per class, from the predicted labels (the counts of the confusion
  matrix): precision TP / (TP + FP), recall TP / (TP + FN), F1 their harmonic mean; 0 where a
  denominator is 0 (scikit-learn's ``zero_division=0``).
- :func:`average_precision`: the area under the precision-recall curve of one class, as the
  step-wise sum AP = sum_n (R_n - R_{n-1}) P_n over the distinct score thresholds (scikit-learn's
  ``average_precision_score``; Keras' ``AUC(curve="PR")`` approximates the same area on a fixed grid
  of thresholds, with interpolation).
- :func:`compute_metrics`: the lab's five metrics (``METRICS``), macro-averaged over the classes, so
  that a rare class counts as much as a frequent one. Its ``functions={"precision_recall_f1": ...,
  "average_precision": ...}`` computes them with other functions than these (lesson 14's notebook
  passes the student's: ``course.lab.functions``).
"""

from __future__ import annotations

import numpy as np

from course.lab.functions import chosen
from course.nn.metrics import accuracy, confusion_matrix

__all__ = ["METRICS", "precision_recall_f1", "average_precision", "macro_average_precision", "compute_metrics"]

METRICS = ("accuracy", "precision", "recall", "F1", "AUC-PR")


def precision_recall_f1(y_true, y_pred, num_classes):
    """Precision, recall and F1 of every class.

    Parameters
    ----------
    y_true, y_pred : (N,) integer labels in 0 .. num_classes - 1
    num_classes : K

    Returns
    -------
    precision, recall, f1 : three (K,) float64 arrays (0 where a class is never predicted / absent)
    """
    C = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)   # (K, K), rows: true class
    tp = np.diag(C)
    predicted, actual = C.sum(axis=0), C.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1


def average_precision(y_true, scores):
    """The area under the precision-recall curve of a binary problem (average precision).

    Parameters
    ----------
    y_true : (N,) 0/1 (or boolean) labels, 1 = the positive class
    scores : (N,) real scores, higher = more likely positive (e.g. the probability of the class)

    Returns
    -------
    ap : float in [0, 1]: sum over the distinct thresholds, from the highest score down, of
        (recall gained) x (precision at that threshold)

    Raises
    ------
    ValueError : no positive example (recall is undefined), or shapes that differ
    """
    y_true, scores = np.asarray(y_true).astype(bool), np.asarray(scores, dtype=np.float64)
    if y_true.shape != scores.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and scores must be (N,) arrays of one length, got {y_true.shape} and {scores.shape}")
    num_positive = int(y_true.sum())
    if num_positive == 0:
        raise ValueError("average precision needs at least one positive example")
    order = np.argsort(-scores, kind="stable")
    s, hits = scores[order], y_true[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]      # one point per distinct threshold
    tp = np.cumsum(hits)[last_of_group]
    precision = tp / (last_of_group + 1)
    recall = tp / num_positive
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def macro_average_precision(y_true, probs, functions=None):
    """The mean over the classes of each class's average precision (one class against the rest).

    y_true : (N,) labels;  probs : (N, K) probabilities (or scores). Classes without an example in
    ``y_true`` are left out of the mean.  functions : {"average_precision": f} to use instead of
    :func:`average_precision` (``course.lab.functions``)
    """
    ap = chosen(functions, average_precision=average_precision).average_precision
    y_true, probs = np.asarray(y_true), np.asarray(probs)
    present = [k for k in range(probs.shape[1]) if np.any(y_true == k)]
    return float(np.mean([ap(y_true == k, probs[:, k]) for k in present]))


def compute_metrics(y_true, probs, names=METRICS, functions=None):
    """The metrics ``names`` (from METRICS) of class probabilities ``probs`` (N, K) for labels (N,).

    precision, recall and F1 are macro averages (the mean over the K classes); AUC-PR is
    :func:`macro_average_precision`. ``functions``: {"precision_recall_f1": f, "average_precision": f}
    to compute them with instead of this module's (``course.lab.functions``). Returns {name: float}.
    """
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise KeyError(f"unknown metrics {unknown}; choose from {', '.join(METRICS)}")
    f = chosen(functions, precision_recall_f1=precision_recall_f1)
    y_true, probs = np.asarray(y_true), np.asarray(probs)
    y_pred = probs.argmax(axis=1)
    out = {}
    if {"precision", "recall", "F1"} & set(names):
        p, r, f1 = f.precision_recall_f1(y_true, y_pred, probs.shape[1])
        out.update({"precision": float(np.mean(p)), "recall": float(np.mean(r)), "F1": float(np.mean(f1))})
    if "accuracy" in names:
        out["accuracy"] = accuracy(y_true, y_pred)
    if "AUC-PR" in names:
        out["AUC-PR"] = macro_average_precision(y_true, probs, functions)
    return {name: out[name] for name in names}
