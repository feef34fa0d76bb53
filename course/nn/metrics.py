"""Measuring a classifier (lesson 05): accuracy and the confusion matrix, from labels."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix"]


def accuracy(y_true, y_pred):
    """Fraction of correct predictions.

    Parameters
    ----------
    y_true : (N,) true integer labels
    y_pred : (N,) predicted integer labels

    Returns
    -------
    acc : float in [0, 1]

    Raises
    ------
    ValueError : different shapes, or no example
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}: "
                         "they must have the same length")
    if y_true.size == 0:
        raise ValueError("the accuracy of zero examples is undefined")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : (N,) integer labels
    num_classes : K; default: the largest label in either plus one

    Returns
    -------
    C : (K, K) int64; C[i, j] counts the examples of true class i predicted as class j
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must be 1-D arrays of the same length, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    if num_classes is None:
        num_classes = int(max(y_true.max(), y_pred.max())) + 1 if y_true.size else 0
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} holds labels {labels.min()}..{labels.max()}, outside 0..{num_classes - 1}")
    codes = y_true.astype(np.int64) * num_classes + y_pred.astype(np.int64)
    return np.bincount(codes, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
