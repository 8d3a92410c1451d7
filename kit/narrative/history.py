"""The sentence under a finding's history (:mod:`kit.figures.history`): since when, and how it
compares with its peers; templates under ``history.`` in :mod:`kit.i18n`.

:func:`onset_sentence` says, in order of what the history holds:

- an onset that still holds: the group's measure rose (or fell) from its first month, with
  the rates before and since, and the rest of its group's over the same months;
- an onset that ended: the months it lasted, with the rates before, during and after;
- no onset in a rate of counts: the whole history's rate of the group against the rest of
  the group pooled, said to be higher or lower only when the two-proportion test passes
  ``alpha`` (else similar); for the whole shop, the range of its monthly values;
- a measure that is not a rate of counts (ROI, a share of money): its first and last months'
  values, and the rest's, without a claim (no test).

The names the chart shares (the measure, the group, the others) are here too.
"""

from __future__ import annotations

import polars as pl

from kit.figures.history import History
from kit.i18n import Locale
from kit.i18n.labels import group_name, step_name
from kit.metrics.significance import significant, two_proportion_p
from kit.narrative.profile import SIGNIFICANCE

MONTH = "%Y-%m"


def measure_name(history: History, loc: Locale) -> str:
    """The measure, e.g. 月流失率 / monthly churn, 支付转化率 / pay conversion."""
    if history.measure == "step":
        return loc.t("history.measure.step", step=step_name(history.step, loc))
    return loc.t(f"history.measure.{history.measure}")


def definition(history: History, loc: Locale) -> str:
    """What one month's value is."""
    return loc.t(f"history.def.{history.measure}")


def member_name(history: History, value, loc: Locale) -> str:
    """A member of the group as the report names it (a step by its name, a weekday or tier translated)."""
    if history.dimension == "step":
        return step_name(str(value), loc)
    return group_name(history.dimension or "", value, loc)


def where_name(history: History, loc: Locale) -> str:
    """The finding's member, or the whole shop."""
    return loc.t("history.whole_shop") if history.focus is None else member_name(history, history.focus, loc)


def dimension_name(history: History, loc: Locale) -> str:
    key = f"history.dim.{history.dimension}"
    return loc.t(key) if loc.has(key) else loc.t("history.dim.other")


def others_name(history: History, loc: Locale) -> str:
    """The rest of the finding's group: 其他地区 / the other regions."""
    key = f"history.others.{history.dimension}"
    return loc.t(key) if loc.has(key) else loc.t("history.others.other")


def _value(x, history: History, loc: Locale) -> str:
    return loc.pct(x) if history.kind == "pct" else loc.number(x, 2)


def onset_sentence(history: History, loc: Locale, alpha: float = SIGNIFICANCE) -> str:
    """Since when, and against the peers (module doc); empty when the history has no month."""
    mine = history.focus_series().filter(pl.col("n") > 0).sort("month")
    if mine.height == 0:
        return ""
    what, where = measure_name(history, loc), where_name(history, loc)
    first, last = mine["month"][0].strftime(MONTH), mine["month"][-1].strftime(MONTH)
    onset = history.onset
    if onset is not None:
        way = loc.t("history.way.up" if history.higher_is_worse else "history.way.down")
        values = {"where": where, "what": what, "way": way, "start": onset.start.strftime(MONTH),
                  "before": _value(onset.before, history, loc), "during": _value(onset.during, history, loc)}
        if onset.end is not None:
            return loc.t("history.onset_ended", **values, end=onset.end.strftime(MONTH),
                         after=_value(onset.after, history, loc))
        if onset.rest_before is None:
            return loc.t("history.onset_shop", **values)
        return loc.t("history.onset", **values, others=others_name(history, loc),
                     rest_before=_value(onset.rest_before, history, loc),
                     rest_during=_value(onset.rest_during, history, loc))
    rest = history.rest_series()
    rest = None if rest is None else rest.filter(pl.col("n") > 0).sort("month")
    if not history.counted:
        if rest is None or rest.height == 0:
            return loc.t("history.range", first=first, last=last, where=where, what=what,
                         low=_value(mine["value"].min(), history, loc), high=_value(mine["value"].max(), history, loc))
        return loc.t("history.range_rest", first=first, last=last, where=where, what=what,
                     others=others_name(history, loc), value_first=_value(mine["value"][0], history, loc),
                     value_last=_value(mine["value"][-1], history, loc),
                     rest_first=_value(rest["value"][0], history, loc), rest_last=_value(rest["value"][-1], history, loc))
    if rest is None or rest.height == 0:
        return loc.t("history.no_onset_shop", first=first, last=last, where=where, what=what,
                     low=_value(mine["value"].min(), history, loc), high=_value(mine["value"].max(), history, loc))
    k, n, rest_k, rest_n = mine["k"].sum(), mine["n"].sum(), rest["k"].sum(), rest["n"].sum()
    value, rest_value = k / n, rest_k / rest_n
    values = {"first": first, "last": last, "where": where, "what": what, "value": _value(value, history, loc),
              "others": others_name(history, loc), "rest": _value(rest_value, history, loc)}
    if not significant(two_proportion_p(k, n, rest_k, rest_n), alpha):
        return loc.t("history.no_onset_similar", **values)
    return loc.t("history.no_onset_diff", **values,
                 compare=loc.t("history.higher" if value > rest_value else "history.lower"))
