"""The demo shop generator: contract schema, determinism, integrity, and the planted stories.

The shops are small (1,500 customers); the story checks compare the story's slice with the
rest of the shop, with margins far wider than the sampling noise at that size, and check
that the same comparison shows nothing when the shop is generated without stories.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
import pytest

from kit import demo
from kit.contract import EVENT_STEPS, TABLES

N = 1500
SEED = 7


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "shop"
    demo.generate(out, customers=N, seed=SEED)
    return out


@pytest.fixture(scope="module")
def calm_shop(tmp_path_factory):
    out = tmp_path_factory.mktemp("calm") / "shop"
    demo.generate(out, customers=N, seed=SEED, stories=False)
    return out


def read(folder, table: str) -> pl.DataFrame:
    return pl.read_parquet(folder / table)


# ---------------------------------------------------------------- files, schema, manifest

def test_every_table_has_exactly_the_contract_columns_and_dtypes(shop):
    for name, table in TABLES.items():
        schema = pl.read_parquet_schema(next((shop / name).glob("part-*.parquet")))
        assert dict(schema) == table.schema, name


def test_manifest_counts_the_rows_written(shop):
    manifest = json.loads((shop / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["customers"] == N and manifest["seed"] == SEED and manifest["stories"] is True
    assert manifest["orders_from"] == "2024-01-01" and manifest["to"] == "2025-12-31"
    for name in TABLES:
        assert manifest["rows"][name] == read(shop, name).height > 0, name
    assert read(shop, "customers").height == N


def test_stories_file_is_the_module_truth_and_empty_without_stories(shop, calm_shop):
    told = json.loads((shop / "stories.json").read_text(encoding="utf-8"))
    assert [{k: v for k, v in s.items() if k != "money_at_stake"} for s in told] == demo.STORIES
    # each story's money in the report quarter, as the generator made it happen
    # (the banner test's broken split is a data finding: no money; the bundle is an opportunity: no amount)
    assert all(s["money_at_stake"]["period"] == "2025-Q4" for s in told)
    assert all((s["money_at_stake"]["amount"] is None) == (s["id"] == "baby_books_bundle") for s in told)
    assert all((s["money_at_stake"]["amount"] or 0) > 0 or s["id"] in ("banner_srm", "baby_books_bundle") for s in told)
    assert json.loads((calm_shop / "stories.json").read_text(encoding="utf-8")) == []
    assert {s["id"] for s in demo.STORIES} == {"app_pay_outage", "northeast_churn", "apparel_returns",
                                               "feed_ads_one_time", "email_subject_winner", "banner_srm",
                                               "baby_books_bundle", "appliance_margin_fall"}
    for story in demo.STORIES:
        assert story["section"] in ("conversion", "retention", "rfm", "profile", "products", "experiments")
        assert {"title_zh", "title_en", "where", "start", "end", "expected"} <= story.keys()


def test_same_seed_same_shop_other_seed_other_shop(shop, tmp_path):
    again = tmp_path / "again"
    demo.generate(again, customers=N, seed=SEED)
    for name in TABLES:
        assert read(again, name).equals(read(shop, name)), name
    other = tmp_path / "other"
    demo.generate(other, customers=N, seed=SEED + 1)
    assert not read(other, "orders").equals(read(shop, "orders"))


# ---------------------------------------------------------------- integrity

def test_ids_refer_to_existing_rows(shop):
    customers = read(shop, "customers")
    orders = read(shop, "orders")
    items = read(shop, "order_items")
    events = read(shop, "events")
    assert customers["customer_id"].is_unique().all() and orders["order_id"].is_unique().all()
    known = set(customers["customer_id"])
    assert set(orders["customer_id"]) <= known
    assert set(items["order_id"]) == set(orders["order_id"])  # every order has lines, every line an order
    assert set(events["customer_id"].drop_nulls()) <= known


def test_order_amount_is_lines_minus_discount_plus_shipping(shop):
    orders = read(shop, "orders")
    lines = read(shop, "order_items").group_by("order_id").agg(
        (pl.col("quantity") * pl.col("unit_price")).sum().alias("subtotal"))
    both = orders.join(lines, on="order_id")
    gap = (both["subtotal"] - both["discount"] + both["shipping_fee"] - both["amount"]).abs()
    assert gap.max() < 0.011


def test_order_fields_are_coherent(shop):
    orders = read(shop, "orders")
    assert orders["order_time"].min() >= datetime(2024, 1, 1)
    assert orders["order_time"].max() < datetime(2026, 1, 1)
    unpaid = orders.filter(pl.col("status") == "cancelled")
    assert unpaid["pay_time"].null_count() == unpaid.height
    payers = orders.filter(pl.col("status") != "cancelled")
    assert payers["pay_time"].null_count() == 0
    assert (payers["pay_time"] > payers["order_time"]).all()
    share_paid = (orders["status"] == "paid").mean()
    assert 0.82 < share_paid < 0.95


def test_customers_cover_every_age_band_tier_and_region(shop):
    customers = read(shop, "customers")
    from kit.contract import CITY_TIERS

    assert set(customers["city_tier"]) == set(CITY_TIERS)
    assert set(customers["region"]) == set(demo.GEOGRAPHY)
    assert customers["birth_year"].null_count() > 0  # the unknown age band
    ages = 2025 - customers["birth_year"].drop_nulls()
    assert ages.min() < 18 and ages.max() >= 55
    assert set(customers["gender"].drop_nulls()) == {"F", "M"} and customers["gender"].null_count() > 0


def test_most_customers_buy_once_and_the_heavy_few_buy_most(shop):
    per_customer = read(shop, "orders").filter(pl.col("status") == "paid").group_by("customer_id").len()
    assert (per_customer["len"] == 1).mean() > 0.5
    assert per_customer["len"].sum() / N > 5  # about 10 orders per customer over the two years


def test_events_only_in_the_last_six_months_and_steps_in_time_order(shop):
    events = read(shop, "events")
    assert events["event_time"].min() >= datetime(2025, 7, 1)
    assert events["event_time"].max() < datetime(2026, 1, 1)
    rank = {s: i for i, s in enumerate(EVENT_STEPS)}
    ordered = events.with_columns(pl.col("event").replace_strict(rank).alias("k")).sort("session_id", "event_time")
    # within a session, sorted by time, the step never goes back
    backwards = ordered.with_columns(pl.col("k").diff().over("session_id").alias("d")).filter(pl.col("d") < 0)
    assert backwards.height == 0
    # the visitor of a session is anonymous first and logged in from some step on: never the reverse
    relog = ordered.with_columns(
        pl.col("customer_id").is_not_null().cast(pl.Int8).diff().over("session_id").alias("d")).filter(pl.col("d") < 0)
    assert relog.height == 0


def test_618_and_double_11_are_peaks_in_both_years(shop):
    orders = read(shop, "orders")
    per_day = orders.group_by(pl.col("order_time").dt.date().alias("day")).len()

    def mean_per_day(first: date, last: date) -> float:
        return per_day.filter(pl.col("day").is_between(first, last))["len"].sum() / ((last - first).days + 1)

    for year in (2024, 2025):
        assert mean_per_day(date(year, 6, 1), date(year, 6, 18)) > 1.3 * mean_per_day(date(year, 5, 1), date(year, 5, 31))
        assert mean_per_day(date(year, 11, 1), date(year, 11, 11)) > 1.5 * mean_per_day(date(year, 9, 1), date(year, 10, 31))
        # the orders come from the run-up: the dip before a festival stays shallow
        assert mean_per_day(date(year, 10, 1), date(year, 10, 31)) > 0.85 * mean_per_day(date(year, 8, 1), date(year, 8, 31))


def test_every_paid_order_of_the_event_months_has_its_pay_event(shop):
    orders = read(shop, "orders").filter(pl.col("status") != "cancelled", pl.col("order_time") >= datetime(2025, 7, 1))
    pays = read(shop, "events").filter(pl.col("event") == "pay")
    matched = orders.join(pays, left_on=["customer_id", "pay_time"], right_on=["customer_id", "event_time"], how="semi")
    assert matched.height == orders.height


def test_visit_to_pay_is_a_few_percent_with_a_noon_and_an_evening_peak(shop):
    events = read(shop, "events")
    sessions = events["session_id"].n_unique()
    paying = events.filter(pl.col("event") == "pay")["session_id"].n_unique()
    assert 0.03 < paying / sessions < 0.12
    hours = events.filter(pl.col("event") == "view")["event_time"].dt.hour().value_counts().sort("event_time")
    count = dict(zip(hours["event_time"], hours["count"], strict=True))
    assert count[12] > count[9] and count[12] > count[15]  # noon peak
    assert count[21] > count[16] and count[21] > count[3] * 5  # evening peak, quiet night
    mobile = events.filter(pl.col("event") == "view")["device"].ne("PC").mean()
    assert 0.9 < mobile < 0.95  # the issue: mobile above 90%


# ---------------------------------------------------------------- the stories


def app_checkout_to_pay(folder) -> tuple[float, float]:
    """App sessions' checkout -> pay conversion inside and outside the outage window."""
    sessions = (
        read(folder, "events").filter(pl.col("device") == "App")
        .group_by("session_id")
        .agg((pl.col("event") == "checkout").any().alias("co"), (pl.col("event") == "pay").any().alias("pay"),
             pl.col("event_time").min().alias("t"))
        .filter(pl.col("co"))
        .with_columns(pl.col("t").is_between(datetime(2025, 11, 3), datetime(2025, 11, 17), closed="left").alias("w"))
    )
    rate = sessions.group_by("w").agg(pl.col("pay").mean())
    get = dict(zip(rate["w"], rate["pay"], strict=True))
    return get[True], get[False]


