"""Section 2.2 cart abandonment on a hand-built log.

March 2025 (the period), carts = sessions with an add_to_cart:
- c1  u1 App ads  03-02 10:05 add shoes 10, 10:06 add hats 5 (value 15); u1 pays in session p1 at
                  03-03 10:05, exactly 24 h after the first add                -> paid, 24 h
- c2  u2 PC  seo  03-02 10:05 add shoes 7; u2 pays 03-03 10:05:01 (24 h + 1 s)  -> abandoned
- c3  u3 PC  seo  03-02 10:00 add hats 20; u3's only pay is 09:00 the same day (before the cart) -> abandoned
- c4  u4 App ads  03-05 12:00 view, 12:01 add shoes 4, 12:30 pay in the same session -> paid, 0.5 h
- c6  u1 App ads  03-03 09:00 add shoes 3 (a second cart of u1): the pay at 10:05 settles it too -> paid, 65 min
- n1  u4 App ads  03-06 a session with a product view only: not a cart
February: c5 u5 App ads 02-10 add shoes 8, never paid -> abandoned.

March: 5 carts, 2 abandoned (c2 c3): rate 0.4, abandoned value 7 + 20 = 27; February rate 1/1.
"""

from __future__ import annotations

from datetime import date, datetime

import matplotlib
import polars as pl
import pytest

from kit.i18n import Locale
from kit.metrics import cart as ct
from kit.metrics.common import of_periods
from kit.periods import parse_period

ZH, EN = Locale("zh"), Locale("en")

matplotlib.use("Agg")

MARCH, FEB = parse_period("2025-03"), parse_period("2025-02")
SCHEMA = {"session_id": pl.String, "user_id": pl.String, "event_time": pl.Datetime("us"), "event": pl.String,
          "device": pl.String, "source": pl.String, "category": pl.String, "value": pl.Float64}

ROWS = [
    ("p1", "u1", datetime(2025, 3, 3, 10, 5), "pay", "App", "ads", None, 15.0),
    ("c1", "u1", datetime(2025, 3, 2, 10, 6), "add_to_cart", "App", "ads", "hats", 5.0),
    ("c1", "u1", datetime(2025, 3, 2, 10, 5), "add_to_cart", "App", "ads", "shoes", 10.0),
    ("c2", "u2", datetime(2025, 3, 2, 10, 5), "add_to_cart", "PC", "seo", "shoes", 7.0),
    ("p2", "u2", datetime(2025, 3, 3, 10, 5, 1), "pay", "PC", "seo", None, 7.0),
    ("c3", "u3", datetime(2025, 3, 2, 10, 0), "add_to_cart", "PC", "seo", "hats", 20.0),
    ("p3", "u3", datetime(2025, 3, 2, 9, 0), "pay", "PC", "seo", None, 9.0),
    ("c4", "u4", datetime(2025, 3, 5, 12, 30), "pay", "App", "ads", None, 4.0),
    ("c4", "u4", datetime(2025, 3, 5, 12, 0), "view", "App", "ads", None, None),
    ("c4", "u4", datetime(2025, 3, 5, 12, 1), "add_to_cart", "App", "ads", "shoes", 4.0),
    ("c6", "u1", datetime(2025, 3, 3, 9, 0), "add_to_cart", "App", "ads", "shoes", 3.0),
    ("n1", "u4", datetime(2025, 3, 6, 8, 0), "product_view", "App", "ads", "shoes", None),
    ("c5", "u5", datetime(2025, 2, 10, 8, 0), "add_to_cart", "App", "ads", "shoes", 8.0),
]


def events() -> pl.LazyFrame:
    return pl.LazyFrame(ROWS, schema=SCHEMA, orient="row")


def table(log: pl.LazyFrame | None = None) -> pl.LazyFrame:
    return ct.cart_table(events() if log is None else log).collect().lazy()


def lines(log: pl.LazyFrame | None = None) -> pl.LazyFrame:
    log = events() if log is None else log
    return ct.cart_lines(log, table(log))


def counted(log: pl.LazyFrame | None = None, window_hours: float = 24, comparison=FEB) -> dict[str, pl.LazyFrame]:
    """The carts counted for the window (:func:`ct.counted_carts`) and cut to March and ``comparison``."""
    log = events() if log is None else log
    tables = ct.counted_carts(table(log), lines(log), window_hours)
    return {name: of_periods(t, MARCH, comparison).collect().lazy() for name, t in tables.items()}


