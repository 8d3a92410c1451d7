"""The schema of ``metrics.json``: every key the figures record, with its type and meaning.

The figure functions of :mod:`kit.figures` write their headline numbers with
:meth:`kit.run.Run.record`; the publisher assembles them as ``metrics.json`` and validates
the document against :class:`MetricsJson` before writing it, so a figure that records a key
this schema does not define fails the run in the tests rather than reaching a dashboard
unannounced. ``docs/metrics-schema.md`` is generated from here (``kit schema --metrics``).

Versioning: ``MAJOR.MINOR``. A minor version only adds optional keys (readers of 1.0 read
1.x by ignoring them); a major version changes or removes keys. 1.1 added the GMV bridge and
the total at stake, 1.2 the experiment readout, 1.3 ``sections.custom`` (an analyst's own
sections) and ``failed_sections``, 1.4 ``products`` (products and baskets).

A *compared* value ``x`` comes as four keys (see :mod:`kit.metrics.common`): ``x`` (the
period), ``x_prev`` (the comparison period, null without one), ``x_change`` (absolute; for
rates in fractions, i.e. percentage points / 100) and ``x_change_rel`` (relative, null when
the comparison is 0 or missing).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

SCHEMA_VERSION = "1.4"

Number = float | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def compared(name: str, doc: str, values: tuple[str, ...], **fields: Any) -> type[BaseModel]:
    """A record whose ``values`` each come as value, ``_prev``, ``_change``, ``_change_rel``
    (all numbers or null), beside the plain ``fields`` (``name=(type, default)``)."""
    columns: dict[str, Any] = dict(fields)
    for v in values:
        for suffix in ("", "_prev", "_change", "_change_rel"):
            columns[v + suffix] = (Number, None)
    model = create_model(name, __base__=_Strict, __doc__=doc, **columns)
    model.compared_values = values
    return model


# ---------------------------------------------------------------- summary

class Kpi(_Strict):
    """One KPI card (definitions in :mod:`kit.metrics.kpis`)."""

    kpi: Literal["active_customers", "new_customers", "paid_orders", "gmv", "aov", "visit_to_pay",
                 "repurchase_rate", "churn_rate"]
    unit: Literal["int", "money", "pct"]
    good_when_up: bool
    value: Number = None
    value_prev: Number = None
    value_change: Number = None
    value_change_rel: Number = None


class BridgePart(_Strict):
    """One factor of GMV = active customers x orders per customer x AOV: its value in the
    comparison period and the period, and its Shapley part of the change (the parts add up to it)."""

    factor: Literal["active_customers", "orders_per_customer", "aov"]
    value_prev: Number = None
    value: Number = None
    effect: Number = None


class Summary(_Strict):
    kpis: list[Kpi] = Field(description="the KPI cards of the cover; KPIs whose table the run lacks are left out")
    gmv_bridge: list[BridgePart] | None = Field(None, description="the GMV change split into its factors")


# ---------------------------------------------------------------- 1 profile

class RegionShare(_Strict):
    region: str
    share: Number = None
    share_prev: Number = None


MobileShare = compared("MobileShare", "Sessions, mobile sessions and their share (every device but PC).",
                       ("sessions", "mobile_sessions", "mobile_share"))
SessionMinutes = compared("SessionMinutes", "Sessions and their median and p90 length in minutes.",
                          ("sessions", "median_min", "p90_min"))
Aov = compared("Aov", "Paid orders, GMV and AOV (GMV / paid orders).", ("paid_orders", "gmv", "aov"))
OrderValue = compared("OrderValue", "Paid orders and the distribution of their amounts.",
                      ("paid_orders", "mean", "p25", "median", "p75", "p90"))


class Profile(_Strict):
    region_share: list[RegionShare] | None = Field(None, description="active customers' share per region")
    mobile_share: MobileShare | None = None
    session_minutes: SessionMinutes | None = None
    peak_hours: list[int] | None = Field(None, description="the peak hours of visits (0-23)")
    aov: Aov | None = None
    order_value: OrderValue | None = None


# ---------------------------------------------------------------- 2 conversion and retention

FunnelStep = compared("FunnelStep", "One funnel step: journeys reaching it, its conversion from the step before, "
                      "from the first step, and the drop-off.",
                      ("count", "step_conversion", "from_start", "drop_off"),
                      step_index=(int, ...), step=(str, ...), is_weakest=(bool | None, None))
Cart = compared("Cart", "Carts, abandoned carts, their value, the abandonment rate and hours from cart to pay.",
                ("carts", "abandoned", "abandoned_value", "abandonment_rate", "median_hours_to_pay",
                 "p90_hours_to_pay"))


class Conversion(_Strict):
    funnel: list[FunnelStep] | None = None
    cart: Cart | None = None


FirstRepurchase = compared("FirstRepurchase", "First-time buyers of the period and their 30/60/90-day repurchase "
                           "(buyers_N: those observable for N days; repurchased_N; rate_N = repurchased / buyers).",
                           ("buyers", *(f"{k}_{n}" for n in (30, 60, 90) for k in ("buyers", "repurchased", "rate"))))
Intervals = compared("Intervals", "Days between consecutive paid orders: count and quartiles.",
                     ("intervals", "p25", "median", "p75"))
LifecycleStage = compared("LifecycleStage", "Customers in a lifecycle stage at the period end.",
                          ("customers", "share"), stage=(str, ...))


class Retention(_Strict):
    first_repurchase: FirstRepurchase | None = None
    intervals: Intervals | None = None
    lifecycle: list[LifecycleStage] | None = None


# ---------------------------------------------------------------- 3 value

SegmentSize = compared("SegmentSize", "A segment's customers and share at the period end beside the comparison end.",
                       ("customers", "share"), segment=(str, ...))


class Rfm(_Strict):
    scheme: Literal["cn8", "rfm-grid", "kmeans"] | None = None
    segments: list[SegmentSize] | None = None
    top20_share: Number = Field(None, description="GMV share of the top 20% of the period's buyers")


class Clv(_Strict):
    """The BG/NBD and Gamma-Gamma fit (:class:`kit.metrics.clv.ClvFit`)."""

    ok: bool
    reason: str | None = None
    detail: str | None = None
    time_unit: Literal["day", "week"]
    horizon_months: int
    min_repeat_buyers: int
    r: Number = None
    alpha: Number = None
    a: Number = None
    b: Number = None
    bgnbd_log_likelihood: Number = None
    customers: int | None = None
    p: Number = None
    q: Number = None
    gamma: Number = None
    gamma_gamma_log_likelihood: Number = None
    repeat_buyers: int | None = None


# ---------------------------------------------------------------- products and baskets

QUADRANT = Literal["star", "traffic", "profit", "improve"]

MatrixItem = compared("MatrixItem", "A category or product of the sales x margin matrix: order lines, GMV, GMV "
                      "share and gross-margin rate ((value - cost) / value over the lines with a unit_cost), with "
                      "its quadrant (star 明星款, traffic 引流款, profit 利润款, improve 待优化款) now and then.",
                      ("lines", "gmv", "gmv_share", "margin_rate"), item=(str, ...),
                      quadrant=(QUADRANT | None, None), quadrant_prev=(QUADRANT | None, None))


class QuadrantCount(_Strict):
    """Items and their summed GMV share per quadrant, in the period and the comparison period."""

    quadrant: QUADRANT
    items: Number = None
    gmv_share: Number = None
    items_prev: Number = None
    gmv_share_prev: Number = None


class QuadrantMove(_Strict):
    item: str
    quadrant_prev: QUADRANT
    quadrant: QUADRANT


class QuadrantSplits(_Strict):
    """Where high and low sales (GMV share) and margin are split (the medians, or products.*_split)."""

    sales_split: Number = None
    margin_split: Number = None
    sales_split_prev: Number = None
    margin_split_prev: Number = None


Assortment = compared("Assortment", "GMV of the lines, products sold in the period, the catalogue (products seen up to the period's "
                      "end), 动销率 sell_through = sold / catalogue, top_share_80 = share of the sold products making "
                      "80% of GMV (class A), products per ABC class, long_tail_share = GMV share of class C.",
                      ("gmv", "products_sold", "catalogue", "sell_through", "top_share_80", "a_count", "b_count", "c_count",
                       "long_tail_share"))


class FlaggedItem(_Strict):
    """An item with a return rate at or above diagnosis.return_rate_high and a rating at or below
    diagnosis.rating_low; gmv_at_risk = gmv x (return_rate - others_return_rate), floored at 0."""

    item: str
    lines: Number = None
    gmv: Number = None
    return_rate: Number = None
    rating: Number = None
    others_return_rate: Number = None
    gmv_at_risk: Number = None


class QualityView(_Strict):
    norm_return_rate: Number = Field(None, description="returned lines / lines of the period")
    norm_rating: Number = Field(None, description="mean rating of the period's rated lines")
    items_shown: int = Field(description="items with at least products.min_lines lines")
    flagged: list[FlaggedItem]


class Rule(_Strict):
    """An association rule A -> B: baskets with both, support = baskets / N, confidence = baskets /
    baskets with A, lift = confidence / share of baskets with B; _prev: the comparison period."""

    antecedent: str
    consequent: str
    baskets: int
    support: Number = None
    confidence: Number = None
    lift: Number = None
    antecedent_support: Number = None
    consequent_support: Number = None
    lift_prev: Number = None
    confidence_prev: Number = None
    baskets_prev: Number = None


class RuleSet(_Strict):
    baskets: int = Field(description="baskets counted (paid orders of the period with at most max_basket_items items)")
    skipped: int = Field(description="baskets with more items, left out")
    rules: int = Field(description="rules found (both directions of each pair)")
    top: list[Rule] = Field(description="the strongest rules by lift (at most 20)")


class CrossSell(_Strict):
    """Customers who bought the antecedent in the period but never the consequent (prospects), and
    value = prospects x confidence x the consequent's GMV per basket holding it."""

    level: Literal["category", "product_id"]
    antecedent: str
    consequent: str
    baskets: int
    support: Number = None
    confidence: Number = None
    lift: Number = None
    prospects: Number = None
    consequent_value: Number = None
    value: Number = None


