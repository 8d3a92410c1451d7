"""Dated drops in daily step conversion (kit.diagnosis.changepoint)."""

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from kit.diagnosis.changepoint import RESULT_SCHEMA, find_dated_drops

START = date(2025, 10, 1)
DAYS = 92  # 2025-Q4
DROP_START, DROP_END = 33, 46  # 2025-11-03 .. 2025-11-16, the demo's planted App payment story


def day(i: int) -> date:
    return START + timedelta(days=i)


def frame(entered, converted, group="App", dimension="device", step="pay", dates=None) -> pl.DataFrame:
    entered, converted = list(map(int, entered)), list(map(int, converted))
    return pl.DataFrame({
        "date": dates or [day(i) for i in range(len(entered))],
        "dimension": dimension, "group": group, "step": step,
        "entered": entered, "converted": converted,
        "rate": [c / e if e else None for e, c in zip(entered, converted, strict=True)],
    })


def volumes(rng, base: float, days: int = DAYS, spike: bool = True) -> np.ndarray:
    """Daily sessions: a weekly swing of +-30%, and 双11-like peaks: 3x on 11-01..11-10, 6x on 11-11."""
    expected = base * (1 + 0.3 * np.sin(np.arange(days) / 7 * 2 * np.pi))
    if spike:
        expected[31:41] *= 3
        expected[41] *= 6
    return rng.poisson(expected)


def simulate(seed: int, rates, base: float = 400, spike: bool = True, day_noise: float = 0.0, **kw) -> pl.DataFrame:
    """Binomial conversions at the given daily rates (plus a day-level rate shock of sd ``day_noise``)."""
    rng = np.random.default_rng(seed)
    rates = np.asarray(rates, dtype=float)
    entered = volumes(rng, base, len(rates), spike)
    if day_noise:
        rates = np.clip(rates + rng.normal(0, day_noise, len(rates)), 0.01, 0.99)
    return frame(entered, rng.binomial(entered, rates), **kw)


def step_rates(before: float, during: float, start: int, end: int, days: int = DAYS) -> np.ndarray:
    rates = np.full(days, before)
    rates[start : end + 1] = during
    return rates


# ------------------------------------------------------------------ worked out by hand

def test_clean_drop_by_hand():
    # 20 days x 100 entered; 50 convert except days 8-11 where 20 do.
    entered = [100] * 20
    converted = [50] * 8 + [20] * 4 + [50] * 8
    drops = find_dated_drops(frame(entered, converted))
    assert drops.height == 1
    d = drops.row(0, named=True)
    assert (d["start"], d["end"], d["days"]) == (day(8), day(11), 4)
    # before: 400/800 = 0.5; during: 80/400 = 0.2; after: 400/800 = 0.5
    assert d["rate_before"] == pytest.approx(0.5) and d["rate_during"] == pytest.approx(0.2)
    assert d["rate_after"] == pytest.approx(0.5)
    assert d["abs_drop"] == pytest.approx(0.3) and d["rel_drop"] == pytest.approx(0.6)
    # lost = entered during * rate before - converted during = 400 * 0.5 - 80 = 120
    assert d["lost_conversions"] == pytest.approx(120)
    assert (d["entered_during"], d["converted_during"]) == (400, 80)
    assert (d["dimension"], d["group"], d["step"]) == ("device", "App", "pay")
    assert d["p_value"] < 1e-6


def test_drop_smaller_than_min_drop_is_not_reported():
    # 0.50 -> 0.45 is a 10% relative drop: clear with 10,000 sessions a day, yet under min_drop=0.15
    entered = [10_000] * 30
    converted = [5_000] * 10 + [4_500] * 10 + [5_000] * 10
    assert find_dated_drops(frame(entered, converted), min_drop=0.15).height == 0
    found = find_dated_drops(frame(entered, converted), min_drop=0.05)
    assert found.height == 1
    assert (found["start"][0], found["end"][0]) == (day(10), day(19))