@pytest.fixture(scope="module")
def carts() -> pl.LazyFrame:
    return ct.carts(table(), MARCH, FEB, window_hours=24).collect().lazy()


@pytest.fixture(scope="module")
def counts() -> dict[str, pl.LazyFrame]:
    return counted()


def _row(frame: pl.DataFrame, **keys) -> dict:
    rows = frame.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_carts_and_window_boundary(carts):
    c = carts.collect()
    march = c.filter(pl.col("period") == "2025-03")
    assert sorted(march["session_id"]) == ["c1", "c2", "c3", "c4", "c6"]
    assert _row(c, session_id="c1")["abandoned"] is False  # pay exactly 24 h later counts
    assert _row(c, session_id="c1")["hours_to_pay"] == pytest.approx(24)
    assert _row(c, session_id="c1")["value"] == 15  # both adds of the session
    assert _row(c, session_id="c2")["abandoned"] is True  # 24 h + 1 s
    assert _row(c, session_id="c3")["abandoned"] is True  # a pay before the cart does not count
    assert _row(c, session_id="c6")["hours_to_pay"] == pytest.approx(65 / 60)
    assert _row(c, session_id="c5")["period"] == "2025-02"


def test_the_carts_counted_for_a_window():
    """What the figures read instead of a row per cart: March's and February's carts by day of
    the session's start, day of the cart, device, source and paid; the paid ones by hours to pay."""
    tables = {name: t.collect() for name, t in ct.counted_carts(table(), lines(), 24).items()}
    got = tables["cart_counts"].sort("date", "device", "paid")
    assert got.select("date", "cart_date", "device", "source", "paid", "carts", "value").rows() == [
        (date(2025, 2, 10), date(2025, 2, 10), "App", "ads", False, 1, 8.0),   # c5
        (date(2025, 3, 2), date(2025, 3, 2), "App", "ads", True, 1, 15.0),     # c1
        (date(2025, 3, 2), date(2025, 3, 2), "PC", "seo", False, 2, 27.0),     # c2 c3
        (date(2025, 3, 3), date(2025, 3, 3), "App", "ads", True, 1, 3.0),      # c6
        (date(2025, 3, 5), date(2025, 3, 5), "App", "ads", True, 1, 4.0)]      # c4
    assert ct.window_of(tables["cart_counts"]) == 24
    delays = tables["pay_delays"].sort("date")
    assert delays["date"].to_list() == [date(2025, 3, 2), date(2025, 3, 3), date(2025, 3, 5)]
    assert delays["hours_to_pay"].to_list() == pytest.approx([24, 65 / 60, 29 / 60]) and delays["carts"].sum() == 3
    assert tables["cart_line_counts"].filter(pl.col("group") == "hats").sort("paid").select("paid", "carts", "value").rows() \
        == [(False, 1, 20.0), (True, 1, 5.0)]  # c3 abandoned, c1 paid
    # a shorter window: only c4 (29 min from its add to its pay) paid
    short = ct.counted_carts(table(), lines(), 1)
    assert short["pay_delays"].collect()["hours_to_pay"].to_list() == pytest.approx([29 / 60])
    assert ct.window_of(short["cart_counts"]) == 1
    assert ct.window_of(short["cart_counts"].filter(pl.lit(False))) is None


def test_cart_abandonment_summary(counts):
    s = ct.cart_abandonment(counts["cart_counts"], counts["pay_delays"], MARCH, FEB).row(0, named=True)
    assert (s["carts"], s["abandoned"]) == (5, 2)
    assert s["abandonment_rate"] == pytest.approx(0.4)
    assert s["abandoned_value"] == pytest.approx(27)
    assert s["abandonment_rate_prev"] == pytest.approx(1.0)
    assert s["abandonment_rate_change"] == pytest.approx(-0.6)
    # hours to pay of paid carts: 0.5 (c4), 65/60 (c6), 24 (c1): median 1.0833;
    # p90 linear at position 0.9 * 2 = 1.8: 1.0833 + 0.8 * (24 - 1.0833) = 19.4167
    assert s["median_hours_to_pay"] == pytest.approx(65 / 60)
    assert s["p90_hours_to_pay"] == pytest.approx(65 / 60 + 0.8 * (24 - 65 / 60))