class Products(_Strict):
    missing_columns: list[Literal["product_id", "unit_cost", "returned", "rating"]] | None = Field(
        None, description="optional order_items columns the data lacks (their figures are left out, with a note)")
    categories: list[MatrixItem] | None = None
    top_products: list[MatrixItem] | None = Field(None, description="the top products.top_n products by GMV")
    quadrants: list[QuadrantCount] | None = None
    quadrants_moves: list[QuadrantMove] | None = None
    quadrants_splits: QuadrantSplits | None = None
    product_quadrants: list[QuadrantCount] | None = None
    product_quadrants_moves: list[QuadrantMove] | None = None
    product_quadrants_splits: QuadrantSplits | None = None
    assortment: Assortment | None = None
    quality: QualityView | None = Field(None, description="returns vs rating per category")
    product_quality: QualityView | None = Field(None, description="returns vs rating per product")
    category_rules: RuleSet | None = None
    product_rules: RuleSet | None = Field(None, description="rules among the top products.basket_products products")
    cross_sell: list[CrossSell] | None = None


# ---------------------------------------------------------------- experiments

class ExperimentVariant(_Strict):
    """One variant of an experiment: units analysed (exposed to it alone, up to the period's end),
    those first exposed in the period, their share and the planned share."""

    variant: str
    is_control: bool
    units: int
    period_units: int
    share: Number = None
    planned_share: Number = None


