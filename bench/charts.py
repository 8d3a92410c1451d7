"""The demo report's charts, drawn by the chart code of two commits side by side in one process
(`make bench BENCH_ARGS=charts`): the CPU time of the same ~40 charts, from the same figures,
with the chart code before the charts-style work (:data:`BEFORE`, taken from git: main as it
was merged last) and with the current ``kit.charts``. Machines here differ by 2x and drift by a third within an hour, so
only the ratio of the two, measured in alternating rounds in one process, says what changed.

Each chart is drawn as the notebooks draw it and rendered to PNG as ``kit.charts.show``
renders it (the old code: ``savefig`` with its theme's ``bbox_inches="tight"``; the new:
:func:`kit.charts.png`), then closed as ``show`` closes it (the old: ``plt.close``; the new:
:func:`kit.charts.close`, which also resumes the collector the chart paused). The figures (metrics) are computed once, before any timing.
"""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAMS = REPO / "params" / "demo.yaml"
BEFORE = "bc403c1"
"""The commit whose chart code is the "before" of the comparison: main, as last merged into
charts-style (its charts are those of 9a8b0b1, where charts-style started, plus the summary's
bridge, the findings' histories and the experiments' curves)."""
MODULES = ("__init__", "profile", "conversion", "retention", "rfm", "clv", "diagnosis", "summary", "experiments")
ROUNDS = int(os.environ.get("BENCH_CHART_ROUNDS", "3"))


