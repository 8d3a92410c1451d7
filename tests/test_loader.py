from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from kit.data.load import load_tables
from kit.errors import DataError, EmptySliceError, ParamsError
from kit.params import load_params
from kit.run import apply_slice

REPO = Path(__file__).resolve().parent.parent

ORDERS_CSV = """\
order_id,customer_id,order_time,amount,status
1,c1,2025-11-03 10:00:00,100.5,paid
2,c2,2025/11/04 11:30,"1,200",已支付
3,c1,2025-11-05T12:00:00+00:00,50,已取消
"""


def params_file(tmp_path, data: str, extra: str = "") -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(f"period: 2025-11\ntimezone: Asia/Shanghai\ndata:\n{data}{extra}", encoding="utf-8")
    return path


def load(tmp_path, data, extra=""):
    return load_tables(load_params(params_file(tmp_path, data, extra))[0])


def test_csv_with_bom_formats_timezones_and_status(tmp_path):
    (tmp_path / "orders.csv").write_bytes(b"\xef\xbb\xbf" + ORDERS_CSV.encode())
    loaded = load(tmp_path, "  orders: {path: orders.csv}\n")
    assert not loaded.errors
    df = loaded.tables["orders"].collect()
    assert df.schema["order_time"] == pl.Datetime("us") and df.schema["amount"] == pl.Float64
    assert df["order_id"].to_list() == ["1", "2", "3"]
    assert df["order_time"].to_list() == [
        datetime(2025, 11, 3, 10), datetime(2025, 11, 4, 11, 30),
        datetime(2025, 11, 5, 20),  # 12:00 UTC is 20:00 in Shanghai
    ]
    assert df["amount"].to_list() == [100.5, 1200.0, 50.0]  # thousands separator parsed
    assert df["status"].to_list() == ["paid", "paid", "cancelled"]


def test_gbk_encoded_csv(tmp_path):
    text = "order_id,customer_id,order_time,amount,status\n1,张三,2025-11-03,10,已支付\n"
    (tmp_path / "orders.csv").write_bytes(text.encode("gbk"))
    loaded = load(tmp_path, "  orders: {path: orders.csv, csv: {encoding: gbk}}\n")
    assert loaded.tables["orders"].collect()["customer_id"].to_list() == ["张三"]


def test_parquet_glob_and_folder(tmp_path):
    folder = tmp_path / "orders"
    folder.mkdir()
    for i in range(3):
        pl.DataFrame({"order_id": [f"o{i}"], "customer_id": ["c"], "order_time": [datetime(2025, 11, 1 + i)],
                      "amount": [1.0 * i]}).write_parquet(folder / f"part-{i}.parquet")
    by_glob = load(tmp_path, "  orders: {path: 'orders/part-*.parquet'}\n").tables["orders"].collect()
    by_dir = load(tmp_path, "  orders: {path: orders}\n").tables["orders"].collect()
    assert by_glob.height == by_dir.height == 3
    assert by_dir["status"].unique().to_list() == ["paid"]  # no status column: every order counts as paid


def test_ids_written_as_floats_match_their_integer_twins(tmp_path):
    (tmp_path / "o.csv").write_text("order_id,customer_id,order_time,amount\n1001.0,7.00,2025-11-02,5\n")
    pl.DataFrame({"order_id": [1001.0], "category": ["x"], "unit_price": [5.0]}).write_parquet(tmp_path / "i.parquet")
    pl.DataFrame({"customer_id": ["7"]}).write_parquet(tmp_path / "c.parquet")
    loaded = load(tmp_path, "  orders: {path: o.csv}\n  order_items: {path: i.parquet}\n  customers: {path: c.parquet}\n")
    assert loaded.tables["orders"].collect()["order_id"].to_list() == ["1001"]
    assert loaded.tables["orders"].collect()["customer_id"].to_list() == ["7"]
    assert loaded.tables["order_items"].collect()["order_id"].to_list() == ["1001"]
    assert not [p for p in loaded.problems if p.check in ("unknown_order", "unknown_customer")]


def test_text_in_a_typed_file_is_still_checked(tmp_path):
    pl.DataFrame({"order_id": ["1", "2"], "customer_id": ["c", "c"], "order_time": ["2025-11-01", "soon"],
                  "amount": [1.0, 2.0]}).write_parquet(tmp_path / "o.parquet")
    loaded = load(tmp_path, "  orders: {path: o.parquet}\n")
    (bad,) = [p for p in loaded.problems if p.check == "unparseable"]
    assert bad.column == "order_time" and bad.examples == ["soon"]


