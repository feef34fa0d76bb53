"""`make bench`: every model of the course in NumPy against Keras, one table.

Usage (from the project root)::

    make bench                       # full mode: every model, its default number of epochs
    make bench QUICK=1               # a smoke test: a few batches per model (the test suite runs it)
    .venv/bin/python benchmarks/bench.py --models two_layer,lstm --epochs 5 --threads 1
    make bench BENCH_WORKERS=1                 # NumPy in one process (default: 2 processes sharing each batch)
    make bench BENCH_THREADS=2                 # two BLAS threads in each NumPy process
    make bench BENCH_BLAS=auto                 # OpenBLAS's own kernels for this CPU, whatever OPENBLAS_CORETYPE says

For each model (the two-layer MLP of lesson 07, the deep MLP of lesson 08, LeNet-5 of lesson 09 and
the LSTM of lesson 10), one ``*_vs_keras.py`` benchmark trains the NumPy version and three Keras
variants, alternating epoch by epoch (``benchmarks/interleaved.py``): Keras as installed with
TensorFlow's default threads (one per core), with ``TF_ENABLE_ONEDNN_OPTS=1`` (default threads), and
as installed at **equal threads**, with as many TensorFlow threads (intra-op and inter-op) as NumPy
has BLAS threads in all its processes (``installed:2`` by default). NumPy uses the cores as
TensorFlow does, all of them: every batch is split across ``--workers`` processes (two by default,
``course.nn.parallel.DataParallel``), each with one BLAS thread. The models run one after the other;
within a model every side sees the same machine load.

The table gives, per model and side: the first epoch apart, min and median seconds of the other epochs,
the NumPy/Keras ratio of the medians, test accuracy, the threads in use, the load average during that
model's run, and the **arithmetic floor**: the epoch's floating-point work (a training step counted as
three forward passes) at this machine's measured single-precision matrix-product rate, with NumPy's
BLAS threads, times the number of NumPy processes. An epoch near its floor has little left to gain;
far above it, the time goes elsewhere (memory traffic, Python, small products).

Read the ratios, not the seconds: on a shared machine absolute times move with the load, while the
two sides of one interleaved run move together. Under a heavy load (more runnable threads than
cores) the wall-clock ratio also counts the scheduler's shares: a side with two threads gets about
twice the CPU of a side with one, so the equal-threads row is then the fair one. The **CPU seconds**
per epoch (each process's CPU time during its training steps, all its threads; median, first epoch
left out) and their ratio are the work each side does, which the load moves much less. Written to
``build/bench/``: ``bench.csv``, ``bench.md`` and ``ratios.png`` (a bar chart of the ratios).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # run from anywhere in the repo

from benchmarks import interleaved, lenet5_vs_keras, lstm_vs_keras, mlp_vs_keras  # noqa: E402

BENCHMARKS = {   # model -> (the benchmark, its script, its docstring, its own options)
    "two_layer": (mlp_vs_keras.benchmark("two_layer"), mlp_vs_keras, ["--model", "two_layer"]),
    "deep": (mlp_vs_keras.benchmark("deep"), mlp_vs_keras, ["--model", "deep"]),
    "lenet5": (lenet5_vs_keras.LENET5, lenet5_vs_keras, []),
    "lstm": (lstm_vs_keras.LSTM, lstm_vs_keras, []),
}
COLUMNS = ["model", "side", "epochs", "first", "min", "median", "ratio", "cpu", "cpu_ratio", "test_acc", "floor",
           "load", "threads"]
OUT = ROOT / "build" / "bench"


def sgemm_rate(size=1024, repeats=5):
    """This machine's single-precision matrix-product rate in FLOP/s, best of ``repeats`` (NumPy's BLAS)."""
    rng = np.random.default_rng(0)
    A, B = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    A @ B                                                    # warm-up: threads, caches
    best = min(_timed(lambda: A @ B) for _ in range(repeats))
    return 2 * size ** 3 / best


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_model(model, args, workdir):
    """Run one model's interleaved benchmark; returns its JSON report."""
    bench, module, options = BENCHMARKS[model]
    report_file = Path(workdir) / f"{model}.json"
    argv = options + ["--threads", str(args.threads), "--workers", str(args.workers), "--keras", args.keras,
                      "--json", str(report_file)]
    argv += ["--quick"] if args.quick else []
    argv += ["--epochs", str(args.epochs)] if args.epochs else []
    print(f"\n=== {model} " + "=" * (70 - len(model)), flush=True)
    status = interleaved.main(bench, module.__file__, module.__doc__, argv)
    if status:
        raise SystemExit(f"the {model} benchmark failed (exit status {status})")
    return json.loads(report_file.read_text())


