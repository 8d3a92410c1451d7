"""The whole preparation on Spark: :func:`build` is what :func:`kit.dataset._build` calls for
``engine: spark``. It writes the same folder the local engine writes (every table of the
contract as prepared, ``sessions.parquet``, ``quality.json``, ``dataset.json``), under a
temporary name renamed into place at the end, so a reader never sees half a dataset.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import polars as pl

from kit import __version__
from kit.errors import DataError


def prepared_frames(loaded, gap_minutes: int) -> dict:
    """The prepared tables as Spark frames (still with their read position): the twin of the
    table steps of :func:`kit.dataset._build`."""
    from kit.spark import tables as t

    frames = dict(loaded.tables)
    if "orders" in frames:
        frames["orders"] = t.with_paid_neighbours(t.first_of_each(frames["orders"], "order_id"))
    if "customers" in frames:
        frames["customers"] = t.first_of_each(frames["customers"], "customer_id")
    if "events" in frames:
        frames["events"] = t.derive_sessions(t.stitch_users(frames["events"]), gap_minutes)
    if "order_items" in frames and "orders" in frames:
        frames["order_items"] = t.lines_with_orders(frames["order_items"], frames["orders"].drop("_file", "_block", "_row"))
    return frames


def listing_fingerprint(listed: list[tuple[str, int, int]]) -> str:
    """A short hash of remote files' names, sizes and modification times (their contents would
    mean reading them all through the driver)."""
    h = hashlib.blake2b(digest_size=8)
    for path, size, mtime in sorted(listed):
        h.update(f"{path}\0{size}\0{mtime}\n".encode())
    return h.hexdigest()


def rows_folder(params, key: str) -> str | None:
    """The URI under which a dataset's row tables stay (``spark.rows_at``, one folder per dataset
    key; a plain path is taken from the params file's folder), or None when every table is
    copied into the dataset."""
    from kit.params import is_remote

    rows_at = params.spark.rows_at
    if rows_at is None:
        return None
    base = rows_at if is_remote(rows_at) else params.resolve(rows_at).as_uri()
    return f"{base.rstrip('/')}/{key}"


def _experiment_visits(spark, params, experiments, sessions, links):
    """What the units' sessions say (:func:`kit.spark.tables.experiment_visits`), with each
    experiment's windows from the params (a small table made on the driver)."""
    from kit.metrics.experiments import visit_steps, windows
    from kit.spark.tables import experiment_visits

    ids = sorted(r[0] for r in experiments.select("experiment_id").dropna().distinct().collect())
    span = windows(ids, params.experiments.settings_for).drop("repurchase_days")
    frame = spark.createDataFrame(span.rows(), "experiment_id string, window_days double, lookback_days double")
    return experiment_visits(experiments, links, sessions, frame,
                             visit_steps(params.experiments.settings_for, sessions.columns))


class _Output:
    """Where a preparation on Spark writes: each table as one file of ``folder`` through
    ``staging``, or, for a table with a row per event, session or cart when ``spark.rows_at`` is
    set, left as part files under ``kept`` (:attr:`left`: where)."""

    def __init__(self, spark, folder: Path, staging: str, kept: str | None):
        self.spark, self.folder, self.staging, self.kept = spark, folder, staging, kept
        self.left: dict[str, str] = {}

    def write(self, frame, name: str) -> int:
        """Write ``frame`` as the table ``name``; returns its rows."""
        from kit.dataset import ROW_TABLES
        from kit.spark.write import stage, write_table

        if self.kept is None or name not in ROW_TABLES:
            return write_table(self.spark, frame, name, self.staging, self.folder)
        self.left[name] = stage(frame, self.kept, name)
        return self.spark.read.parquet(self.left[name]).count()

    def read(self, name: str):
        """The table ``name`` as written (its staged or left part files)."""
        return self.spark.read.parquet(self.left.get(name, f"{self.staging.rstrip('/')}/{name}"))

    def rows(self, counted: dict[str, int]) -> dict[str, int]:
        """Every table's rows, as the dataset's description lists them (``counted``: as written)."""
        in_folder = {p.stem: pl.scan_parquet(p).select(pl.len()).collect().item() for p in self.folder.glob("*.parquet")}
        return dict(sorted((in_folder | {name: counted[name] for name in self.left}).items()))