def test_shorter_window():
    c = counted(window_hours=1, comparison=None)
    s = ct.cart_abandonment(c["cart_counts"], c["pay_delays"], MARCH, None).row(0, named=True)
    # 1 h: c1 (24 h) and c6 (65 min) now abandoned too; only c4 (30 min) paid -> 4/5
    assert s["abandoned"] == 4
    assert s["abandoned_value"] == pytest.approx(15 + 7 + 20 + 3)
    assert s["abandonment_rate_prev"] is None


def test_abandonment_by_device(counts):
    by = ct.abandonment_by(counts["cart_counts"], "device", MARCH, FEB)
    # PC: c2 c3 both abandoned (value 27); App: c1 c4 c6 all paid; February App: c5 abandoned
    assert by["group"].to_list() == ["PC", "App"]
    pc, app = _row(by, group="PC"), _row(by, group="App")
    assert (pc["carts"], pc["abandoned"], pc["abandonment_rate"], pc["abandoned_value"]) == (2, 2, 1.0, 27)
    assert (app["carts"], app["abandonment_rate"], app["abandonment_rate_prev"]) == (3, 0.0, 1.0)
    assert pc["carts_prev"] is None


def test_abandonment_by_category(counts):
    by = ct.abandonment_by_category(counts["cart_line_counts"], MARCH, FEB)
    # shoes in c1 c2 c4 c6: abandoned c2 -> 1/4, value 7; hats in c1 c3: abandoned c3 -> 1/2, value 20
    assert by["group"].to_list() == ["hats", "shoes"]
    hats, shoes = _row(by, group="hats"), _row(by, group="shoes")
    assert (hats["carts"], hats["abandoned"], hats["abandonment_rate"], hats["abandoned_value"]) == (2, 1, 0.5, 20)
    assert (shoes["carts"], shoes["abandonment_rate"], shoes["abandoned_value"]) == (4, 0.25, 7)
    assert shoes["abandonment_rate_prev"] == 1.0  # February: c5 shoes abandoned


def test_events_without_value_or_category():
    log = events().drop("value", "category")
    c = counted(log, comparison=None)
    assert ct.cart_abandonment(c["cart_counts"], c["pay_delays"], MARCH, None)["abandoned_value"][0] == 0
    by = ct.abandonment_by_category(c["cart_line_counts"], MARCH, None)
    assert by["group"].to_list() == ["unknown"] and by["carts"][0] == 5


def test_the_cart_table_keeps_the_next_pay_whatever_the_window():
    t = table().collect()
    # every cart of the data, of both periods and none
    assert sorted(t["session_id"]) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert _row(t, session_id="c2")["next_pay"] == datetime(2025, 3, 3, 10, 5, 1)  # beyond 24 h, still kept
    assert _row(t, session_id="c3")["next_pay"] is None  # u3 paid only before the cart
    assert _row(t, session_id="c5")["next_pay"] is None
    # a longer window turns c2's pay (24 h + 1 s) into a paid cart
    c = ct.carts(table(), MARCH, None, window_hours=25).collect()
    assert _row(c, session_id="c2")["abandoned"] is False
    assert _row(c, session_id="c2")["hours_to_pay"] == pytest.approx(24 + 1 / 3600)


def test_cart_lines_hold_each_category_of_each_cart():
    got = lines().collect().sort("session_id", "group")
    assert got.select("session_id", "group", "value").rows() == [
        ("c1", "hats", 5.0), ("c1", "shoes", 10.0), ("c2", "shoes", 7.0), ("c3", "hats", 20.0),
        ("c4", "shoes", 4.0), ("c5", "shoes", 8.0), ("c6", "shoes", 3.0)]
    assert _row(got, session_id="c1", group="hats")["cart_time"] == datetime(2025, 3, 2, 10, 5)


def test_a_cart_without_a_user_is_never_paid():
    log = events().with_columns(pl.when(pl.col("user_id") == "u4").then(None).otherwise(pl.col("user_id"))
                                .alias("user_id"))
    c = ct.carts(table(log), MARCH, None).collect()
    assert _row(c, session_id="c4")["abandoned"] is True


def test_cart_chart_returns_figure(counts):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from kit.charts.conversion import cart_chart

    tables = [ct.abandonment_by(counts["cart_counts"], "device", MARCH, FEB),
              ct.abandonment_by(counts["cart_counts"], "source", MARCH, None),
              ct.abandonment_by_category(counts["cart_line_counts"], MARCH, FEB)]
    assert isinstance(cart_chart(tables, ZH), Figure)
    assert isinstance(cart_chart(tables[:1], EN), Figure)
    plt.close("all")
