"""The evidence chart beside each finding of section 4: the figure that shows the problem.

``evidence_chart(finding, daily)`` picks the chart for the finding's rule: the daily
series with the dated drop shaded, or the value beside its comparison. Findings whose
evidence has no comparable pair get no chart (None).

``finding_history_chart(history, finding, loc)`` shows a finding that is not a dated
incident as a trend and against its peers (:mod:`kit.figures.history`): the monthly
history with the onset marked (:func:`history_chart`), the period's members of its group
(:func:`peers_chart`) and, for repurchase findings, the cohorts' repurchase curves
(:func:`curves_chart`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from kit.charts import (
    ACCENT,
    DOWN,
    GREY,
    LABEL,
    MAIN,
    TEXT,
    axes,
    blank_figure,
    change_colour,
    chart,
    date_axis,
    figure,
    legend,
    legend_below,
    number_axis,
    pct_axis,
)
from kit.i18n import Locale
from kit.i18n.numbers import good_when_up

PAIRS = (  # evidence value, its comparison, whether it is a rate (shown in %)
    ("rate", "rate_prev", True),
    ("abandonment_rate", "abandonment_rate_prev", True),
    ("return_rate", "return_rate_prev", True),
    ("customers", "customers_prev", False),
    ("roi", "roi_prev", False),
    ("margin_rate", "margin_rate_prev", True),
    ("sell_through", "sell_through_prev", True),
    ("top_share", None, True),
)


@chart
def dated_drop_chart(daily: pl.DataFrame, finding: dict, loc: Locale, ax=None):
    """The daily conversion of the finding's step and group, the drop's days shaded, with
    the rates before and during the drop as dashed lines."""
    ev, where = finding["evidence"], finding["where"]
    dimension = next((k for k in where if k != "step"), "all")
    group = where.get(dimension, "all")
    series = daily.filter((pl.col("dimension") == dimension) & (pl.col("group") == group)
                          & (pl.col("step") == where["step"])).sort("date")
    ax = axes(ax, "wide", height=2.6)
    ax.plot(series["date"].to_list(), series["rate"].to_list(), color=MAIN, marker="o", markersize=2, linewidth=1.2)
    start, end = date.fromisoformat(ev["start"]), date.fromisoformat(ev["end"])
    ax.axvspan(start, end, color=DOWN, alpha=0.12, label=loc.t("diag.chart.drop_days"))
    ax.axhline(ev["rate_before"], color=GREY, linestyle="--", linewidth=1, label=loc.t("diag.chart.before"))
    ax.axhline(ev["rate_during"], color=DOWN, linestyle="--", linewidth=1, label=loc.t("diag.chart.during"))
    if series.height:
        date_axis(ax, series["date"].min(), series["date"].max(), max_ticks=8)
    pct_axis(ax, "y", loc=loc)
    ax.set_ylabel(loc.t("diag.chart.rate"))
    legend(ax)
    ax.set_title(finding["title"])
    return ax


@chart
def comparison_chart(finding: dict, loc: Locale, ax=None):
    """Two bars: the finding's value in the period and in the comparison period (or the
    shop's overall rate for a group below it), each labelled; the period's bar green when it
    is the better of the two and red when the worse, by the metric's direction (a higher
    churn, return or abandonment rate is worse: :func:`kit.i18n.numbers.good_when_up` of the
    rule and the value's name). None when the evidence has no pair."""
    ev = finding["evidence"]
    for value, before, is_rate in PAIRS:
        if ev.get(value) is None:
            continue
        other_key = before if before and ev.get(before) is not None else ("overall_rate" if "overall_rate" in ev else None)
        if other_key is None:
            continue
        ax = axes(ax, "half", height=1.6, grid="none")
        labels = [loc.t("diag.chart.now"),
                  loc.t("diag.chart.overall" if other_key == "overall_rate" else "diag.chart.previous")]
        values = [ev[value], ev[other_key]]
        good_up = good_when_up(f"{finding['rule']}.{value}")
        # colour by the change as the evidence writes it: in points for rates, relative otherwise
        change = values[0] - values[1] if is_rate else (values[0] / values[1] - 1 if values[1] else 0.0)
        ax.barh([0, 1], values, height=0.6, color=[change_colour(change, good_up), GREY])
        for y, v in enumerate(values):
            ax.annotate(loc.pct(v) if is_rate else loc.number(v, 2), (v, y), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=TEXT)
        ax.set_yticks([0, 1], labels)
        ax.set_ylim(1.5, -0.5)
        ax.set_xlim(0, max(values) * 1.25 or 1)
        if is_rate:
            pct_axis(ax, "x", loc=loc)
        else:
            number_axis(ax, "x", loc)
        return ax
    return None


