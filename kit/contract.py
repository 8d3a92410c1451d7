"""The data contract: the tables the kit reads, their columns, types and meaning.

This module is the one definition of the input data. The loader maps a shop's own
column names onto these, casts to these dtypes and validates against them; the
metric functions rely on exactly these names and types.

Conventions every metric can rely on after loading:

- ids (``customer_id``, ``order_id``, ``session_id`` ...) are strings;
- datetimes are naive ``Datetime("us")`` in the run's time zone (``timezone`` in the
  params, default Asia/Shanghai); dates are ``Date``;
- ``orders.status`` is one of ``paid``, ``cancelled``, ``refunded``. A *paid order*
  is ``status == "paid"``: a refunded order was paid and given back, so it counts
  neither as an order nor in GMV (refunds netted out);
- an order belongs to the period that contains its ``order_time``;
- ``events.event`` is one of :data:`EVENT_STEPS` (the user's own names are mapped
  onto these by the params' ``events`` mapping); other events are dropped;
- ``customers.gender`` is ``F``, ``M`` or null (common spellings are normalised);
- ``devices``: ``PC`` is the only non-mobile device; everything else counts as mobile.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

EVENT_STEPS: tuple[str, ...] = ("view", "product_view", "add_to_cart", "checkout", "pay")
"""The funnel steps in order: a session view, a product view, add to cart, order submitted, pay."""

ORDER_STATUSES: tuple[str, ...] = ("paid", "cancelled", "refunded")
CITY_TIERS: tuple[str, ...] = ("一线", "新一线", "二线", "三线", "四线及以下")
AGE_BANDS: tuple[str, ...] = ("<18", "18-24", "25-34", "35-44", "45-54", "55+", "unknown")
NON_MOBILE_DEVICES: tuple[str, ...] = ("PC",)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    required: bool
    meaning: str


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    key: str | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


S, F, I, D, DT, B = pl.String(), pl.Float64(), pl.Int64(), pl.Date(), pl.Datetime("us"), pl.Boolean()

CUSTOMERS = Table(
    "customers",
    "One row per customer: who they are and where they came from.",
    (
        Column("customer_id", S, True, "Customer id, the key that orders and events refer to."),
        Column("signup_date", D, False, "Date the account was created."),
        Column("gender", S, False, "F, M or null (女/男/female/male/... are normalised)."),
        Column("birth_year", I, False, "Year of birth; gives the age band at the period end."),
        Column("age", I, False, "Age in years, used when birth_year is absent."),
        Column("region", S, False, "Sales region (e.g. 华东)."),
        Column("province", S, False, "Province."),
        Column("city", S, False, "City."),
        Column("city_tier", S, False, "City tier: 一线, 新一线, 二线, 三线, 四线及以下."),
        Column("acquisition_channel", S, False, "Channel that brought the customer in."),
        Column("member_level", S, False, "Loyalty / membership level."),
    ),
    key="customer_id",
)

ORDERS = Table(
    "orders",
    "One row per order. The only table every report needs.",
    (
        Column("order_id", S, True, "Order id, unique; numbered by the loader when the file has none (one row per order)."),
        Column("customer_id", S, True, "Customer who placed the order."),
        Column("order_time", DT, True, "When the order was submitted; decides its period."),
        Column("pay_time", DT, False, "When it was paid; null when never paid."),
        Column("amount", F, True, "Amount paid for the order (after discount), in the shop's currency."),
        Column("discount", F, False, "Discount granted on the order (0 when none)."),
        Column("shipping_fee", F, False, "Shipping fee charged."),
        Column("status", S, False, "paid, cancelled or refunded; all rows count as paid when absent."),
        Column("region", S, False, "Region the order ships to."),
        Column("channel", S, False, "Traffic channel of the order (same names as events.source)."),
        Column("device", S, False, "Device the order was placed on (App, 移动网页, 小程序, PC ...)."),
        Column("delivery_days", F, False, "Days from payment to delivery."),
    ),
    key="order_id",
)

ORDER_ITEMS = Table(
    "order_items",
    "One row per product line of an order.",
    (
        Column("order_id", S, True, "Order the line belongs to."),
        Column("product_id", S, False, "Product id."),
        Column("category", S, True, "Product category."),
        Column("quantity", I, False, "Units bought (1 when absent)."),
        Column("unit_price", F, True, "Price per unit paid."),
        Column("unit_cost", F, False, "Cost per unit (for margin)."),
        Column("returned", B, False, "Whether the line was returned."),
        Column("rating", F, False, "Customer rating of the line, 1 to 5."),
    ),
)

EVENTS = Table(
    "events",
    "Clickstream: one row per tracked event. customer_id or visitor_id identifies who.",
    (
        Column("visitor_id", S, False, "Anonymous visitor / device id (required when customer_id is absent)."),
        Column("customer_id", S, False, "Logged-in customer id; null while anonymous."),
        Column("session_id", S, False, "Session id; derived from a 30-minute inactivity gap when absent."),
        Column("event_time", DT, True, "When the event happened."),
        Column("event", S, True, "view, product_view, add_to_cart, checkout or pay (after mapping)."),
        Column("device", S, False, "Device (App, 移动网页, 小程序, PC ...)."),
        Column("source", S, False, "Traffic source of the session (same names as orders.channel)."),
        Column("page", S, False, "Page or screen."),
        Column("product_id", S, False, "Product concerned by a product_view / add_to_cart event."),
        Column("category", S, False, "Category of that product."),
        Column("value", F, False, "Money value of an add_to_cart, checkout or pay event."),
    ),
)

MARKETING_SPEND = Table(
    "marketing_spend",
    "Optional: marketing spend per channel and day or month.",
    (
        Column("date", D, True, "Day (or first day of the month) the spend belongs to."),
        Column("channel", S, True, "Channel (same names as orders.channel)."),
        Column("spend", F, True, "Amount spent."),
    ),
)

EXPERIMENTS = Table(
    "experiments",
    "Optional: experiment (A/B test) exposures, one row per customer or visitor per experiment; "
    "customer_id or visitor_id identifies who. Outcomes come from the orders and events.",
    (
        Column("experiment_id", S, True, "Experiment id."),
        Column("variant", S, True, "Variant the unit was assigned to (A, B, control, ...)."),
        Column("exposure_time", DT, True, "When the unit first saw its variant (its first exposure)."),
        Column("customer_id", S, False, "Customer exposed (required when visitor_id is absent)."),
        Column("visitor_id", S, False, "Visitor / device id exposed (the events' visitor_id), when no customer_id."),
        Column("experiment_name", S, False, "Readable name of the experiment."),
        Column("is_control", B, False, "Whether the row's variant is the control (or name it: experiments.by_id.<id>.control)."),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, ORDERS, ORDER_ITEMS, EVENTS, MARKETING_SPEND, EXPERIMENTS)
}
"""Every table of the contract by name, in the order the report spec lists them."""


def is_mobile(device: pl.Expr) -> pl.Expr:
    """True for every device but PC (App, mobile web, mini-program ...)."""
    return ~device.is_in(list(NON_MOBILE_DEVICES))


def is_paid() -> pl.Expr:
    """An order is paid when ``status == "paid"`` (refunded and cancelled orders are not).

    Orders with a negative amount are data errors (validation reports them) and are left out.
    """
    return (pl.col("status") == "paid") & (pl.col("amount") >= 0)


def paid(orders: pl.LazyFrame) -> pl.LazyFrame:
    """The paid orders (see :func:`is_paid`)."""
    return orders.filter(is_paid())


LINE_ORDER_COLUMNS: tuple[str, ...] = ("customer_id", "order_time", "order_paid")
"""The order's columns every order line needs: who bought it, when, and whether the order is paid."""


def lines_with_orders(items: pl.LazyFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    """Order lines with their order's ``customer_id``, ``order_time`` and ``order_paid``
    (:func:`is_paid`); lines of unknown orders are dropped.

    A prepared run's ``order_items`` already carry these (joined once when the run is
    prepared, see :mod:`kit.run`), so the figures scan the lines without joining 15M lines
    to 10M orders again for every figure; raw tables are joined here.
    """
    if all(c in items.collect_schema().names() for c in LINE_ORDER_COLUMNS):
        return items
    heads = orders.select("order_id", "customer_id", "order_time", is_paid().alias("order_paid"))
    return items.join(heads, on="order_id", how="inner")


def paid_lines(items: pl.LazyFrame, orders: pl.LazyFrame) -> pl.LazyFrame:
    """The lines of paid orders, with their order's ``customer_id`` and ``order_time``."""
    return lines_with_orders(items, orders).filter(pl.col("order_paid"))
