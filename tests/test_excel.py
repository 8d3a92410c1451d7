"""Excel sources: polars' calamine reader, a sheet option, contract types, serial dates."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kit.data.load import load_tables
from kit.params import load_params


def test_an_excel_export_with_a_named_sheet_serial_dates_and_text_amounts(tmp_path):
    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "shop.xlsx")
    book.add_worksheet("说明").write(0, 0, "exported by the shop system")
    sheet = book.add_worksheet("订单")
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, name in enumerate(["订单号", "客户", "下单时间", "金额", "状态"]):
        sheet.write(0, col, name)
    rows = [(1001, "c1", datetime(2025, 11, 3, 10, 30), "¥1,250.00", "已支付"),
            (1002, "c2", 45965.75, 88.5, "已取消")]  # a serial number: 2025-11-04 18:00
    for r, (oid, who, when, amount, status) in enumerate(rows, start=1):
        sheet.write_number(r, 0, oid)
        sheet.write(r, 1, who)
        if isinstance(when, datetime):
            sheet.write_datetime(r, 2, when, date_format)
        else:
            sheet.write_number(r, 2, when)
        sheet.write(r, 3, amount)
        sheet.write(r, 4, status)
    book.close()
    (tmp_path / "p.yaml").write_text(
        "period: 2025-11\ndata:\n  orders:\n    path: shop.xlsx\n    sheet: 订单\n"
        "    columns: {order_id: 订单号, customer_id: 客户, order_time: 下单时间, amount: 金额, status: 状态}\n",
        encoding="utf-8")
    (params,) = load_params(tmp_path / "p.yaml")
    loaded = load_tables(params)
    assert not loaded.errors, loaded.errors
    df = loaded.tables["orders"].collect()
    assert df["order_id"].to_list() == ["1001", "1002"]  # ids as text, not 1001.0
    assert df["order_time"].to_list() == [datetime(2025, 11, 3, 10, 30), datetime(2025, 11, 4, 18)]
    assert df["amount"].to_list() == [1250.0, 88.5]
    assert df["status"].to_list() == ["paid", "cancelled"]


def test_the_first_sheet_by_default_and_a_sheet_by_number(tmp_path):
    pl.DataFrame({"order_id": ["a"], "customer_id": ["c"], "order_time": [datetime(2025, 11, 2)],
                  "amount": [3.0]}).write_excel(tmp_path / "o.xlsx", worksheet="first")
    for sheet in ("", "    sheet: 1\n"):
        (tmp_path / "p.yaml").write_text(f"period: 2025-11\ndata:\n  orders:\n    path: o.xlsx\n{sheet}",
                                         encoding="utf-8")
        (params,) = load_params(tmp_path / "p.yaml")
        loaded = load_tables(params)
        assert not loaded.errors
        assert loaded.tables["orders"].collect()["order_time"].to_list() == [datetime(2025, 11, 2)]
