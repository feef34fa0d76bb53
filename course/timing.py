"""Timing small pieces of code in a notebook, fairly on a shared machine."""

from __future__ import annotations

import time


def best_time(func, *args, repeats=3, **kwargs):
    """The fastest of a few runs of ``func(*args, **kwargs)``, and its result.

    The fastest run is the one least disturbed by whatever else the machine is doing, so it is the
    fairest figure to compare two implementations by.

    Returns
    -------
    seconds : float, the shortest of ``repeats`` runs
    result : what the last run returned
    """
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), result