def test_min_days_applies_to_the_drop_and_to_the_days_before_it():
    entered = [100] * 20
    two_day_dip = [50] * 8 + [10] * 2 + [50] * 10
    assert find_dated_drops(frame(entered, two_day_dip), min_days=3).height == 0
    assert find_dated_drops(frame(entered, two_day_dip), min_days=2)["start"].to_list() == [day(8)]
    # low on days 2-7: a drop needs min_days=3 days before it, so it can start on day 3 at
    # the earliest; before = days 0-2 = (50 + 50 + 10) / 300, during = days 3-7 = 50 / 500
    low_from_day_2 = [50] * 2 + [10] * 6 + [50] * 12
    d = find_dated_drops(frame(entered, low_from_day_2), min_days=3).row(0, named=True)
    assert (d["start"], d["end"]) == (day(3), day(7))
    assert d["rate_before"] == pytest.approx(110 / 300) and d["rate_during"] == pytest.approx(0.1)


def test_rising_rate_is_not_an_earlier_drop():
    # 0.30 for 40 days then 0.50: the first 40 days are "low" only against the later ones
    entered = [1000] * 80
    converted = [300] * 40 + [500] * 40
    assert find_dated_drops(frame(entered, converted)).height == 0


def test_permanent_drop_ends_on_the_last_day():
    entered = [200] * 30
    converted = [100] * 20 + [40] * 10
    d = find_dated_drops(frame(entered, converted)).row(0, named=True)
    assert (d["start"], d["end"], d["days"]) == (day(20), day(29), 10)
    assert d["rate_after"] is None
    # lost = 2000 * 0.5 - 400 = 600
    assert d["lost_conversions"] == pytest.approx(600)


def test_days_without_traffic_and_missing_days():
    # 30 days of 100 sessions; day 5 has none, days 14 and 22 have no row at all; the
    # drop (50 -> 20 converted) covers days 12-20, day 12 has no traffic, so it starts on 13
    rows = [(day(i), 0 if i in (5, 12) else 100, 0 if i in (5, 12) else (20 if 12 <= i <= 20 else 50))
            for i in range(30) if i not in (14, 22)]
    dates, entered, converted = zip(*rows, strict=True)
    d = find_dated_drops(frame(entered, converted, dates=list(dates))).row(0, named=True)
    assert (d["start"], d["end"], d["days"]) == (day(13), day(20), 8)
    # before: days 0-11 with traffic = 11 days, 550/1100; during 13-20 without 14 = 7 days, 140/700
    assert d["rate_before"] == pytest.approx(0.5) and d["rate_during"] == pytest.approx(0.2)
    assert d["lost_conversions"] == pytest.approx(700 * 0.5 - 140)


def test_short_empty_and_degenerate_series():
    assert find_dated_drops(frame([100] * 4, [50, 50, 10, 10])).height == 0  # too short for 3 + 3 days
    empty = find_dated_drops(frame([], []))
    assert empty.height == 0 and empty.schema == pl.Schema(RESULT_SCHEMA)
    assert find_dated_drops(frame([0] * 30, [0] * 30)).height == 0  # no traffic at all
    assert find_dated_drops(frame([100] * 30, [0] * 30)).height == 0  # never converts


def test_two_drops_in_one_series_and_other_series_left_alone():
    entered = [300] * 60
    converted = [150] * 10 + [60] * 5 + [150] * 20 + [90] * 10 + [150] * 15  # days 10-14, 35-44
    table = pl.concat([
        frame(entered, converted),
        frame(entered, [150] * 60, group="PC"),
        frame(entered, converted, dimension="all", group="all", step="checkout"),
    ])
    drops = find_dated_drops(table)
    assert drops.filter(pl.col("group") == "PC").height == 0
    app = drops.filter(pl.col("group") == "App").sort("start")
    assert app.select("start", "end").rows() == [(day(10), day(14)), (day(35), day(44))]
    # the second drop's "before" leaves the first drop out: days 0-9 and 15-34, rate 0.5
    assert app["rate_before"].to_list() == pytest.approx([0.5, 0.5])
    # lost: 1500 * 0.5 - 300 = 450 and 3000 * 0.5 - 900 = 600; largest first overall
    assert drops["lost_conversions"].to_list() == pytest.approx([600, 600, 450, 450])
    assert drops.filter(pl.col("dimension") == "all")["step"].unique().to_list() == ["checkout"]


def test_lazy_input_and_datetime_dates():
    entered = [100] * 20
    converted = [50] * 8 + [20] * 4 + [50] * 8
    table = frame(entered, converted).with_columns(pl.col("date").cast(pl.Datetime("us")))
    drops = find_dated_drops(table.lazy())
    assert drops.schema == pl.Schema(RESULT_SCHEMA)
    assert (drops["start"][0], drops["end"][0]) == (day(8), day(11))


