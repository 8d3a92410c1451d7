"""Reference implementations the kit is measured against in the same bench run (`make bench`):
DuckDB for the heavy group-bys (the session table, the RFM table with scores) and lifetimes
for the BG/NBD fit. DuckDB is a dependency of the kit (it builds the prepared session table);
lifetimes is an optional extra (`pip install -e '.[bench]'`): a case whose reference is not
installed says so instead of failing.

Each case returns its own seconds and, where the kit does the same work in the case, the
kit's seconds and the ratio kit / reference, so a result reads the same on a machine twice
as fast.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIG = REPO / "data" / "demo-1m"
THREADS = 2
"""DuckDB gets the machine's two cores, as polars does."""


def _duckdb():
    try:
        import duckdb
    except ImportError:
        return None
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    con.execute("SET preserve_insertion_order = false")
    return con


SESSIONS_SQL = """
COPY (
  SELECT session_id,
         min(coalesce(customer_id, 'v:' || visitor_id))                  AS user_id,
         min(event_time)                                                  AS start,
         max(event_time)                                                  AS "end",
         arg_min(device, event_time)                                      AS device,
         arg_min(source, event_time)                                      AS source,
         min(event_time) FILTER (WHERE event = 'add_to_cart')             AS first_add_to_cart,
         min(event_time) FILTER (WHERE event = 'pay')                     AS first_pay,
         coalesce(sum(value) FILTER (WHERE event = 'add_to_cart'), 0)     AS cart_value
  FROM read_parquet('{events}/*.parquet')
  GROUP BY session_id
) TO '{out}' (FORMAT parquet)
"""


def case_duckdb_sessions() -> dict:
    """DuckDB (2 threads) builds a session table of the 1M shop's events (per session: customer,
    start, end, first device and source, first add-to-cart and pay time, cart value; written to
    Parquet): the reference the kit's preparation and full report are measured against."""
    from run import ensure_big_demo

    ensure_big_demo()
    con = _duckdb()
    if con is None:
        return {"skipped": "duckdb is not installed: pip install -e '.[bench]'"}
    with tempfile.TemporaryDirectory(dir=REPO / "data") as tmp:
        out = Path(tmp) / "sessions.parquet"
        t0 = time.perf_counter()
        con.execute(SESSIONS_SQL.format(events=BIG / "events", out=out))
        seconds = time.perf_counter() - t0
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
    return {"seconds": seconds, "sessions": rows}


RFM_SQL = """
WITH per_customer AS (
  SELECT customer_id,
         date_diff('day', max(order_time)::DATE, DATE '{end}') AS recency,
         count(*)                                              AS frequency,
         sum(amount)                                           AS monetary
  FROM read_parquet('{orders}/*.parquet')
  WHERE status = 'paid' AND amount >= 0 AND order_time < TIMESTAMP '{end}' + INTERVAL 1 DAY
  GROUP BY customer_id
)
SELECT customer_id, recency, frequency, monetary,
       6 - ntile(5) OVER (ORDER BY recency)  AS r_score,
       ntile(5) OVER (ORDER BY frequency)    AS f_score,
       ntile(5) OVER (ORDER BY monetary)     AS m_score
FROM per_customer
"""


def case_rfm_vs_duckdb() -> dict:
    """The RFM table with 5-level scores of the 1M shop's orders as of 2025-12-31: the kit's
    ``rfm_table`` + ``add_scores`` (as section 3 calls them) against DuckDB's SQL, each from the
    Parquet files, best of three. Target: kit <= 1.0 x DuckDB."""
    import polars as pl
    from run import ensure_big_demo

    from kit.metrics.rfm import add_scores, rfm_table
    from kit.periods import parse_period

    ensure_big_demo()
    con = _duckdb()
    if con is None:
        return {"skipped": "duckdb is not installed: pip install -e '.[bench]'"}
    period = parse_period("2025-Q4")
    orders = pl.scan_parquet(BIG / "orders" / "*.parquet")

    def kit():
        return add_scores(rfm_table(orders, period)).collect()

    def duck():
        return con.sql(RFM_SQL.format(orders=BIG / "orders", end=date(2025, 12, 31))).pl()

    timings = {}
    for name, fn in (("kit", kit), ("duckdb", duck)):
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            table = fn()
            best = min(best or 1e9, time.perf_counter() - t0)
        timings[name] = (best, table.height)
    return {"seconds": timings["kit"][0], "kit_seconds": timings["kit"][0], "duckdb_seconds": timings["duckdb"][0],
            "ratio_kit_to_duckdb": timings["kit"][0] / timings["duckdb"][0], "customers": timings["kit"][1],
            "duckdb_customers": timings["duckdb"][1]}