def test_column_and_value_mapping(tmp_path):
    (tmp_path / "o.csv").write_text("No,Who,When,Paid,State\nA,u,2025-11-02,9.5,OK\nB,u,2025-11-03,3,X\n")
    loaded = load(tmp_path, "  orders:\n    path: o.csv\n    columns: {order_id: No, customer_id: Who, "
                  "order_time: When, amount: Paid, status: State}\n    values: {status: {OK: paid, X: cancelled}}\n")
    df = loaded.tables["orders"].collect()
    assert {"order_id", "customer_id", "order_time", "amount", "status"} <= set(df.columns)
    assert df["status"].to_list() == ["paid", "cancelled"]


def test_mapping_to_a_column_the_file_lacks(tmp_path):
    (tmp_path / "o.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="maps 'order_id' to 'Nr', but .*o.csv has no column 'Nr'. Its columns are: a, b"):
        load(tmp_path, "  orders: {path: o.csv, columns: {order_id: Nr}}\n")


def test_missing_required_column_is_an_error_naming_it(tmp_path):
    (tmp_path / "o.csv").write_text("order_id,customer_id,amount\n1,c,3\n")
    loaded = load(tmp_path, "  orders: {path: o.csv}\n")
    (err,) = loaded.errors
    assert err.column == "order_time" and "order_time" in err.message and "data.orders.columns" in err.message


def test_unparseable_dates_and_numbers_show_first_bad_values(tmp_path):
    (tmp_path / "o.csv").write_text(
        "order_id,customer_id,order_time,amount,discount\n1,c,2025-11-01,3,x\n2,c,31.31.2025,abc,0\n3,c,soon,4,0\n")
    loaded = load(tmp_path, "  orders: {path: o.csv}\n")
    by_col = {p.column: p for p in loaded.problems if p.check == "unparseable"}
    assert by_col["order_time"].level == "error" and by_col["order_time"].count == 2
    assert by_col["order_time"].examples == ["31.31.2025", "soon"]
    assert by_col["amount"].level == "error" and by_col["amount"].examples == ["abc"]
    assert by_col["discount"].level == "warning"  # optional column: treated as missing


def test_source_path_that_does_not_exist(tmp_path):
    with pytest.raises(ParamsError, match=r"data.orders.path 'nowhere.csv' does not exist"):
        load(tmp_path, "  orders: {path: nowhere.csv}\n")


def test_warnings_duplicates_unknown_customers_negative_amounts_events_out_of_range(tmp_path):
    (tmp_path / "o.csv").write_text(
        "order_id,customer_id,order_time,amount\n1,c1,2025-11-01,3\n1,c1,2025-11-02,3\n2,zz,2025-11-03,-5\n")
    (tmp_path / "c.csv").write_text("customer_id,gender\nc1,女\n")
    (tmp_path / "e.csv").write_text(
        "visitor_id,event_time,event\nv,2025-11-02 10:00,view\nv,2024-01-01 10:00,view\nv,2025-11-02 10:01,加购\n")
    loaded = load(tmp_path, "  orders: {path: o.csv}\n  customers: {path: c.csv}\n  events: {path: e.csv}\n",
                  "events: {加购: add_to_cart}\n")
    checks = {(p.table, p.check): p for p in loaded.problems}
    assert checks[("orders", "duplicate_id")].count == 1
    assert checks[("orders", "unknown_customer")].count == 1
    assert checks[("orders", "negative_amount")].examples == [{"order_id": "2", "amount": -5.0}]
    assert checks[("events", "outside_range")].count == 1
    assert loaded.tables["customers"].collect()["gender"].to_list() == ["F"]
    assert loaded.tables["events"].collect()["event"].to_list() == ["view", "view", "add_to_cart"]
    assert not loaded.errors


def test_events_need_someone_to_identify(tmp_path):
    (tmp_path / "e.csv").write_text("session_id,event_time,event\ns,2025-11-02 10:00,view\n")
    loaded = load(tmp_path, "  events: {path: e.csv}\n")
    assert [p.check for p in loaded.errors] == ["missing_column"]


def test_foreign_export_example_loads_cleanly():
    (params,) = load_params(REPO / "params" / "foreign_export.yaml")
    loaded = load_tables(params)
    assert not loaded.errors
    events = loaded.tables["events"].collect()
    assert "scroll" not in events["event"].to_list()  # unmapped names are left out, and said so
    assert any(p.check == "unmapped_event" and p.examples == ["scroll"] for p in loaded.problems)
    # 2025-11-12T16:58:00Z is 11:58 in New York
    assert events["event_time"][0] == datetime(2025, 11, 12, 11, 58)


def _tables():
    orders = pl.LazyFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "b", "c"],
                           "region": ["华东", "华南", "华东"]})
    customers = pl.LazyFrame({"customer_id": ["a", "b", "c", "d"], "gender": ["F", "M", "F", "M"]})
    items = pl.LazyFrame({"order_id": ["1", "2", "3"], "category": ["x", "y", "z"]})
    events = pl.LazyFrame({"user_id": ["a", "b", "anon"], "device": ["App", "PC", "App"]})
    return {"orders": orders, "customers": customers, "order_items": items, "events": events}


