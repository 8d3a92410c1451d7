"""One report, consistent with itself: the three ways it speaks of losing customers, side by side.

- the KPI churn rate (:mod:`kit.metrics.kpis`): customers active in the comparison period
  with no paid order in this period, over the comparison period's active customers;
- the lifecycle stage "churned" (:func:`kit.metrics.retention.lifecycle_stages`): at the
  period end, the last paid order ``churn_days`` days or more before (``at_risk_days`` to
  ``churn_days``: at risk);
- P(alive) (:mod:`kit.metrics.clv`): the BG/NBD model's probability that a customer still
  buys, a model estimate, not a definition.

Each is defined once in the glossary (:mod:`kit.i18n.glossary`); the lifecycle and CLV
sections say which one they use (:mod:`kit.narrative.definitions`), and :func:`alive_by_stage`
puts the lifecycle stages beside the model's probability.
"""

from __future__ import annotations

import polars as pl

from kit.figures import needs
from kit.metrics.kpis import headline_kpis
from kit.metrics.retention import STAGES, lifecycle_stages
from kit.run import Run

LIKELY_ALIVE = 0.5
"""P(alive) from which the CLV section counts a customer as likely active."""


@needs(orders=())
def churn_kpi(run: Run) -> float | None:
    """The KPI churn rate of the period (None without a comparison period)."""
    if run.comparison is None:
        return None
    row = headline_kpis(run.orders, None, run.period, run.comparison).filter(pl.col("kpi") == "churn_rate")
    return row["value"][0] if row.height else None


def alive_by_stage(run: Run, p_alive: pl.DataFrame) -> pl.DataFrame:
    """The two definitions side by side, per lifecycle stage at the period end
    (:data:`kit.metrics.retention.STAGES` order): ``stage``, ``stage_name`` and ``definition``
    (the glossary's, in the run's language), ``customers``, ``mean_p_alive`` and
    ``likely_alive_share`` = share with P(alive) >= :data:`LIKELY_ALIVE`, over the customers
    the CLV model scored (``p_alive``: ``customer_id, p_alive``, e.g.
    :func:`kit.figures.value.lifetime_value`'s customers)."""
    from kit.figures.appendix import glossary
    from kit.i18n.labels import stage_name

    conv = run.params.conversion
    stages = lifecycle_stages(run.orders, run.period, conv.at_risk_days, conv.churn_days)
    joined = stages.join(p_alive.lazy().select("customer_id", "p_alive"), on="customer_id", how="inner")
    per = joined.group_by("stage").agg(pl.len().cast(pl.Float64).alias("customers"),
                                       pl.col("p_alive").mean().alias("mean_p_alive"),
                                       (pl.col("p_alive") >= LIKELY_ALIVE).mean().alias("likely_alive_share"))
    order = pl.col("stage").replace_strict(list(STAGES), list(range(len(STAGES))), return_dtype=pl.Int32)
    defined = glossary(run, tuple(f"stage_{s}" for s in STAGES))
    text = {key.removeprefix("stage_"): d for key, d in defined.select("key", "definition").iter_rows()}
    names = pl.LazyFrame({"stage": list(STAGES), "stage_name": [stage_name(s, run.locale) for s in STAGES],
                          "definition": [text[s] for s in STAGES]})
    return (names.join(per, on="stage", how="left").with_columns(pl.col("customers").fill_null(0.0))
            .sort(order).collect())