def evidence_chart(finding: dict, daily: pl.DataFrame | None, loc: Locale):
    """The chart for one finding (a matplotlib Figure), or None."""
    if finding["rule"] == "funnel.dated_drop" and daily is not None:
        return dated_drop_chart(daily, finding, loc)
    return comparison_chart(finding, loc)


# ---------------------------------------------------------------- a finding's history and peers

PEER = "#cfcfcf"   # the other members' thin lines
PERIOD = "#eef1f5"  # the report period's band


def _mid_month(months) -> list:
    """Months drawn at their middle (the 15th), so that a period's band covers its months."""
    return [m.replace(day=15) for m in months]


def _month_axis(ax, months) -> None:
    """Month ticks (``YYYY-MM``): every month up to 8 months, else every quarter's first month."""
    if not months:
        return
    ticks = months if len(months) <= 8 else [m for m in months if m.month in (1, 4, 7, 10)] or months[::3]
    ax.set_xticks(_mid_month(ticks), [m.strftime("%Y-%m") for m in ticks])


def _value_axis(ax, history, loc: Locale, axis: str = "y") -> None:
    if history.kind == "pct":
        pct_axis(ax, axis, loc=loc)
    else:
        number_axis(ax, axis, loc)


def _title(text: str) -> str:
    """A chart title starts with a capital (the measures' names are written for sentences)."""
    return text[:1].upper() + text[1:]


def _wrap(text: str, loc: Locale) -> str:
    """A long axis label on lines of about 16 characters (zh) or 32 (en, between words)."""
    import textwrap

    if loc.lang == "zh":
        return "\n".join(text[i:i + 16] for i in range(0, len(text), 16))
    return "\n".join(textwrap.wrap(text, 32))