def _staging(params, name: str, tmp: Path) -> str:
    """The staging folder of one preparation: under ``spark.staging``, else in ``tmp`` (local mode)."""
    if params.spark.staging:
        return f"{params.spark.staging.rstrip('/')}/{name}-{uuid.uuid4().hex[:8]}"
    return (tmp / ".staging").resolve().as_uri()


def write_event_tables(spark, params, out: _Output, tables: set[str], schemas: dict,
                       groups: tuple[str, ...] = ("carts", "experiments", "journeys", "user_journeys")) -> dict[str, int]:
    """Twin of :func:`kit.dataset.write_event_tables`: from the events as written to ``out``, the
    tables the figures read instead of them, each from those before it as written, as the local
    engine does. ``tables``: the names of the tables written before (orders, experiments ...);
    ``groups``: those of :func:`write_counted_tables` to write (a slice's: its user journeys too).
    Returns each table's rows."""
    from kit.spark.layout import conform_to
    from kit.spark.tables import (
        cart_lines,
        cart_table,
        duration_counts,
        event_checks,
        session_table,
        visit_counts,
        visitor_links,
    )

    written = out.read
    made = {"event_checks": lambda: event_checks(written("events")),
            "sessions": lambda: session_table(written("events")),
            "visits": lambda: visit_counts(written("sessions")),
            "visit_durations": lambda: duration_counts(written("sessions")),
            "carts": lambda: cart_table(written("events"), written("sessions")),
            "cart_lines": lambda: cart_lines(written("events"), written("carts"))}
    links = visitor_links(written("events"))
    if links is not None:
        made["visitor_links"] = lambda: links
    rows = {}
    for name, make in made.items():
        rows[name] = out.write(conform_to(make(), schemas[name]), name)
    present = tables | set(rows)
    return rows | write_counted_tables(spark, params, lambda name: written(name) if name in present else None, out,
                                       schemas, groups)


def write_counted_tables(spark, params, table, out: _Output, schemas: dict,
                         groups: tuple[str, ...] = ("carts", "experiments", "journeys", "user_journeys")) -> dict[str, int]:
    """Twin of :func:`kit.dataset.write_counted_tables`: the tables counted for the run's settings,
    from the Spark frames ``table(name)`` gives (None when there is none), written to ``out``.
    Returns each table's rows."""
    from kit.dataset import user_periods
    from kit.metrics.funnel import prepared_steps
    from kit.spark.layout import conform_to
    from kit.spark.tables import (
        counted_carts,
        path_counts,
        session_journey_tables,
        user_journey_tables,
    )

    rows = {}
    if "carts" in groups:
        carts = counted_carts(table("carts"), table("cart_lines"), params.conversion.cart_window_hours)
        for name, frame in carts.items():
            rows[name] = out.write(conform_to(frame, schemas[name]), name)
    if "experiments" in groups and table("experiments") is not None:
        rows["experiment_visits"] = out.write(conform_to(
            _experiment_visits(spark, params, table("experiments"), table("sessions"), table("visitor_links")),
            schemas["experiment_visits"]), "experiment_visits")
    steps = params.conversion.funnel_steps
    if "journeys" in groups and prepared_steps(steps):  # steps the session table times
        events, sessions = table("events"), table("sessions")
        counted = session_journey_tables(events, sessions, steps, table("orders")) | path_counts(events, sessions, steps)
        for name, frame in counted.items():
            rows[name] = out.write(conform_to(frame, schemas[name]), name)
    if "user_journeys" in groups and params.conversion.funnel_unit == "user" and prepared_steps(steps):
        counted = user_journey_tables(table("events"), table("sessions"), table("orders"), user_periods(params), steps,
                                      params.conversion.user_window_days)
        for name, frame in counted.items():
            rows[name] = out.write(conform_to(frame, schemas[name]), name)
    return rows


