from datetime import datetime as dt

import polars as pl

from kit.metrics.sessions import derive_sessions, stitch_users


def events(rows, **extra):
    cols = ["visitor_id", "customer_id", "event_time"]
    frame = pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], schema={"visitor_id": pl.String, "customer_id": pl.String,
                                                                      "event_time": pl.Datetime("us")})
    return frame.with_columns(**{k: pl.Series(v) for k, v in extra.items()}).lazy()


def test_anonymous_events_belong_to_the_customer_the_visitor_logs_in_as():
    ev = events([
        ("v1", None, dt(2025, 1, 1, 10)),      # anonymous, later logs in as c1
        ("v1", "c1", dt(2025, 1, 1, 10, 5)),
        ("v2", None, dt(2025, 1, 1, 11)),      # never logs in
        (None, "c2", dt(2025, 1, 1, 12)),      # logged-in event without a visitor id
        ("v3", "c3", dt(2025, 1, 2)),          # v3 seen as c3 first, then as c4: first login wins
        ("v3", "c4", dt(2025, 1, 3)),
        ("v3", None, dt(2025, 1, 4)),
    ])
    out = stitch_users(ev).collect().sort("event_time")
    assert out["user_id"].to_list() == ["c1", "c1", "v:v2", "c2", "c3", "c4", "c3"]


def test_sessions_split_after_more_than_the_gap_and_rows_may_come_out_of_order():
    ev = events([
        ("v1", "u", dt(2025, 1, 1, 10, 30)),   # 30 min after 10:00: same session (gap not exceeded)
        ("v1", "u", dt(2025, 1, 1, 10, 0)),
        ("v1", "u", dt(2025, 1, 1, 11, 0, 1)),  # 30 min 1 s after 10:30: new session
        ("v2", "w", dt(2025, 1, 1, 10, 10)),
    ]).with_columns(pl.col("customer_id").alias("user_id"))
    out = derive_sessions(ev, 30).collect().sort("user_id", "event_time")
    assert out["session_id"].to_list() == ["u#1", "u#1", "u#2", "w#1"]


def test_given_session_ids_are_kept_and_only_missing_ones_derived():
    ev = events([
        ("v1", "u", dt(2025, 1, 1, 10)),
        ("v1", "u", dt(2025, 1, 1, 10, 1)),
        ("v1", "u", dt(2025, 1, 1, 12)),
    ], session_id=["s9", "s9", None]).with_columns(pl.col("customer_id").alias("user_id"))
    out = derive_sessions(ev, 30).collect().sort("event_time")
    assert out["session_id"].to_list() == ["s9", "s9", "u#1"]