def test_slice_on_an_orders_column_follows_to_customers_items_and_events():
    tables, notes = apply_slice(_tables(), {"region": "华东"})
    assert sorted(tables["customers"].collect()["customer_id"]) == ["a", "c"]
    assert sorted(tables["order_items"].collect()["category"]) == ["x", "z"]
    assert tables["events"].collect()["user_id"].to_list() == ["a"]
    assert any("anonymous" in n for n in notes)


def test_slice_on_a_customer_column_and_on_an_events_column():
    tables, _ = apply_slice(_tables(), {"gender": "M"})
    assert tables["orders"].collect()["order_id"].to_list() == ["2"]
    tables, _ = apply_slice(_tables(), {"device": ["App"]})
    assert tables["events"].collect()["user_id"].to_list() == ["a", "anon"]


def test_unknown_slice_value_and_key():
    with pytest.raises(EmptySliceError, match="region: 华西 matches no row; values present: 华东, 华南"):
        apply_slice(_tables(), {"region": "华西"})
    with pytest.raises(DataError, match="slice key 'colour' is not a column"):
        apply_slice(_tables(), {"colour": "red"})


@pytest.mark.parametrize("lookup_limit", [10_000, 1])
def test_unmapped_event_names_are_counted_and_listed_most_common_first(tmp_path, monkeypatch, lookup_limit):
    """Names are stripped before they are mapped (" view " is a view), mapped names are not
    listed, and the rest are counted per name, most common first. The same whether the names
    are mapped once each (a lookup) or, with more names than the lookup takes, row by row."""
    from kit.data import conform

    monkeypatch.setattr(conform, "MAX_LOOKUP_NAMES", lookup_limit)
    rows = ["s,c1,2025-11-02 10:00,view", "s,c1,2025-11-02 10:01, view ", "s,c1,2025-11-02 10:02,scroll",
            "s,c1,2025-11-02 10:03,hover", "s,c1,2025-11-02 10:04,hover", "s,c1,2025-11-02 10:05,加购"]
    (tmp_path / "e.csv").write_text("session_id,customer_id,event_time,event\n" + "\n".join(rows) + "\n",
                                    encoding="utf-8")
    loaded = load(tmp_path, "  events: {path: e.csv}\nevents: {加购: add_to_cart}\n")
    (problem,) = [p for p in loaded.problems if p.check == "unmapped_event"]
    assert problem.count == 3 and problem.examples == ["hover", "scroll"]
    assert loaded.tables["events"].collect()["event"].to_list() == ["view", "view", "add_to_cart"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_blank_text_is_missing_once_trimmed_and_the_rest_is_trimmed(tmp_path, kind):
    """A value blank once trimmed ("", "  ") is missing: a required one drops its row and is
    counted, an optional one is null; other text is trimmed ("  c2 " is c2)."""
    rows = {"order_id": ["1", "2", "3", "4"], "customer_id": ["c1", "  c2 ", "  ", "c4"],
            "order_time": ["2025-11-03 10:00:00"] * 4, "amount": ["10", "20", "30", "40"],
            "status": ["paid"] * 4, "channel": [" app", "", "   ", "web "]}
    frame = pl.DataFrame(rows)
    if kind == "csv":
        frame.write_csv(tmp_path / "o.csv")
    else:
        frame.write_parquet(tmp_path / "o.parquet")
    loaded = load(tmp_path, f"  orders: {{path: o.{kind}}}\n")
    orders = loaded.tables["orders"].collect().sort("order_id")
    assert orders["customer_id"].to_list() == ["c1", "c2", "c4"]
    assert orders["channel"].to_list() == ["app", None, "web"]
    (missing,) = [p for p in loaded.problems if p.check == "missing_value" and p.column == "customer_id"]
    assert missing.count == 1