@contextmanager
def _preparing(spark, params, folder: Path, name: str):
    """A temporary folder beside ``folder`` and a staging folder (``name`` under ``spark.staging``)
    for one preparation: renamed into place when the block ends (a reader never sees half a
    folder), removed with the staging folder when it fails."""
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir(parents=True)
    staging = _staging(params, name, tmp)
    try:
        yield tmp, staging
        _drop_staging(spark, staging, tmp)
        tmp.rename(folder)
    except BaseException:
        _drop_staging(spark, staging, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _describe(spark, tmp: Path, quality: list, meta: dict) -> None:
    """Write the folder's ``quality.json`` and its description, which also says what prepared it."""
    from kit.dataset import META
    from kit.run import _jsonable

    (tmp / "quality.json").write_text(json.dumps(_jsonable(quality), ensure_ascii=False, indent=2), encoding="utf-8")
    meta = meta | {"kit_version": __version__, "engine": "spark", "spark_master": spark.sparkContext.master,
                   "spark_version": spark.version}
    (tmp / META).write_text(json.dumps(_jsonable(meta), ensure_ascii=False, indent=2), encoding="utf-8")


def build(params, folder: Path, step) -> None:
    """Prepare the dataset of ``params`` on Spark into ``folder`` (see the module docstring)."""
    from kit.dataset import own_counted_settings, settings
    from kit.run import data_errors_message, fingerprint
    from kit.spark.layout import conform_to, local_schemas
    from kit.spark.load import is_remote, list_remote, load_tables
    from kit.spark.session import session_for

    spark = session_for(params)
    step("loading and validating (Spark)")
    loaded = load_tables(spark, params)
    if loaded.errors:
        raise DataError(data_errors_message(params, loaded.errors))
    gap = params.conversion.session_gap_minutes
    frames = prepared_frames(loaded, gap)
    schemas = local_schemas({name: [c for c in f.columns if not c.startswith("_")] for name, f in loaded.tables.items()},
                            gap, params.conversion.funnel_steps, params.experiments.settings_for)
    with _preparing(spark, params, folder, folder.name) as (tmp, staging):
        out = _Output(spark, tmp, staging, rows_folder(params, folder.name))
        step("writing the prepared data (Spark)")
        rows = {name: out.write(conform_to(frame, schemas[name]), name) for name, frame in frames.items()}
        if "events" in frames:
            step("building the sessions (Spark)")
            # as kit.dataset._build: a dataset's user journeys are counted for each run's periods
            rows |= write_event_tables(spark, params, out, set(frames), schemas, ("carts", "experiments", "journeys"))
        local = [Path(f) for name, fs in loaded.files.items() for f in fs
                 if not is_remote(params.data.sources()[name].path)]
        remote = [entry for name, source in params.data.sources().items() if is_remote(source.path)
                  for entry in list_remote(spark, name, source.path)]
        print_ = fingerprint(local) if not remote else listing_fingerprint(
            remote + [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in local])
        _describe(spark, tmp, [p.as_dict() for p in loaded.problems if p.check != "short_history"], {
            "key": folder.name, "settings": settings(params), "counted": own_counted_settings(params),
            "prepared_at": datetime.now().isoformat(timespec="seconds"), "rows": out.rows(rows), "rows_at": out.left,
            "read_rows": loaded.rows, "fingerprint": print_})


def read_dataset_table(spark, dataset, name: str, staging: str):
    """A table of a prepared dataset as a Spark frame: where Spark left it (``spark.rows_at``), else
    its file copied from the dataset folder (on the driver) to the staging folder, where every
    executor reads it."""
    from kit.spark.write import upload

    left = dataset.meta.get("rows_at", {})
    return spark.read.parquet(left[name] if name in left
                              else upload(spark, dataset.folder / f"{name}.parquet", staging, f"in-{name}"))


def _schemas_of(dataset, params) -> dict:
    """The schema of each table of ``dataset`` and of each table made from its events for the
    run's settings, as the local engine writes them (:func:`kit.spark.layout.local_schemas`)."""
    from kit.contract import TABLES
    from kit.dataset import FROM_EVENTS
    from kit.spark.layout import local_schemas

    base = {name: dataset.table(name).collect_schema() for name in dataset.tables if name not in FROM_EVENTS}
    contract = {name: [c for c in schema.names() if c in TABLES[name].schema] for name, schema in base.items()}
    return base | local_schemas(contract, params.conversion.session_gap_minutes, params.conversion.funnel_steps,
                                params.experiments.settings_for)


def build_counted(params, dataset, folder: Path, groups: tuple[str, ...]) -> None:
    """The dataset's counted tables for the run's settings (``groups`` of them:
    :func:`kit.dataset.write_counted_tables`) made on Spark into ``folder`` (its
    ``counted/<counted key>``), laid out as a dataset."""
    from kit.dataset import counted_settings
    from kit.spark.session import session_for

    spark = session_for(params)
    with _preparing(spark, params, folder, f"{dataset.folder.name}-{folder.name}") as (tmp, staging):
        out = _Output(spark, tmp, staging, None)  # counted tables: never a row per event
        frames: dict = {}

        def table(name: str):
            if name in dataset.tables and name not in frames:
                frames[name] = read_dataset_table(spark, dataset, name, staging)
            return frames.get(name)

        rows = write_counted_tables(spark, params, table, out, _schemas_of(dataset, params), groups)
        _describe(spark, tmp, [], {"key": folder.name, "of": dataset.folder.name, "settings": counted_settings(params),
                                   "prepared_at": datetime.now().isoformat(timespec="seconds"), "rows": out.rows(rows)})


def build_slice(params, dataset, folder: Path, step) -> None:
    """The slice of ``params`` cut on Spark from ``dataset`` into ``folder`` (its
    ``slices/<slice key>``): what :func:`kit.run.prepare_run` writes for a sliced run (the tables
    cut to the slice, paid orders' neighbours within a slice by an order's own column, and every
    table made from the slice's events), laid out as a dataset whose ``quality.json`` holds the
    slice's notes. The dataset's tables are read where Spark reads them: those at ``rows_at``
    there, the others copied to the staging folder first. Raises :class:`DataError` when the
    slice cannot be cut."""
    from kit.dataset import FROM_EVENTS, slice_settings
    from kit.metrics.customers import NEXT, PREV
    from kit.run import slice_info
    from kit.spark.layout import conform_to
    from kit.spark.session import session_for
    from kit.spark.slices import apply_slice
    from kit.spark.tables import with_paid_neighbours

    spark = session_for(params)
    with _preparing(spark, params, folder, f"{dataset.folder.name}-{folder.name}") as (tmp, staging):
        out = _Output(spark, tmp, staging, rows_folder(params, f"{dataset.folder.name}/slices/{folder.name}"))
        frames = {name: read_dataset_table(spark, dataset, name, staging)
                  for name in dataset.tables if name not in FROM_EVENTS}
        frames, notes = apply_slice(frames, params.slice)
        if "orders" in frames and any(key in frames["orders"].columns for key in params.slice):
            # as kit.run.prepare_run: some of a customer's orders are kept, their neighbours are the slice's
            frames["orders"] = with_paid_neighbours(frames["orders"].drop(PREV, NEXT))
        schemas = _schemas_of(dataset, params)
        step("writing the slice (Spark)")
        rows = {name: out.write(conform_to(frame, schemas[name]), name) for name, frame in frames.items()}
        if "events" in frames:
            step("building the slice's sessions (Spark)")
            rows |= write_event_tables(spark, params, out, set(frames), schemas)
        _describe(spark, tmp, [slice_info(n) for n in notes], {
            "key": folder.name, "of": dataset.folder.name, "settings": slice_settings(params),
            "prepared_at": datetime.now().isoformat(timespec="seconds"), "rows": out.rows(rows), "rows_at": out.left})


def _drop_staging(spark, staging: str, tmp: Path) -> None:
    """Remove the staging folder (local, or through the cluster's file system)."""
    if staging.startswith("file:"):
        shutil.rmtree(tmp / ".staging", ignore_errors=True)
        return
    try:
        jvm = spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(staging)
        path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)
    except Exception:  # noqa: BLE001 - a leftover staging folder is not worth failing a prepared dataset
        pass
