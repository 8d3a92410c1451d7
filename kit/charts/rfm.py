"""Charts of sections 3.1-3.2 (RFM segments). Each takes a small table from
:mod:`kit.metrics.segments` and returns its Axes."""

from __future__ import annotations

import polars as pl
from matplotlib.colors import Normalize

from kit.charts import (
    ACCENT,
    GREY,
    MAIN,
    SEQUENTIAL,
    axes,
    chart,
    heatmap,
    legend,
    note,
    pct_axis,
)
from kit.charts.profile import paired_bars
from kit.i18n import Locale
from kit.i18n.labels import segment_name
from kit.metrics.segments import NEW, SEGMENTS


def _ordered(segments: list[str], scheme: str | None) -> list[str]:
    """Segments in the scheme's display order (unknown ones after, alphabetically)."""
    order = list(SEGMENTS.get(scheme, ())) if scheme else []
    known = [s for s in order if s in set(segments)]
    return known + sorted(s for s in set(segments) if s not in set(order))


@chart
def segment_sizes_chart(profiles: pl.DataFrame, loc: Locale, scheme: str | None = None, ax=None):
    """Paired horizontal bars per segment: share of customers (customers / all) beside share of
    revenue (segment's M / all M), so segments that bring more than their weight stand out."""
    order = _ordered(profiles["segment"].to_list(), scheme)
    data = profiles.to_pandas().set_index("segment").loc[order]
    ax = axes(ax, "wide", height=max(2.0, 0.3 * len(order) + 0.9), grid="x")
    paired_bars(ax, [segment_name(s, loc) for s in order],
                [(data["share"].tolist(), MAIN, loc.t("rfm.legend.customers")),
                 (data["revenue_share"].fillna(0).tolist(), ACCENT, loc.t("rfm.legend.revenue"))])
    ax.set_title(loc.t("rfm.chart.sizes"))
    ax.set_xlabel(loc.t("rfm.axis.share"))
    pct_axis(ax, "x")
    legend(ax)
    return ax


@chart
def rf_heatmap(grid: pl.DataFrame, loc: Locale, value: str = "customers", ax=None):
    """Heatmap of R score (rows, 5 = most recent on top) x F score (columns) with the customers
    (or revenue, ``value="revenue"``) in each cell (:func:`kit.metrics.segments.rf_grid`).
    Scores no customer has (ties share a score: when most customers bought once, F has no 2
    or 3) are left out, and a note under the axis names them."""
    table = (grid.to_pandas().pivot(index="r_score", columns="f_score", values="customers")
             .reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5]).fillna(0))
    values = (grid.to_pandas().pivot(index="r_score", columns="f_score", values=value)
              .reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5]).fillna(0))
    rows = [r for r in table.index if table.loc[r].sum() > 0] or list(table.index)
    cols = [c for c in table.columns if table[c].sum() > 0] or list(table.columns)
    shown = values.loc[rows, cols].to_numpy(dtype=float)
    ax = axes(ax, "half", height=0.32 * len(rows) + 1.2, grid="none")
    labels = [[loc.integer(v) if value == "customers" else loc.money(v) for v in row] for row in shown]
    heatmap(ax, shown, [str(c) for c in cols], [str(r) for r in rows], cmap=SEQUENTIAL, labels=labels)
    ax.set_title(loc.t("rfm.chart.grid" if value == "customers" else "rfm.chart.grid_value"))
    ax.set_ylabel(loc.t("rfm.axis.r_score"))
    ax.set_xlabel(loc.t("rfm.axis.f_score"))
    gone = [(score, [str(v) for v in axis if v not in kept]) for score, axis, kept in
            (("F", table.columns, cols), ("R", table.index, rows))]
    gone = [loc.t("rfm.note.no_score", score=score, levels=loc.join(levels)) for score, levels in gone if levels]
    if gone:
        note(ax, ("；" if loc.lang == "zh" else "; ").join(gone))
    return ax


@chart
def migration_heatmap(migration: pl.DataFrame, loc: Locale, scheme: str | None = None,
                      before: str = "", now: str = "", ax=None):
    """Heatmap of customers moving from each segment at the comparison end (rows, "new" last) to
    each segment at the period end (columns); cells are customer counts, colour the share of the
    row (customers / the row's customers), so the diagonal shows who stayed."""
    to_order = _ordered(migration["to_segment"].to_list(), scheme)
    from_order = _ordered([s for s in migration["from_segment"].to_list() if s != NEW], scheme)
    if NEW in set(migration["from_segment"].to_list()):
        from_order.append(NEW)
    pdf = migration.to_pandas()
    counts = pdf.pivot(index="from_segment", columns="to_segment", values="customers").reindex(
        index=from_order, columns=to_order).fillna(0)
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    size = max(len(from_order), len(to_order))
    ax = axes(ax, "wide", height=max(2.6, 0.3 * size + 1.6), grid="none")
    heatmap(ax, shares.to_numpy(dtype=float), [segment_name(s, loc) for s in to_order],
            [segment_name(s, loc) for s in from_order], cmap=SEQUENTIAL, norm=Normalize(0, 1),
            labels=[[loc.integer(v) for v in row] for row in counts.to_numpy()])
    ax.tick_params(axis="x", rotation=30)
    for tick in ax.get_xticklabels():
        tick.set_ha("right")
        tick.set_rotation_mode("anchor")
    ax.set_title(loc.t("rfm.chart.migration", before=before, now=now))
    ax.set_ylabel(loc.t("rfm.axis.from"))
    ax.set_xlabel(loc.t("rfm.axis.to"))
    return ax


@chart
def lorenz_chart(curve: pl.DataFrame, concentration: pl.DataFrame | None, loc: Locale, top: float = 0.2, ax=None):
    """Lorenz curve: cumulative share of revenue against cumulative share of customers, smallest
    first (:func:`kit.metrics.segments.lorenz_curve`), beside the diagonal of perfect equality;
    the top ``top`` of customers' share (1 - curve at 1 - top) marked."""
    pdf = curve.to_pandas()
    ax = axes(ax, "half", height=3.0)
    ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", label=loc.t("rfm.legend.equality"))
    ax.plot(pdf["customer_share"], pdf["revenue_share"], color=MAIN)
    ax.fill_between(pdf["customer_share"], pdf["revenue_share"], pdf["customer_share"], color=MAIN, alpha=0.12)
    if concentration is not None and concentration.height and concentration["top_share"][0] is not None:
        share = concentration["top_share"][0]
        ax.vlines(1 - top, 1 - share, 1, color=ACCENT, linewidth=2,
                  label=loc.t("report.name_value", name=loc.t("rfm.legend.top", top=loc.pct(top, 0)),
                              value=loc.pct(share)))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(loc.t("rfm.chart.lorenz"))
    ax.set_xlabel(loc.t("rfm.axis.customer_share"))
    ax.set_ylabel(loc.t("rfm.axis.revenue_share"))
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    legend(ax)
    return ax
