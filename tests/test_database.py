"""Tables read from a real PostgreSQL server (a throwaway cluster, see tests/pg.py).

The demo shop is copied into the database; a report published from it must carry the same
figures as the one published from the Parquet files, and the password must appear nowhere
the kit writes."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
from conftest import write_params

from kit.data.load import load_tables
from kit.errors import DataError
from kit.params import load_params

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres")]

TABLES = ["orders", "customers", "order_items", "events", "marketing_spend", "experiments"]


@pytest.fixture(scope="module")
def shop_db(postgres, small_demo):
    import pg

    pg.load_parquet_tables(postgres, small_demo, TABLES)
    return postgres


def db_params(folder, cluster, text: str = "", name: str = "db", tables=TABLES, password_env=None) -> str:
    import pg

    env = password_env or pg.PASSWORD_ENV
    lines = "\n".join(f"  {t}: {{database: {{url: '{cluster.url()}', password_env: {env}, table: {t}}}}}"
                      for t in tables)
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\ntitle: 测试报告\nperiod: 2025-Q4\ndata:\n{lines}\n{text}", encoding="utf-8")
    return str(path)


class SqlSpy:
    """Records the SQL the kit sends (wraps the ADBC cursor's execute)."""

    def __init__(self, monkeypatch):
        import adbc_driver_postgresql.dbapi as dbapi

        self.sql: list[str] = []
        real = dbapi.connect
        spy = self

        def connect(*args, **kwargs):
            conn = real(*args, **kwargs)
            real_cursor = conn.cursor

            def cursor(*a, **k):
                cur = real_cursor(*a, **k)
                real_execute = cur.execute

                def execute(operation, *rest, **kw):
                    spy.sql.append(operation)
                    return real_execute(operation, *rest, **kw)

                cur.execute = execute
                return cur

            conn.cursor = cursor
            return conn

        monkeypatch.setattr(dbapi, "connect", connect)


def test_report_from_the_database_equals_the_report_from_parquet(shop_db, small_demo, tmp_path):
    """The demo shop published from PostgreSQL and from its Parquet files: the same figures in
    metrics.json; the password in none of the files the run leaves; a stale _failed folder of
    the run removed by its success."""
    import pg

    from kit.publish.batch import publish

    out = tmp_path / "output"
    stale = out / "_failed" / "db_2025-Q4"
    stale.mkdir(parents=True)
    (stale / "run.log").write_text("an earlier failure\n", encoding="utf-8")
    parquet = write_params(tmp_path, small_demo, name="pq.yaml").read_text(encoding="utf-8").replace("name: t", "name: pq")
    (tmp_path / "pq.yaml").write_text(parquet, encoding="utf-8")
    database = db_params(tmp_path, shop_db)
    assert publish([str(tmp_path / "pq.yaml"), database], jobs=2, quiet=True, output=out, pdf=False) == 0
    from_parquet = json.loads((out / "pq_2025-Q4" / "metrics.json").read_text(encoding="utf-8"))
    from_db = json.loads((out / "db_2025-Q4" / "metrics.json").read_text(encoding="utf-8"))
    # every figure equal, floats to a relative 1e-12: a database does not keep the rows' order,
    # and sums in another order differ in the last digit (seen: top20_share 0.7345203468315266
    # and ...267); the CLV model's fitted parameters to a relative 1e-6: its optimiser stops
    # within its tolerance (from the 8th digit on, they differ between two runs on the same
    # Parquet files too)
    clv_db, clv_pq = from_db["sections"].pop("clv"), from_parquet["sections"].pop("clv")
    assert _same(from_db["sections"], from_parquet["sections"], rel=1e-12), "the figures differ"
    assert _same(clv_db, clv_pq), "the CLV figures differ"
    assert from_db["sections"]["summary"]["kpis"], "the figures compared are not empty"
    for path in (out / "db_2025-Q4").rglob("*"):
        if path.is_file():
            assert pg.PASSWORD.encode() not in path.read_bytes(), path
    saved = (out / "db_2025-Q4" / "params.yaml").read_text(encoding="utf-8")
    assert "password_env: KIT_TEST_DB_PASSWORD" in saved and shop_db.url() in saved
    assert not stale.exists(), "a later success removes the stale _failed folder of its run"


def _same(a, b, rel: float = 1e-6) -> bool:
    """Equal JSON, floats to a relative ``rel``."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=rel, abs=1e-12)
    return a == b


def test_only_the_runs_columns_and_the_events_window_are_fetched(shop_db, small_demo, tmp_path, monkeypatch):
    spy = SqlSpy(monkeypatch)
    (params,) = load_params(db_params(tmp_path, shop_db, tables=["orders", "events"]))
    loaded = load_tables(params)
    assert not loaded.errors
    events = loaded.tables["events"].collect()
    lo, hi = datetime(2025, 7, 1), datetime(2026, 1, 2)  # comparison start .. period end + 24 h cart window
    assert events["event_time"].min() >= lo and events["event_time"].max() < hi
    expected = pl.scan_parquet(small_demo / "events").filter(
        (pl.col("event_time") >= lo) & (pl.col("event_time") < hi)).select(pl.len()).collect().item()
    assert events.height == expected
    fetched = [s for s in spy.sql if "LIMIT 0" not in s]
    (events_sql,) = [s for s in fetched if '"event_time" >=' in s]
    assert events_sql.startswith('SELECT "visitor_id", "customer_id", "session_id", "event_time", "event"')
    (orders_sql,) = [s for s in fetched if "orders" in s]
    assert "WHERE" not in orders_sql, "orders are read whole: first purchases and holdouts need all of them"


def test_a_query_source_with_mapped_columns_and_a_time_zone_aware_column(shop_db, tmp_path):
    import adbc_driver_postgresql.dbapi as dbapi
    import pg

    with dbapi.connect(shop_db.url_with_password()) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS foreign_orders")
        cur.execute("CREATE TABLE foreign_orders (no text, buyer text, created timestamptz, total numeric(12,2), "
                    "state text, notes text)")
        cur.execute("INSERT INTO foreign_orders VALUES ('A1', 'u1', '2025-11-03 02:00:00+00', 12.50, 'Complete', 'x'),"
                    " ('A2', 'u2', '2025-11-04 10:00:00+00', 7.25, 'Canceled', 'y')")
        conn.commit()
    path = tmp_path / "q.yaml"
    path.write_text(
        "period: 2025-11\ntimezone: Asia/Shanghai\ndata:\n  orders:\n    database:\n"
        f"      url: '{shop_db.url()}'\n      password_env: {pg.PASSWORD_ENV}\n"
        "      query: select * from foreign_orders where state <> 'test'\n"
        "    columns: {order_id: no, customer_id: buyer, order_time: created, amount: total, status: state}\n"
        "    values: {status: {Complete: paid, Canceled: cancelled}}\n", encoding="utf-8")
    (params,) = load_params(path)
    loaded = load_tables(params)
    assert not loaded.errors
    df = loaded.tables["orders"].collect().sort("order_id")
    assert df["order_time"].to_list() == [datetime(2025, 11, 3, 10), datetime(2025, 11, 4, 18)]  # UTC+8
    assert df["amount"].to_list() == [12.5, 7.25] and df["status"].to_list() == ["paid", "cancelled"]
    assert any(p.check == "read_as" and "foreign_orders" not in p.message and "query" in p.message
               for p in loaded.problems)


@pytest.mark.parametrize("case, expected", [
    ("wrong_password", ["data.orders.database", "password authentication failed"]),
    ("unset_env", ["data.orders.database.password_env", "KIT_NOT_SET_ANYWHERE", "is not set"]),
    ("unknown_table", ["data.orders.database", "no_such_table"]),
    ("unmapped_column", ["data.orders.columns maps 'amount' to 'Total'", "Its columns are: order_id"]),
])
def test_database_errors_are_one_message_naming_the_source(shop_db, tmp_path, monkeypatch, capsys, case, expected):
    import pg

    from kit.cli import main

    env, tables = None, ["orders"]
    if case == "wrong_password":
        monkeypatch.setenv(pg.PASSWORD_ENV, "not-the-password")
    if case == "unset_env":
        env = "KIT_NOT_SET_ANYWHERE"
        monkeypatch.delenv(env, raising=False)
    params = db_params(tmp_path, shop_db, tables=tables, password_env=env)
    if case == "unknown_table":
        params_text = open(params, encoding="utf-8").read().replace("table: orders", "table: no_such_table")
        open(params, "w", encoding="utf-8").write(params_text)
    if case == "unmapped_column":
        params_text = open(params, encoding="utf-8").read().replace("table: orders}}", "table: orders}, columns: {amount: Total}}")
        open(params, "w", encoding="utf-8").write(params_text)
    out = tmp_path / "output"
    code = main(["publish", params, "--output", str(out), "--quiet", "--no-pdf"])
    err = capsys.readouterr()
    message = err.out + err.err
    assert code == 2, message
    assert "Traceback" not in message
    for part in expected:
        assert part in message, message
    assert "not-the-password" not in message and pg.PASSWORD not in message


def test_a_password_in_the_url_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("period: 2025-11\ndata:\n  orders: {database: {url: 'postgresql://kit:hunter2@db/shop', "
                    "table: orders}}\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"p.yaml:3: data.orders.database.url: the url holds a password") as e:
        load_params(path)
    assert "hunter2" not in str(e.value)


def test_a_wrong_password_env_is_reported_before_anything_runs(tmp_path, monkeypatch):
    from kit.data.load import check_sources

    monkeypatch.delenv("KIT_SURELY_UNSET", raising=False)
    path = tmp_path / "p.yaml"
    path.write_text("period: 2025-11\ndata:\n  orders: {database: {url: 'postgresql://kit@/shop?host=/nowhere', "
                    "password_env: KIT_SURELY_UNSET, table: orders}}\n", encoding="utf-8")
    (params,) = load_params(path)
    with pytest.raises(DataError, match="KIT_SURELY_UNSET is not set"):
        check_sources(params)