def test_app_pay_outage_is_there_and_only_with_stories(shop, calm_shop):
    inside, outside = app_checkout_to_pay(shop)
    assert 0.25 < inside < 0.50 and 0.64 < outside < 0.78
    inside, outside = app_checkout_to_pay(calm_shop)
    assert abs(inside - outside) < 0.12


@pytest.fixture(scope="module")
def northeast_shops(tmp_path_factory):
    """Bigger shops for this story: 东北 is 7% of customers and a few heavy buyers make most
    of a region's orders, so 1,500 customers leave too few of them to compare quarters."""
    out = tmp_path_factory.mktemp("ne")
    demo.generate(out / "story", customers=5000, seed=SEED)
    demo.generate(out / "calm", customers=5000, seed=SEED, stories=False)
    return out / "story", out / "calm"


def northeast_q4_vs_q2(folder) -> float:
    """Paid orders of 东北, 2025-Q4 / 2025-Q2, divided by the same ratio for the other regions.

    Q2 is before the story, Q4 has its full effect (repeat orders kept at 40%): expected ~0.45.
    """
    orders = read(folder, "orders").filter(pl.col("status") == "paid", pl.col("order_time") >= datetime(2025, 1, 1))
    counts = orders.group_by(pl.col("region") == "东北", pl.col("order_time").dt.quarter()).len()
    get = {(ne, q): n for ne, q, n in counts.iter_rows()}
    return (get[(True, 4)] / get[(True, 2)]) / (get[(False, 4)] / get[(False, 2)])


