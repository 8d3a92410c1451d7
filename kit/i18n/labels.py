"""How the report names the values it shows: funnel steps, groups, segments, lifecycle
stages, repurchase drivers. One place for every chart, table and sentence."""

from __future__ import annotations

from kit.contract import AGE_BANDS, CITY_TIERS
from kit.i18n.locale import Locale
from kit.metrics.profile import ORDERS_PER_CUSTOMER_BUCKETS

UNKNOWN = "unknown"
"""The group of rows whose attribute is missing (see :data:`kit.metrics.common.UNKNOWN`)."""

TRANSLATED = {"age_band": "profile.age_band", "gender": "profile.gender", "city_tier": "profile.city_tier",
              "weekday": "profile.weekday", "visitor": "conv.visitor"}
"""Columns whose values have their own label (``<prefix>.<value>``); other columns show their values."""


ORDER: dict[str, tuple] = {
    "age_band": AGE_BANDS,  # young -> old
    "city_tier": CITY_TIERS,  # 一线 -> 四线及以下
    "orders": ORDERS_PER_CUSTOMER_BUCKETS,  # paid orders per customer: 1, 2, 3, 4, 5+
    "weekday": (1, 2, 3, 4, 5, 6, 7),  # Monday first
}
"""Columns whose values have an order of their own, which every chart and sentence keeps."""


def is_ordered(column: str) -> bool:
    """Whether ``column``'s values have an order of their own (:data:`ORDER`)."""
    return column in ORDER


def in_order(column: str, values) -> list:
    """``values`` in their column's own order (:data:`ORDER`; values it does not know, such
    as ``unknown``, after it, as they came), or as they came for other columns."""
    values = list(dict.fromkeys(values))
    order = ORDER.get(column)
    if order is None:
        return values
    known = [v for v in order if v in set(values)]
    return known + [v for v in values if v not in set(order)]


def group_name(column: str, value, loc: Locale) -> str:
    """How a group reads in a sentence or on an axis: its translated label for age bands,
    genders, city tiers, weekdays and new vs returning visitors, ``unknown`` translated,
    other values (regions, devices, sources, categories ...) as they are."""
    if column in TRANSLATED:
        return loc.label(TRANSLATED[column], value)
    if value is None or value == UNKNOWN:
        return loc.t("group.unknown")
    return str(value)


def dimension_name(dimension: str, loc: Locale) -> str:
    """A breakdown dimension (device, source, visitor, category ...)."""
    return loc.label("conv.dimension", dimension)


def step_name(step: str, loc: Locale) -> str:
    """A funnel step's display name (``conv.step.<step>``), or the step itself for a custom step."""
    return loc.label("conv.step", step)


def segment_name(segment, loc: Locale) -> str:
    """A segment's display name (``rfm.segment.<code>``), the code itself when unknown;
    customers without a segment are "No segment"."""
    return loc.t("clv.no_segment") if segment is None else loc.label("rfm.segment", segment)


def suggested_action(segment: str, loc: Locale) -> str:
    """The suggested action for a segment (``rfm.action.<code>``), empty when there is none."""
    name = loc.label("rfm.action", segment)
    return "" if name == str(segment) else name


def stage_name(stage: str, loc: Locale) -> str:
    """A lifecycle stage (new, active, at risk, churned; ``none`` = not yet a customer)."""
    return loc.label("ret.stage", stage)


def attribute_name(attribute: str, loc: Locale) -> str:
    """A first-order attribute of the repurchase drivers (category, channel, device ...)."""
    return loc.label("ret.attribute", attribute)


def value_name(value: str, loc: Locale) -> str:
    """A driver value: the data's own text, except the kit's ``used``/``none``/``unknown``."""
    return loc.label("ret.value", value)
