"""The experiment readout (A/B测试): every experiment with units first exposed in the period, read
as a growth team reads it (sample ratio check first, then each variant against the control on
each metric, CUPED, segments, guardrails and the cumulative difference over days).

The definitions are in :mod:`kit.metrics.experiments`, the statistics in
:mod:`kit.metrics.ab_stats`; the section's settings are ``experiments:`` in the params
(:class:`kit.params.Experiments`).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import polars as pl

from kit.figures import needs
from kit.metrics import experiments as ex
from kit.run import Run

KEPT = ("experiments", "experiment_variants", "experiment_results", "experiment_segments", "experiment_daily")
"""The readout's tables as the run keeps them for the diagnosis (``results/<name>.parquet``)."""

RECORDED = ("experiment_id", "name", "status", "control", "first_exposure", "last_exposure", "units",
            "period_units", "multiple_exposures", "multiple_share", "unlinked", "open_windows", "refunded_orders",
            "refunded_amount", "srm_statistic", "srm_p", "srm_ok", "planned_split", "primary_metric", "window_days",
            "cuped", "alpha", "power", "mde_target", "order_value", "winner")
"""The columns of an experiment's row that ``metrics.json`` records (``sections.experiments.readouts``)."""


class Experiment(NamedTuple):
    """One experiment's part of the readout: its row and its own rows of the other tables."""

    info: dict
    variants: pl.DataFrame
    results: pl.DataFrame
    segments: pl.DataFrame
    daily: pl.DataFrame


@needs(experiments=("customer_id|visitor_id",), orders=())
def readout(run: Run, reuse: bool = False) -> ex.Readout:
    """Every experiment with exposures in the period (:func:`kit.metrics.experiments.readout`),
    kept for the diagnosis and recorded in ``metrics.json``; an empty readout (tables without
    rows) when no unit was first exposed in the period."""
    if reuse:
        saved = [run.result(name) for name in KEPT]
        if all(frame is not None for frame in saved):
            return ex.Readout(*saved)
    data_end = run.meta.get("data_end")
    table = ex.readout(run.table("experiments"), run.orders, run.period, run.params.experiments.settings_for,
                       date.fromisoformat(data_end) if data_end else None, visitor_links(run), run.sessions, run.customers,
                       run.table("experiment_visits"))
    for name, frame in zip(KEPT, table, strict=True):
        run.save_result(name, frame)
    run.record("experiments", {"readouts": [_record(e) for e in each(table)]})
    return table


def visitor_links(run: Run) -> pl.LazyFrame | None:
    """The visitors' logins (:func:`kit.metrics.experiments.visitor_links`): prepared with the run,
    else found in its events."""
    prepared = run.table("visitor_links")
    return prepared if prepared is not None else ex.visitor_links(run.events)


def each(table: ex.Readout) -> list[Experiment]:
    """The readout split per experiment, in the order of the experiments' table (by id)."""
    out = []
    for info in table.experiments.to_dicts() if table.experiments.height else []:
        eid = info["experiment_id"]
        own = [_own(frame, eid) for frame in table[1:]]
        out.append(Experiment(info, *own))
    return out


def _own(frame: pl.DataFrame, eid: str) -> pl.DataFrame:
    return frame.filter(pl.col("experiment_id") == eid) if frame.height else frame


def _record(e: Experiment) -> dict:
    variants = e.variants.select("variant", "is_control", "units", "period_units", "share", "planned_share")
    results = e.results.drop("experiment_id", "control") if e.results.height else e.results
    return {**{k: e.info.get(k) for k in RECORDED}, "variants": variants.to_dicts(), "results": results.to_dicts()}


FIGURES = (readout,)
"""Every figure of the section in report order (the bench times each)."""