class ExperimentResult(_Strict):
    """A variant against the control on one metric (:mod:`kit.metrics.experiments`): values, the
    absolute difference (``diff``) and the relative one (``lift``) with 95% intervals, p-value
    and adjusted p-value, the minimum detectable effect at the observed sample and the verdict."""

    metric: str = Field(description="conversion, revenue, orders, order_value, repurchase or step:<step>")
    variant: str
    units: int
    control_units: int
    control_value: Number = None
    value: Number = None
    diff: Number = None
    diff_low: Number = None
    diff_high: Number = None
    lift: Number = None
    lift_low: Number = None
    lift_high: Number = None
    p_value: Number = None
    p_adjusted: Number = Field(None, description="across the variants (experiments.correction)")
    method: Literal["welch", "delta"] = Field(description="welch: Welch's t on means (lift by the delta "
                                                          "method); delta: the delta method on a ratio metric")
    cuped: bool
    variance_reduction: Number = Field(None, description="1 - variance with CUPED / without")
    mde: Number = Field(None, description="minimum detectable absolute effect (alpha, power)")
    mde_rel: Number = None
    underpowered: bool = Field(description="mde_rel above the planned effect (experiments.mde)")
    verdict: Literal["win", "lose", "flat"]


class ExperimentReadout(_Strict):
    """One experiment with units first exposed in the period, read through the period's end."""

    experiment_id: str
    name: str
    status: Literal["running", "concluded"]
    control: str
    first_exposure: str
    last_exposure: str
    units: int = Field(description="units analysed (each saw one variant)")
    period_units: int = Field(description="of them, first exposed in the period")
    multiple_exposures: int = Field(description="units that saw several variants, left out")
    multiple_share: Number = None
    unlinked: int = Field(description="visitors never linked to a customer (no order can be theirs)")
    open_windows: int = Field(description="units whose outcome window was still open at the data's end")
    refunded_orders: int = Field(description="refunded orders in the windows, not counted (refunds netted)")
    refunded_amount: Number = None
    srm_statistic: Number = None
    srm_p: Number = Field(None, description="sample ratio mismatch: chi-square p-value against the planned split")
    srm_ok: bool = Field(description="srm_p at or above experiments.srm_alpha; otherwise the result cannot be trusted")
    planned_split: str
    primary_metric: str
    window_days: Number = None
    cuped: bool
    alpha: Number = None
    power: Number = None
    mde_target: Number = None
    order_value: Number = Field(None, description="revenue / orders of the units' windows: the value of one payment")
    winner: str | None = Field(None, description="the variant that wins on the primary metric, if one does")
    variants: list[ExperimentVariant]
    results: list[ExperimentResult]


