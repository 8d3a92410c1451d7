from datetime import datetime as dt

import polars as pl

from kit.metrics.customers import first_purchases


def test_first_purchase_ties_cancelled_orders_and_one_time_buyers():
    orders = pl.LazyFrame({
        "order_id": ["a3", "a2", "a1", "b1", "b0", "c1", "c2", "d1"],
        "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "order_time": [dt(2025, 3, 9), dt(2025, 3, 1), dt(2025, 3, 1), dt(2025, 4, 1), dt(2025, 3, 20),
                       dt(2025, 5, 1), dt(2025, 5, 7), dt(2025, 6, 1)],
        "status": ["paid", "paid", "paid", "paid", "cancelled", "paid", "paid", "paid"],
        "amount": [1.0] * 8,
    })
    out = {r["customer_id"]: r for r in first_purchases(orders).collect().iter_rows(named=True)}
    # a: two orders at the first instant -> the smaller id first, the other one is the next order (same time)
    assert (out["a"]["first_order_id"], out["a"]["first_order_time"], out["a"]["next_order_time"]) == (
        "a1", dt(2025, 3, 1), dt(2025, 3, 1))
    # b: the earlier order was cancelled, so the first paid one is b1 and there is no next
    assert (out["b"]["first_order_id"], out["b"]["next_order_time"]) == ("b1", None)
    assert (out["c"]["first_order_id"], out["c"]["next_order_time"]) == ("c1", dt(2025, 5, 7))
    assert out["d"]["next_order_time"] is None and set(out) == {"a", "b", "c", "d"}


def test_paid_neighbours_skip_unpaid_orders_and_order_ties_by_id():
    from kit.metrics.customers import NEXT, PREV, with_paid_neighbours

    orders = pl.LazyFrame({
        "order_id": ["a3", "a2", "a1", "b1", "b0", "c1", "c2", "d1"],
        "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "order_time": [dt(2025, 3, 9), dt(2025, 3, 1), dt(2025, 3, 1), dt(2025, 4, 1), dt(2025, 3, 20),
                       dt(2025, 5, 1), dt(2025, 5, 7), dt(2025, 6, 1)],
        "status": ["paid", "paid", "paid", "paid", "cancelled", "paid", "paid", "paid"],
        "amount": [1.0] * 8,
    })
    prepared = with_paid_neighbours(orders).collect()
    got = {r["order_id"]: (r[PREV], r[NEXT]) for r in prepared.iter_rows(named=True)}
    assert got == {
        "a1": (None, dt(2025, 3, 1)), "a2": (dt(2025, 3, 1), dt(2025, 3, 9)), "a3": (dt(2025, 3, 1), None),
        "b0": (None, None), "b1": (None, None),  # the cancelled order is kept, outside the sequence
        "c1": (None, dt(2025, 5, 7)), "c2": (dt(2025, 5, 1), None), "d1": (None, None),
    }
    # a prepared run stores the orders with these columns: they are read, not computed again
    assert with_paid_neighbours(prepared.lazy()).collect().equals(prepared)
    assert first_purchases(prepared.lazy()).collect().sort("customer_id").equals(
        first_purchases(orders).collect().sort("customer_id"))
