"""The training benchmarks run end to end: each in its --quick mode, checking what it reports, never its speed."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERAS_SIDES = ["Keras as installed", "Keras, TF_ENABLE_ONEDNN_OPTS=1"]
EQUAL_THREADS = "Keras as installed, 2 threads"     # bench.py's third variant: TensorFlow at NumPy's thread count


def run(*args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


NUMPY_SIDES = {"two_layer": "NumPy (course.nn.mlp two_layer, float32)", "deep": "NumPy (course.nn.mlp deep, float32)",
               "lenet5": "NumPy (course.nn.lenet5, float32)", "lstm": "NumPy (course.nn LSTM, float32)"}


def test_make_bench_quick_writes_one_table_for_every_model(tmp_path):
    """Does `make bench QUICK=1` (benchmarks/bench.py --quick) train every model's NumPy side (two processes
    sharing each batch, one BLAS thread each) and the three Keras variants (as installed, oneDNN, as installed at
    NumPy's two threads) interleaved, and write one table (CSV, Markdown, a bar chart) with the first epoch, min
    and median, the ratio, test accuracy, the floor, threads and load for each? The shape of the table is
    checked, never its speed."""
    result = run("benchmarks/bench.py", "--quick", "--workers", "2", "--out", str(tmp_path), timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(tmp_path / "bench.csv") as f:
        rows = list(csv.DictReader(f))
    sides = [(m, side) for m in NUMPY_SIDES for side in (NUMPY_SIDES[m] + ", 2 processes", *KERAS_SIDES, EQUAL_THREADS)]
    assert [(r["model"], r["side"]) for r in rows] == sides
    for r in rows:
        assert r["epochs"] == "3" and 0 < float(r["min"]) <= float(r["median"]) and float(r["first"]) > 0, r
        assert 0.0 <= float(r["test_acc"]) <= 1.0 and float(r["floor"]) > 0 and float(r["load"]) >= 0, r
        assert (r["ratio"] == "") == r["side"].startswith("NumPy"), r
        assert ("1 thread" if r["side"].startswith("NumPy") else "oneDNN") in r["threads"], r
        if r["side"].startswith("NumPy"):
            assert "in each of 2 processes" in r["threads"], r
        if r["side"] == EQUAL_THREADS:
            assert "intra-op 2, inter-op 2" in r["threads"], r
    markdown = (tmp_path / "bench.md").read_text().splitlines()
    assert "sgemm" in markdown[0] and "load average" in markdown[0] and "installed:2" in markdown[0]
    assert "2 processes sharing each batch" in markdown[0]
    assert len([line for line in markdown if line.startswith("| ")]) == 1 + 4 * 4   # the header, a row per side
    assert (tmp_path / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # While it runs, each model prints one line per epoch with a time for every side and the load.
    epoch_row = re.compile(r"^\s+\d+(\s+[\d.]+){5}$")     # epoch, NumPy, three Keras variants, load
    assert len([line for line in result.stdout.splitlines() if epoch_row.match(line)]) == 4 * 3, result.stdout


def test_vs_keras_options_reach_the_keras_workers(tmp_path):
    """Does a benchmark's own option (the LSTM's --units) reach its Keras workers, so both sides train one network?"""
    saved = tmp_path / "report.json"
    result = run("benchmarks/lstm_vs_keras.py", "--quick", "--units", "16", "--keras", "installed",
                 "--json", str(saved))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(saved.read_text())
    assert report["units"] == 16 and [r["side"] for r in report["rows"]] == [NUMPY_SIDES["lstm"], KERAS_SIDES[0]]


def test_keras_variant_names_and_thread_counts_are_checked():
    """Is a Keras variant a known name with an optional positive thread count (installed:1), anything else an
    error that lists the names?"""
    sys.path.insert(0, str(ROOT))
    from benchmarks.interleaved import split_variant
    assert split_variant("installed") == ("installed", 0) and split_variant("onednn:2") == ("onednn", 2)
    for bad in ("keras", "installed:0", "installed:x", "onednn:-1"):
        with pytest.raises(ValueError, match="installed, onednn, no-onednn"):
            split_variant(bad)


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
