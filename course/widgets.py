"""Interactive building blocks: controls on one side, a plot that redraws as they move.

Widgets are displayed for students and skipped while nbgrader grades (see ``course.mode``), so a
grading run never waits on, or renders, an interactive control.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from course import mode

NOT_IMPLEMENTED_MESSAGE = ("This plot uses a function you have not written yet: complete it above, "
                           "run its cell, then move a control.")


def show(widget):
    """Display ``widget`` unless the notebook is being graded (nbgrader sets NBGRADER_EXECUTION)."""
    if not mode.grading():
        display(widget)


def live_plot(draw, controls, figsize=(6.5, 3.5), layout="vertical"):
    """A panel whose matplotlib figure is redrawn whenever one of the controls changes.

    Parameters
    ----------
    draw : callable ``draw(fig, **values)`` drawing on a fresh Figure; ``values`` maps each control's
        name to its current value
    controls : dict name -> ipywidgets control (slider, dropdown, ...)
    figsize : size of the figure in inches
    layout : "vertical" (controls above the plot) or "horizontal" (controls left of it)

    Returns
    -------
    panel : an ipywidgets Box holding the controls and the plot; pass it to :func:`show`
    """
    def update(**values):
        fig = plt.figure(figsize=figsize)
        try:
            draw(fig, **values)
        except NotImplementedError:
            plt.close(fig)
            print(NOT_IMPLEMENTED_MESSAGE)
            return
        plt.show()

    output = widgets.interactive_output(update, controls)
    panel = widgets.VBox(list(controls.values()))
    box = widgets.HBox if layout == "horizontal" else widgets.VBox
    return box([panel, output])


def slider(description, value, min, max, step=None, integer=False, **kwargs):
    """A labelled float (or integer) slider with a readable width."""
    kind = widgets.IntSlider if integer else widgets.FloatSlider
    step = step if step is not None else (1 if integer else (max - min) / 100)
    return kind(value=value, min=min, max=max, step=step, description=description,
                continuous_update=True, style={"description_width": "initial"},
                layout=widgets.Layout(width="420px"), **kwargs)


def log_slider(description, value, low, high, step=0.01, readout_format=".2g", **kwargs):
    """A labelled slider on a log scale from ``low`` to ``high`` (learning rates, temperatures, L2).

    Parameters
    ----------
    description : the label
    value : the starting value, low <= value <= high
    low, high : the ends of the range (positive numbers, not exponents)
    step : the step of the exponent (base 10)
    """
    if not 0 < low <= value <= high:
        raise ValueError(f"log_slider needs 0 < low <= value <= high, got {low}, {value}, {high}")
    return widgets.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                                  step=step, description=description, readout_format=readout_format,
                                  style={"description_width": "initial"},
                                  layout=widgets.Layout(width="420px"), **kwargs)
