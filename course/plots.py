"""The plots lessons share. Each draws on a matplotlib Axes it is given, so lessons compose them."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def bar_probabilities(ax, probs, labels=None, title=None, highlight=None):
    """Bar chart of a probability vector with each value written above its bar.

    Parameters
    ----------
    ax : matplotlib Axes
    probs : (C,) probabilities
    labels : C names for the bars (default "0".."C-1")
    title : optional title
    highlight : index of a bar to draw in a contrasting colour (e.g. the most probable class)
    """
    probs = np.asarray(probs, dtype=float)
    labels = [str(i) for i in range(len(probs))] if labels is None else list(labels)
    colors = ["tab:blue"] * len(probs)
    if highlight is not None:
        colors[int(highlight)] = "tab:orange"
    bars = ax.bar(labels, probs, color=colors)
    for bar, p in zip(bars, probs):
        ax.text(bar.get_x() + bar.get_width() / 2, p + 0.02, f"{p:.2f}", ha="center", va="bottom")
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    return bars


def decision_regions(ax, predict, X, y, resolution=200, padding=0.5, cmap="tab10"):
    """Shade the class a classifier predicts over the plane and scatter the labelled points on top.

    Parameters
    ----------
    ax : matplotlib Axes
    predict : callable mapping (M, 2) points to (M,) integer classes
    X : (N, 2) points
    y : (N,) integer labels
    resolution : grid points per axis
    padding : margin around the data
    """
    X = np.asarray(X)
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x1 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    classes = np.asarray(predict(np.c_[g0.ravel(), g1.ravel()])).reshape(g0.shape)
    num_classes = int(max(np.max(y), np.max(classes))) + 1
    levels = np.arange(num_classes + 1) - 0.5
    ax.contourf(g0, g1, classes, levels=levels, cmap=cmap, vmin=0, vmax=9, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=9, s=12, edgecolors="k", linewidths=0.3)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    return classes


def image_grid(images, labels=None, class_names=None, num_cols=10, size=1.2, predictions=None):
    """A grid of grey images with their labels (and predictions in red when wrong).

    Parameters
    ----------
    images : (N, H, W) or (N, H*W) square images in [0, 1]
    labels : (N,) integer labels, optional
    class_names : names indexed by label, optional
    num_cols : images per row
    size : inches per image
    predictions : (N,) predicted labels, optional

    Returns
    -------
    fig : the matplotlib Figure
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    num_rows = int(np.ceil(len(images) / num_cols))
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * size, num_rows * size * 1.15),
                             squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=1)
        if labels is not None:
            name = class_names[labels[k]] if class_names is not None else str(labels[k])
            color = "black"
            if predictions is not None and predictions[k] != labels[k]:
                guess = class_names[predictions[k]] if class_names is not None else str(predictions[k])
                name, color = f"{guess} ({name})", "red"
            ax.set_title(name, fontsize=8, color=color)
    fig.tight_layout()
    return fig


def training_curves(ax, history, keys=None, xlabel="epoch", title=None):
    """Plot the curves of a training history (a dict of lists, e.g. ``{'loss': [...], ...}``)."""
    keys = list(history) if keys is None else keys
    for key in keys:
        values = history[key]
        ax.plot(np.arange(1, len(values) + 1), values, marker="o" if len(values) < 30 else None,
                label=key)
    ax.set_xlabel(xlabel)
    ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)


def feature_map_grid(fig, maps, title=None, num_cols=None, cmap="viridis", shared_scale=True):
    """Draw feature maps on ``fig``: a grid of images for (C, H, W) maps, a bar chart for a (D,) vector.

    Parameters
    ----------
    fig : an empty matplotlib Figure
    maps : (C, H, W) feature maps of one image (C images in a grid), or (D,) activations (bars)
    title : the figure's title
    num_cols : images per row (default: up to 8)
    cmap : colour map of the images
    shared_scale : one colour scale for all maps (True), so that strong and weak maps can be compared

    Returns
    -------
    axes : list of the Axes drawn
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim == 1:
        ax = fig.add_subplot(1, 1, 1)
        ax.bar(np.arange(len(maps)), maps, color="tab:blue", width=1.0)
        ax.set_xlim(-0.5, len(maps) - 0.5)
        ax.set_xlabel("unit")
        ax.grid(alpha=0.3)
        axes = [ax]
    elif maps.ndim == 3:
        num_cols = num_cols or min(8, len(maps))
        num_rows = -(-len(maps) // num_cols)
        low, high = (maps.min(), maps.max()) if shared_scale else (None, None)
        axes = []
        for k, fmap in enumerate(maps):
            ax = fig.add_subplot(num_rows, num_cols, k + 1)
            ax.imshow(fmap, cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
            ax.set_title(str(k), fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            axes.append(ax)
    else:
        raise ValueError(f"feature_map_grid: maps must be (C, H, W) or (D,), got shape {maps.shape}")
    if title:
        fig.suptitle(title, fontsize=10)
    return axes
