"""The experiment lab: an ipywidgets application to train, watch, test, save and load lesson 14's networks.

One panel (``Lab(...).panel``, shown with ``course.widgets.show``), top to bottom:

- **data set** and its networks: a dropdown of the tasks and one checkbox per network (the *active*
  ones are those every button acts on); each network is built at its task's parameter budget the
  first time it is trained;
- **training**: epochs and batch size, the metrics to follow on the training and on the validation
  set (accuracy, precision, recall, F1, AUC-PR: ``course.lab.metrics``; all five are computed after
  every epoch, the ticked ones are drawn and logged), Train (continues from the
  current weights), Test, Reset; one progress bar per network (batches of the run);
- **curves**: the loss and each chosen metric per epoch, one colour per network (solid: training,
  dashed: validation), redrawn after every epoch; **test**: a confusion matrix per network and a
  table of its test metrics;
- **files**: a folder (default: under the lesson's folder), Save and Load of each active network's
  weights as ``<folder>/<task>/<network>.weights.h5``;
- **log**: every action with the time, newest first; Clear log, Save log (``<folder>/lab-log.txt``);
- **a confirm row** (a question, Yes and No) before any action that would lose something: Reset or
  Load over weights trained since they were last saved, Save or Save log over existing files, Clear
  log over lines not saved yet.

``Lab(..., functions=...)`` sizes and scores the networks with the given functions instead of the lab's
own (``course.lab.functions``: lesson 14's notebook passes the student's).

Everything is driven through the widgets' values and buttons, so the tests drive it from Python the
same way (``lab.dataset.value = "image"; lab.train_button.click()``). The figures last drawn are kept
in ``lab.figures`` ("curves", "confusion") for them to look at.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
from IPython.display import display

from course.lab.functions import check_functions
from course.lab.metrics import METRICS
from course.lab.models import ARCHITECTURES, build_model, sizes_for_budget, trainable_params
from course.lab.training import new_history, test, train

__all__ = ["Lab", "Slot", "weights_file"]

BATCH_SIZES = (16, 32, 64, 128, 256)
LOG_NAME = "lab-log.txt"


def weights_file(folder, task, architecture):
    """Where the lab keeps one network's weights: ``folder/task/<network>.weights.h5``."""
    slug = architecture.replace(" + ", "_").replace(" ", "_").lower()
    return Path(folder) / task / f"{slug}.weights.h5"


@dataclass
class Slot:
    """One network of the lab: its Keras model (None until it is built), its history and whether its
    weights changed since they were last saved or loaded (``unsaved``)."""

    task: str
    architecture: str
    model: object = None
    history: dict = field(default_factory=new_history)
    unsaved: bool = False
    last_test: dict | None = None

    @property
    def epochs(self):
        return len(self.history["epoch"])


