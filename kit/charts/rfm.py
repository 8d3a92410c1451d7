"""Charts of sections 3.1-3.2 (RFM segments). Each takes a small table from
:mod:`kit.metrics.segments` and returns a matplotlib Figure."""

from __future__ import annotations

import numpy as np
import polars as pl
import seaborn as sns

from kit.charts import ACCENT, GREY, MAIN, SEQUENTIAL, axes, pct_axis, use_theme
from kit.i18n import Locale
from kit.i18n.labels import segment_name
from kit.metrics.segments import NEW, SEGMENTS


def _ordered(segments: list[str], scheme: str | None) -> list[str]:
    """Segments in the scheme's display order (unknown ones after, alphabetically)."""
    order = list(SEGMENTS.get(scheme, ())) if scheme else []
    known = [s for s in order if s in set(segments)]
    return known + sorted(s for s in set(segments) if s not in set(order))


def segment_sizes_chart(profiles: pl.DataFrame, loc: Locale, scheme: str | None = None, ax=None):
    """Paired horizontal bars per segment: share of customers (customers / all) beside share of
    revenue (segment's M / all M), so segments that bring more than their weight stand out."""
    use_theme()
    order = _ordered(profiles["segment"].to_list(), scheme)
    data = profiles.to_pandas().set_index("segment").loc[order]
    names = [segment_name(s, loc) for s in order]
    ax = axes(ax, "wide", height=max(2.6, 0.45 * len(order) + 1))
    y = np.arange(len(order))
    ax.barh(y - 0.2, data["share"].to_numpy(), height=0.4, color=MAIN, label=loc.t("rfm.legend.customers"))
    ax.barh(y + 0.2, data["revenue_share"].fillna(0).to_numpy(), height=0.4, color=ACCENT,
            label=loc.t("rfm.legend.revenue"))
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_title(loc.t("rfm.chart.sizes"))
    ax.set_xlabel(loc.t("rfm.axis.share"))
    pct_axis(ax, "x")
    ax.legend(loc="best")
    return ax


def rf_heatmap(grid: pl.DataFrame, loc: Locale, value: str = "customers", ax=None):
    """Heatmap of R score (rows, 5 = most recent on top) x F score (columns) with the customers
    (or revenue, ``value="revenue"``) in each cell (:func:`kit.metrics.segments.rf_grid`)."""
    use_theme()
    table = (grid.to_pandas().pivot(index="r_score", columns="f_score", values=value)
             .reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5]).fillna(0))
    ax = axes(ax, "half", height=3.6)
    sns.heatmap(table, ax=ax, cmap=SEQUENTIAL, annot=True, fmt=",.0f", cbar=False, linewidths=0.5,
                annot_kws={"fontsize": 8})
    ax.set_title(loc.t("rfm.chart.grid" if value == "customers" else "rfm.chart.grid_value"))
    ax.set_ylabel(loc.t("rfm.axis.r_score"))
    ax.set_xlabel(loc.t("rfm.axis.f_score"))
    return ax


def migration_heatmap(migration: pl.DataFrame, loc: Locale, scheme: str | None = None,
                      before: str = "", now: str = "", ax=None):
    """Heatmap of customers moving from each segment at the comparison end (rows, "new" last) to
    each segment at the period end (columns); cells are customer counts, colour the share of the
    row (customers / the row's customers), so the diagonal shows who stayed."""
    use_theme()
    to_order = _ordered(migration["to_segment"].to_list(), scheme)
    from_order = _ordered([s for s in migration["from_segment"].to_list() if s != NEW], scheme)
    if NEW in set(migration["from_segment"].to_list()):
        from_order.append(NEW)
    pdf = migration.to_pandas()
    counts = pdf.pivot(index="from_segment", columns="to_segment", values="customers").reindex(
        index=from_order, columns=to_order).fillna(0)
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0, 1), axis=0)
    size = max(len(from_order), len(to_order))
    ax = axes(ax, "wide", height=max(3.0, 0.45 * size + 1.5))
    sns.heatmap(shares, ax=ax, cmap=SEQUENTIAL, annot=counts.to_numpy(), fmt=",.0f", cbar=False, linewidths=0.5,
                vmin=0, vmax=1, annot_kws={"fontsize": 8})
    ax.set_yticks(np.arange(len(from_order)) + 0.5, [segment_name(s, loc) for s in from_order], rotation=0)
    ax.set_xticks(np.arange(len(to_order)) + 0.5, [segment_name(s, loc) for s in to_order], rotation=35, ha="right")
    ax.set_title(loc.t("rfm.chart.migration", before=before, now=now))
    ax.set_ylabel(loc.t("rfm.axis.from"))
    ax.set_xlabel(loc.t("rfm.axis.to"))
    return ax


def lorenz_chart(curve: pl.DataFrame, concentration: pl.DataFrame | None, loc: Locale, top: float = 0.2, ax=None):
    """Lorenz curve: cumulative share of revenue against cumulative share of customers, smallest
    first (:func:`kit.metrics.segments.lorenz_curve`), beside the diagonal of perfect equality;
    the top ``top`` of customers' share (1 - curve at 1 - top) marked."""
    use_theme()
    pdf = curve.to_pandas()
    ax = axes(ax, "half", height=3.6)
    ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", label=loc.t("rfm.legend.equality"))
    ax.plot(pdf["customer_share"], pdf["revenue_share"], color=MAIN)
    ax.fill_between(pdf["customer_share"], pdf["revenue_share"], pdf["customer_share"], color=MAIN, alpha=0.12)
    if concentration is not None and concentration.height and concentration["top_share"][0] is not None:
        share = concentration["top_share"][0]
        ax.vlines(1 - top, 1 - share, 1, color=ACCENT, linewidth=2,
                  label=f"{loc.t('rfm.legend.top', top=loc.pct(top, 0))}: {loc.pct(share)}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(loc.t("rfm.chart.lorenz"))
    ax.set_xlabel(loc.t("rfm.axis.customer_share"))
    ax.set_ylabel(loc.t("rfm.axis.revenue_share"))
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    ax.legend(loc="upper left")
    return ax
