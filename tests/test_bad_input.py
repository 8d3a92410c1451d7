"""Bad input: one message naming the file and the key, column or value; exit code 2; no
traceback; the previous report of the same run untouched; nothing left behind.

Each case builds its files in a temporary folder and runs ``kit validate`` and ``kit publish``
in-process (``kit.cli.main``); a few run the real program in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from kit.cli import main

HEADER = "order_id,customer_id,order_time,amount,status\n"
ROWS = "".join(f"{i},c{i % 7},2025-11-{1 + i % 28:02d} 10:00:00,{10 + i}.5,paid\n" for i in range(1, 41))
GOOD = HEADER + ROWS


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes | pl.DataFrame]
    params: str  # YAML after `period: ...`; {orders} etc. are file names
    expect: list[str]  # parts of the message: the file and the key, column or value
    period: str = "2025-11"
    run: str = "p_2025-11"
    raw_params: bytes | None = None
    extra: dict = field(default_factory=dict)


def orders(source: str = "{path: o.csv}") -> str:
    return f"data:\n  orders: {source}\n"


CASES = [
    # ---------------------------------------------------------------- files
    Case("empty_csv", {"o.csv": ""}, orders(), ["o.csv", "is empty (0 bytes)", "data.orders"]),
    Case("blank_csv", {"o.csv": "\n\n  \n"}, orders(), ["o.csv", "is empty", "data.orders"]),
    Case("header_only", {"o.csv": HEADER}, orders(), ["p.yaml", "period 2025-11", "no order in the period",
                                                      "there is no order at all"]),
    Case("csv_named_parquet", {"o.parquet": GOOD}, orders("{path: o.parquet}"),
         ["o.parquet", "is not a Parquet file", "looks like text"]),
    Case("parquet_named_csv", {"o.csv": pl.DataFrame({"a": [1]})}, orders(), ["o.csv", "is a Parquet file", ".parquet"]),
    Case("xlsx_named_csv", {"o.csv": b"PK\x03\x04" + b"\0" * 64}, orders(), ["o.csv", "Excel", ".xlsx"]),
    Case("damaged_parquet", {"o.parquet": b"PAR1" + b"\0" * 50}, orders("{path: o.parquet}"),
         ["o.parquet", "not a readable Parquet file"]),
    Case("text_named_xlsx", {"o.xlsx": GOOD}, orders("{path: o.xlsx}"), ["o.xlsx", "not an Excel workbook"]),
    Case("unknown_extension", {"o.json": "{}"}, orders("{path: o.json}"), ["data.orders", ".json", "use .csv"]),
    Case("missing_file", {}, orders("{path: nowhere.csv}"), ["p.yaml", "data.orders.path", "nowhere.csv", "does not exist"]),
    Case("glob_matches_nothing", {}, orders("{path: 'x/*.csv'}"), ["p.yaml", "data.orders.path", "matches no file"]),
    Case("empty_folder", {"folder/readme.md": "hi"}, orders("{path: folder}"), ["data.orders", "no data file", "folder"]),
    Case("mixed_formats", {"f/a.csv": GOOD, "f/b.parquet": pl.DataFrame({"a": [1]})}, orders("{path: f}"),
         ["data.orders", "csv, parquet", "one format per table"]),
    Case("unknown_encoding_name", {"o.csv": GOOD}, orders("{path: o.csv, csv: {encoding: klingon}}"),
         ["data.orders.csv.encoding", "klingon"]),
    Case("wrong_explicit_encoding", {"o.csv": ("订单,客户\n" + "1,张三\n").encode("gbk")},
         orders("{path: o.csv, csv: {encoding: utf-8}}"), ["o.csv", "cannot be read as utf-8", "data.orders.csv.encoding"]),
    Case("long_first_line", {"o.csv": "x" * (2 << 20)}, orders(), ["o.csv", "first line", "longer than 1 MiB"]),
    Case("too_many_columns", {"o.csv": ",".join(f"c{i}" for i in range(3000)) + "\n"}, orders(),
         ["o.csv", "3,000 columns", "data.orders.csv.separator"]),
    Case("unclosed_quote", {"o.csv": HEADER + '1,"c1,2025-11-03,5,paid\n' + ROWS}, orders(),
         ["o.csv", "Line 2", "quote"]),
    # ---------------------------------------------------------------- columns and types
    Case("missing_required_column", {"o.csv": "order_id,customer_id,amount\n1,c,3\n"}, orders(),
         ["o.csv", "'order_time'", "data.orders.columns"]),
    Case("mapping_to_absent_column", {"o.csv": GOOD}, orders("{path: o.csv, columns: {amount: Total}}"),
         ["o.csv", "'Total'", "maps 'amount'"]),
    Case("mapping_to_unknown_contract_column", {"o.csv": GOOD}, orders("{path: o.csv, columns: {ammount: Total}}"),
         ["p.yaml", "'ammount'", "did you mean 'amount'"]),
    Case("boolean_amount_parquet",
         {"o.parquet": pl.DataFrame({"order_id": ["1"], "customer_id": ["a"], "order_time": ["2025-11-01"],
                                     "amount": [True]})},
         orders("{path: o.parquet}"), ["o.parquet", "amount is Boolean", "Float64"]),
    Case("date_as_amount_parquet",
         {"o.parquet": pl.DataFrame({"order_id": ["1"], "customer_id": ["a"], "order_time": ["2025-11-01"],
                                     "amount": [date(2025, 1, 1)]})},
         orders("{path: o.parquet}"), ["o.parquet", "amount is Date"]),
    Case("list_column_parquet",
         {"o.parquet": pl.DataFrame({"order_id": ["1"], "customer_id": [["a"]], "order_time": ["2025-11-01"],
                                     "amount": [1.0]})},
         orders("{path: o.parquet}"), ["o.parquet", "customer_id is List"]),
    Case("boolean_time_parquet",
         {"o.parquet": pl.DataFrame({"order_id": ["1"], "customer_id": ["a"], "order_time": [True], "amount": [1.0]})},
         orders("{path: o.parquet}"), ["o.parquet", "order_time is Boolean"]),
    Case("events_without_identity", {"e.csv": "session_id,event_time,event\ns,2025-11-02 10:00,view\n"},
         "data:\n  events: {path: e.csv}\n", ["events", "customer_id or a visitor_id"]),
    Case("items_without_order_ids", {"o.csv": "customer_id,order_time,amount\nc,2025-11-02,3\n",
                                     "i.csv": "order_id,category,unit_price\n1,x,2\n"},
         "data:\n  orders: {path: o.csv}\n  order_items: {path: i.csv}\n", ["order_items", "data.orders.columns.order_id"]),
    # ---------------------------------------------------------------- values
    Case("inf_amount", {"o.csv": GOOD + "99,c1,2025-11-03,inf,paid\n"}, orders(),
         ["o.csv", "orders.amount", "infinite", "finite"]),
    Case("minus_inf_amount_parquet",
         {"o.parquet": pl.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
                                     "order_time": ["2025-11-01", "2025-11-02"], "amount": [1.0, float("-inf")]})},
         orders("{path: o.parquet}"), ["o.parquet", "orders.amount", "infinite"]),
    Case("all_amounts_nan", {"o.csv": HEADER + "1,c,2025-11-03,nan,paid\n2,c,2025-11-04,NaN,paid\n"}, orders(),
         ["o.csv", "orders.amount", "no row", "NaN"]),
    Case("all_customers_blank", {"o.csv": HEADER + "1,,2025-11-03,5,paid\n2, ,2025-11-04,6,paid\n"}, orders(),
         ["o.csv", "orders.customer_id", "no row"]),
    Case("unparseable_times", {"o.csv": HEADER + "1,c,soon,5,paid\n2,c,31.31.2025,6,paid\n"}, orders(),
         ["o.csv", "orders.order_time", "cannot be parsed", "'soon'", "datetime_format"]),
    Case("unparseable_amounts", {"o.csv": HEADER + "1,c,2025-11-03,abc,paid\n"}, orders(),
         ["o.csv", "orders.amount", "'abc'"]),
    Case("wrong_datetime_format", {"o.csv": GOOD}, orders("{path: o.csv, datetime_format: '%d.%m.%Y'}"),
         ["o.csv", "orders.order_time", "cannot be parsed"]),
    Case("items_unparseable_price", {"o.csv": GOOD, "i.csv": "order_id,category,unit_price\n1,x,cheap\n"},
         "data:\n  orders: {path: o.csv}\n  order_items: {path: i.csv}\n",
         ["i.csv", "order_items.unit_price", "'cheap'"]),
    Case("spend_unparseable_date", {"o.csv": GOOD, "s.csv": "date,channel,spend\nyesterday,ads,5\n"},
         "data:\n  orders: {path: o.csv}\n  marketing_spend: {path: s.csv}\n",
         ["s.csv", "marketing_spend.date", "'yesterday'"]),
    Case("excel_serial_out_of_range", {"o.xlsx": pl.DataFrame({"order_id": ["1"], "customer_id": ["c"],
                                                                "order_time": [-5.0], "amount": [1.0]})},
         orders("{path: o.xlsx}"), ["o.xlsx", "orders.order_time", "cannot be parsed"]),
    # ---------------------------------------------------------------- period and slice
    Case("period_without_data", {"o.csv": GOOD}, orders(), ["p.yaml", "period 2024-11", "no order in the period",
                                                            "2025-11-01 to 2025-11-28"], period="2024-11",
         run="p_2024-11"),
    Case("explicit_period_without_data", {"o.csv": GOOD}, orders(),
         ["p.yaml", "2025-06-01..2025-06-30", "no order in the period"], period="2025-06-01..2025-06-30",
         run="p_2025-06-01..2025-06-30"),
    Case("no_paid_order", {"o.csv": GOOD.replace(",paid", ",cancelled")}, orders(),
         ["p.yaml", "period 2025-11", "no paid order", "cancelled 40", "data.orders.values.status"]),
    Case("status_mapped_away", {"o.csv": GOOD}, orders("{path: o.csv, values: {status: {paid: refunded}}}"),
         ["p.yaml", "no paid order", "refunded 40"]),
    Case("events_only_no_event", {"e.csv": "visitor_id,event_time,event\nv,2025-10-02 10:00,view\n"},
         "data:\n  events: {path: e.csv}\n", ["p.yaml", "period 2025-11", "no event in the period"],
         period="2025-11"),
    Case("slice_unknown_column", {"o.csv": GOOD}, orders() + "slice: {colour: red}\n",
         ["p.yaml", "slice key 'colour'", "choose one of"], run="p_2025-11_red"),
    Case("slice_unknown_value", {"o.csv": GOOD.replace(",paid\n", ",paid,华东\n").replace("status\n", "status,region\n")},
         orders() + "slice: {region: 火星}\n", ["p.yaml", "region: 火星 matches no row", "values present: 华东"],
         run="p_2025-11_火星"),
    Case("matrix_slice_value_missing",
         {"o.csv": GOOD.replace(",paid\n", ",paid,华东\n").replace("status\n", "status,region\n")},
         orders() + "matrix: {region: [火星]}\n", ["p.yaml", "火星", "values present: 华东"], run="p_2025-11_火星"),
    # ---------------------------------------------------------------- params
    Case("params_gbk_with_bad_key", {"o.csv": GOOD}, "", ["p.yaml", "'titel'", "Did you mean 'title'"],
         raw_params=("period: 2025-11\ntitel: 测试\n" + orders()).encode("gbk")),
    Case("params_binary", {"o.csv": GOOD}, "", ["p.yaml", "not UTF-8 text"], raw_params=b"period: \x81\xff\xfe\x00\x81\xff" * 20),
    Case("matrix_empty_list", {"o.csv": GOOD}, orders() + "matrix: {region: []}\n",
         ["p.yaml", "matrix.region", "at least one value"]),
    Case("matrix_null", {"o.csv": GOOD}, orders() + "matrix: {region: }\n", ["p.yaml", "matrix.region"]),
    Case("matrix_not_a_mapping", {"o.csv": GOOD}, orders() + "matrix: [a, b]\n", ["p.yaml", "matrix must map"]),
    Case("unknown_timezone", {"o.csv": GOOD}, orders() + "timezone: Asia/Shangai\n",
         ["p.yaml", "timezone", "'Asia/Shangai'", "did you mean 'Asia/Shanghai'"]),
    Case("nonsense_timezone", {"o.csv": GOOD}, orders() + "timezone: Mars/Olympus\n", ["p.yaml", "'Mars/Olympus'"]),
    Case("bad_period", {"o.csv": GOOD}, orders(), ["p.yaml", "period", "accepted forms"], period="Q4-2025"),
    Case("unknown_key", {"o.csv": GOOD}, orders() + "lnag: en\n", ["p.yaml", "'lnag'", "Did you mean 'lang'"]),
    Case("event_maps_to_unknown_step", {"o.csv": GOOD}, orders() + "events: {click: klick}\n",
         ["p.yaml", "'klick'", "view, product_view"]),
    Case("source_without_path_or_database", {"o.csv": GOOD}, orders("{columns: {amount: x}}"),
         ["p.yaml", "data.orders", "path", "database"]),
    Case("password_in_database_url", {}, orders("{database: {url: 'postgresql://kit:pw@db/shop', table: orders}}"),
         ["p.yaml", "data.orders.database.url", "password_env"]),
    Case("database_table_and_query", {}, orders("{database: {url: 'postgresql://kit@db/shop', table: o, query: 'select 1'}}"),
         ["p.yaml", "data.orders.database", "either table or query"]),
    Case("database_not_postgres", {}, orders("{database: {url: 'mysql://kit@db/shop', table: o}}"),
         ["p.yaml", "data.orders.database.url", "postgresql://"]),
    Case("excel_unknown_sheet", {"o.xlsx": pl.DataFrame({"order_id": ["1"]})}, orders("{path: o.xlsx, sheet: 订单}"),
         ["o.xlsx", "data.orders.sheet", "'订单'", "Sheet1"]),
    Case("excel_sheet_number_too_high", {"o.xlsx": pl.DataFrame({"order_id": ["1"]})},
         orders("{path: o.xlsx, sheet: 3}"), ["o.xlsx", "data.orders.sheet", "no sheet 3"]),
]


def build(folder: Path, case: Case) -> Path:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pl.DataFrame):
            if name.endswith(".xlsx"):
                content.write_excel(path)
            else:
                content.write_parquet(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    params = folder / "p.yaml"
    if case.raw_params is not None:
        params.write_bytes(case.raw_params)
    else:
        params.write_text(f"period: {case.period}\n{case.params}", encoding="utf-8")
    return params


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_message_and_changes_nothing(case, tmp_path, capsys):
    params = build(tmp_path, case)
    out = tmp_path / "output"
    previous = out / case.run / "report.html"
    previous.parent.mkdir(parents=True)
    previous.write_text("<html>the previous report</html>", encoding="utf-8")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    code, text = run_cli(capsys, "validate", str(params))
    assert code == 2, text
    assert "Traceback" not in text and "unexpected" not in text, text
    for part in case.expect:
        assert part in text, f"{part!r} not in validate's output:\n{text}"

    code, text = run_cli(capsys, "publish", str(params), "--output", str(out), "--quiet", "--no-pdf")
    assert code == 2, text
    assert "Traceback" not in text and "unexpected" not in text, text
    for part in case.expect:
        assert part in text, f"{part!r} not in publish's output:\n{text}"
    assert previous.read_text(encoding="utf-8") == "<html>the previous report</html>"
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".old-*"))
    # the prepared datasets (.cache) are kept for the next run of the same data, by design
    after = sorted(p.relative_to(out) for p in out.rglob("*") if "_failed" not in p.parts and ".cache" not in p.parts)
    assert [p for p in after if p.name != "index.html"] == before


def test_the_suite_has_fifty_cases():
    assert len(CASES) >= 50


@pytest.mark.parametrize("what", ["gbk_csv", "separator", "utf16", "currency", "cr_lines", "numbered", "nan_counted"])
def test_what_used_to_fail_now_loads_and_says_how(what, tmp_path, capsys):
    """Files that stopped the kit before, read now, with the note in the data-quality notes."""
    from kit.data.load import load_tables
    from kit.params import load_params

    data, expected_note = GOOD, None
    if what == "gbk_csv":
        (tmp_path / "o.csv").write_bytes((HEADER + ROWS.replace("c1,", "张三,")).encode("gbk"))
        expected_note = "read as GB18030 (GBK) (detected)"
    elif what == "separator":
        (tmp_path / "o.csv").write_text(data.replace(",", ";"), encoding="utf-8")
        expected_note = "separated by semicolon (detected)"
    elif what == "utf16":
        (tmp_path / "o.csv").write_bytes(data.replace(",", "\t").encode("utf-16"))
        expected_note = "read as UTF-16 (detected)"
    elif what == "currency":
        (tmp_path / "o.csv").write_text(HEADER + '1,c,2025-11-03,"¥1,250.00",paid\n2,c,2025-11-04,"12,5",paid\n'
                                        '3,c,2025-11-05,￥ 3 000,paid\n', encoding="utf-8")
    elif what == "cr_lines":
        (tmp_path / "o.csv").write_text(data.replace("\n", "\r"), encoding="utf-8")
        expected_note = "lone CR"
    elif what == "numbered":
        (tmp_path / "o.csv").write_text("customer_id,order_time,amount\nc1,2025-11-02,3\nc2,2025-11-03,4\n",
                                        encoding="utf-8")
        expected_note = "numbered 1, 2"
    elif what == "nan_counted":
        (tmp_path / "o.csv").write_text(data + "99,c1,2025-11-03,nan,paid\n100,c1,2025-11-03,,paid\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text("period: 2025-11\n" + orders(), encoding="utf-8")
    (params,) = load_params(tmp_path / "p.yaml")
    loaded = load_tables(params)
    assert not loaded.errors, loaded.errors
    df = loaded.tables["orders"].collect()
    if expected_note:
        assert any(expected_note in p.message for p in loaded.problems), [p.message for p in loaded.problems]
    if what == "gbk_csv":
        assert "张三" in df["customer_id"].to_list()
    if what in ("separator", "utf16", "cr_lines"):
        assert df.height == 40 and df["amount"].sum() == pytest.approx(sum(10 + i + 0.5 for i in range(1, 41)))
    if what == "currency":
        assert df["amount"].to_list() == [1250.0, 12.5, 3000.0]
    if what == "numbered":
        assert df["order_id"].to_list() == ["1", "2"]
    if what == "nan_counted":
        assert df.height == 40  # the two rows without an amount are left out ...
        (missing,) = [p for p in loaded.problems if p.check == "missing_value"]
        assert missing.level == "warning" and missing.count == 2 and missing.examples == [41, 42]  # ... and counted


def _kit(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kit", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


@pytest.mark.parametrize("what", ["line_40mb", "fields_20m", "gbk_params_empty_csv"])
def test_the_real_program_answers_pathological_files_with_a_message(what, tmp_path):
    """The kit program itself (a subprocess): exit code 2, one message, no traceback, for a 40 MB
    line and a header of 20M fields (which made validation hang for minutes) and a 0-byte CSV
    named in a GBK params file. The timeout only keeps a hang from stalling the suite."""
    if what == "line_40mb":
        (tmp_path / "o.csv").write_bytes(b"order_id,customer_id,order_time,amount" + b"x" * (40 << 20) + b"\n")
        expected = ["o.csv", "longer than 1 MiB"]
        params = "period: 2025-11\n" + orders()
    elif what == "fields_20m":
        (tmp_path / "o.csv").write_bytes(b"," * 20_000_000 + b"\n1\n")
        expected = ["o.csv", "longer than 1 MiB"]
        params = "period: 2025-11\n" + orders()
    else:
        (tmp_path / "o.csv").write_bytes(b"")
        expected = ["o.csv", "is empty (0 bytes)"]
        params = "title: 测试\nperiod: 2025-11\n" + orders()
    (tmp_path / "p.yaml").write_bytes(params.encode("gbk"))
    for command in (["validate", "p.yaml"], ["publish", "p.yaml", "--quiet", "--no-pdf"]):
        proc = _kit(*command, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        for part in expected:
            assert part in proc.stderr + proc.stdout
