"""The LeNet-5 benchmarks run end to end: each in its --quick mode, checking what it reports, never its speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
SIDES = ["NumPy (course.nn.lenet5, float32)", "Keras as installed", "Keras, TF_ENABLE_ONEDNN_OPTS=1"]


def run(*args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_lenet5_vs_keras_quick_prints_one_row_per_side(tmp_path):
    """Does lenet5_vs_keras.py --quick train NumPy and both Keras variants interleaved, and report min, median,
    test accuracy, the NumPy/Keras ratio, the threads and the load average for each?"""
    saved = tmp_path / "lenet5_vs_keras.json"
    result = run("benchmarks/lenet5_vs_keras.py", "--quick", "--json", str(saved))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(saved.read_text())
    rows = report["rows"]
    assert [row["side"] for row in rows] == SIDES
    for row in rows:
        assert row["epochs"] == 3 and 0 < row["min"] <= row["median"], row
        assert 0.0 <= row["test_acc"] <= 1.0 and row["threads"], row
    assert rows[0]["ratio"] is None and all(row["ratio"] > 0 for row in rows[1:])
    assert "thread" in rows[0]["threads"] and all("oneDNN" in row["threads"] for row in rows[1:])
    assert len(report["loads"]) == 1 + 3                    # at the start, then after each epoch
    # The printed table: a header, one line per epoch with a time for every side, one row per side.
    table = result.stdout
    epoch_row = re.compile(r"^\s+\d+(\s+[\d.]+){4}$")     # epoch, NumPy, two Keras variants, load
    epoch_lines = [line for line in table.splitlines() if epoch_row.match(line)]
    assert len(epoch_lines) == 3, table
    for side in SIDES:
        assert any(line.startswith(side) for line in table.splitlines()), (side, table)
    assert "load average" in table and "NumPy/this" in table


def test_train_fashion_mnist_has_lenet5():
    """Does train_fashion_mnist.py --model lenet5 --quick train LeNet-5 and print its accuracy and seconds per epoch?"""
    listing = run("benchmarks/train_fashion_mnist.py", "--list")
    assert listing.returncode == 0 and "lenet5" in listing.stdout
    result = run("benchmarks/train_fashion_mnist.py", "--model", "lenet5", "--quick")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "LeNet-5" in result.stdout and "batch size 128" in result.stdout
    assert re.search(r"test accuracy: \d+\.\d+%", result.stdout), result.stdout
    assert re.search(r"seconds per epoch: min [\d.]+, median [\d.]+", result.stdout), result.stdout


LSTM_SIDES = ["NumPy (course.nn LSTM, float32)", "Keras as installed", "Keras, TF_ENABLE_ONEDNN_OPTS=1"]


def test_lstm_vs_keras_quick_prints_one_row_per_side(tmp_path):
    """Does lstm_vs_keras.py --quick train the NumPy LSTM and both Keras LSTMs interleaved, and report min, median,
    test accuracy, the NumPy/Keras ratio, the threads and the load average for each?"""
    saved = tmp_path / "lstm_vs_keras.json"
    result = run("benchmarks/lstm_vs_keras.py", "--quick", "--units", "32", "--json", str(saved))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(saved.read_text())
    rows = report["rows"]
    assert [row["side"] for row in rows] == LSTM_SIDES and report["units"] == 32
    for row in rows:
        assert row["epochs"] == 3 and 0 < row["min"] <= row["median"], row
        assert 0.0 <= row["test_acc"] <= 1.0 and row["threads"], row
    assert rows[0]["ratio"] is None and all(row["ratio"] > 0 for row in rows[1:])
    assert "thread" in rows[0]["threads"] and all("oneDNN" in row["threads"] for row in rows[1:])
    assert len(report["loads"]) == 1 + 3
    epoch_row = re.compile(r"^\s+\d+(\s+[\d.]+){4}$")
    assert len([line for line in result.stdout.splitlines() if epoch_row.match(line)]) == 3, result.stdout
    for side in LSTM_SIDES:
        assert any(line.startswith(side) for line in result.stdout.splitlines()), (side, result.stdout)


def test_train_fashion_mnist_has_lstm():
    """Does train_fashion_mnist.py --model lstm --quick train lesson 10's LSTM and print its accuracy and speed?"""
    listing = run("benchmarks/train_fashion_mnist.py", "--list")
    assert listing.returncode == 0 and "lstm" in listing.stdout
    result = run("benchmarks/train_fashion_mnist.py", "--model", "lstm", "--quick")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "LSTM (128 units)" in result.stdout and "batch size 128" in result.stdout
    assert re.search(r"test accuracy: \d+\.\d+%", result.stdout), result.stdout
    assert re.search(r"seconds per epoch: min [\d.]+, median [\d.]+", result.stdout), result.stdout
