"""engine: spark prepares the same dataset as the local engine, and the report made from it is the
same: each prepared table equal row for row (sorted), the data-quality notes equal, and the
published metrics.json and findings.json equal (numbers to 1e-9 relative).

Spark runs in local mode (local[2], 1 GB driver, 4 shuffle partitions, no UI), one session for
the module: the JVM's start is the slowest part. Run these alone with ``.venv/bin/pytest -m spark``.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import OTHER_SETTINGS, flat_json, write_params

from kit.dataset import Dataset, dataset_key, prepare_dataset
from kit.demo import generate
from kit.params import load_params

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

CONF = {"spark.driver.memory": "1g", "spark.sql.shuffle.partitions": 4, "spark.ui.enabled": False,
        "spark.default.parallelism": 2}
SPARK = f"engine: spark\nspark:\n  master: local[2]\n  conf: {json.dumps(CONF)}\n"
"""The params' lines that prepare on Spark, with the test's small settings."""


def _spark_ready() -> str | None:
    """Why Spark cannot run here (None when it can)."""
    from kit.errors import KitError

    try:
        from kit.spark.session import require_spark

        require_spark()
    except KitError as e:
        return str(e)
    return None


@pytest.fixture(scope="module")
def spark():
    """One SparkSession for the module (every preparation here reuses it). Without pyspark or
    Java the tests skip, saying why; in CI (``CI`` set), where make setup and make system
    install both, they fail instead."""
    missing = _spark_ready()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    from kit.spark.session import spark_session

    session = spark_session("local[2]", CONF, app="kit tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _same_float(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


def assert_same_table(local: pl.DataFrame, spark: pl.DataFrame, name: str) -> None:
    """Equal schemas (names, order, types) and equal rows once both are sorted; floats to 1e-9."""
    assert local.schema == spark.schema, f"{name}: {local.schema} != {spark.schema}"
    assert local.height == spark.height, f"{name}: {local.height} rows locally, {spark.height} on Spark"
    exact = [c for c, t in local.schema.items() if not t.is_float()]
    # floats sort last, so rows alike in all else still pair up (sums may differ in the last bits)
    order = exact + [c for c in local.columns if c not in exact]
    a, b = local.sort(order, nulls_last=True), spark.sort(order, nulls_last=True)
    differ = a.select(exact).with_row_index().join(b.select(exact), on=exact, how="anti", nulls_equal=True)
    assert differ.is_empty() and a.select(exact).equals(b.select(exact)), \
        f"{name}: rows differ, e.g. local {differ.head(3).to_dicts()}"
    for c in set(local.columns) - set(exact):
        for x, y in zip(a[c].to_list(), b[c].to_list(), strict=True):
            assert (x is None and y is None) or _same_float(x, y), f"{name}.{c}: {x} != {y}"


def assert_same_dataset(local, spark, ignore_examples: tuple[str, ...] = ()) -> None:
    """Every table equal, wherever each dataset keeps it (its folder, or ``spark.rows_at``)."""
    assert sorted(local.tables) == sorted(spark.tables)
    for name in local.tables:
        assert_same_table(local.table(name).collect(), spark.table(name).collect(), name)
    assert local.meta["rows"] == spark.meta["rows"] and local.meta["read_rows"] == spark.meta["read_rows"]
    assert local.meta["fingerprint"] == spark.meta["fingerprint"]
    assert spark.meta["engine"] == "spark"

    def notes(dataset):
        return sorted((q["level"], q["table"], q["check"], q["column"] or "", q["count"], q["message"],
                       json.dumps(q["examples"], sort_keys=True, default=str) if q["check"] not in ignore_examples
                       else "") for q in dataset.quality)

    assert notes(local) == notes(spark)


def _prepare_both(tmp_path: Path, params_file: Path):
    params = load_params(params_file)[0]
    on_spark = params.model_copy(update={"engine": "spark"})
    local, _ = prepare_dataset(params, tmp_path / "local")
    spark, _ = prepare_dataset(on_spark, tmp_path / "spark")
    return local, spark


def _csv_shop(folder: Path) -> Path:
    """A 300-customer shop whose orders and customers are CSV exports with their own column
    names, Chinese statuses, planted problems (a duplicate order, a date that does not parse,
    a blank amount, an infinite shipping fee, an unknown status, a duplicate customer), and whose events have
    no session id (sessions from gaps, visitors stitched to their logins)."""
    generate(folder / "gen", customers=300)
    orders = pl.read_parquet(folder / "gen" / "orders")
    status = {"paid": "已支付", "cancelled": "已取消", "refunded": "已退款"}
    text = orders.with_columns(
        pl.col("order_time").dt.strftime("%Y/%m/%d %H:%M:%S"), pl.col("pay_time").dt.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        ("¥" + pl.col("amount").round(2).cast(pl.String)).alias("amount"),
        pl.col("status").replace_strict(status, default=pl.col("status")),
    ).cast(pl.String)
    planted = pl.concat([text, text.head(1)])  # a duplicate order id
    planted = planted.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("not a date")).otherwise(pl.col("pay_time")).alias("pay_time"),
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("")).otherwise(pl.col("amount")).alias("amount"),
        pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("inf")).otherwise(pl.col("shipping_fee")).alias("shipping_fee"),
        pl.when(pl.int_range(pl.len()) == 9).then(pl.lit("挂起")).otherwise(pl.col("status")).alias("status"),
    ).rename({"order_id": "单号", "customer_id": "客户", "amount": "金额"})
    (folder / "orders.csv").write_text(planted.write_csv(), encoding="utf-8")
    customers = pl.read_parquet(folder / "gen" / "customers")
    pl.concat([customers, customers.tail(1)]).write_csv(folder / "customers.csv")
    events = pl.read_parquet(folder / "gen" / "events").drop("session_id")
    events.write_parquet(folder / "events.parquet")
    items = pl.read_parquet(folder / "gen" / "order_items")
    items.write_parquet(folder / "order_items.parquet")
    params = folder / "csv.yaml"
    params.write_text(
        "name: csv\nperiod: 2025-Q4\ndata:\n"
        f"  orders: {{path: '{folder / 'orders.csv'}', columns: {{order_id: 单号, customer_id: 客户, amount: 金额}}}}\n"
        f"  customers: {{path: '{folder / 'customers.csv'}'}}\n"
        f"  events: {{path: '{folder / 'events.parquet'}'}}\n"
        f"  order_items: {{path: '{folder / 'order_items.parquet'}'}}\n"
        "conversion: {session_gap_minutes: 20}\n", encoding="utf-8")
    return params


def test_a_csv_shop_with_problems_and_no_session_ids_prepares_the_same(spark, tmp_path):
    local, on_spark = _prepare_both(tmp_path, _csv_shop(tmp_path / "shop"))
    checks = {q["check"] for q in local.quality}
    # the shop really has what this test is about
    assert {"duplicate_id", "unparseable", "missing_value", "infinite", "unknown_status"} <= checks, checks
    events = pl.read_parquet(local.folder / "events.parquet")
    assert events["session_id"].str.contains("#").all()
    # polars leaves the examples of a duplicate id in no set order
    assert_same_dataset(local, on_spark, ignore_examples=("duplicate_id",))


def test_the_demo_shop_prepared_by_kit_prepare_on_spark_equals_the_local_engines_and_so_does_its_report(
        spark, tmp_path, small_demo, published_small_demo):
    """The README's way: `kit prepare --engine spark` with the rows left on the cluster's storage
    (``spark.rows_at``), then `kit publish` with the params as they are. Each prepared table
    equals the local engine's, the dataset folder holds no table with a row per event, session
    or cart, and the report's metrics.json and findings.json equal those published by the local
    engine (``published_small_demo``, the same params but for rows_at, which the local engine
    does not use)."""
    from kit.cli import main
    from kit.dataset import ROW_TABLES
    from kit.publish.batch import publish

    params = write_params(tmp_path, small_demo, "spark: {rows_at: cluster}\n")  # beside the params file
    out = tmp_path / "output"
    assert main(["prepare", str(params), "--engine", "spark", "--output", str(out), "--quiet"]) == 0
    prepared = [d for d in (out / ".cache" / "datasets").iterdir() if not d.name.startswith(".")]
    assert [d.name for d in prepared] == [dataset_key(load_params(params)[0])]  # one key for both engines
    local, _ = prepare_dataset(load_params(params)[0], tmp_path / "local")
    on_spark = Dataset(prepared[0])
    assert not [n for n in ROW_TABLES if (prepared[0] / f"{n}.parquet").exists()]
    assert sorted(on_spark.meta["rows_at"]) == sorted(ROW_TABLES)
    for name in ROW_TABLES:
        assert list((tmp_path / "cluster" / prepared[0].name / name).glob("part-*.parquet"))
    assert_same_dataset(local, on_spark)

    assert publish([str(params)], jobs=2, quiet=True, output=out, pdf=False) == 0
    run = out / "t_2025-Q4"
    # publish (engine: local in the params) reused Spark's dataset: a rebuilt one would say local
    assert [d.name for d in (out / ".cache" / "datasets").iterdir() if not d.name.startswith(".")] == [prepared[0].name]
    assert json.loads((prepared[0] / "dataset.json").read_text(encoding="utf-8"))["engine"] == "spark"
    for name in ("metrics.json", "findings.json"):
        local = flat_json(json.loads((published_small_demo / name).read_text(encoding="utf-8")), VOLATILE)
        spark_ = flat_json(json.loads((run / name).read_text(encoding="utf-8")), VOLATILE)
        assert local.keys() == spark_.keys(), f"{name}: {sorted(local.keys() ^ spark_.keys())[:10]}"
        differ = [k for k in local if not _same(local[k], spark_[k])]
        assert not differ, f"{name}: {[(k, local[k], spark_[k]) for k in differ[:10]]}"


def test_a_sliced_run_prepared_on_spark_equals_the_local_one_and_reads_no_row_of_the_whole_shop(
        spark, tmp_path, small_demo, capsys):
    """A region's run on Spark has its slice prepared there (``<dataset>/slices/<slice key>``, its
    rows at ``spark.rows_at``): its tables and notes equal those of the same run cut by the local
    engine, and once prepared it is made again without the whole shop's rows. With the
    experiments' steps and an experiment's own window, both hold the same ``experiment_visits``
    (the steps' reach is prepared only with steps)."""
    import shutil

    from kit.dataset import ROW_TABLES, slice_key
    from kit.run import prepare_run

    cluster = tmp_path / "cluster"
    params = write_params(tmp_path, small_demo, "slice: {region: 华东}\n" f"spark: {{rows_at: '{cluster}'}}\n"
                          "experiments: {steps: [add_to_cart, checkout], by_id: {EXP-EMAIL-SUBJECT: {window_days: 7.5}}}\n")
    east = load_params(params)[0]
    local = prepare_run(east, tmp_path / "w_local", cache_dir=tmp_path / "local")
    # the README's way: kit prepare on Spark, then the run as the params say (engine: local)
    from kit.cli import main

    capsys.readouterr()
    assert main(["prepare", str(params), "--engine", "spark", "--cache-dir", str(tmp_path / "spark")]) == 0
    assert f"{east.run_name}: slice region=华东 in {tmp_path / 'spark'}/" in capsys.readouterr().out
    remote = prepare_run(east, tmp_path / "w_spark", cache_dir=tmp_path / "spark")
    on_spark = Dataset(tmp_path / "spark" / remote.meta["dataset"])
    assert on_spark.meta["rows_at"]  # the rows really stayed there
    assert_same_dataset(Dataset(tmp_path / "local" / local.meta["dataset"]), on_spark)

    # the run read the slice Spark prepared, and cut nothing itself
    part = on_spark.folder / "slices" / slice_key(east)
    assert remote.data_dir == part and not (tmp_path / "w_spark" / "data").exists()
    assert sorted(Dataset(part).meta["rows_at"]) == sorted(ROW_TABLES)
    assert list((cluster / on_spark.folder.name / "slices" / part.name / "sessions").glob("part-*.parquet"))
    visits = remote.table("experiment_visits").collect()
    assert visits["y:step:checkout"].sum() > 0 and visits["device"].drop_nulls().len() > 0
    assert sorted(set(visits["window_days"])) == [3.0, 7.5]
    assert_same_run(local, remote)

    # kit cache lists the slice, and where its rows are
    assert main(["cache", "list", "--dir", str(tmp_path / "spark")]) == 0
    listed = capsys.readouterr().out
    assert "\n  slice region=华东 prepared " in listed
    assert f"rows at {cluster.as_uri()}/{on_spark.folder.name}/slices/{part.name}\n" in listed

    # a run of the whole shop with other settings gets its tables counted for them on Spark
    from kit.dataset import COUNTED_TABLES

    other = load_params(write_params(tmp_path, small_demo, OTHER_SETTINGS, "other.yaml"))[0]
    counted_here = prepare_run(other, tmp_path / "w_other_local", cache_dir=tmp_path / "local")
    counted_there = prepare_run(other.model_copy(update={"engine": "spark"}), tmp_path / "w_other_spark",
                                cache_dir=tmp_path / "spark")
    assert counted_there.meta["dataset"] == on_spark.folder.name
    session_counts = [name for name in COUNTED_TABLES if not name.startswith("user_")]  # a session funnel's
    assert sorted(counted_there.views) == sorted(session_counts + list(ROW_TABLES))  # the rows: at rows_at
    assert Dataset(Path(counted_there.views["journey_counts"]["table"]).parent).meta["engine"] == "spark"
    for name in session_counts:
        assert_same_table(counted_here.table(name).collect(), counted_there.table(name).collect(), name)

    # the whole shop's rows are no longer needed: the run is made again from the slice alone
    for name in ROW_TABLES:
        shutil.rmtree(cluster / on_spark.folder.name / name)
    again = prepare_run(east, tmp_path / "w_again", cache_dir=tmp_path / "spark")
    assert again.data_dir == part
    assert_same_run(local, again)


def assert_same_run(local, remote) -> None:
    """Two prepared runs with the same tables (rows equal once sorted) and the same notes."""
    assert local.meta["rows"] == remote.meta["rows"] and local.meta["rows"]["events"] > 0
    for name in local.meta["rows"]:
        assert_same_table(local.table(name).collect(), remote.table(name).collect(), name)
    assert local.quality == remote.quality


def test_a_slice_by_an_order_and_event_column_prepared_on_spark_equals_the_local_one(spark, tmp_path, small_demo):
    """A slice by a column of the orders and of the events themselves (device) keeps some of a
    customer's orders and events: on Spark as locally, the paid orders' neighbours are those of
    the slice, the sessions are built from the slice's events, and a value the data does not hold
    is a note; its user journeys (``funnel_unit: user``) are counted for its periods. The dataset
    is the local engine's (its files are copied to the staging folder for Spark to read). A slice
    that matches nothing is not prepared, and its run stops with the message naming the params
    file."""
    from kit.errors import EmptySliceError
    from kit.run import prepare_run

    params = write_params(tmp_path, small_demo, "slice: {device: [App, 手表]}\n"
                          "conversion: {funnel_unit: user, user_window_days: 3}\n")
    app = load_params(params)[0]
    cache = tmp_path / "cache"
    local = prepare_run(app, tmp_path / "w_local", cache_dir=cache)  # the dataset, prepared locally
    remote = prepare_run(app.model_copy(update={"engine": "spark"}), tmp_path / "w_spark", cache_dir=cache)
    dataset = Dataset(cache / remote.meta["dataset"])
    assert "engine" not in dataset.meta and remote.data_dir.parent == dataset.folder / "slices"
    assert "slice device: 手表 not found in the data" in [q["message"] for q in remote.quality]
    assert remote.table("user_journey_counts").collect()["journeys"].sum() > 0
    orders = dataset.table("orders").collect()
    sliced = remote.table("orders").collect()
    # the neighbours really changed: a paid App order's previous paid order was not on App
    assert not sliced.select("order_id", "prev_paid_time").join(
        orders.select("order_id", "prev_paid_time"), on=["order_id", "prev_paid_time"], how="semi",
        nulls_equal=True).height == sliced.height
    assert_same_run(local, remote)

    nowhere = app.model_copy(update={"engine": "spark", "slice": {"device": "手表"}})
    with pytest.raises(EmptySliceError, match=r"t\.yaml: slice device: 手表 matches no row"):
        prepare_run(nowhere, tmp_path / "w_none", cache_dir=cache)
    assert [d.name for d in (dataset.folder / "slices").iterdir() if not d.name.startswith(".")] == \
        [remote.data_dir.name]


def test_rows_at_is_a_place_polars_reads(tmp_path, small_demo):
    from kit.errors import ParamsError

    with pytest.raises(ParamsError, match="polars, which reads s3a://"):
        load_params(write_params(tmp_path, small_demo, SPARK + "  rows_at: hdfs://cluster/kit\n"))


VOLATILE = ("timings_seconds", "generated_at")
"""Keys of metrics.json and findings.json (at any depth) that say when and how long the run took,
not what it found (and the local report was published with its PDF)."""


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return _same_float(a, b)
    return a == b


def test_the_carts_counted_on_spark_equal_the_local_counts_at_the_window_edges(spark, tmp_path):
    """The hand-made carts of ``test_cart`` (a pay exactly 24 h after its cart, one 24 h + 1 s
    after, one before its cart, a second cart settled by the same pay) and a cart without a
    user, counted by both engines for a 24 h and a 1 h window: the same three tables."""
    from datetime import datetime

    from test_cart import ROWS, SCHEMA

    from kit.metrics import cart as ct
    from kit.spark import tables as st
    from kit.spark.layout import conform_to

    rows = [*ROWS, ("c7", None, datetime(2025, 3, 4, 10, 0), "add_to_cart", "PC", "seo", "hats", 2.0)]
    log = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    log.write_parquet(tmp_path / "events.parquet")
    events = spark.read.parquet(str(tmp_path / "events.parquet"))
    carts = st.cart_table(events, st.session_table(events))
    lines = st.cart_lines(events, carts)
    local_carts = ct.cart_table(log.lazy())
    local_lines = ct.cart_lines(log.lazy(), local_carts)
    for window in (24, 1):
        local = {name: t.collect() for name, t in ct.counted_carts(local_carts, local_lines, window).items()}
        assert local["cart_counts"].filter(pl.col("paid"))["carts"].sum() == (3 if window == 24 else 1)
        for name, frame in st.counted_carts(carts, lines, window).items():
            folder = tmp_path / f"{name}-{window}"
            conform_to(frame, local[name].schema).write.parquet(str(folder))
            assert_same_table(local[name], pl.read_parquet(folder / "*.parquet"), f"{name} ({window} h)")


def test_an_unreadable_path_is_one_message_naming_the_table(spark, tmp_path, small_demo):
    from kit.cli import main

    params = write_params(tmp_path, small_demo, SPARK)
    text = params.read_text(encoding="utf-8").replace(f"'{small_demo / 'experiments'}'", "'nope://bucket/exposures'")
    params.write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as caught:
        prepare_dataset(load_params(params)[0], tmp_path / "cache")
    message = str(caught.value)
    assert "data.experiments" in message and "nope://bucket/exposures" in message and "Spark cannot" in message
    assert main(["prepare", str(params), "--output", str(tmp_path / "out"), "--quiet"]) == 2


# ---------------------------------------------------------------- without Spark: the messages


def test_without_pyspark_the_message_says_what_to_install(monkeypatch):
    from kit.spark.session import SparkMissing, require_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    with pytest.raises(SparkMissing, match=r"pip install -e '\.\[spark\]'.*openjdk-17-jre-headless"):
        require_spark()


def test_without_java_kit_prepare_stops_with_one_message(monkeypatch, tmp_path, small_demo, capsys):
    pytest.importorskip("pyspark")
    from kit.cli import main

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    assert main(["prepare", str(write_params(tmp_path, small_demo, SPARK)), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "needs Java" in err and "openjdk-17-jre-headless" in err and "Traceback" not in err


def test_a_uri_needs_engine_spark(tmp_path, small_demo):
    from kit.errors import ParamsError

    params = write_params(tmp_path, small_demo, "")
    params.write_text(params.read_text(encoding="utf-8").replace(f"'{small_demo / 'events'}'", "'s3a://shop/events'"),
                      encoding="utf-8")
    with pytest.raises(ParamsError, match="only Spark reads: set engine: spark"):
        load_params(params)


def test_the_spark_master_is_checked(tmp_path, small_demo):
    from kit.errors import ParamsError

    with pytest.raises(ParamsError, match="not a Spark master URL"):
        load_params(write_params(tmp_path, small_demo, "engine: spark\nspark: {master: 'locale[2]'}\n"))