def test_northeast_buys_less_only_with_stories(northeast_shops):
    story, calm = northeast_shops
    assert northeast_q4_vs_q2(story) < 0.75
    assert 0.8 < northeast_q4_vs_q2(calm) < 1.5


def apparel_vs_others(folder) -> pl.DataFrame:
    return (read(folder, "order_items").group_by(pl.col("category") == "服饰")
            .agg(pl.col("returned").mean().alias("returns"), pl.col("rating").mean().alias("rating"))
            .sort("category"))  # False (others) first


def test_apparel_returns_and_ratings_only_with_stories(shop, calm_shop):
    others, apparel = apparel_vs_others(shop).iter_rows(named=True)
    assert 0.24 < apparel["returns"] < 0.36 and others["returns"] < 0.08
    assert 2.9 < apparel["rating"] < 3.5 and others["rating"] > 4.2
    others, apparel = apparel_vs_others(calm_shop).iter_rows(named=True)
    assert apparel["returns"] < 0.09 and apparel["rating"] > 4.2


def repurchase_90d_2025(folder) -> dict[bool, float]:
    """90-day repurchase of first buyers of 2025-01..09, feed-ad customers (True) vs the others."""
    paid = read(folder, "orders").filter(pl.col("status") == "paid").sort("order_time")
    firsts = paid.group_by("customer_id").agg(pl.col("order_time").first().alias("f"),
                                              pl.col("order_time").get(1, null_on_oob=True).alias("s"))
    firsts = (firsts.filter(pl.col("f").is_between(datetime(2025, 1, 1), datetime(2025, 10, 1), closed="left"))
              .join(read(folder, "customers"), on="customer_id")
              .with_columns(((pl.col("s") - pl.col("f")) <= pl.duration(days=90)).fill_null(False).alias("r")))
    rate = firsts.group_by(pl.col("acquisition_channel") == "信息流广告").agg(pl.col("r").mean())
    return dict(rate.iter_rows())


