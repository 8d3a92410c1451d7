"""Section 2.1 funnel on a hand-built event log whose funnel is worked out by hand.

March 2025 (the period), sessions (rows deliberately shuffled):
- A  ua App ads  03-03 10:00 view, 10:01 product_view, 10:01:30 product_view (repeat),
                 10:02 add_to_cart, 10:03 checkout, 10:04 pay               -> reaches all 5 steps
- B  ub PC  seo  03-03 11:00 view, 11:01 product_view, 11:02 checkout, 11:03 add_to_cart
                 (checkout before the cart does not count)                  -> view, pv, cart
- C  uc PC  seo  03-04 09:00 view, 09:01 product_view, 09:02 pay (no cart)  -> view, pv
- D  ud App ads  03-31 23:50 view, 23:51 product_view, 23:52 add_to_cart x2, 23:55 checkout x2,
                 04-01 00:10 pay (spans midnight and the period end: still March, day 03-31) -> all 5
- E  ue App seo  03-04 12:00 view                                            -> view
February (comparison):
- F  uf PC  seo  02-28 23:55 view, 03-01 00:05 product_view (starts in February) -> view, pv
- G  ug App ads  02-10 view, product_view, add_to_cart, checkout            -> 4 steps
January: H ua 01-05 view (makes ua returning; in neither period).
Orders: ub paid 02-01 (makes ub returning), ue paid 03-20 (after E: ue stays new).

March counts: view 5, product_view 4 (A B C D), add_to_cart 3 (A B D), checkout 2 (A D), pay 2 (A D).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import matplotlib
import polars as pl
import pytest

from kit.diagnosis.changepoint import find_dated_drops
from kit.i18n import Locale
from kit.metrics import funnel as fn
from kit.metrics.common import of_periods
from kit.periods import parse_period

ZH, EN = Locale("zh"), Locale("en")

matplotlib.use("Agg")

MARCH, FEB = parse_period("2025-03"), parse_period("2025-02")


def _t(month, day, h, m, s=0):
    return datetime(2025, month, day, h, m, s)


ROWS = [
    ("A", "ua", _t(3, 3, 10, 4), "pay", "App", "ads"),
    ("B", "ub", _t(3, 3, 11, 3), "add_to_cart", "PC", "seo"),
    ("A", "ua", _t(3, 3, 10, 0), "view", "App", "ads"),
    ("D", "ud", _t(4, 1, 0, 10), "pay", "App", "ads"),
    ("A", "ua", _t(3, 3, 10, 2), "add_to_cart", "App", "ads"),
    ("A", "ua", _t(3, 3, 10, 1, 30), "product_view", "App", "ads"),
    ("A", "ua", _t(3, 3, 10, 3), "checkout", "App", "ads"),
    ("A", "ua", _t(3, 3, 10, 1), "product_view", "App", "ads"),
    ("B", "ub", _t(3, 3, 11, 0), "view", "PC", "seo"),
    ("B", "ub", _t(3, 3, 11, 2), "checkout", "PC", "seo"),
    ("B", "ub", _t(3, 3, 11, 1), "product_view", "PC", "seo"),
    ("C", "uc", _t(3, 4, 9, 2), "pay", "PC", "seo"),
    ("C", "uc", _t(3, 4, 9, 0), "view", "PC", "seo"),
    ("C", "uc", _t(3, 4, 9, 1), "product_view", "PC", "seo"),
    ("D", "ud", _t(3, 31, 23, 55), "checkout", "App", "ads"),
    ("D", "ud", _t(3, 31, 23, 50), "view", "App", "ads"),
    ("D", "ud", _t(3, 31, 23, 52), "add_to_cart", "App", "ads"),
    ("D", "ud", _t(3, 31, 23, 51), "product_view", "App", "ads"),
    ("D", "ud", _t(3, 31, 23, 52), "add_to_cart", "App", "ads"),
    ("D", "ud", _t(3, 31, 23, 55), "checkout", "App", "ads"),
    ("E", "ue", _t(3, 4, 12, 0), "view", "App", "seo"),
    ("F", "uf", _t(3, 1, 0, 5), "product_view", "PC", "seo"),
    ("F", "uf", _t(2, 28, 23, 55), "view", "PC", "seo"),
    ("G", "ug", _t(2, 10, 8, 0), "view", "App", "ads"),
    ("G", "ug", _t(2, 10, 8, 1), "product_view", "App", "ads"),
    ("G", "ug", _t(2, 10, 8, 2), "add_to_cart", "App", "ads"),
    ("G", "ug", _t(2, 10, 8, 3), "checkout", "App", "ads"),
    ("H", "ua", _t(1, 5, 8, 0), "view", "App", "ads"),
]
SCHEMA = {"session_id": pl.String, "user_id": pl.String, "event_time": pl.Datetime("us"), "event": pl.String,
          "device": pl.String, "source": pl.String}


def events() -> pl.LazyFrame:
    return pl.LazyFrame(ROWS, schema=SCHEMA, orient="row")


def orders() -> pl.LazyFrame:
    return pl.LazyFrame(
        {"order_id": ["o1", "o2"], "customer_id": ["ub", "ue"], "order_time": [_t(2, 1, 9, 0), _t(3, 20, 9, 0)],
         "amount": [10.0, 20.0], "status": ["paid", "paid"]},
        schema_overrides={"order_time": pl.Datetime("us")},
    )


@pytest.fixture(scope="module")
def journeys() -> pl.LazyFrame:
    return fn.journeys(events(), MARCH, FEB, orders=orders()).collect().lazy()


def _row(frame: pl.DataFrame, **keys) -> dict:
    rows = frame.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_journeys_period_day_and_visitor(journeys):
    j = journeys.collect()
    march = j.filter(pl.col("period") == "2025-03").sort("journey_id")
    assert march["journey_id"].to_list() == ["A", "B", "C", "D", "E"]
    assert _row(j, journey_id="D")["date"] == date(2025, 3, 31)  # spans midnight: day of its first event
    assert _row(j, journey_id="F")["period"] == "2025-02"  # its March event stays in February
    # A: ua had session H in January; B: ub paid on 02-01; E: ue's order comes after the session
    assert dict(zip(march["journey_id"], march["visitor"], strict=True)) == {
        "A": "returning", "B": "returning", "C": "new", "D": "new", "E": "new"}


def test_funnel_counts_conversions_and_weakest(journeys):
    f = fn.funnel_table(journeys, MARCH, FEB)
    assert f["step"].to_list() == ["view", "product_view", "add_to_cart", "checkout", "pay"]
    assert f["count"].to_list() == [5, 4, 3, 2, 2]
    # step conversion: 4/5, 3/4, 2/3, 2/2; from start: k / 5; drop-off: 1, 1, 1, 0
    assert f["step_conversion"].to_list() == pytest.approx([1, 0.8, 0.75, 2 / 3, 1])
    assert f["from_start"].to_list() == pytest.approx([1, 0.8, 0.6, 0.4, 0.4])
    assert f["drop_off"].to_list() == [0, 1, 1, 1, 0]
    assert f.filter(pl.col("is_weakest"))["step"].to_list() == ["checkout"]
    assert fn.weakest_step(f)["step"] == "checkout"
    # February: view 2 (F G), pv 2, cart 1 (G), checkout 1 (G), pay 0
    assert f["count_prev"].to_list() == [2, 2, 1, 1, 0]
    checkout = _row(f, step="checkout")
    assert checkout["step_conversion_prev"] == pytest.approx(1.0)
    assert checkout["step_conversion_change"] == pytest.approx(2 / 3 - 1)
    assert _row(f, step="view")["count_change_rel"] == pytest.approx((5 - 2) / 2)


def test_first_step_other_than_view_needs_its_event():
    steps = ["product_view", "add_to_cart", "pay"]
    j = fn.journeys(events(), MARCH, None, steps=steps).collect().lazy()
    f = fn.funnel_table(j, MARCH, None)
    # product_view: A B C D (E has none); add_to_cart after it: A B D; pay after the cart: A D
    assert f["count"].to_list() == [4, 3, 2]
    # whole-funnel conversion enters at the first step: App A D (E never viewed a product) 2/2, PC B C 0/2
    by = {r["group"]: (r["entered"], r["converted"]) for r in
          fn.conversion_by(fn.step_conversion_by(j, "device", MARCH, None)).iter_rows(named=True)}
    assert by == {"App": (2, 2), "PC": (2, 0)}


def test_conversion_by_device_wilson_and_z_test(journeys):
    by = fn.conversion_by(fn.step_conversion_by(journeys, "device", MARCH, FEB))
    app, pc = _row(by, group="App"), _row(by, group="PC")
    # App: A D E entered, A D paid -> 2/3; PC: B C -> 0/2
    assert (app["entered"], app["converted"], app["rate"]) == (3, 2, pytest.approx(2 / 3))
    assert (pc["entered"], pc["converted"], pc["rate"]) == (2, 0, 0)
    assert by["group"].to_list() == ["PC", "App"]  # worst first
    # Wilson, z = 1.96, z2 = 3.8415, n = 3, p = 2/3:
    #   centre = (0.6667 + 3.8415/6) / (1 + 3.8415/3) = 1.30691 / 2.28049 = 0.57308
    #   half   = 1.96 * sqrt(0.2222/3 + 3.8415/36) / 2.28049 = 1.96 * 0.425184 / 2.28049 = 0.36543
    assert app["ci_low"] == pytest.approx(0.20765, abs=1e-4)
    assert app["ci_high"] == pytest.approx(0.93851, abs=1e-4)
    # PC, n = 2, k = 0: centre = 0.96037 / 2.92074 = 0.32881 = half -> [0, 0.65763]
    assert pc["ci_low"] == pytest.approx(0.0, abs=1e-6)
    assert pc["ci_high"] == pytest.approx(0.65763, abs=1e-4)
    # z-test App vs rest (PC): pooled q = 2/5, se = sqrt(0.24 * (1/3 + 1/2)) = sqrt(0.2) = 0.44721,
    # z = (2/3 - 0) / 0.44721 = 1.49071, p = 2 (1 - Phi(1.49071)) = 2 * 0.06802 = 0.13604
    assert app["rest_rate"] == 0
    assert app["z"] == pytest.approx(1.49071, abs=1e-4)
    assert pc["z"] == pytest.approx(-1.49071, abs=1e-4)
    assert app["p_value"] == pytest.approx(0.13604, abs=2e-4)
    # February: App = G 0/1, PC = F 0/1
    assert app["rate_prev"] == 0 and app["rate_change"] == pytest.approx(2 / 3)


def test_step_conversion_by_visitor(journeys):
    by = fn.step_conversion_by(journeys, "visitor", MARCH, FEB)
    assert set(by["step"]) == {"product_view", "add_to_cart", "checkout", "pay"}
    # returning = A B: cart 2 -> checkout A only: 1/2; new = C D E: cart D -> checkout D: 1/1
    ret, new = _row(by, group="returning", step="checkout"), _row(by, group="new", step="checkout")
    assert (ret["entered"], ret["converted"], ret["rate"]) == (2, 1, 0.5)
    assert (new["entered"], new["converted"], new["rate"]) == (1, 1, 1.0)
    # rest of "returning" at checkout = new: 1/1; pooled 2/3, se = sqrt(2/9 * (1/2 + 1)) = 0.57735,
    # z = (0.5 - 1) / 0.57735 = -0.86603
    assert ret["rest_rate"] == 1.0
    assert ret["z"] == pytest.approx(-0.86603, abs=1e-4)
    # product_view: new C D E: 2/3 (E has none)
    assert _row(by, group="new", step="product_view")["rate"] == pytest.approx(2 / 3)


def test_daily_step_conversion_table(journeys):
    daily = fn.daily_step_conversion(journeys, MARCH)
    assert daily.columns == ["date", "dimension", "group", "step", "entered", "converted", "rate"]
    assert set(daily["dimension"]) == {"all", "device", "source"}
    # add_to_cart, all: 03-03 A B (pv 2, cart 2); 03-04 C E (pv 1 = C, cart 0); 03-31 D (1, 1)
    cart = daily.filter((pl.col("dimension") == "all") & (pl.col("step") == "add_to_cart")).sort("date")
    assert cart["date"].to_list() == [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 31)]
    assert cart["entered"].to_list() == [2, 1, 1]
    assert cart["converted"].to_list() == [2, 0, 1]
    pc = _row(daily, dimension="device", group="PC", step="checkout", date=date(2025, 3, 3))
    assert (pc["entered"], pc["converted"]) == (1, 0)  # B: cart yes, checkout (before the cart) no
    assert daily.filter(pl.col("date") < date(2025, 3, 1)).height == 0  # February is not in it
    find_dated_drops(daily)  # the change-point detector accepts the shape


def test_counted_journeys_give_the_same_figures():
    """The counts table (what a published run keeps) gives every count figure exactly as the
    journeys do, on a random log of two periods, devices, sources and new/returning users."""
    import random

    from polars.testing import assert_frame_equal

    rng = random.Random(5)
    rows = []
    for s in range(400):
        month, day = rng.choice([(2, 10), (2, 11), (3, 10), (3, 11), (3, 12)])
        device, source = rng.choice(["App", "PC", "H5"]), rng.choice(["ads", "search"])
        for _ in range(rng.randint(1, 6)):
            rows.append((f"s{s}", f"u{s % 90}", _t(month, day, 12, rng.randint(0, 9)), rng.choice(fn.EVENT_STEPS),
                         device, source))
    j = fn.journeys(pl.LazyFrame(rows, schema=SCHEMA, orient="row"), MARCH, FEB).collect().lazy()
    counts = fn.journey_counts(j).collect()
    assert counts.height < 400 and counts["journeys"].sum() == 400
    c = counts.lazy()
    assert_frame_equal(fn.funnel_table(c, MARCH, FEB), fn.funnel_table(j, MARCH, FEB))
    for dimension in fn.DIMENSIONS:
        assert_frame_equal(fn.step_conversion_by(c, dimension, MARCH, FEB),
                           fn.step_conversion_by(j, dimension, MARCH, FEB))
    assert_frame_equal(fn.daily_step_conversion(c, MARCH), fn.daily_step_conversion(j, MARCH))


def _random_log(seed: int, n: int = 400) -> list[tuple]:
    """Sessions of 1-6 random step events (so checkouts before carts, pays without carts and
    steps repeated on both sides of the step before), on days of both periods and at midnight
    between them."""
    import random

    rng = random.Random(seed)
    rows = []
    for s in range(n):
        month, day, hour = rng.choice([(2, 10, 12), (2, 28, 23), (3, 10, 12), (3, 11, 12), (3, 31, 23)])
        device, source = rng.choice(["App", "PC", "H5"]), rng.choice(["ads", "search"])
        for _ in range(rng.randint(1, 6)):
            rows.append((f"s{s}", f"u{s % 90}", _t(month, day, hour, 50) + timedelta(minutes=rng.randint(0, 20)),
                         rng.choice(fn.EVENT_STEPS), device, source))
    return rows


def test_prepared_journey_tables_give_each_runs_counts_and_times():
    """Counted once over every session (the prepared dataset's tables), then cut to a run's
    periods by date: the same counts, times and paths as the run's own journeys and paths, for
    the default steps and for a shorter funnel, with orders making first visits returning."""
    from polars.testing import assert_frame_equal

    from kit.metrics.sessions import session_table

    log = pl.LazyFrame(_random_log(11), schema=SCHEMA, orient="row")
    sessions = session_table(log).collect().lazy()
    paid = pl.LazyFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["u1", "u2", "u3"],
                         "order_time": [_t(1, 1, 9, 0), _t(3, 10, 12, 55), _t(3, 30, 9, 0)],
                         "amount": [10.0, 20.0, 5.0], "status": ["paid", "paid", "paid"]},
                        schema_overrides={"order_time": pl.Datetime("us")})
    keys = ["period", "date", "device", "source", "visitor"]
    for steps in (fn.EVENT_STEPS, ("view", "add_to_cart", "pay")):
        prepared = fn.session_journey_tables(log, sessions, steps, paid)
        for period, comparison in ((MARCH, FEB), (FEB, None)):
            j = fn.journeys(log, period, comparison, steps=steps, orders=paid, sessions=sessions).collect().lazy()
            own = fn.journey_counts(j).collect()
            assert own["journeys"].sum() > 100 and own.filter(pl.col("visitor") == "returning").height
            cut = of_periods(prepared["journey_counts"].lazy(), period, comparison).collect()
            assert_frame_equal(cut.sort(keys), own.sort(keys), check_column_order=True)
            times = of_periods(prepared["convert_times"].lazy(), period, comparison).collect()
            assert_frame_equal(times.sort("period", "date", "minutes"),
                               fn.convert_times(j).collect().sort("period", "date", "minutes"))
            assert_frame_equal(fn.time_to_convert(times.lazy(), period, comparison),
                               fn.time_to_convert(fn.convert_times(j), period, comparison))
        counted = {name: table.lazy() for name, table in fn.path_counts(log, sessions, steps).items()}
        for period in (MARCH, FEB):
            cut = fn.path_tables(log, period, steps, 100, 100, sessions=sessions, counted=counted)
            own = fn.path_tables(log, period, steps, 100, 100, sessions=sessions)
            assert cut[0]["count"].sum() > 100 and cut[1].height > 10
            for a, b in zip(cut, own, strict=True):
                assert_frame_equal(a, b)
    assert fn.prepared_steps(fn.EVENT_STEPS) and not fn.prepared_steps(["view", "view"])
    assert not fn.prepared_steps(["view", "wishlist"])


def test_time_to_convert(journeys):
    ttc = fn.time_to_convert(fn.convert_times(journeys), MARCH, FEB).row(0, named=True)
    # A: pv 10:01 -> pay 10:04 = 3 min; D: pv 23:51 -> pay 00:10 = 19 min
    # median = 11; p90 (linear) = 3 + 0.9 * 16 = 17.4; February: nobody paid
    assert ttc["converted"] == 2
    assert ttc["median_minutes"] == pytest.approx(11)
    assert ttc["p90_minutes"] == pytest.approx(17.4)
    assert ttc["converted_prev"] == 0 and ttc["median_minutes_prev"] is None


def test_transitions():
    tr = fn.transitions(events(), MARCH)
    counts = {(r["from_step"], r["to_step"]): r["count"] for r in tr.iter_rows(named=True)}
    # A, D: view > pv > cart > checkout > pay (repeats collapsed); B: view > pv > checkout > cart;
    # C: view > pv > pay; E: view
    assert counts == {
        ("view", "product_view"): 4, ("product_view", "add_to_cart"): 2, ("add_to_cart", "checkout"): 2,
        ("checkout", "pay"): 2, ("pay", "exit"): 3, ("product_view", "checkout"): 1,
        ("checkout", "add_to_cart"): 1, ("add_to_cart", "exit"): 1, ("product_view", "pay"): 1,
        ("view", "exit"): 1,
    }
    assert _row(tr, from_step="view", to_step="product_view")["share"] == pytest.approx(4 / 5)
    assert _row(tr, from_step="product_view", to_step="add_to_cart")["share"] == pytest.approx(2 / 4)
    assert _row(tr, from_step="pay", to_step="exit")["share_of_all"] == pytest.approx(3 / 18)
    assert tr["count"][0] == 4  # largest first


def test_top_paths():
    paths = fn.top_paths(events(), MARCH)
    full = "view > product_view > add_to_cart > checkout > pay"
    assert _row(paths, outcome="purchase", path=full)["sessions"] == 2
    assert _row(paths, outcome="purchase", path=full)["share"] == pytest.approx(2 / 3)
    assert _row(paths, outcome="purchase", path="view > product_view > pay")["sessions"] == 1
    assert _row(paths, outcome="exit", path="view")["share"] == pytest.approx(0.5)
    assert _row(paths, outcome="exit", path="view > product_view > checkout > add_to_cart")["sessions"] == 1


def _user_log() -> pl.LazyFrame:
    # uw: session 1 on 03-02 10:00 view + product_view; session 2 exactly 7 days later:
    # add_to_cart and checkout at 03-09 10:00:00, pay one second later.
    rows = [
        ("w2", "uw", datetime(2025, 3, 9, 10, 0, 1), "pay", "App", "ads"),
        ("w1", "uw", datetime(2025, 3, 2, 10, 0), "view", "App", "ads"),
        ("w2", "uw", datetime(2025, 3, 9, 10, 0), "add_to_cart", "App", "ads"),
        ("w1", "uw", datetime(2025, 3, 2, 10, 1), "product_view", "App", "ads"),
        ("w2", "uw", datetime(2025, 3, 9, 10, 0), "checkout", "App", "ads"),
    ]
    return pl.LazyFrame(rows, schema=SCHEMA, orient="row")


def test_user_funnel_window_boundary():
    j = fn.journeys(_user_log(), MARCH, None, unit="user", window_days=7).collect().lazy()
    # window = [03-02 10:00, 03-09 10:00] inclusive: cart and checkout at the boundary count, pay 1 s later not
    assert fn.funnel_table(j, MARCH, None)["count"].to_list() == [1, 1, 1, 1, 0]
    j8 = fn.journeys(_user_log(), MARCH, None, unit="user", window_days=8).collect().lazy()
    assert fn.funnel_table(j8, MARCH, None)["count"].to_list() == [1, 1, 1, 1, 1]
    # per session the same log is two journeys: w1 stops at product_view, w2 has no product view
    js = fn.journeys(_user_log(), MARCH, None).collect().lazy()
    assert fn.funnel_table(js, MARCH, None)["count"].to_list() == [2, 1, 0, 0, 0]


def test_events_without_device_or_source_columns():
    log = events().drop("device", "source")
    j = fn.journeys(log, MARCH, None).collect().lazy()
    by = fn.conversion_by(fn.step_conversion_by(j, "device", MARCH, None))
    assert by["group"].to_list() == ["unknown"] and by["entered"].to_list() == [5]


def test_charts_return_axes_or_their_figure(journeys):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from kit.charts import conversion as charts

    f = fn.funnel_table(journeys, MARCH, FEB)
    assert isinstance(charts.funnel_chart(f, ZH), Axes)
    assert isinstance(charts.funnel_chart(fn.funnel_table(journeys, MARCH, None), EN), Axes)
    assert isinstance(charts.breakdown_chart(fn.step_conversion_by(journeys, "device", MARCH, FEB), EN), Axes)
    daily = fn.daily_step_conversion(journeys, MARCH)
    assert isinstance(charts.daily_chart(daily, "all", ZH), Figure)
    assert isinstance(charts.daily_chart(daily, "source", EN), Figure)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_period_without_journeys(journeys):
    april = parse_period("2025-04")
    f = fn.funnel_table(journeys, april, None)
    assert f["count"].to_list() == [0, 0, 0, 0, 0]
    assert fn.weakest_step(f) is None
    assert fn.daily_step_conversion(journeys, april).height == 0


def test_step_events_on_both_sides_of_the_previous_step():
    # checkout 10:01 comes before the cart (10:03), a second checkout at 10:04 after it:
    # reached view 10:00, product_view 10:02, add_to_cart 10:03, checkout 10:04 (the second one), no pay
    rows = [("K", "uk", _t(3, 3, 10, m), e, "App", "ads") for m, e in
            [(5, "add_to_cart"), (0, "view"), (4, "checkout"), (1, "checkout"), (3, "add_to_cart"), (2, "product_view")]]
    j = fn.journeys(pl.LazyFrame(rows, schema=SCHEMA, orient="row"), MARCH, None).collect()
    assert j.row(0, named=True)["at:checkout"] == _t(3, 3, 10, 4)
    assert j.row(0, named=True)["at:add_to_cart"] == _t(3, 3, 10, 3)
    assert j.row(0, named=True)["at:pay"] is None


def _reference_reach(rows, steps):
    """The rule written plainly, session by session: step k is the first step-k event at or
    after the time step k-1 was reached (the first step is the session's first event)."""
    out = {}
    for sid in {r[0] for r in rows}:
        evs = [(r[2], r[3]) for r in rows if r[0] == sid]
        reached = [min(t for t, _ in evs)]
        for step in steps[1:]:
            later = [t for t, e in evs if e == step and reached[-1] is not None and t >= reached[-1]]
            reached.append(min(later) if later else None)
        out[sid] = reached
    return out


def test_reach_matches_the_plain_rule_on_random_logs():
    import random

    rng = random.Random(11)
    steps = list(fn.EVENT_STEPS)
    rows = []
    for s in range(300):
        for _ in range(rng.randint(1, 9)):
            # few distinct minutes, so that ties and steps on both sides of each other are common
            rows.append((f"s{s}", f"u{s % 40}", _t(3, 10, 12, rng.randint(0, 6)), rng.choice(steps), "App", "ads"))
    j = fn.journeys(pl.LazyFrame(rows, schema=SCHEMA, orient="row"), MARCH, None).collect()
    expected = _reference_reach(rows, steps)
    got = {r["journey_id"]: [r[fn.AT + s] for s in steps] for r in j.iter_rows(named=True)}
    assert got == expected


def test_top_paths_cut_long_paths_and_stop_at_the_first_pay():
    # L: view, then product_view / add_to_cart alternating 20 times: 21 steps, shown as the first 16 and "…"
    # P: view, pay, product_view, pay: the purchase path stops at the first pay -> "view > pay"
    rows = [("L", "ul", _t(3, 3, 10, 0), "view", "App", "ads")]
    rows += [("L", "ul", _t(3, 3, 10, m), "product_view" if m % 2 else "add_to_cart", "App", "ads") for m in range(1, 21)]
    rows += [("P", "up", _t(3, 3, 11, m), e, "App", "ads") for m, e in enumerate(["view", "pay", "product_view", "pay"])]
    paths = fn.top_paths(pl.LazyFrame(rows, schema=SCHEMA, orient="row"), MARCH)
    exit_path = _row(paths, outcome="exit")["path"].split(" > ")
    assert len(exit_path) == 17 and exit_path[-1] == "…"
    assert exit_path[:4] == ["view", "product_view", "add_to_cart", "product_view"]
    assert _row(paths, outcome="purchase")["path"] == "view > pay"


def _reference_paths(rows, steps):
    """Paths written plainly, session by session: step events sorted by time then step order,
    repeats in a row dropped; moves with ``exit`` after the last step; purchase paths cut after
    the first pay."""
    from collections import Counter

    moves, paths = Counter(), Counter()
    for sid in sorted({r[0] for r in rows}):
        path = []
        for _, event in sorted((r[2], steps.index(r[3])) for r in rows if r[0] == sid and r[3] in steps):
            if not path or path[-1] != steps[event]:
                path.append(steps[event])
        if not path:
            continue
        moves.update(zip(path, [*path[1:], "exit"], strict=True))
        bought = steps[-1] in path
        paths[("purchase" if bought else "exit", " > ".join(path[: path.index(steps[-1]) + 1] if bought else path))] += 1
    return moves, paths


@pytest.mark.parametrize("steps", [list(fn.EVENT_STEPS), ["view", "add_to_cart", "pay"], ["view", "product_view", "wishlist"]])
def test_paths_match_the_plain_rule_on_random_logs(steps):
    # sessions mostly in one block per step (read from the session table) and some interleaved
    # (read from their sorted events); a subset of the steps; a step the data never has
    import random

    rng = random.Random(5)
    rows = []
    for s in range(400):
        names = rng.sample(list(fn.EVENT_STEPS), rng.randint(1, 5))
        if s % 3 == 0:  # interleave: a step again after others
            names += rng.sample(names, 1)
        minute = 0
        for name in names:
            for _ in range(rng.randint(1, 2)):
                minute += rng.choice([0, 0, 1])  # ties in time are common
                rows.append((f"s{s}", f"u{s % 50}", _t(3, 10, 12, minute), name, "App", "ads"))
    rows.append(("late", "u1", _t(4, 1, 0, 0), "view", "App", "ads"))  # starts after the period
    rng.shuffle(rows)
    moves, paths = fn.path_tables(pl.LazyFrame(rows, schema=SCHEMA, orient="row"), MARCH, steps,
                                  top_transitions=1000, top_paths=1000)
    expected_moves, expected_paths = _reference_paths([r for r in rows if r[0] != "late"], steps)
    assert {(r["from_step"], r["to_step"]): r["count"] for r in moves.iter_rows(named=True)} == dict(expected_moves)
    assert {(r["outcome"], r["path"]): r["sessions"] for r in paths.iter_rows(named=True)} == dict(expected_paths)
    assert moves["share_of_all"].sum() == pytest.approx(1.0)


def test_path_tables_equal_the_two_functions():
    moves, paths = fn.path_tables(events(), MARCH)
    assert moves.equals(fn.transitions(events(), MARCH))
    assert paths.equals(fn.top_paths(events(), MARCH))


def test_wilson_interval_holds_a_rate_of_one_or_zero_despite_rounding():
    # at n = 10 the Wilson upper bound for 10/10 computes as 0.9999999999999999: a chart's error bar
    # (rate - ci_low, ci_high - rate) must never be negative
    from kit.metrics.common import proportion_tests

    frame = pl.DataFrame({"g": ["x"] * 4, "entered": [10, 13, 10, 13], "converted": [10, 13, 0, 0]})
    out = proportion_tests(frame, ["g"])
    rate = out["converted"] / out["entered"]
    assert ((out["ci_high"] - rate) >= 0).all() and ((rate - out["ci_low"]) >= 0).all()
    assert out["ci_high"][:2].to_list() == [1.0, 1.0] and out["ci_low"][2:].to_list() == [0.0, 0.0]
