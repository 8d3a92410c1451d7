"""Section benchmarks on the 1M-customer demo shop (`make bench`), one case per section.

Each case opens the prepared big run (prepared once into ``.cache/runs/`` and reused; the
``prepare_1m`` case times that step on its own) and calls every figure of its section
(``kit.figures.<section>.FIGURES``, the functions the section notebook calls), in report
order, without drawing charts. Every figure is timed; the case's peak memory is measured
by ``bench/run.py`` (each case runs in its own process).

Targets from the issues (2 cores): section 1 < 10 s and < 4 GB; section 2 < 20 s and < 6 GB.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAMS = REPO / "bench" / "demo-1m.yaml"


def ensure_big_demo() -> Path:
    from run import ensure_big_demo as ensure

    return ensure()


def _run():
    from kit.run import open_run

    ensure_big_demo()
    return open_run(PARAMS)


class Timer:
    """Collects the seconds of each named step; ``total`` is their sum."""

    def __init__(self):
        self.steps: dict[str, float] = {}

    def __call__(self, name: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - t0
        return result

    def result(self) -> dict:
        return {"seconds": sum(self.steps.values()), **{k: round(v, 2) for k, v in self.steps.items()}}


def case_prepare_1m() -> dict:
    """Load, validate and prepare the 1M-customer shop's dataset (cold cache) and its run: what a
    first publish of the shop pays (target: <= 1.2 x the DuckDB session table of the same run)."""
    from kit.params import load_params
    from kit.run import prepare_run

    ensure_big_demo()
    params = load_params(PARAMS)[0]
    with tempfile.TemporaryDirectory(dir=REPO / "data") as tmp:
        t0 = time.perf_counter()
        run = prepare_run(params, Path(tmp) / "run", cache_dir=Path(tmp) / "cache")  # a cold dataset cache
        return {"seconds": time.perf_counter() - t0, "rows": run.meta["rows"]}


def _name(figure) -> str:
    return getattr(figure, "__name__", None) or repr(figure)


def _time_figures(module) -> dict:
    """Time every figure of a section module (``module.FIGURES``), in report order, as the
    section notebook calls them (the same functions, so the bench measures the report)."""
    from kit.figures import Missing

    run = _run()
    t = Timer()
    missing = [_name(f) for f in module.FIGURES if isinstance(t(_name(f), f, run), Missing)]
    return t.result() | ({"missing": missing} if missing else {})


def case_section1() -> dict:
    """Section 1 figures on 1M customers / 10M orders / 50M events (target: < 10 s, < 4 GB)."""
    from kit.figures import conversion, profile

    result = _time_figures(profile)
    run = _run()  # the interval sentence of 1.3 (a figure of section 2, read in section 1 too)
    t0 = time.perf_counter()
    conversion.purchase_intervals(run)
    result["purchase_intervals"] = round(time.perf_counter() - t0, 2)
    result["seconds"] += result["purchase_intervals"]
    return result


def case_section2() -> dict:
    """Section 2 figures on 50M events / 10M orders (target: < 20 s, < 6 GB)."""
    from kit.figures import conversion

    return _time_figures(conversion)


def case_section3() -> dict:
    """Section 3 on 1M customers: RFM segments now and before, profiles, concentration, CLV fit."""
    from kit.figures import value

    return _time_figures(value)


def case_section4() -> dict:
    """Section 4 on the 1M shop: every rule, over the figures sections 1-3 saved in the run
    (as in a published report; run after section1..3, else it computes them itself)."""
    from kit.figures import diagnosis

    return _time_figures(diagnosis)


SECTION_CASES = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}