class Experiments(_Strict):
    readouts: list[ExperimentReadout] | None = Field(None, description="one per experiment with exposures in the period")


# ---------------------------------------------------------------- 4 diagnosis

class Counts(_Strict):
    high: int
    medium: int
    low: int


class Diagnosis(_Strict):
    counts: Counts | None = None
    findings: list[str] | None = Field(None, description="finding ids in report order (details in findings.json)")
    total_at_stake: Number = Field(None, description="the findings' money at stake, each customer counted once")
    sum_at_stake: Number = Field(None, description="the findings' money at stake simply added")


# ---------------------------------------------------------------- an analyst's own sections

CUSTOM_NAME = r"^[a-z][a-z0-9_]{0,63}$"
"""The name an analyst's own section records under: lowercase snake_case, as every key here."""

CustomName = Annotated[str, StringConstraints(pattern=CUSTOM_NAME)]


def is_custom_name(name: str) -> bool:
    return re.match(CUSTOM_NAME, name) is not None


class FailedSection(_Strict):
    """An analyst's own section that failed: the report shows a note in its place."""

    notebook: str = Field(description="the section notebook's name (without .ipynb)")
    cell: int | None = Field(None, description="the failing code cell, [n] as JupyterLab numbers it from 1")
    reason: str = Field(description="the error's first line")


# ---------------------------------------------------------------- the document

class Sections(_Strict):
    summary: Summary | None = None
    profile: Profile | None = None
    conversion: Conversion | None = None
    retention: Retention | None = None
    rfm: Rfm | None = None
    clv: Clv | None = None
    products: Products | None = None
    experiments: Experiments | None = None
    diagnosis: Diagnosis | None = None
    custom: dict[CustomName, dict[str, Any]] | None = Field(
        None, description="an analyst's own sections (`kit new-section`), each under its name with what its "
        "notebook recorded (`run.record(name, {...})`): free-form JSON the kit does not check. The sections "
        "above are the kit's and are checked key by key")


BUILT_IN_SECTIONS = tuple(name for name in Sections.model_fields if name != "custom")
"""The keys the kit's own figures record under; any other name is an analyst's own section."""


class RunInfo(_Strict):
    """What was run on what."""

    run_name: str = Field(description="the run's folder name under output/")
    title: str | None = None
    period: str = Field(description="the period's label, e.g. 2025-Q4")
    period_start: str = Field(description="first day (ISO date)")
    period_end: str = Field(description="last day (ISO date)")
    comparison: str | None = Field(None, description="the comparison period's label; null without one")
    slice: dict[str, Any] = Field(default_factory=dict, description="column -> value(s) the data was cut to")
    lang: Literal["zh", "en"]
    currency: str
    fingerprint: str = Field(description="hash of the input files")
    kit_version: str


class MetricsJson(_Strict):
    """``metrics.json``: the headline figures of every section of one run."""

    schema_version: str
    run: RunInfo
    generated_at: str
    sections: Sections
    timings_seconds: dict[str, float] = Field(default_factory=dict,
                                              description="seconds per step, per section notebook, and 'sections' "
                                                          "(their wall time)")
    failed_sections: list[FailedSection] = Field(
        default_factory=list, description="an analyst's own sections that failed and were left out of the report "
        "(a note stands in their place); empty when every section ran")