def _spread(values: list[float], gap: float) -> list[float]:
    """Label positions near ``values``, at least ``gap`` apart (end-of-line labels that would
    overlap are pushed up, in the order of their values)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = list(values)
    for before, i in zip(order, order[1:], strict=False):
        placed[i] = max(values[i], placed[before] + gap)
    return placed


@chart
def history_chart(history, finding: dict, loc: Locale, ax=None):
    """The finding's measure month by month (:class:`kit.figures.history.History`): the
    finding's member (accent), the rest of its group pooled (dashed) and each other member
    (thin grey), the report period shaded, the onset marked from its first month."""
    from kit.narrative.history import measure_name, others_name, where_name

    ax = axes(ax, "wide", height=2.8)
    series = history.series.filter(pl.col("n") > 0).sort("month")
    months = sorted(set(series["month"].to_list()))
    if history.period is not None:
        label = loc.t("history.chart.period_cohorts" if history.measure == "repurchase" else "history.chart.period")
        ax.axvspan(history.period[0], history.period[1], color=PERIOD, zorder=0, label=label)
    others = others_name(history, loc)
    peers = series.filter(pl.col("role") == "peer")
    for i, (_, part) in enumerate(peers.group_by("group", maintain_order=True)):
        ax.plot(_mid_month(part["month"].to_list()), part["value"].to_list(), color=PEER, linewidth=0.8,
                label=loc.t("history.chart.each", others=others) if i == 0 and history.focus is not None else None)
    rest = series.filter(pl.col("role") == "rest")
    if rest.height:
        ax.plot(_mid_month(rest["month"].to_list()), rest["value"].to_list(), color=MAIN, linestyle="--",
                linewidth=1.3, label=loc.t("history.chart.rest", others=others))
    mine = history.focus_series().filter(pl.col("n") > 0).sort("month")
    ax.plot(_mid_month(mine["month"].to_list()), mine["value"].to_list(), color=ACCENT, linewidth=2, marker="o",
            markersize=3, label=where_name(history, loc))
    onset = history.onset
    if onset is not None and months:
        end = onset.end if onset.end is not None else months[-1]
        stop = date(end.year + end.month // 12, end.month % 12 + 1, 1)  # the day after the onset's last month
        ax.axvspan(onset.start, stop, color=DOWN, alpha=0.08, zorder=0)
        ax.axvline(onset.start, color=DOWN, linestyle=":", linewidth=1.2)
        ax.annotate(loc.t("history.chart.onset", month=onset.start.strftime("%Y-%m")), xy=(onset.start, 1),
                    xycoords=("data", "axes fraction"), xytext=(3, -10), textcoords="offset points", color=DOWN,
                    fontsize=TEXT)
    _month_axis(ax, months)
    _value_axis(ax, history, loc)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(_wrap(loc.t(f"history.def.{history.measure}") if history.measure != "step"
                        else measure_name(history, loc), loc))
    ax.set_title(_title(loc.t("history.chart.monthly", where=where_name(history, loc), what=measure_name(history, loc))))
    legend_below(ax, ncol=4)  # below the plot, off the data
    return ax


def _peers_measure(history, loc: Locale) -> str:
    """What the period's bars show: the finding's own measure (for churn: from the comparison
    period to the period, not month to month)."""
    from kit.narrative.history import measure_name

    if history.dimension == "step":  # every step's own conversion
        return loc.t("glossary.step_conversion.term")
    key = f"history.peers_measure.{history.measure}"
    return loc.t(key) if loc.has(key) else measure_name(history, loc)


@chart
def peers_chart(history, finding: dict, loc: Locale, ax=None):
    """The period's value of every member of the finding's group, worst first: the finding's
    member in the accent colour, 95% intervals for shares, the rest pooled as a dashed line
    (the whole shop for a finding without a member). None without peers."""
    from kit.narrative.history import dimension_name, member_name, others_name

    if history.peers is None or history.peers.height == 0:
        return None
    table = history.peers.sort(["value", "group"], descending=[history.higher_is_worse, False])
    ax = axes(ax, "half", height=max(1.6, 0.3 * table.height + 0.8))
    labels = [member_name(history, g, loc) for g in table["group"].to_list()][::-1]
    values = table["value"].to_list()[::-1]
    colours = [ACCENT if r == "focus" else GREY for r in table["role"].to_list()][::-1]
    bars = ax.barh(labels, values, color=colours)
    if history.kind == "pct" and table["ci_low"].is_not_null().all():
        low = [v - lo for v, lo in zip(values, table["ci_low"].to_list()[::-1], strict=True)]
        high = [hi - v for v, hi in zip(values, table["ci_high"].to_list()[::-1], strict=True)]
        ax.errorbar(values, range(len(values)), xerr=[low, high], fmt="none", ecolor="#555555", elinewidth=0.8,
                    capsize=2)
    ends = table["ci_high"].to_list()[::-1] if history.kind == "pct" else values
    for bar, v, end in zip(bars, values, ends, strict=True):
        text = loc.pct(v) if history.kind == "pct" else loc.number(v, 2)
        ax.annotate(text, xy=(max(v, end if end is not None else v), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=TEXT)
    if history.peers_rest is not None:
        label = (loc.t("history.chart.rest", others=others_name(history, loc)) if history.focus is not None
                 else loc.t("history.whole_shop"))
        ax.axvline(history.peers_rest, color=MAIN, linestyle="--", linewidth=1, label=label)
    _value_axis(ax, history, loc, "x")
    top = max([*values, *(table["ci_high"].drop_nulls().to_list() or [0])])
    ax.set_xlim(0, top * 1.3 or 1)
    ax.set_title(_title(loc.t("history.chart.peers", dim=dimension_name(history, loc), what=_peers_measure(history, loc))),
                 fontsize=LABEL)  # a panel of finding_history_chart
    if history.peers_rest is not None:
        legend_below(ax, x=0.5, loc="upper center")  # below the plot, off the data
    return ax


@chart
def curves_chart(history, finding: dict, loc: Locale, ax=None):
    """The cohorts' repurchase curves: the share of first-time buyers who bought again within
    30, 60 ... 180 days, the finding's channel (accent) beside each other channel (grey,
    named at the line's end) and the others pooled (dashed). None without curves."""
    from kit.narrative.history import member_name, others_name, where_name

    if history.curves is None or history.curves.height == 0:
        return None
    ax = axes(ax, "half", height=2.6)
    curves = history.curves.filter(pl.col("n") > 0).sort("days")
    peers = list(curves.filter(pl.col("role") == "peer").group_by("group", maintain_order=True))
    top = curves["value"].max() or 1.0
    at = _spread([part["value"][-1] for _, part in peers], gap=top * 0.085)
    for (group, part), y in zip(peers, at, strict=True):
        ax.plot(part["days"].to_list(), part["value"].to_list(), color=PEER, linewidth=1)
        # right-aligned at the plot's edge, not at the line's end in data units: a name that
        # ran past the edge would make the layout depend on the width (a second layout pass)
        ax.text(1.0, y, member_name(history, group[0], loc), transform=ax.get_yaxis_transform(), fontsize=TEXT,
                color="#777777", va="center", ha="right")
    rest = curves.filter(pl.col("role") == "rest")
    if rest.height:
        ax.plot(rest["days"].to_list(), rest["value"].to_list(), color=MAIN, linestyle="--", linewidth=1.3,
                label=loc.t("history.chart.rest", others=others_name(history, loc)))
    mine = curves.filter(pl.col("role") == ("all" if history.focus is None else "focus"))
    ax.plot(mine["days"].to_list(), mine["value"].to_list(), color=ACCENT, linewidth=2, marker="o", markersize=3,
            label=where_name(history, loc))
    ax.set_xticks(sorted(set(curves["days"].to_list())))
    ax.set_xlim(right=curves["days"].max() * 1.5)  # room for the names
    ax.set_ylim(0, max([top, *at]) * 1.1)  # the names spread above the highest line stay inside
    pct_axis(ax, "y", loc=loc)
    ax.set_xlabel(loc.t("history.axis.days"))
    ax.set_ylabel(loc.t("history.axis.back"))
    ax.set_title(loc.t("history.chart.curves"), fontsize=LABEL)  # a panel of finding_history_chart
    legend_below(ax, x=0.5, loc="upper center", ncol=2)  # below the plot, off the data
    return ax


@chart
def finding_history_chart(history, finding: dict, loc: Locale):
    """The finding as a trend and against its peers, one figure: the monthly history across the
    top; below it the period's members (:func:`peers_chart`) and, for repurchase findings, the
    repurchase curves (:func:`curves_chart`). Returns the Figure."""
    below = [c for c, present in ((peers_chart, history.peers is not None and history.peers.height > 0),
                                  (curves_chart, history.curves is not None and history.curves.height > 0)) if present]
    if not below:
        fig, ax = figure("wide", 3.0)
        history_chart(history, finding, loc, ax=ax)
        return fig
    rows = history.peers.height if history.peers is not None else 6
    lower = max(2.4, 0.28 * rows + 0.9)
    fig = blank_figure("wide", 3.0 + lower)
    grid = fig.add_gridspec(2, len(below), height_ratios=[3.0, lower])
    history_chart(history, finding, loc, ax=fig.add_subplot(grid[0, :]))
    for i, panel in enumerate(below):
        panel(history, finding, loc, ax=fig.add_subplot(grid[1, i]))
    return fig