def case_clv_vs_lifetimes() -> dict:
    """The BG/NBD summary and fit on the 1M shop's paid orders up to 2025-12-31 (weekly units):
    the kit's ``rfm_summary`` + ``fit_bgnbd`` against lifetimes'
    ``summary_data_from_transaction_data`` + ``BetaGeoFitter.fit`` on the same orders. Target:
    the kit >= 10 x faster."""
    import polars as pl
    from run import ensure_big_demo

    from kit.contract import paid
    from kit.metrics.clv import fit_bgnbd, rfm_summary

    ensure_big_demo()
    try:
        from lifetimes import BetaGeoFitter
        from lifetimes.utils import summary_data_from_transaction_data
    except ImportError:
        return {"skipped": "lifetimes is not installed: pip install -e '.[bench]'"}
    orders = paid(pl.scan_parquet(BIG / "orders" / "*.parquet")).select("customer_id", "order_time", "amount")
    end = date(2025, 12, 31)
    t0 = time.perf_counter()
    summary = rfm_summary(orders, "customer_id", "order_time", "amount", end, "week")
    fit = fit_bgnbd(summary)
    kit_seconds = time.perf_counter() - t0
    frame = orders.collect().to_pandas()  # lifetimes reads pandas; the conversion is not timed
    t0 = time.perf_counter()
    data = summary_data_from_transaction_data(frame, "customer_id", "order_time", "amount", freq="W",
                                              observation_period_end=str(end))
    lt = BetaGeoFitter(penalizer_coef=0.0).fit(data["frequency"], data["recency"], data["T"])
    lifetimes_seconds = time.perf_counter() - t0
    return {"seconds": kit_seconds, "kit_seconds": kit_seconds, "lifetimes_seconds": lifetimes_seconds,
            "speedup_vs_lifetimes": lifetimes_seconds / kit_seconds, "kit_r": fit.r, "lifetimes_r": float(lt.params_["r"]),
            "customers": summary.height}


def case_baskets_1m() -> dict:
    """Association rules over the 1M shop's whole history (every paid order a basket): the kit's
    ``basket_items`` + ``association_rules`` (as the products section calls them, its default
    thresholds) between categories (target <= 5 s) and among the top 1,000 products (target <=
    15 s, the top products picked inside the timing), peak <= 4 GB (``kit_peak_rss_gb``: the
    process's high-water mark before the reference runs). The order lines come joined to their
    orders, as a prepared run's are (the join is not timed). Beside it, mlxtend's ``fpgrowth``
    + ``association_rules`` (pairs) on a sample of 100,000 baskets, and the kit on the same
    sample, for the ratio."""
    import resource

    import polars as pl
    from run import ensure_big_demo

    from kit.contract import lines_with_orders
    from kit.metrics.baskets import association_rules, basket_items
    from kit.params import Products
    from kit.periods import parse_period

    ensure_big_demo()
    p = Products()
    orders = pl.scan_parquet(BIG / "orders" / "*.parquet")
    items = lines_with_orders(pl.scan_parquet(BIG / "order_items" / "*.parquet"), orders).collect().lazy()
    whole = parse_period({"start": "2024-01-01", "end": "2025-12-31"})
    out = {}

    def rules(level, keep=None, frame=None):
        baskets = frame if frame is not None else basket_items(orders, items, whole, by=level)
        return association_rules(baskets, p.min_support, p.min_baskets, p.min_confidence, p.max_basket_items, keep)

    t0 = time.perf_counter()
    cats = rules("category")
    out["category_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    product_baskets = basket_items(orders, items, whole, by="product_id")
    top = (product_baskets.group_by("item").agg(pl.len().alias("n")).sort(["n", "item"], descending=[True, False])
           .head(1000).collect()["item"])
    prods = rules("product_id", top, product_baskets)
    out["product_seconds"] = time.perf_counter() - t0
    out["seconds"] = out["category_seconds"] + out["product_seconds"]
    out["kit_peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    out |= {"baskets": cats.baskets, "skipped": cats.skipped, "category_rules": cats.rules.height,
            "product_rules": prods.rules.height}
    try:
        from mlxtend.frequent_patterns import association_rules as ml_rules
        from mlxtend.frequent_patterns import fpgrowth
    except ImportError:
        return out | {"reference": "mlxtend is not installed: pip install -e '.[bench]'"}
    sample_ids = (basket_items(orders, items, whole).select("order_id").unique().sort("order_id").collect()
                  .sample(100_000, seed=1)["order_id"])
    for level, keep in (("category", None), ("product_id", top)):
        sample = basket_items(orders, items, whole, by=level).filter(pl.col("order_id").is_in(sample_ids.implode()))
        if keep is not None:
            sample = sample.filter(pl.col("item").is_in(keep.implode()))
        sample = sample.collect()
        name = "category" if level == "category" else "product"
        t0 = time.perf_counter()
        ours = rules(level, keep, sample.lazy())
        out[f"kit_sample_{name}_seconds"] = time.perf_counter() - t0
        # mlxtend reads a one-hot pandas frame of the same baskets; building it is not timed
        onehot = (sample.with_columns(pl.lit(True).alias("x")).pivot("item", index="order_id", values="x")
                  .fill_null(False).drop("order_id").to_pandas())
        floor = max(p.min_support, p.min_baskets / len(onehot))
        t0 = time.perf_counter()
        frequent = fpgrowth(onehot, min_support=floor, use_colnames=True, max_len=2)
        theirs = ml_rules(frequent, num_itemsets=len(onehot), metric="confidence", min_threshold=p.min_confidence)
        out[f"mlxtend_sample_{name}_seconds"] = time.perf_counter() - t0
        out[f"sample_{name}_rules"] = ours.rules.height
        out[f"mlxtend_sample_{name}_rules"] = len(theirs)
    return out


REFERENCE_CASES = {"duckdb_sessions": case_duckdb_sessions, "rfm_vs_duckdb": case_rfm_vs_duckdb,
                   "clv_vs_lifetimes": case_clv_vs_lifetimes, "baskets_1m": case_baskets_1m}
