"""A run's slice cut on Spark: the twin of :func:`kit.run.apply_slice`, over the prepared
dataset's tables as Spark frames. ``tests/test_spark.py`` holds a sliced run prepared here equal
to the same run sliced by the local engine.
"""

from __future__ import annotations

from kit.run import EVENTS_FOLLOW, EXPOSURES_FOLLOW, slice_note, slice_values, unknown_slice_key


def apply_slice(frames: dict, slice_: dict) -> tuple[dict, list[str]]:
    """Twin of :func:`kit.run.apply_slice`: the frames filtered to the slice, and the notes for
    the quality appendix. A key filters every table that has that column; the other tables follow
    through the customers (orders, events) or the orders (order lines, experiments). Raises the
    same errors, with the same messages, for an unknown key or a slice that matches no row."""
    from pyspark.sql import functions as F

    frames = dict(frames)
    notes = []
    for key, value in slice_.items():
        wanted = slice_values(value)
        holders = [n for n in ("orders", "customers", "events") if n in frames and key in frames[n].columns]
        if not holders:
            raise unknown_slice_key(key, list({c for n in ("orders", "customers") if n in frames
                                               for c in frames[n].columns}))
        present = set()
        for n in holders:
            present |= {row[0] for row in frames[n].select(F.col(key).cast("string")).distinct().collect()
                        if row[0] is not None}
        note = slice_note(key, wanted, present)
        notes += [note] if note else []
        for n in holders:
            frames[n] = frames[n].filter(F.col(key).cast("string").isin(wanted))
        if "customers" in frames and "customers" not in holders and "orders" in holders:
            frames["customers"] = frames["customers"].join(frames["orders"].select("customer_id").distinct(),
                                                           on="customer_id", how="left_semi")
        if "orders" in frames and "orders" not in holders and "customers" in holders:
            frames["orders"] = frames["orders"].join(frames["customers"].select("customer_id"), on="customer_id",
                                                     how="left_semi")
        if "events" in frames and "events" not in holders:
            who = frames["orders"] if "orders" in frames else frames["customers"]
            frames["events"] = frames["events"].join(who.select(F.col("customer_id").alias("user_id")).distinct(),
                                                     on="user_id", how="left_semi")
            notes.append(EVENTS_FOLLOW.format(key=key))
    if slice_ and "experiments" in frames:
        frames["experiments"], note = _slice_experiments(frames)
        notes += [note] if note else []
    if slice_ and "order_items" in frames and "orders" in frames:
        frames["order_items"] = frames["order_items"].join(frames["orders"].select("order_id"), on="order_id",
                                                           how="left_semi")
    return frames, notes


def _slice_experiments(frames: dict):
    """Twin of :func:`kit.run._slice_experiments`: the exposures of the slice's customers, by
    customer_id or by the customer a visitor is seen logged in as in the slice's events."""
    from pyspark.sql import functions as F

    exposures = frames["experiments"]
    names = exposures.columns
    who = frames["orders"] if "orders" in frames else frames.get("customers")
    if who is None:
        return exposures, None
    ids = who.select("customer_id").distinct()
    keep = F.lit(False)
    if "customer_id" in names:
        exposures = exposures.join(ids.withColumn("_in", F.lit(True)), on="customer_id", how="left")
        keep = keep | F.coalesce(F.col("_in"), F.lit(False))
    events = frames.get("events")
    if "visitor_id" in names and events is not None and "visitor_id" in events.columns:
        visitors = (events.filter(F.col("visitor_id").isNotNull()).select("visitor_id", "user_id")
                    .join(ids.withColumnRenamed("customer_id", "user_id"), on="user_id", how="left_semi")
                    .select("visitor_id").distinct().withColumn("_seen", F.lit(True)))
        exposures = exposures.join(visitors, on="visitor_id", how="left")
        keep = keep | F.coalesce(F.col("_seen"), F.lit(False))
    return exposures.filter(keep).select(*names), EXPOSURES_FOLLOW
