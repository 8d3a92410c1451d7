"""Section benchmarks on the 1M-customer demo shop (`make bench`), one case per section.

Each case opens the prepared big run (prepared once into ``.cache/runs/`` and reused; the
``prepare_1m`` case times that step on its own) and makes the metric calls its section
notebook makes, in the same order, without drawing charts. Every call is timed; the case's
peak memory is measured by ``bench/run.py`` (each case runs in its own process).

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
    """Load, validate and slice the 1M-customer shop into a run folder (once per publish)."""
    from kit.params import load_params
    from kit.run import prepare_run

    ensure_big_demo()
    params = load_params(PARAMS)[0]
    with tempfile.TemporaryDirectory(dir=REPO / "data") as tmp:
        t0 = time.perf_counter()
        run = prepare_run(params, Path(tmp))
        return {"seconds": time.perf_counter() - t0, "rows": run.meta["rows"]}


def case_section1() -> dict:
    """Section 1 metrics on 1M customers / 10M orders / 50M events (target: < 10 s, < 4 GB)."""
    from kit import figures
    from kit.metrics import profile as m
    from kit.metrics.retention import purchase_intervals

    run = _run()
    P, C = run.period, run.comparison
    orders, customers, items = run.orders, run.customers, run.order_items
    t = Timer()
    t("age_gender", m.age_gender, customers, orders, P, C)
    t("region_share", figures.region_share, run)
    t("province_share", m.region_share, customers, orders, P, C, level="province")
    t("city_tier_share", m.city_tier_share, customers, orders, P, C)
    t("new_customers_by_tier", m.new_customers_by_tier, customers, orders, P, C)
    sessions = t("sessions", m.sessions, run.sessions, P, C)
    t("device_and_mobile", lambda: (m.device_share(sessions, P, C), m.mobile_share(sessions, P, C)))
    t("durations", lambda: (m.session_duration_stats(sessions, P, C), m.session_duration_histogram(sessions, P)))
    t("visit_heatmap", lambda: m.peak_hours(m.visit_heatmap(sessions, P)))
    t("source_performance", m.source_performance, sessions, orders, P, C)
    t("aov_and_order_values", lambda: (m.aov_overall(orders, P, C), m.order_value_stats(orders, P, C),
                                        m.order_value_distribution(orders, P), m.orders_per_customer(orders, P, C)))
    t("purchase_intervals", purchase_intervals, orders, P, C)
    t("categories", lambda: (m.aov_by_category(orders, items, P, C), m.category_share(orders, items, P, C)))
    t("preference_index", lambda: (m.preference_index(orders, items, customers, P, by="region"),
                                   m.preference_index(orders, items, customers, P, by="age_band")))
    t("category_quality", figures.category_quality, run)
    return t.result()


def case_section2() -> dict:
    """Section 2 metrics on 50M events / 10M orders (target: < 20 s, < 6 GB)."""
    from kit import figures
    from kit.metrics import funnel as fn
    from kit.metrics import retention
    from kit.metrics.kpis import headline_kpis

    run = _run()
    P, C = run.period, run.comparison
    conv = run.params.conversion
    t = Timer()
    t("funnel (incl. journeys)", figures.funnel, run)
    t("funnel_by", lambda: [fn.conversion_by(figures.funnel_by(run, d)) for d in fn.DIMENSIONS])
    t("time_to_convert", fn.time_to_convert, figures.converted_journeys(run), P, C)
    t("path_tables", fn.path_tables, run.events, P, conv.funnel_steps, sessions=run.sessions)
    t("daily_steps", figures.daily_steps, run)
    t("channel_roi", figures.channel_roi, run)
    t("cart_abandonment (incl. carts)", figures.cart_abandonment, run)
    t("cart_abandonment_by", lambda: [figures.cart_abandonment_by(run, d) for d in ("device", "source", "category")])
    t("repurchase_rate", headline_kpis, run.orders, None, P, C)
    t("first_repurchase", figures.first_repurchase, run)
    t("intervals", lambda: (retention.purchase_intervals(run.orders, P, C), retention.interval_histogram(run.orders, P)))
    t("cohort_matrix", retention.cohort_matrix, run.orders, P)
    t("lifecycle", lambda: (retention.lifecycle_counts(run.orders, P, C, conv.at_risk_days, conv.churn_days),
                            retention.lifecycle_flows(run.orders, P, C, conv.at_risk_days, conv.churn_days)))
    t("repurchase_drivers", retention.repurchase_drivers, run.orders, P, run.order_items, run.customers, comparison=C)
    t("channel_repurchase", retention.channel_repurchase, run.orders, run.customers, P, C)
    t("churn_by_region", figures.churn_by, run, "region")
    return t.result()


def case_section3() -> dict:
    """Section 3 on 1M customers: RFM segments now and before, profiles, concentration, CLV fit."""
    from kit import figures
    from kit.metrics import clv
    from kit.metrics import segments as seg

    run = _run()
    P = run.period
    t = Timer()
    now = t("segments", figures.segments, run)
    before = t("segments_before", figures.segments, run, "comparison")
    t("profiles_and_grid", lambda: (seg.segment_profiles(now), seg.rf_grid(now), figures.segment_sizes(run)))
    t("top_categories", seg.segment_top_categories, run.orders, run.order_items, now, P)
    t("concentration", lambda: (figures.concentration(run), seg.lorenz_curve(now)))
    t("migration", seg.segment_migration, now, before)
    value = t("clv_fit", clv.customer_lifetime_value, run.orders, P.end, run.params.clv.horizon_months,
              run.params.clv.time_unit, run.params.clv.min_repeat_buyers)
    t("clv_by_segment", clv.clv_by_segment, value.customers, now)
    return t.result() | {"clv_ok": value.fit.ok}


def case_section4() -> dict:
    """Section 4 on the 1M shop: every rule, over the figures sections 1-3 saved in the run
    (as in a published report; run after section1..3, else it computes them itself)."""
    from kit.diagnosis.diagnose import diagnose

    run = _run()
    t = Timer()
    findings = t("diagnose", diagnose, run)
    return t.result() | {"findings": len(findings), "high": sum(f.severity == "high" for f in findings)}


SECTION_CASES = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}
