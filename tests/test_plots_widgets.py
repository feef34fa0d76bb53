"""course.plots, course.widgets and course.mode: the shared building blocks behave as lessons expect."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course import mode, plots
from course import widgets as cw


def test_bar_probabilities_draws_one_labelled_bar_per_class():
    """Does the bar chart draw C bars of the right heights, with the chosen one highlighted?"""
    fig, ax = plt.subplots()
    bars = plots.bar_probabilities(ax, [0.2, 0.7, 0.1], ["a", "b", "c"], highlight=1)
    assert [b.get_height() for b in bars] == pytest.approx([0.2, 0.7, 0.1])
    assert bars[1].get_facecolor() != bars[0].get_facecolor()
    assert [t.get_text() for t in ax.texts] == ["0.20", "0.70", "0.10"]
    plt.close(fig)


def test_decision_regions_follow_the_classifier():
    """Does the shaded grid take the class the classifier predicts at each point?"""
    fig, ax = plt.subplots()
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    classes = plots.decision_regions(ax, lambda P: (P[:, 0] > 0).astype(int), X, np.array([0, 1]),
                                     resolution=50)
    assert classes.shape == (50, 50)
    assert (classes[:, :20] == 0).all() and (classes[:, -20:] == 1).all()
    plt.close(fig)


def test_image_grid_marks_wrong_predictions():
    """Does the image grid show one panel per image and colour wrong predictions red?"""
    images = np.random.default_rng(0).random((3, 784))
    fig = plots.image_grid(images, labels=np.array([0, 1, 2]), predictions=np.array([0, 2, 2]),
                           class_names=["a", "b", "c"], num_cols=3)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["a", "c (b)", "c"]
    assert titles[1].get_color() == "red"
    plt.close(fig)


def test_training_curves_plot_every_key():
    """Does every history key become a line with one point per epoch?"""
    fig, ax = plt.subplots()
    plots.training_curves(ax, {"loss": [3, 2, 1], "val_loss": [3, 2.5, 2]})
    assert [len(line.get_xdata()) for line in ax.lines] == [3, 3]
    plt.close(fig)


def test_live_plot_redraws_when_a_control_moves(monkeypatch):
    """Does moving a slider call the draw function again with the new value?"""
    seen = []
    monkeypatch.setattr(plt, "show", lambda: None)
    a = cw.slider("a", 1.0, 0.0, 2.0)
    panel = cw.live_plot(lambda fig, a: seen.append(a), {"a": a})
    assert isinstance(panel, widgets.Box)
    assert seen == [1.0]
    a.value = 1.5
    assert seen == [1.0, 1.5]
    plt.close("all")


def test_live_plot_explains_an_unwritten_function(capsys, monkeypatch):
    """When the student's function is not written yet, does the panel say so instead of a traceback?"""
    def draw(fig, a):
        raise NotImplementedError()

    monkeypatch.setattr(plt, "show", lambda: None)
    panel = cw.live_plot(draw, {"a": cw.slider("a", 1, 0, 3, integer=True)})
    output = panel.children[1]
    texts = [o.get("text", "") for o in output.outputs]
    assert any(cw.NOT_IMPLEMENTED_MESSAGE in t for t in texts) or \
        cw.NOT_IMPLEMENTED_MESSAGE in capsys.readouterr().out


def test_show_skips_widgets_while_grading(monkeypatch):
    """Is nothing displayed while nbgrader grades, and the widget displayed otherwise?"""
    shown = []
    monkeypatch.setattr(cw, "display", shown.append)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    cw.show(widgets.IntSlider())
    assert shown == []
    monkeypatch.delenv("NBGRADER_EXECUTION")
    cw.show(widgets.IntSlider())
    assert len(shown) == 1


@pytest.mark.parametrize("env, quick", [({}, False), ({"COURSE_QUICK": "1"}, True),
                                        ({"COURSE_QUICK": "0"}, False),
                                        ({"NBGRADER_EXECUTION": "validate"}, True)])
def test_quick_mode(monkeypatch, env, quick):
    """Is quick mode on under test or grading, and off for students?"""
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert mode.quick() is quick
    assert mode.pick(10, 1) == (1 if quick else 10)
