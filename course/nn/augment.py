"""Data augmentation (lesson 09): random changes of the training images that keep their labels.

A mirrored shirt is still a shirt: showing the network each training image sometimes mirrored
left-right is like doubling the training set, and it fights overfitting (LeNet-5 on Fashion-MNIST
learns its 55,000 training images to 97% and stalls near 90.3% on the test set without it).
Augmentation happens at training time only, batch by batch; see ``course.nn.model.Augmented``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flip_images"]


def flip_images(X, rng, p=0.5, image_shape=None):
    """Mirror each image left-right with probability ``p`` (a new array; X is not changed).

    Parameters
    ----------
    X : (N, ..., W) images whose last axis is the image width, e.g. (N, 28, 28) or (N, 1, 28, 28);
        or rows of pixels (N, H * W) with ``image_shape=(H, W)``
    rng : numpy Generator: one uniform number per image decides its flip
    p : probability of mirroring an image
    image_shape : the shape of one image when X holds them as rows

    Returns
    -------
    flipped : the shape and dtype of X
    """
    X = np.asarray(X)
    images = X if image_shape is None else X.reshape((len(X),) + tuple(image_shape))
    flip = rng.random(len(X)) < p
    flipped = np.where(flip.reshape((-1,) + (1,) * (images.ndim - 1)), images[..., ::-1], images)
    return flipped.reshape(X.shape)