def table_rows(model, report, rate):
    """The rows of one model's report, with the floor and the mean load of its run."""
    floor = None
    if report.get("flops_per_sample"):
        # the processes of a DataParallel NumPy side each run at the measured rate, on their own core
        floor = 3 * report["flops_per_sample"] * report["num_train"] / (rate * report.get("workers", 1))
    load = float(np.mean(report["loads"]))
    return [{"model": model, **{k: row.get(k) for k in ("side", "epochs", "first", "min", "median", "ratio",
                                                         "cpu", "cpu_ratio", "test_acc", "threads")},
             "floor": floor, "load": load} for row in report["rows"]]


def _cell(value, column):
    if value is None:
        return ""
    if column == "test_acc":
        return f"{value:.2%}"
    if column in ("ratio", "cpu_ratio"):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.3g}" if column == "floor" else f"{value:.2f}"
    return str(value)


def write_outputs(rows, header, out):
    """``bench.csv`` (raw numbers), ``bench.md`` (the table to read) and ``ratios.png`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "bench.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    titles = {"first": "first epoch s", "min": "min s", "median": "median s", "ratio": "NumPy/Keras",
              "cpu": "median CPU s", "cpu_ratio": "CPU NumPy/Keras",
              "test_acc": "test acc", "floor": "floor s", "load": "load avg"}
    lines = [header, "", "| " + " | ".join(titles.get(c, c) for c in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row[c], c) for c in COLUMNS) + " |" for row in rows]
    (out / "bench.md").write_text("\n".join(lines) + "\n")
    plot_ratios(rows, out / "ratios.png")


def plot_ratios(rows, path):
    """Bars of NumPy/Keras per model and Keras variant; a line at 1 (below it NumPy is faster)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(row["model"] for row in rows))
    sides = list(dict.fromkeys(row["side"] for row in rows if row["ratio"] is not None))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / max(len(sides), 1)
    for k, side in enumerate(sides):
        ratios = [next((r["ratio"] for r in rows if r["model"] == m and r["side"] == side), np.nan) for m in models]
        ax.bar(np.arange(len(models)) + (k - (len(sides) - 1) / 2) * width, ratios, width, label=side)
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_xticks(np.arange(len(models)), models)
    ax.set_ylabel("NumPy / Keras, median epoch")
    ax.set_title("Below 1: the NumPy version is faster")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(BENCHMARKS),
                        help=f"comma-separated models: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per model (default: each benchmark's own)")
    parser.add_argument("--keras", default=os.environ.get("BENCH_KERAS"),
                        help="Keras variants, e.g. installed,onednn,installed:1 (default: installed, onednn and "
                             "installed at NumPy's thread count, or $BENCH_KERAS)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)),
                        help="BLAS threads of each NumPy process (default 1, or $BENCH_THREADS)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 0)) or None,
                        help="NumPy processes sharing every batch (course.nn.parallel.DataParallel; default: "
                             "2, or 1 on a one-core machine, or $BENCH_WORKERS)")
    parser.add_argument("--blas-coretype", default=os.environ.get("BENCH_BLAS") or None,
                        help="OpenBLAS kernels of the NumPy side (Haswell, SkylakeX, auto: OpenBLAS's choice); "
                             "default: OPENBLAS_CORETYPE as the environment has it (or $BENCH_BLAS)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: a few batches per model")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the table goes (default {OUT})")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = min(2, os.cpu_count() or 1)
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    if args.keras is None:
        args.keras = f"installed,onednn,installed:{args.threads * args.workers}"
    args.model_list = [m for m in args.models.split(",") if m]
    unknown = sorted(set(args.model_list) - set(BENCHMARKS))
    if unknown or not args.model_list:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    interleaved.use_blas_kernels(args.blas_coretype, __file__, argv)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=args.threads, user_api="blas")
    rate = sgemm_rate()
    start_load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.model_list:
            rows += table_rows(model, run_model(model, args, workdir), rate)
    mode = "quick mode (a few batches: the figures mean nothing)" if args.quick else "full mode"
    threads = f"{args.threads} BLAS thread{'s' if args.threads != 1 else ''}"
    processes = f"{args.workers} process{'es' if args.workers != 1 else ''} sharing each batch"
    header = (f"NumPy against Keras, {mode}; {os.cpu_count()} CPUs, load average {start_load:.2f} at the start; "
              f"sgemm {rate / 1e9:.1f} GFLOP/s with {threads} (the floor's rate, for one process); NumPy: "
              f"{processes}, each {interleaved.blas_settings()}; Keras variants: {args.keras}.")
    write_outputs(rows, header, args.out)
    print("\n" + (args.out / "bench.md").read_text())
    print(f"written: {args.out / 'bench.csv'}, {args.out / 'bench.md'}, {args.out / 'ratios.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