def test_feed_ad_customers_do_not_come_back_only_with_stories(shop, calm_shop):
    rate = repurchase_90d_2025(shop)
    assert rate[True] < 0.07 and 0.15 < rate[False] < 0.40
    customers = read(shop, "customers").filter(pl.col("signup_date") >= datetime(2025, 1, 1).date())
    assert (customers["acquisition_channel"] == "信息流广告").mean() > 0.28
    rate = repurchase_90d_2025(calm_shop)
    assert rate[True] > 0.15


# ---------------------------------------------------------------- writing safely

def test_failure_leaves_no_partial_shop(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "_marketing_spend", broken)
    out = tmp_path / "shop"
    with pytest.raises(RuntimeError):
        demo.generate(out, customers=50)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left either


def test_rebuilding_replaces_a_shop_but_never_a_foreign_folder(tmp_path):
    out = tmp_path / "shop"
    demo.generate(out, customers=50, seed=1)
    demo.generate(out, customers=60, seed=1)
    assert read(out, "customers").height == 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        demo.generate(foreign, customers=50)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_progress_is_reported_per_chunk(tmp_path):
    calls = []
    demo.generate(tmp_path / "shop", customers=50, progress=lambda stage, done, total: calls.append((done, total)))
    assert calls[0] == (0, 1) and calls[-1] == (1, 1)


def test_kit_demo_keeps_a_current_shop_and_rebuilds_one_from_an_older_generator(tmp_path, capsys):
    from kit.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--customers", "300", "--quiet"]) == 0
    manifest = out / "manifest.json"
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    assert meta["generator_version"] == demo.GENERATOR_VERSION
    orders = next((out / "orders").glob("*.parquet"))
    stamp = orders.stat().st_mtime_ns
    assert main(["demo", "--out", str(out), "--customers", "300"]) == 0
    assert "already at" in capsys.readouterr().out and orders.stat().st_mtime_ns == stamp
    manifest.write_text(json.dumps({**meta, "generator_version": "0.9"}), encoding="utf-8")
    (out / "experiments").rename(tmp_path / "gone")  # as a shop from before the experiments
    assert main(["demo", "--out", str(out), "--customers", "300"]) == 0
    assert "rebuilding" in capsys.readouterr().out
    assert json.loads(manifest.read_text(encoding="utf-8"))["generator_version"] == demo.GENERATOR_VERSION
    assert (out / "experiments").is_dir()