class Lab:
    """The experiment lab (see the module's docstring).

    Parameters
    ----------
    tasks : {name: Task, or a function returning one (loaded the first time it is chosen)}
    folder : the default folder of the weights and the saved log
    architectures : {task: names of its networks} (default ``ARCHITECTURES``)
    num_epochs, batch_size : the starting values of the controls
    max_metric_examples : training examples on which the training metrics are computed each epoch
    seed : Keras' seed before a network is built (the same start after a Reset)
    functions : {name: function} to count, size and score with instead of the lab's own (any of
        ``course.lab.functions.REPLACEABLE``; unknown names are a ValueError)
    """

    def __init__(self, tasks, folder, architectures=None, num_epochs=5, batch_size=32, max_epochs=100,
                 max_metric_examples=2_000, seed=0, functions=None):
        self.functions = check_functions(functions)
        self._tasks, self._loaded = dict(tasks), {}
        self.architectures = {name: tuple((architectures or ARCHITECTURES)[name]) for name in self._tasks}
        self.slots = {(t, a): Slot(t, a) for t, archs in self.architectures.items() for a in archs}
        self.max_metric_examples, self.seed = max_metric_examples, seed
        self.figures, self.log_lines, self._log_saved = {}, [], 0
        self._pending = None            # (question, action) waiting for Yes / No
        self._drawn_at, self.redraw_seconds = 0.0, 1.0   # live curves: at most one redraw a second, and the last epoch
        style = {"description_width": "initial"}
        first = next(iter(self._tasks))

        self.dataset = widgets.Dropdown(options=list(self._tasks), value=first, description="data set", style=style)
        self.active = {t: {a: widgets.Checkbox(value=True, description=a, indent=False,
                                               layout=widgets.Layout(width="auto"))
                           for a in archs} for t, archs in self.architectures.items()}
        self.models_box = widgets.HBox(list(self.active[first].values()))
        self.epochs = widgets.IntSlider(value=num_epochs, min=1, max=max_epochs, description="epochs", style=style)
        self.batch_size = widgets.Dropdown(options=BATCH_SIZES, value=batch_size if batch_size in BATCH_SIZES else 32,
                                           description="batch size", style=style, layout=widgets.Layout(width="170px"))
        def metric_box(chosen):
            return {m: widgets.Checkbox(value=m in chosen, description=m, indent=False,
                                        layout=widgets.Layout(width="auto")) for m in METRICS}

        self.train_metrics = metric_box(("accuracy",))      # which curves (and log entries) to show
        self.val_metrics = metric_box(("accuracy", "F1"))
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.test_button = widgets.Button(description="Test", icon="check")
        self.reset_button = widgets.Button(description="Reset", icon="undo", tooltip="new initial weights")
        self.progress = {t: {a: widgets.IntProgress(value=0, min=0, max=1, description=a,
                                                    style={"description_width": "130px"},
                                                    layout=widgets.Layout(width="440px"))
                             for a in archs} for t, archs in self.architectures.items()}
        self.status = {t: {a: widgets.Label("not trained") for a in archs} for t, archs in self.architectures.items()}
        self.progress_box = widgets.VBox()
        self.curves = widgets.Output(layout=widgets.Layout(min_height="60px"))
        self.curves.add_class("course-lab-curves")
        self.confusion = widgets.Output()
        self.confusion.add_class("course-lab-confusion")
        self.folder = widgets.Text(value=str(folder), description="folder", style=style,
                                   layout=widgets.Layout(width="480px"))
        self.save_button = widgets.Button(description="Save weights", icon="save")
        self.load_button = widgets.Button(description="Load weights", icon="folder-open")
        self.log_view = widgets.HTML()
        self.log_view.add_class("course-lab-log")
        self.clear_log_button = widgets.Button(description="Clear log", icon="trash")
        self.save_log_button = widgets.Button(description="Save log", icon="save")
        self.question = widgets.HTML()
        self.yes_button = widgets.Button(description="Yes", button_style="danger")
        self.no_button = widgets.Button(description="No")
        self.confirm_row = widgets.HBox([self.question, self.yes_button, self.no_button],
                                        layout=widgets.Layout(display="none"))
        self.confirm_row.add_class("course-lab-confirm")

        self.dataset.observe(self._on_dataset, names="value")
        for button, handler in ((self.train_button, self.on_train), (self.test_button, self.on_test),
                                (self.reset_button, self.on_reset), (self.save_button, self.on_save),
                                (self.load_button, self.on_load), (self.clear_log_button, self.on_clear_log),
                                (self.save_log_button, self.on_save_log), (self.yes_button, self._on_yes),
                                (self.no_button, self._on_no)):
            button.on_click(self._guarded(handler))
        for box in (*self.train_metrics.values(), *self.val_metrics.values()):
            box.observe(lambda change: self._draw_curves(), names="value")

        def heading(text):
            return widgets.HTML(f"<b>{text}</b>")

        self.panel = widgets.VBox([
            heading("Data set and networks"), widgets.HBox([self.dataset, self.models_box]),
            heading("Training"), widgets.HBox([self.epochs, self.batch_size]),
            widgets.HBox([widgets.Label("training metrics:", layout=widgets.Layout(width="130px")),
                          *self.train_metrics.values()]),
            widgets.HBox([widgets.Label("validation metrics:", layout=widgets.Layout(width="130px")),
                          *self.val_metrics.values()]),
            widgets.HBox([self.train_button, self.test_button, self.reset_button]),
            self.confirm_row, self.progress_box, self.curves,
            heading("Test"), self.confusion,
            heading("Files"), widgets.HBox([self.folder, self.save_button, self.load_button]),
            heading("Log"), widgets.HBox([self.clear_log_button, self.save_log_button]), self.log_view,
        ])
        self.panel.add_class("course-lab")
        self._show_task(first)
        self.log(f"lab ready: data sets {', '.join(self._tasks)}; weights go to {self.folder.value}")

    # -- state ------------------------------------------------------------------------------------

    @property
    def task_name(self):
        return self.dataset.value

    def task(self, name=None):
        """The Task of ``name`` (default: the chosen one), loaded the first time it is asked for."""
        name = self.task_name if name is None else name
        if name not in self._loaded:
            source = self._tasks[name]
            if callable(source):
                self.log(f"loading the {name} data set ...")
                source = source()
            self._loaded[name] = source
            self.log(f"{name}: {source!r}")
        return self._loaded[name]

    def active_slots(self):
        """The slots of the chosen task whose checkbox is ticked, in the order of the checkboxes."""
        return [self.slots[self.task_name, a] for a, box in self.active[self.task_name].items() if box.value]

    def unsaved(self, slots=None):
        """The slots (default: all of the chosen task) trained since their weights were last saved or loaded."""
        slots = [s for s in self.slots.values() if s.task == self.task_name] if slots is None else slots
        return [s for s in slots if s.unsaved]

    # -- the log ------------------------------------------------------------------------------------

    def log(self, message):
        """Add a line (with the time) to the log."""
        self.log_lines.append(f"{time.strftime('%H:%M:%S')}  {message}")
        rows = "\n".join(_escape(line) for line in reversed(self.log_lines[-500:]))
        self.log_view.value = ("<div style='height:11em; overflow-y:auto; font-family:monospace; font-size:12px; "
                               "white-space:pre-wrap; line-height:1.3; border:1px solid #ccc; padding:4px'>"
                               f"{rows}</div>")

    def on_clear_log(self, _=None):
        """Clear the log; asks first when it holds lines that were not saved."""
        def clear():
            self.log_lines, self._log_saved = [], 0
            self.log("log cleared")
            self._log_saved = len(self.log_lines)
        if len(self.log_lines) > self._log_saved:
            self.ask(f"Clear the log? {len(self.log_lines) - self._log_saved} lines were not saved.", clear)
        else:
            clear()

    def on_save_log(self, _=None):
        """Write the log to ``<folder>/lab-log.txt``; asks before replacing an existing file."""
        path = Path(self.folder.value) / LOG_NAME

        def save():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(self.log_lines) + "\n", encoding="utf-8")
            self._log_saved = len(self.log_lines)
            self.log(f"log saved to {path}")
            self._log_saved = len(self.log_lines)
        if path.exists():
            self.ask(f"Replace the log file {path}?", save)
        else:
            save()

    # -- confirmation -------------------------------------------------------------------------------

    def ask(self, question, action):
        """Show ``question`` with Yes / No; Yes runs ``action()``, No drops it."""
        if self._pending is not None:
            self.log(f"question dropped: {self._pending[0]}")
        self._pending = (question, action)
        self.question.value = f"<span style='color:#b00'>{_escape(question)}</span>"
        self.confirm_row.layout.display = "flex"
        self.log(f"asking: {question}")

    @property
    def pending(self):
        """The question waiting for an answer, or None."""
        return None if self._pending is None else self._pending[0]

    def _answer(self, yes):
        if self._pending is None:
            self.log("nothing to confirm")
            return
        question, action = self._pending
        self._pending = None
        self.confirm_row.layout.display = "none"
        self.question.value = ""
        self.log(f"{'yes' if yes else 'no'}: {question}")
        if yes:
            action()

    def _on_yes(self, _=None):
        self._answer(True)

    def _on_no(self, _=None):
        self._answer(False)

    def _guarded(self, handler):
        """A button handler that logs an error instead of raising it into the page."""
        def run(button):
            try:
                handler(button)
            except Exception as error:  # noqa: BLE001 - the lab reports every failure in its log and goes on
                self.log(f"error: {type(error).__name__}: {error}")
        return run

    # -- the data set ------------------------------------------------------------------------------------

    def _on_dataset(self, change):
        try:
            self._show_task(change["new"])
        except Exception as error:  # noqa: BLE001 - as _guarded: the log says what went wrong
            self.log(f"error: {type(error).__name__}: {error}")

    def _show_task(self, name):
        task = self.task(name)
        self.models_box.children = list(self.active[name].values())
        self.progress_box.children = [widgets.HBox([self.progress[name][a], self.status[name][a]])
                                      for a in self.architectures[name]]
        self.log(f"data set: {name} ({task.num_classes} classes, {len(task.y_train):,} training examples)")
        self._draw_curves()
        with self.confusion:
            self.confusion.clear_output()

    # -- building, training, testing -------------------------------------------------------------------

    def _build(self, slot):
        from course.frameworks import load_keras

        task = self.task(slot.task)
        vocab = len(task.vocab) + 2 if task.vocab is not None else 2_000
        size = sizes_for_budget(slot.task, task.input_shape, task.num_classes, vocab,
                                functions=self.functions)[slot.architecture]
        load_keras().utils.set_random_seed(self.seed)
        slot.model = build_model(slot.task, slot.architecture, size, task.input_shape, task.num_classes, vocab)
        slot.history, slot.unsaved, slot.last_test = new_history(), False, None
        self.log(f"{slot.task} {slot.architecture}: built, {trainable_params(slot.model):,} trainable parameters")

    def on_train(self, _=None):
        """Train every active network for the chosen epochs (continuing from its current weights)."""
        slots = self.active_slots()
        if not slots:
            self.log("no network is active: tick at least one")
            return
        task, num_epochs, batch_size = self.task(), self.epochs.value, self.batch_size.value
        num_batches = int(np.ceil(len(task.y_train) / batch_size))
        for slot in slots:
            if slot.model is None:
                self._build(slot)
            bar, status = self.progress[slot.task][slot.architecture], self.status[slot.task][slot.architecture]
            bar.max, bar.value, bar.bar_style = num_epochs * num_batches, 0, "info"
            first_epoch = slot.epochs + 1
            step = max(1, bar.max // 50)        # about 50 updates of the bar per run

            def on_batch(epoch, batch, total, bar=bar, first_epoch=first_epoch, step=step):
                done = (epoch - first_epoch) * total + batch
                if done - bar.value >= step or done == bar.max:
                    bar.value = done

            def on_epoch(history, slot=slot, status=status, last_epoch=first_epoch + num_epochs - 1):
                last = {k: v[-1] for k, v in history.items() if v}
                shown = ", ".join(f"{k} {last[k]:.3f}" for k in self._chosen_keys() if k in last)
                status.value = f"epoch {last['epoch']}: loss {last['loss']:.3f}"
                self.log(f"{slot.task} {slot.architecture}: epoch {last['epoch']}, loss {last['loss']:.4f}, "
                         f"val loss {last['val_loss']:.4f}{', ' if shown else ''}{shown} ({last['seconds']:.1f} s)")
                if last["epoch"] == last_epoch or time.monotonic() - self._drawn_at > self.redraw_seconds:
                    self._draw_curves()

            self.log(f"{slot.task} {slot.architecture}: training {num_epochs} epochs, batches of {batch_size}")
            started = time.perf_counter()
            train(slot.model, task, num_epochs, batch_size, train_metrics=METRICS, val_metrics=METRICS,
                  history=slot.history, on_batch=on_batch, on_epoch=on_epoch,
                  max_metric_examples=self.max_metric_examples, functions=self.functions)
            bar.value, bar.bar_style = bar.max, "success"
            slot.unsaved = True
            self.log(f"{slot.task} {slot.architecture}: trained {num_epochs} epoch{'s' if num_epochs > 1 else ''} in "
                     f"{time.perf_counter() - started:.1f} s")

    def on_test(self, _=None):
        """Test every active trained network: a confusion matrix each and a table of the test metrics."""
        slots = [s for s in self.active_slots() if s.model is not None]
        if not slots:
            self.log("nothing to test: train (or load) an active network first")
            return
        task = self.task()
        for slot in slots:
            slot.last_test = test(slot.model, task, functions=self.functions)
            scores = ", ".join(f"{k} {slot.last_test[k]:.3f}" for k in METRICS)
            self.log(f"{slot.task} {slot.architecture}: test ({len(task.y_test):,} examples): {scores}")
        self._draw_confusion(slots)

    def on_reset(self, _=None):
        """New initial weights for the active networks (asks first if that discards unsaved training)."""
        slots = [s for s in self.active_slots() if s.model is not None]
        if not slots:
            self.log("nothing to reset")
            return

        def reset():
            for slot in slots:
                self._build(slot)
                bar = self.progress[slot.task][slot.architecture]
                bar.value, bar.bar_style = 0, ""
                self.status[slot.task][slot.architecture].value = "not trained"
            self._draw_curves()
        lost = self.unsaved(slots)
        if lost:
            self.ask(f"Reset {_names(lost)}? Their training since the last save will be lost.", reset)
        else:
            reset()

    # -- files ---------------------------------------------------------------------------------------------

    def on_save(self, _=None):
        """Save the weights of every active trained network; asks before replacing existing files."""
        slots = [s for s in self.active_slots() if s.model is not None]
        if not slots:
            self.log("nothing to save: train an active network first")
            return
        folder = Path(self.folder.value)

        def save():
            for slot in slots:
                path = weights_file(folder, slot.task, slot.architecture)
                path.parent.mkdir(parents=True, exist_ok=True)
                slot.model.save_weights(str(path))
                slot.unsaved = False
                self.log(f"{slot.task} {slot.architecture}: weights saved to {path}")
        existing = [weights_file(folder, s.task, s.architecture) for s in slots]
        existing = [p for p in existing if p.exists()]
        if existing:
            self.ask(f"Replace {len(existing)} saved file(s) in {folder}: {', '.join(p.name for p in existing)}?", save)
        else:
            save()

    def on_load(self, _=None):
        """Load the saved weights of every active network that has a file; asks before replacing unsaved training."""
        folder = Path(self.folder.value)
        slots = []
        for slot in self.active_slots():
            if weights_file(folder, slot.task, slot.architecture).exists():
                slots.append(slot)
            else:
                self.log(f"{slot.task} {slot.architecture}: no saved weights at "
                         f"{weights_file(folder, slot.task, slot.architecture)}")
        if not slots:
            return

        def load():
            for slot in slots:
                path = weights_file(folder, slot.task, slot.architecture)
                if slot.model is None:
                    self._build(slot)
                try:
                    slot.model.load_weights(str(path))
                except (ValueError, OSError) as error:
                    self.log(f"{slot.task} {slot.architecture}: cannot load {path} ({error})")
                    continue
                slot.history, slot.unsaved, slot.last_test = new_history(), False, None
                self.status[slot.task][slot.architecture].value = "weights loaded"
                self.log(f"{slot.task} {slot.architecture}: weights loaded from {path}")
            self._draw_curves()
        lost = self.unsaved(slots)
        if lost:
            self.ask(f"Load saved weights over {_names(lost)}? Their training since the last save will be lost.", load)
        else:
            load()

    # -- figures ---------------------------------------------------------------------------------------------

    def chosen_metrics(self, part):
        """The metrics ticked for ``part`` ("train" or "val"), in the order of METRICS."""
        boxes = self.train_metrics if part == "train" else self.val_metrics
        return tuple(m for m, box in boxes.items() if box.value)

    def _chosen_keys(self):
        return [f"{part} {m}" for part in ("train", "val") for m in self.chosen_metrics(part)]

    def curves_figure(self):
        """The loss and the chosen metrics of the chosen task's networks, per epoch (a Figure, or None
        when no network has trained yet)."""
        slots = [s for s in self.slots.values() if s.task == self.task_name and s.epochs]
        if not slots:
            return None
        chosen = {part: self.chosen_metrics(part) for part in ("train", "val")}
        metrics = [m for m in METRICS if m in chosen["train"] or m in chosen["val"]]
        fig, axes = plt.subplots(1, 1 + len(metrics), figsize=(3.2 * (1 + len(metrics)), 2.8), squeeze=False)
        colours = {a: f"C{k}" for k, a in enumerate(self.architectures[self.task_name])}
        for slot in slots:
            h, colour = slot.history, colours[slot.architecture]
            dots = {"marker": "o", "markersize": 3} if slot.epochs < 30 else {}   # one epoch is one point
            axes[0, 0].plot(h["epoch"], h["loss"], color=colour, label=f"{slot.architecture}", **dots)
            axes[0, 0].plot(h["epoch"], h["val_loss"], color=colour, linestyle="--", **dots)
            for ax, metric in zip(axes[0, 1:], metrics):
                for prefix, style in (("train", "-"), ("val", "--")):
                    if metric in chosen[prefix] and f"{prefix} {metric}" in h:
                        ax.plot(h["epoch"], h[f"{prefix} {metric}"], color=colour, linestyle=style, **dots)
        for ax, title in zip(axes[0], ["loss", *metrics]):
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("epoch", fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlim(0.5, max(s.epochs for s in slots) + 0.5)
        axes[0, 0].legend(fontsize=7, title="solid: training, dashed: validation", title_fontsize=6)
        fig.tight_layout()
        return fig

    def _draw_curves(self):
        self._drawn_at = time.monotonic()
        fig = self.curves_figure()
        self.figures["curves"] = fig
        with self.curves:
            self.curves.clear_output(wait=True)
            if fig is None:
                print("no curves yet: tick some networks and press Train")
            else:
                display(fig)
        if fig is not None:
            plt.close(fig)

    def _draw_confusion(self, slots):
        import pandas as pd

        from course.keras_cnn import plot_confusion

        task = self.task()
        fig, axes = plt.subplots(1, len(slots), figsize=(3.6 * len(slots), 3.6), squeeze=False)
        for ax, slot in zip(axes[0], slots):
            names = task.class_names if task.num_classes <= 10 else None
            plot_confusion(ax, slot.last_test["confusion"], [str(n)[:12] for n in names] if names else None,
                           title=f"{slot.architecture}: {slot.last_test['accuracy']:.1%}")
        fig.tight_layout()
        self.figures["confusion"] = fig
        table = pd.DataFrame({s.architecture: {k: s.last_test[k] for k in METRICS} for s in slots}).T
        with self.confusion:
            self.confusion.clear_output(wait=True)
            display(fig)
            display(table.round(3))
        plt.close(fig)


def _names(slots):
    return ", ".join(s.architecture for s in slots)


def _escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
