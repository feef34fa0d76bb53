"""Learning-rate schedules: objects that give the learning rate of each epoch.

``fit(model, data, lr=ExponentialDecay(1e-3, 0.9))`` asks the schedule for the rate at the start of
every epoch (``schedule(epoch)``, epochs counted from 0) and puts it in every parameter's optimizer
config under ``"lr"``; a plain number is a constant rate.
"""

from __future__ import annotations

import math

__all__ = ["Constant", "ExponentialDecay", "StepDecay", "CosineDecay", "as_schedule"]


class Constant:
    """The same rate every epoch."""

    def __init__(self, lr):
        self.lr = float(lr)

    def __call__(self, epoch):
        return self.lr

    def __repr__(self):
        return f"Constant({self.lr:g})"


class ExponentialDecay:
    """``lr * rate ** epoch``: multiplied by ``rate`` after every epoch."""

    def __init__(self, lr, rate):
        self.lr, self.rate = float(lr), float(rate)

    def __call__(self, epoch):
        return self.lr * self.rate ** epoch

    def __repr__(self):
        return f"ExponentialDecay({self.lr:g}, rate={self.rate:g})"


class StepDecay:
    """``lr * factor ** (epoch // every)``: multiplied by ``factor`` every ``every`` epochs."""

    def __init__(self, lr, factor=0.1, every=10):
        self.lr, self.factor, self.every = float(lr), float(factor), int(every)

    def __call__(self, epoch):
        return self.lr * self.factor ** (epoch // self.every)

    def __repr__(self):
        return f"StepDecay({self.lr:g}, factor={self.factor:g}, every={self.every})"


class CosineDecay:
    """Half a cosine from ``lr`` down to ``lr_min`` over ``num_epochs`` epochs."""

    def __init__(self, lr, num_epochs, lr_min=0.0):
        self.lr, self.num_epochs, self.lr_min = float(lr), int(num_epochs), float(lr_min)

    def __call__(self, epoch):
        progress = min(epoch / max(self.num_epochs - 1, 1), 1.0)
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1 + math.cos(math.pi * progress))

    def __repr__(self):
        return f"CosineDecay({self.lr:g}, num_epochs={self.num_epochs}, lr_min={self.lr_min:g})"


def as_schedule(lr):
    """A schedule from a number (constant) or an object with ``__call__(epoch) -> rate``."""
    if callable(lr):
        return lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"lr must be a positive number or a schedule, got {lr!r}")
    return Constant(lr)