def load_before(commit: str = BEFORE):
    """``kit.charts`` as it was at ``commit``, imported as the package ``charts_before`` (its
    modules' ``kit.charts`` imports pointed at it); the rest of ``kit`` is today's."""
    root = Path(tempfile.mkdtemp(prefix="charts-before-"))
    package = root / "charts_before"
    package.mkdir()
    for name in MODULES:
        source = subprocess.run(["git", "show", f"{commit}:kit/charts/{name}.py"], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout
        source = source.replace("from kit.charts import", "from charts_before import").replace(
            "from kit.charts.", "from charts_before.")
        (package / f"{name}.py").write_text(source, encoding="utf-8")
    # the translation keys the old charts read and today's table no longer has (this process only)
    from kit.i18n import TEXT

    for part in ("report", "profile", "conversion", "retention", "rfm", "clv", "diagnosis", "experiments", "history",
                 "intro", "glossary", "sections"):
        namespace: dict = {}
        exec(subprocess.run(["git", "show", f"{commit}:kit/i18n/{part}.py"], cwd=REPO, check=True,  # noqa: S102
                            capture_output=True, text=True).stdout, namespace)
        for key, entry in namespace["TEXT"].items():
            TEXT.setdefault(key, entry)
    sys.path.insert(0, str(root))
    return importlib.import_module("charts_before")


def _modules(package_name: str) -> dict:
    return {name: importlib.import_module(f"{package_name}.{name}") for name in MODULES if name != "__init__"}


def demo_inputs(run=None):
    """Every figure the demo report's charts draw, computed once (as notebooks 01-04 do), from
    ``run`` (default: the demo report's, ``params/demo.yaml``)."""
    from kit.figures import conversion as fc
    from kit.figures import diagnosis as fd
    from kit.figures import experiments as fe
    from kit.figures import present
    from kit.figures import profile as fp
    from kit.figures import summary as fs
    from kit.figures import value as fv
    from kit.figures.history import History, finding_history
    from kit.run import open_run

    run = run or open_run(PARAMS)
    data = {"run": run, "loc": run.locale}
    data["ages"] = fp.age_gender(run)
    data["regions"] = fp.region_share(run)
    data["provinces"] = fp.province_share(run)
    data["tiers"] = fp.city_tier_share(run)
    data["new_by_tier"] = fp.new_customers_by_tier(run)
    data["devices"] = fp.device_share(run)
    data["durations"] = fp.session_durations(run)
    data["visits"] = fp.visit_heatmap(run)
    data["sources"] = fp.source_performance(run)
    data["values"] = fp.order_values(run)
    data["per_customer"] = fp.orders_per_customer(run)
    data["by_category"] = fp.category_aov(run)
    data["categories"] = fp.category_share(run)
    data["preferences"] = [(fp.preference_by_region(run), "region"), (fp.preference_by_age(run), "age_band")]
    data["funnel"] = fc.funnel(run)
    data["breakdowns"] = fc.funnel_breakdowns(run)
    data["daily"] = fc.daily_steps(run)
    data["cart_by"] = fc.cart_breakdowns(run)
    data["first"] = fc.first_repurchase(run)
    data["intervals"] = fc.purchase_intervals(run)
    data["cohorts"] = fc.cohorts(run)
    data["lifecycle"] = fc.lifecycle(run)
    data["drivers"] = fc.repurchase_drivers(run)
    data["method"] = fv.method(run)
    data["profiles"] = fv.segment_profiles(run)
    data["grid"] = fv.rf_grid(run)
    data["concentration"] = fv.concentration(run)
    data["migration"] = fv.migration(run)
    data["value"] = fv.lifetime_value(run)
    data["findings"] = [f for _, group in fd.by_severity(fd.findings(run)) for f in group]
    data["histories"] = [finding_history(run, f) for f in data["findings"]]
    data["histories"] = [h if isinstance(h, History) else None for h in data["histories"]]
    data["daily_kept"] = present(data["daily"])
    data["bridge"] = present(fs.gmv_bridge(run))
    readout = present(fe.readout(run))
    data["experiments"] = [e for e in fe.each(readout) if e.daily.height] if readout is not None else []
    return data


def chart_calls(m: dict, d: dict) -> list[tuple[str, object]]:
    """(name, zero-argument call) for every chart of the demo report, in report order, drawn
    with the chart modules ``m`` (``profile``, ``conversion``, ... of one version)."""
    loc, run = d["loc"], d["run"]
    p, c, r, v, k, g = (m[n] for n in ("profile", "conversion", "retention", "rfm", "clv", "diagnosis"))
    s, x = m["summary"], m["experiments"]
    calls = [
        ("bridge", lambda: None if d["bridge"] is None else s.bridge_waterfall(d["bridge"], run.comparison.label,
                                                                             run.period.label, loc)),
        ("age_gender", lambda: p.age_gender_pyramid(d["ages"], loc)),
        ("region", lambda: p.share_bars(d["regions"], loc, "profile.chart.region")),
        ("province_map", lambda: p.province_map(d["provinces"], loc)),
        ("city_tier", lambda: p.share_bars(d["tiers"], loc, "profile.chart.city_tier")),
        ("new_by_tier", lambda: p.new_by_tier_bars(d["new_by_tier"], loc)),
        ("device", lambda: p.share_bars(d["devices"].devices, loc, "profile.chart.device",
                                        "profile.axis.share_sessions")),
        ("duration", lambda: p.duration_histogram(d["durations"].histogram, loc)),
        ("visit_heatmap", lambda: p.visit_heatmap_chart(d["visits"].grid, d["visits"].peaks, loc)),
        ("source", lambda: p.source_chart(d["sources"], loc)),
        ("order_value", lambda: p.order_value_histogram(d["values"].distribution, loc)),
        ("orders_per_customer", lambda: p.orders_per_customer_bars(d["per_customer"], loc)),
        ("aov_category", lambda: p.aov_category_bars(d["by_category"], loc)),
        ("category", lambda: p.category_bars(d["categories"], loc)),
    ]
    calls += [(f"preference_{by}", lambda t=t, by=by: p.preference_heatmap(t, by, loc)) for t, by in d["preferences"]]
    calls += [("funnel", lambda: c.funnel_chart(d["funnel"], loc, run.params.conversion.funnel_unit))]
    calls += [(f"breakdown_{i}", lambda b=b: c.breakdown_chart(b.by_step, loc)) for i, b in enumerate(d["breakdowns"])]
    calls += [(f"daily_{dim}", lambda dim=dim: c.daily_chart(d["daily"], dim, loc)) for dim in ("all", "device", "source")]
    calls += [
        ("cart", lambda: c.cart_chart(d["cart_by"], loc)),
        ("nday", lambda: r.nday_bars(d["first"], loc)),
        ("interval", lambda: r.interval_chart(d["intervals"].histogram, loc)),
        ("cohorts", lambda: r.cohort_heatmap(d["cohorts"], loc)),
        ("lifecycle", lambda: r.lifecycle_chart(d["lifecycle"].stages, loc)),
        ("flows", lambda: r.flows_chart(d["lifecycle"].flows, loc)),
        ("drivers", lambda: r.drivers_chart(d["drivers"], loc)),
        ("segment_sizes", lambda: v.segment_sizes_chart(d["profiles"], loc, d["method"].scheme)),
        ("rf_grid", lambda: v.rf_heatmap(d["grid"], loc)),
        ("lorenz", lambda: v.lorenz_chart(d["concentration"].curve, d["concentration"].now, loc)),
        ("migration", lambda: v.migration_heatmap(d["migration"], loc, d["method"].scheme, run.comparison.label,
                                                  run.period.label)),
        ("clv_segments", lambda: k.value_by_segment(d["value"].by_segment, loc, run.params.clv.horizon_months)),
        ("p_alive", lambda: k.p_alive_histogram(d["value"].p_alive, loc)),
        ("holdout", lambda: None if d["value"].holdout is None else k.holdout_predicted_vs_actual(d["value"].holdout,
                                                                                                 loc)),
    ]
    calls += [(f"finding_{i}", lambda f=f, h=h: g.finding_history_chart(h, f, loc) if h is not None
               else g.evidence_chart(f, d["daily_kept"], loc))
              for i, (f, h) in enumerate(zip(d["findings"], d["histories"], strict=True))]
    calls += [(f"experiment_{i}", lambda e=e: x.cumulative_chart(e.daily, e.info, loc))
              for i, e in enumerate(d["experiments"])]
    return calls


def _render_old(fig) -> bytes:
    """The old ``kit.charts.show``: ``savefig`` with the old theme's rcParams (tight bbox)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def draw_all(calls, render, close, times: dict) -> int:
    """Draw and render every chart; CPU seconds per chart added to ``times``; bytes written."""
    written = 0
    for name, call in calls:
        t0 = time.process_time()
        chart = call()
        if chart is not None:
            fig = getattr(chart, "figure", chart)
            written += len(render(fig))
            close(fig)
        times[name] = times.get(name, 0.0) + time.process_time() - t0
    return written


def case_charts() -> dict:
    """The demo report's ~40 charts drawn and rendered to PNG by the chart code before the
    charts-style work and by today's, in alternating rounds in one process: CPU seconds of
    each (all rounds) and ``ratio`` = new / old (target: <= 0.5)."""
    import logging

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import kit.charts
    from kit.notebook import warm_up

    # as in a report's kernel (kit.notebook.start): font warnings are not printed
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

    old_package = load_before()
    versions = {"old": (_modules("charts_before"), _render_old, plt.close),
                "new": (_modules("kit.charts"), kit.charts.png, kit.charts.close)}
    data = demo_inputs()
    warm_up()
    for modules, render, close in versions.values():  # fonts and caches, both versions, untimed
        matplotlib.rcdefaults()
        draw_all(chart_calls(modules, data), render, close, {})
    times = {name: {} for name in versions}
    wall = dict.fromkeys(versions, 0.0)
    for rnd in range(ROUNDS):
        order = list(versions) if rnd % 2 == 0 else list(versions)[::-1]
        for name in order:
            modules, render, close = versions[name]
            # each version from matplotlib's defaults, as in a report's fresh kernel: not
            # with the settings the other version's theme left behind
            matplotlib.rcdefaults()
            t0 = time.perf_counter()
            draw_all(chart_calls(modules, data), render, close, times[name])
            wall[name] += time.perf_counter() - t0
            # a chart that drew nothing (returned None) was never closed: the old code must
            # not run with the collector the new code paused
            kit.charts.release_collector()
    old_cpu, new_cpu = sum(times["old"].values()), sum(times["new"].values())
    per_chart = {k: round(times["new"][k] / times["old"][k], 2) for k in times["old"] if times["old"][k] > 0}
    slowest = sorted(times["new"].items(), key=lambda kv: -kv[1])[:6]
    del old_package
    return {"seconds": new_cpu / ROUNDS, "charts": len(times["new"]), "rounds": ROUNDS,
            "old_cpu": old_cpu, "new_cpu": new_cpu, "ratio": new_cpu / old_cpu,
            "old_wall": wall["old"], "new_wall": wall["new"], "wall_ratio": wall["new"] / wall["old"],
            "slowest_new": {k: round(v / ROUNDS, 3) for k, v in slowest},
            "ratio_per_chart": per_chart}


CHART_CASES = {"charts": case_charts}
