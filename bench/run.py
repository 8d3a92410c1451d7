"""Speed benchmarks (`make bench`), never part of the tests.

Each case runs in its own process so its peak memory (max RSS) is its own. Results are
printed as a table and written to bench/results/latest.json.

    python bench/run.py                 # every case
    python bench/run.py publish_one     # some cases
    python bench/run.py --list
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

BIG = REPO / "data" / "demo-1m"
BIG_CUSTOMERS = 1_000_000


def ensure_big_demo() -> Path:
    if not (BIG / "manifest.json").exists():
        from kit.demo import generate

        generate(BIG, customers=BIG_CUSTOMERS)
    return BIG


# ---------------------------------------------------------------- cases

def case_machine() -> dict:
    """This machine's speed on three fixed workloads, to compare results across machines
    (the same code ran twice as slow on one 2-core machine as on another): a pure-Python
    loop, a polars group-by on 5M rows, and ten report-style charts rendered to PNG
    (fonts loaded before)."""
    import io

    import matplotlib
    import numpy as np
    import polars as pl

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    t0 = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    python = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    frame = pl.LazyFrame({"k": rng.integers(0, 100_000, 5_000_000), "v": rng.random(5_000_000)})
    t0 = time.perf_counter()
    frame.group_by("k").agg(pl.col("v").sum(), pl.len()).collect()
    polars = time.perf_counter() - t0

    # a fixed workload, independent of the kit's chart theme (as that theme was when the
    # machines' numbers below were taken): seaborn whitegrid, a CJK font, constrained layout,
    # a tight bounding box, 110 dpi
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"font.family": "sans-serif", "font.sans-serif": ["Noto Sans CJK SC", "DejaVu Sans"],
                         "axes.unicode_minus": False, "figure.dpi": 110, "savefig.dpi": 110})

    def chart() -> None:
        fig, ax = plt.subplots(figsize=(9.0, 3.6), layout="constrained")
        ax.bar([f"类别 {i}" for i in range(12)], np.arange(12))
        ax.set_title("客户画像 Customers")
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
        plt.close(fig)

    chart()  # loads the fonts
    t0 = time.perf_counter()
    for _ in range(10):
        chart()
    charts = time.perf_counter() - t0
    return {"python_loop": python, "polars_group_by": polars, "ten_charts": charts}


def case_changepoint() -> dict:
    """The dated-drop detector over a quarter of 60 daily series (4 steps x 15 groups), one
    with a planted two-week drop (the test checks it finds that one and no other)."""
    sys.path.insert(0, str(REPO / "tests"))
    import numpy as np
    import polars as pl
    from test_changepoint import DAYS, DROP_END, DROP_START, simulate, step_rates

    from kit.diagnosis import find_dated_drops

    table = pl.concat([
        simulate(i, step_rates(0.71, 0.38, DROP_START, DROP_END) if i == 0 else np.full(DAYS, 0.6),
                 base=300, group=f"g{i // 4}", step=f"s{i % 4}")
        for i in range(60)
    ])
    t0 = time.perf_counter()
    drops = find_dated_drops(table)
    return {"seconds": time.perf_counter() - t0, "found": drops.height}


def case_demo_1m() -> dict:
    """Generate the 1M-customer shop (target: < 180 s, < 8 GB)."""
    from kit.demo import generate

    with tempfile.TemporaryDirectory(dir=REPO / "data") as tmp:
        t0 = time.perf_counter()
        manifest = generate(Path(tmp) / "shop", customers=BIG_CUSTOMERS)
        return {"seconds": time.perf_counter() - t0, "rows": manifest.get("rows")}


def _publish(params: list[str], jobs: int, pdf: bool = True) -> tuple[float, Path, int]:
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    t0 = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "kit", "publish", *params, "--jobs", str(jobs), "--output", str(out),
                            "--quiet"] + ([] if pdf else ["--no-pdf"]), cwd=REPO)
    return time.perf_counter() - t0, out, code


def case_publish_one() -> dict:
    """One demo report end to end (target: < 20 s), split into its steps: prepare (the kernels
    warm up beside it), sections (wall time; ``notebook_cells`` adds up every cell's time,
    more than the wall time when sections run side by side), HTML, PDF, and the rest
    (starting Python, the worker and its kernels, papermill's bookkeeping, the index)."""
    seconds, out, code = _publish(["params/demo.yaml"], jobs=1)
    metrics = json.loads(next(out.glob("*/metrics.json")).read_text(encoding="utf-8"))
    steps = metrics["timings_seconds"]
    cells = 0.0
    for nb in out.glob("*/notebooks/*.ipynb"):
        doc = json.loads(nb.read_text(encoding="utf-8"))
        cells += sum(c.get("metadata", {}).get("papermill", {}).get("duration") or 0 for c in doc["cells"])
    known = sum(steps.get(k) or 0 for k in ("prepare", "sections", "html", "pdf"))
    return {"seconds": seconds, "exit": code, "prepare": steps.get("prepare"), "sections": steps.get("sections"),
            "notebook_cells": cells, "html": steps.get("html"), "pdf": steps.get("pdf"), "rest": seconds - known}


def _process_tree(root: int) -> dict[int, tuple[str, int]]:
    """Every live process descending from ``root``: pid -> (what it is, VmHWM in kB), read
    from /proc (VmHWM is the process's peak resident memory so far)."""
    parents, found = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = (int(fields.get("PPid", "0").strip()), cmdline,
                                    int((fields.get("VmHWM") or "0 kB").split()[0]))
    for pid, (_, cmdline, hwm) in parents.items():
        p = pid
        while p and p != root and p in parents:
            p = parents[p][0]
        if p == root or pid == root:
            kind = ("kernel" if "ipykernel" in cmdline else "chromium" if "chrom" in cmdline
                    else "jvm" if "org.apache.spark" in cmdline
                    else "worker" if "multiprocessing" in cmdline or "spawn_main" in cmdline else "kit")
            found[pid] = (kind, hwm)
    return found


def _publish_measured(params: list[str], jobs: int, pdf: bool = True) -> dict:
    """``kit publish`` in a child process, its process tree's peak memory sampled every 0.2 s:
    the largest VmHWM of the kit process, of any kernel and of any other child (worker,
    Chromium), in GB."""
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    seconds, code, by_kind = _measured([sys.executable, "-m", "kit", "publish", *params, "--jobs", str(jobs),
                                        "--output", str(out), "--quiet"] + ([] if pdf else ["--no-pdf"]))
    steps = {}
    for metrics in out.glob("*/metrics.json"):
        steps = json.loads(metrics.read_text(encoding="utf-8"))["timings_seconds"]
    return {"seconds": seconds, "exit": code, "reports": len(list(out.glob("*/report.html"))),
            "peak_gb_per_process": {k: round(v, 2) for k, v in sorted(by_kind.items())},
            "peak_gb_max": round(max(by_kind.values(), default=0.0), 2), "steps": steps}


def _measured(command: list[str]) -> tuple[float, int, dict[str, float]]:
    """Run ``command``; its wall seconds, exit code and the peak VmHWM (GB) of each kind of process
    in its tree (kit, kernel, chromium, jvm, worker), sampled every 0.2 s."""
    import threading

    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO)
    peaks: dict[int, tuple[str, int]] = {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid, (kind, hwm) in _process_tree(proc.pid).items():
                if hwm >= peaks.get(pid, ("", 0))[1]:
                    peaks[pid] = (kind, hwm)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    by_kind: dict[str, float] = {}
    for kind, hwm in peaks.values():
        by_kind[kind] = max(by_kind.get(kind, 0.0), hwm / 1024 / 1024)
    return seconds, code, by_kind


def case_full_1m() -> dict:
    """The whole `kit publish` of the 1M-customer shop's quarter (with PDF), its own dataset
    cache cleared first, with the peak memory of every process (the kit process and each
    kernel; targets: <= 2.5 x the DuckDB session table of the same run, every process <= 6 GB)."""
    ensure_big_demo()
    shutil.rmtree(REPO / "output" / ".cache", ignore_errors=True)
    return _publish_measured(["bench/demo-1m.yaml"], jobs=1)


HUGE = REPO / "data" / "demo-3m"
HUGE_CUSTOMERS = 3_000_000


def case_full_3m() -> dict:
    """The 3M-customer shop (about 170M events; generated into data/demo-3m/ if missing, that
    time and peak reported apart): the whole `kit publish` with PDF from an empty dataset cache,
    with the peak memory of every process. No target beyond completing on a 24 GB machine: it
    shows where the one-machine ceiling is."""
    import resource

    generated = {}
    if not (HUGE / "manifest.json").exists():
        from kit.demo import generate

        t0 = time.perf_counter()
        manifest = generate(HUGE, customers=HUGE_CUSTOMERS)
        generated = {"generate_seconds": time.perf_counter() - t0, "rows": manifest.get("rows"),
                     "generate_peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024}
    shutil.rmtree(REPO / "output" / ".cache", ignore_errors=True)
    return _publish_measured(["bench/demo-3m.yaml"], jobs=1) | generated


def case_batch_8_1m() -> dict:
    """8 region runs of one quarter on the 1M shop with --jobs 2 (one preparation of the data,
    then eight slices; target: <= 2 x full_1m)."""
    ensure_big_demo()
    shutil.rmtree(REPO / "output" / ".cache", ignore_errors=True)
    return _publish_measured(["bench/regions8-1m.yaml"], jobs=2)


SPARK_1M = {"spark.driver.memory": "8g", "spark.sql.shuffle.partitions": 16, "spark.ui.enabled": False,
            "spark.local.dir": tempfile.gettempdir()}
"""Spark local mode on this machine for the 1M shop: the driver is the executor (local[2])."""


def case_spark_prepare_1m() -> dict:
    """The 1M shop's dataset prepared by `kit prepare --engine spark` (local[2]) and by the local
    engine, each into an empty cache: seconds and peak memory of every process (the JVM's
    VmHWM too). No target: one 2-core machine is not where Spark wins; the same code runs on a
    cluster. The shop: data/demo-1m, or KIT_DEMO_1M."""
    shop = Path(os.environ.get("KIT_DEMO_1M") or ensure_big_demo())
    tables = ("orders", "customers", "order_items", "events", "marketing_spend")
    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    params = work / "demo-1m.yaml"
    params.write_text("name: demo-1m\nperiod: 2025-Q4\ndata:\n"
                      + "".join(f"  {t}: {{path: '{shop / t}'}}\n" for t in tables)
                      + f"spark:\n  master: local[2]\n  conf: {json.dumps(SPARK_1M)}\n", encoding="utf-8")
    result = {}
    try:
        for engine in ("local", "spark"):
            seconds, code, by_kind = _measured([sys.executable, "-m", "kit", "prepare", str(params), "--engine", engine,
                                                "--cache-dir", str(work / engine), "--quiet"])
            result[engine] = {"seconds": round(seconds, 1), "exit": code,
                              "peak_gb_per_process": {k: round(v, 2) for k, v in sorted(by_kind.items())}}
        result["spark_over_local"] = round(result["spark"]["seconds"] / result["local"]["seconds"], 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def case_batch_8() -> dict:
    """8 region runs with --jobs 2 (target: < 60 s)."""
    seconds, out, code = _publish(["bench/regions8.yaml"], jobs=2)
    reports = len(list(out.glob("*/report.pdf")))
    return {"seconds": seconds, "exit": code, "reports": reports}


CASES = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}
try:  # section benchmarks and the references (DuckDB, lifetimes) live beside this file
    from references import REFERENCE_CASES
    from sections import SECTION_CASES

    CASES.update(SECTION_CASES)
    CASES.update(REFERENCE_CASES)
except ImportError:
    pass
try:  # the report's charts, old chart code against new in one process
    from charts import CHART_CASES

    CASES.update(CHART_CASES)
except ImportError:
    pass

RATIOS = (  # (name, numerator case, its field, denominator case, its field, target)
    ("full_1m / duckdb_sessions", "full_1m", "seconds", "duckdb_sessions", "seconds", 2.5),
    ("prepare_1m / duckdb_sessions", "prepare_1m", "seconds", "duckdb_sessions", "seconds", 1.2),
    ("batch_8_1m / full_1m", "batch_8_1m", "seconds", "full_1m", "seconds", 2.0),
    ("rfm kit / duckdb", "rfm_vs_duckdb", "kit_seconds", "rfm_vs_duckdb", "duckdb_seconds", 1.0),
    ("lifetimes / kit (speed-up)", "clv_vs_lifetimes", "lifetimes_seconds", "clv_vs_lifetimes", "kit_seconds", None),
    ("baskets categories kit / mlxtend (100k sample)", "baskets_1m", "kit_sample_category_seconds", "baskets_1m",
     "mlxtend_sample_category_seconds", None),
    ("baskets products kit / mlxtend (100k sample)", "baskets_1m", "kit_sample_product_seconds", "baskets_1m",
     "mlxtend_sample_product_seconds", None),
    ("section1 / machine polars group-by", "section1", "seconds", "machine", "polars_group_by", None),
    ("section2 / machine polars group-by", "section2", "seconds", "machine", "polars_group_by", None),
    ("section3 / machine polars group-by", "section3", "seconds", "machine", "polars_group_by", None),
)
"""The ratios a reader compares across machines: both sides measured in the same bench run."""


def ratios(results: list[dict]) -> list[dict]:
    by = {r["case"]: r for r in results}
    out = []
    for name, num, num_key, den, den_key, target in RATIOS:
        if num in by and den in by and by[num].get(num_key) and by[den].get(den_key):
            value = by[num][num_key] / by[den][den_key]
            out.append({"ratio": name, "value": round(value, 2), "target": target,
                        "met": None if target is None else value <= target})
    return out


# ---------------------------------------------------------------- runner

def run_case(name: str) -> dict:
    """Run one case in a child process; its own result plus wall time and peak memory."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", name], stdout=subprocess.PIPE, cwd=REPO)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    result = json.loads(out.decode().strip().splitlines()[-1]) if status == 0 and out.strip() else {"error": status}
    result.update({"case": name, "wall_seconds": round(time.perf_counter() - t0, 2),
                   "peak_rss_gb": round(usage.ru_maxrss / 1024 / 1024, 2)})
    return result


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        result = CASES[argv[1]]()
        print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()},
                         ensure_ascii=False, default=str))
        return 0
    if argv[:1] == ["--list"]:
        for name, fn in CASES.items():
            print(f"{name:22s} {(fn.__doc__ or '').strip()}")
        return 0
    names = argv or list(CASES)
    results = []
    for name in names:
        print(f"… {name}", file=sys.stderr, flush=True)
        r = run_case(name)
        results.append(r)
        print(json.dumps(r, ensure_ascii=False), flush=True)
    for r in ratios(results):
        print(json.dumps(r, ensure_ascii=False), flush=True)
    folder = REPO / "bench" / "results"
    folder.mkdir(exist_ok=True)
    (folder / "latest.json").write_text(json.dumps({"results": results, "ratios": ratios(results)},
                                                   ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