# ------------------------------------------------------------------ simulated series

@pytest.mark.parametrize("seed", range(6))
def test_planted_two_week_drop_is_found_with_its_dates(seed):
    rates = step_rates(0.71, 0.38, DROP_START, DROP_END)
    drops = find_dated_drops(simulate(seed, rates, base=200))
    assert drops.height == 1
    d = drops.row(0, named=True)
    assert abs((d["start"] - day(DROP_START)).days) <= 2
    assert abs((d["end"] - day(DROP_END)).days) <= 2
    assert d["rate_before"] == pytest.approx(0.71, abs=0.03)
    assert d["rate_during"] == pytest.approx(0.38, abs=0.03)
    assert d["rate_after"] == pytest.approx(0.71, abs=0.03)
    assert d["rel_drop"] == pytest.approx(0.33 / 0.71, abs=0.05)
    assert d["lost_conversions"] == pytest.approx(
        d["entered_during"] * d["rate_before"] - d["converted_during"])


@pytest.mark.parametrize("seed", range(4))
def test_planted_drop_found_despite_day_level_noise(seed):
    rates = step_rates(0.71, 0.38, DROP_START, DROP_END)
    drops = find_dated_drops(simulate(seed, rates, base=700, day_noise=0.03))
    assert drops.height == 1
    assert abs((drops["start"][0] - day(DROP_START)).days) <= 2
    assert abs((drops["end"][0] - day(DROP_END)).days) <= 2


@pytest.mark.parametrize("seed", range(3))
def test_permanent_drop_simulated(seed):
    rates = step_rates(0.5, 0.35, 60, DAYS - 1)
    d = find_dated_drops(simulate(seed, rates, base=300)).row(0, named=True)
    assert abs((d["start"] - day(60)).days) <= 2
    assert d["end"] == day(DAYS - 1) and d["rate_after"] is None


@pytest.mark.parametrize("seed", range(8))
def test_binomial_noise_finds_nothing(seed):
    # constant rates, volumes from ~5 to ~5,000 a day with weekly swings and 3x-6x peaks
    table = pl.concat([
        simulate(seed * 100 + i, np.full(DAYS, rate), base=base, group=f"g{i}")
        for i, (base, rate) in enumerate([(5, 0.5), (50, 0.3), (500, 0.71), (5000, 0.05), (300, 0.9)])
    ])
    assert find_dated_drops(table).height == 0


@pytest.mark.parametrize("seed", range(4))
def test_day_level_noise_finds_nothing(seed):
    # the rate wobbles by 3 points a day on top of binomial noise, most on the 3x-6x peak days
    table = pl.concat([
        simulate(seed * 100 + i, np.full(DAYS, rate), base=base, day_noise=0.03, group=f"g{i}")
        for i, (base, rate) in enumerate([(300, 0.5), (3000, 0.3), (700, 0.71)])
    ])
    assert find_dated_drops(table).height == 0


def test_volume_spikes_without_rate_change_find_nothing():
    rng = np.random.default_rng(7)
    entered = rng.poisson(200, DAYS)
    entered[30:45] *= 10  # a two-week 10x promotion
    assert find_dated_drops(frame(entered, rng.binomial(entered, 0.6))).height == 0


def test_among_sixty_series_only_the_planted_drop_is_found():
    """(Its speed is timed by the bench's ``changepoint`` case, not here.)"""
    table = pl.concat([
        simulate(i, step_rates(0.71, 0.38, DROP_START, DROP_END) if i == 0 else np.full(DAYS, 0.6),
                 base=300, group=f"g{i // 4}", step=f"s{i % 4}")
        for i in range(60)
    ])
    drops = find_dated_drops(table)
    assert drops.select("group", "step").rows() == [("g0", "s0")]


def test_rates_are_pooled_over_sessions_not_averaged_over_days():
    # Days 10-19 alternate 1,000 sessions converting 500 and 10 sessions converting none.
    # Averaging daily rates would read 0.25 there, half of 0.5; pooling sessions gives
    # 5,000 / 5,050 = 0.495, 1% below 0.5: no drop.
    entered = [1000] * 10 + [1000, 10] * 5 + [1000] * 10
    converted = [500] * 10 + [500, 0] * 5 + [500] * 10
    assert find_dated_drops(frame(entered, converted)).height == 0
