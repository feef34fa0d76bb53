"""The training benchmarks run end to end: each in its --quick mode, checking what it reports, never its speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERAS_SIDES = ["Keras as installed", "Keras, TF_ENABLE_ONEDNN_OPTS=1"]


def run(*args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("script, numpy_side, options", [
    ("lenet5_vs_keras.py", "NumPy (course.nn.lenet5, float32)", {}),
    ("lstm_vs_keras.py", "NumPy (course.nn LSTM, float32)", {"units": 32}),
])
def test_vs_keras_quick_prints_one_row_per_side(tmp_path, script, numpy_side, options):
    """Does the benchmark's --quick mode train NumPy and both Keras variants interleaved, and report min, median,
    test accuracy, the NumPy/Keras ratio, the threads and the load average for each?"""
    saved = tmp_path / "report.json"
    flags = [item for key, value in options.items() for item in (f"--{key}", str(value))]
    result = run(f"benchmarks/{script}", "--quick", *flags, "--json", str(saved))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(saved.read_text())
    rows = report["rows"]
    sides = [numpy_side, *KERAS_SIDES]
    assert [row["side"] for row in rows] == sides
    assert all(report[key] == value for key, value in options.items()), report
    for row in rows:
        assert row["epochs"] == 3 and 0 < row["min"] <= row["median"], row
        assert 0.0 <= row["test_acc"] <= 1.0 and row["threads"], row
    assert rows[0]["ratio"] is None and all(row["ratio"] > 0 for row in rows[1:])
    assert "thread" in rows[0]["threads"] and all("oneDNN" in row["threads"] for row in rows[1:])
    assert len(report["loads"]) == 1 + 3                    # at the start, then after each epoch
    # The printed table: one line per epoch with a time for every side, then one row per side.
    table = result.stdout
    epoch_row = re.compile(r"^\s+\d+(\s+[\d.]+){4}$")     # epoch, NumPy, two Keras variants, load
    assert len([line for line in table.splitlines() if epoch_row.match(line)]) == 3, table
    for side in sides:
        assert any(line.startswith(side) for line in table.splitlines()), (side, table)
    assert "load average" in table and "NumPy/this" in table


@pytest.mark.parametrize("model, title", [("lenet5", "LeNet-5"), ("lstm", "LSTM (128 units)")])
def test_train_fashion_mnist_has(model, title):
    """Does train_fashion_mnist.py --model <model> --quick train it and print its accuracy and seconds per epoch?"""
    listing = run("benchmarks/train_fashion_mnist.py", "--list")
    assert listing.returncode == 0 and model in listing.stdout
    result = run("benchmarks/train_fashion_mnist.py", "--model", model, "--quick")
    assert result.returncode == 0, result.stderr[-3000:]
    assert title in result.stdout and "batch size 128" in result.stdout
    assert re.search(r"test accuracy: \d+\.\d+%", result.stdout), result.stdout
    assert re.search(r"seconds per epoch: min [\d.]+, median [\d.]+", result.stdout), result.stdout