def validate_metrics(doc: dict) -> MetricsJson:
    """``doc`` as a :class:`MetricsJson`; raises pydantic's ValidationError naming the key that does not fit."""
    return MetricsJson.model_validate(doc)


def schema_markdown() -> str:
    """``docs/metrics-schema.md``: every section's keys with their type and meaning."""
    lines = ["# metrics.json schema", "",
             f"Schema version {SCHEMA_VERSION}. Generated by `kit schema --metrics`; the source of truth is "
             "`kit/figures/schema.py`.", "", _markdown(__doc__.split("\n\n", 1)[1].strip()), ""]
    lines += _model_markdown("run", RunInfo)
    for name in BUILT_IN_SECTIONS:
        model = _model_of(Sections.model_fields[name].annotation)
        lines += _model_markdown(f"sections.{name}", model)
        lines += _deeper_markdown(f"sections.{name}", model)
    custom = _markdown(Sections.model_fields["custom"].description)
    lines += ["## `sections.custom`", "", custom[0].upper() + custom[1:] + ".",
              f"Each name matches `{CUSTOM_NAME}`; its value is an object.", ""]
    lines += _model_markdown("failed_sections[]", FailedSection)
    return "\n".join(lines).rstrip() + "\n"


def _deeper_markdown(path: str, model: type[BaseModel]) -> list[str]:
    """The keys of records nested two levels down or more (a list of records in a record), each
    under its own heading, e.g. ``sections.experiments.readouts[].results[]``."""
    lines = []
    for key, field in model.model_fields.items():
        inner = _nested(field.annotation)
        if inner is None or not any(_nested(f.annotation) for f in inner.model_fields.values()):
            continue
        where = f"{path}.{key}" + ("[]" if "list[" in str(field.annotation) else "")
        for sub, sub_field in inner.model_fields.items():
            deeper = _nested(sub_field.annotation)
            if deeper is not None:
                name = f"{where}.{sub}" + ("[]" if "list[" in str(sub_field.annotation) else "")
                lines += _model_markdown(name, deeper) + _deeper_markdown(name, deeper)
    return lines


def _model_of(annotation) -> type[BaseModel]:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        for inner in getattr(candidate, "__args__", ()):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    raise TypeError(annotation)


def _type_name(annotation) -> str:
    text = str(annotation).replace("typing.", "").replace("kit.figures.schema.", "")
    text = text.replace("<class '", "").replace("'>", "").replace("NoneType", "null")
    return text.replace(" | ", " or ")


def _markdown(text: str) -> str:
    """Docstring markup (reST roles, double backticks) as Markdown."""
    import re

    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")


def _model_markdown(path: str, model: type[BaseModel]) -> list[str]:
    lines = [f"## `{path}`", ""]
    if model.__doc__ and not model.__doc__.startswith(("Usage docs", "!!! abstract")):
        import inspect

        lines += [_markdown(" ".join(inspect.cleandoc(model.__doc__).split("\n\n")[0].split("\n"))), ""]
    lines += ["| key | type | meaning |", "| --- | --- | --- |"]
    for key, field in model.model_fields.items():
        inner = _nested(field.annotation)
        kind = _type_name(field.annotation)
        meaning = field.description or ""
        if inner is not None:
            compared_values = getattr(inner, "compared_values", ())
            plain = [k for k in inner.model_fields if not any(k == v or k.startswith(v + "_") for v in compared_values)]
            parts = []
            if plain:
                parts.append("fields " + ", ".join(f"`{k}`" for k in plain))
            if compared_values:
                parts.append("compared values " + ", ".join(f"`{v}`" for v in compared_values))
            doc = (inner.__doc__ or "").strip().split("\n\n")[0]
            parts = [meaning, doc if not doc.startswith("Usage docs") else "", *parts]
            meaning = " ".join(p.rstrip(".") + "." for p in parts if p)
            kind = ("list of " if "list[" in str(field.annotation) else "") + inner.__name__
        lines.append(f"| `{key}` | {kind} | {_markdown(meaning)} |")
    return lines + [""]


def _nested(annotation) -> type[BaseModel] | None:
    try:
        return _model_of(annotation)
    except TypeError:
        return None
