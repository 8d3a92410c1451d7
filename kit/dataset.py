"""The prepared dataset: a shop's data read, checked and conformed once, shared by every run
that reads the same sources with the same preparation settings.

A run of a report used to load, validate and prepare the whole shop again: a matrix of eight
regions read 57M events eight times. Now :func:`prepare_dataset` does it once per dataset and
keeps the result in a cache folder (``output/.cache/datasets/`` for ``kit publish``,
``.cache/datasets/`` for notebooks opened in JupyterLab; ``KIT_CACHE_DIR`` elsewhere), as
Parquet: every table of the contract as the run reads it (orders without duplicates and
with each paid order's neighbours, order lines with their order's columns, events with
users stitched and sessions derived), the session table (made by DuckDB within a memory
limit: :mod:`kit.data.duck`), the loader's data-quality notes
and ``dataset.json``. Each run then cuts its slice from it (:func:`kit.run.prepare_run`).

The cache key is the sources' identity (each file's path, size and modification time; for a
database, the query and the rows' window) and every setting that changes the preparation
(column, value and event mappings, time zone, session gap, the kit's version and this
module's :data:`LAYOUT`): a changed file is a new key, so a stale dataset is never read. A
damaged one (a file missing or unreadable, a build that did not finish) is prepared again,
with a warning in the data-quality notes. The cache keeps at most ``KIT_CACHE_GB`` gigabytes
(default :data:`MAX_GB`), dropping the least recently used datasets first; ``kit cache
clear`` empties it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from kit import __version__
from kit.errors import DataError
from kit.params import Conversion, Experiments, RunParams, is_remote

LAYOUT = 9
"""Version of a dataset's folder layout: a change of the preparation changes every key (2: with
the cart table and cart lines, 3: sessions say whether one user holds all their events, 4: with
the visits counted, 5: with the funnel's journeys and paths counted, 6: with the carts counted,
7: with the events' quality counts, 8: with their first and last time, the visitors' logins and
what the exposed units' sessions say; the tables Spark leaves at spark.rows_at, 9: the settings
its counted tables were made with, and those counted for other runs' settings in ``counted/``;
the slices prepared on Spark in ``slices/``)."""
MAX_GB = 20.0
"""Default size cap of the dataset cache (``KIT_CACHE_GB``)."""
META = "dataset.json"
FROM_EVENTS = ("sessions", "visits", "visit_durations", "carts", "cart_lines", "cart_counts", "pay_delays",
               "cart_line_counts", "journey_counts", "convert_times", "path_moves", "path_counts", "event_checks",
               "visitor_links", "experiment_visits")
"""The tables made from the prepared events (:func:`write_event_tables`): a sliced run makes its
own from its slice's events (its sessions cut from the dataset's where that is exact)."""
COUNTED_TABLES = ("cart_counts", "pay_delays", "cart_line_counts", "experiment_visits", "journey_counts",
                  "convert_times", "path_moves", "path_counts", "user_journey_counts", "user_convert_times")
"""The tables made from the events that depend on a run's settings (:func:`counted_settings`):
a dataset holds them for the settings of the params that prepared it, and its ``counted/``
folder for those of other runs (:func:`counted_for`)."""
COMPRESSION = "lz4"
"""The prepared tables' Parquet compression. Measured on the 1M shop's 57M prepared events:
lz4 wrote them in 14.4 s against zstd's (polars' default) 16.1 s, DuckDB built the session
table from them in 40-42 s against 44-45 s, and a full read took 1.3 s against 2.0 s; the
file is 1.0 GB against 0.7 GB."""


@dataclass(frozen=True)
class Dataset:
    """One prepared dataset in its cache folder."""

    folder: Path

    @property
    def meta(self) -> dict:
        return json.loads((self.folder / META).read_text(encoding="utf-8"))

    @property
    def quality(self) -> list[dict]:
        """The loader's data-quality notes (warnings and infos of the whole dataset)."""
        return json.loads((self.folder / "quality.json").read_text(encoding="utf-8"))

    def source(self, name: str) -> str | None:
        """Where the table's rows are: its file in the folder or, for a table left where Spark
        wrote it (``spark.rows_at``), its part files there; None when the dataset has no such table.
        A folder without its description (one being written) holds its tables itself."""
        described = (self.folder / META).exists()
        left = self.meta.get("rows_at", {}).get(name) if described else None
        if left is not None:
            return parts_of(left)
        path = self.folder / f"{name}.parquet"
        return str(path) if path.exists() else None

    def table(self, name: str) -> pl.LazyFrame | None:
        source = self.source(name)
        return pl.scan_parquet(source) if source is not None else None

    @property
    def tables(self) -> list[str]:
        return list(self.meta["rows"])


ROW_TABLES = ("events", "sessions", "carts", "cart_lines")
"""The tables with a row per event, session or cart, which ``spark.rows_at`` leaves on the cluster:
the figures read what they are counted to, and only a few parts read them (the diagnosis's
audiences, the funnel of user journeys, a slice or other settings' counts made by the local
engine)."""


def parts_of(folder: str) -> str:
    """The Parquet part files Spark wrote into ``folder`` (a URI or a local path), as polars and
    DuckDB read them."""
    if folder.startswith("file:"):
        folder = folder.removeprefix("file://").removeprefix("file:")
    elif folder.startswith("s3a://"):  # Hadoop's name for S3; polars says s3://
        folder = "s3://" + folder.removeprefix("s3a://")
    return f"{folder.rstrip('/')}/*.parquet"


def default_cache(output: Path | None = None) -> Path:
    """Where datasets are kept: ``KIT_CACHE_DIR`` when set, else ``<output>/.cache/datasets``
    (``kit publish``), else ``.cache/datasets`` beside the kit (notebooks)."""
    if os.environ.get("KIT_CACHE_DIR"):
        return Path(os.environ["KIT_CACHE_DIR"])
    if output is not None:
        return Path(output) / ".cache" / "datasets"
    return Path(__file__).resolve().parent.parent / ".cache" / "datasets"


def settings(params: RunParams) -> dict:
    """Everything the prepared dataset depends on: the sources' identity and the preparation
    settings (see the module docstring). Two runs with equal settings share a dataset."""
    from kit.data.load import windows
    from kit.data.read import source_files

    sources = {}
    for name, source in params.data.sources().items():
        described = source.model_dump(mode="json", exclude_none=True)
        if source.path is not None and is_remote(source.path):
            from kit.spark.load import remote_listing

            described["files"] = remote_listing(params, name, source.path)
        elif source.database is not None:
            described.pop("database", None)
            described["database"] = {"url": source.database.url, "table": source.database.table,
                                     "query": source.database.query,
                                     "window": [str(t) for t in windows(params).get(name, ())]}
        else:
            path = params.resolve(source.path)
            described["path"] = str(path)
            described["files"] = [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in source_files(path)]
        sources[name] = described
    return {"sources": sources, "events": params.events, "timezone": params.timezone,
            "session_gap_minutes": params.conversion.session_gap_minutes, "layout": LAYOUT, "kit": __version__}


def dataset_key(params: RunParams) -> str:
    """A short hash of :func:`settings`."""
    text = json.dumps(settings(params), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def prepare_dataset(params: RunParams, cache_dir: Path, progress=None) -> tuple[Dataset, list[dict]]:
    """The run's dataset, from the cache or prepared now; and notes for the data-quality
    appendix (a damaged dataset that was prepared again). On Spark, a run with a slice also has
    its slice prepared there (:func:`prepared_slice`). Raises :class:`DataError` when the data
    has errors (nothing is kept then)."""
    step = progress or (lambda message: None)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = dataset_key(params)
    folder = cache_dir / key
    notes: list[dict] = []
    # one process prepares a dataset (and its slices) at a time: a batch's runs wait for the first
    with open(cache_dir / f".{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        damage = damaged(folder) if folder.exists() else None
        if folder.exists() and damage is None:
            os.utime(folder / META)  # the last use, for the size cap
            step("reusing the prepared data")
        else:
            if damage is not None:
                notes.append(_rebuilt_note(folder, damage))
                shutil.rmtree(folder)
            _build(params, folder, step)
        if params.slice and params.engine == "spark":
            notes += _prepare_slice_on_spark(params, Dataset(folder), step)
        elif not params.slice:
            notes += _prepare_counted(params, Dataset(folder), step)
    evict(cache_dir, keep=folder)
    return Dataset(folder), notes


def _rebuilt_note(folder: Path, damage: str) -> dict:
    return {"level": "warning", "table": "cache", "check": "cache_rebuilt", "column": None, "count": 0, "examples": [],
            "message": f"the prepared data in {folder} was damaged ({damage}) and was prepared again"}


COUNTED = "counted"
"""The folder of a dataset that holds its :data:`COUNTED_TABLES` for other settings, one folder per
:func:`counted_key`."""


def counted_settings(params: RunParams) -> dict:
    """The settings the :data:`COUNTED_TABLES` are made with: the cart window, the experiments'
    steps and windows, the funnel steps, and for user journeys (``funnel_unit: user``) their
    window and the run's periods (a user's journey starts at their first event in a period)."""
    conv = params.conversion
    users = ({"window_days": conv.user_window_days, "periods": [[p.label, str(p.start_dt), str(p.end_dt)]
                                                                for p in user_periods(params)]}
             if conv.funnel_unit == "user" else None)
    return {"cart_window_hours": conv.cart_window_hours, "experiments": params.experiments.model_dump(mode="json"),
            "funnel_steps": conv.funnel_steps, "user_journeys": users}


def own_counted_settings(params: RunParams) -> dict:
    """The :func:`counted_settings` of the counted tables a dataset holds itself (what its
    description records): those of the params that prepared it, without user journeys, which
    are counted for a run's periods only (:func:`counted_for`, a slice)."""
    return counted_settings(params) | {"user_journeys": None}


def user_periods(params: RunParams) -> tuple:
    """The periods a run's user journeys start in: its period and its comparison period."""
    return (params.current,) if params.previous is None else (params.current, params.previous)


def _counted_groups(dataset: Dataset, params: RunParams) -> tuple[str, ...]:
    """Which of the dataset's counted tables differ for the run's settings: the carts (window),
    the experiments' units (steps and windows) and the journeys (funnel steps the session table
    times)."""
    from kit.metrics.funnel import prepared_steps

    own, wanted = dataset.meta.get("counted", {}), counted_settings(params)
    differ = {key for key in wanted if own.get(key) != wanted[key]}
    steps = prepared_steps(params.conversion.funnel_steps)
    return tuple(group for group, key, needed in (
        ("carts", "cart_window_hours", "carts" in dataset.tables),
        ("experiments", "experiments", "experiments" in dataset.tables),
        ("journeys", "funnel_steps", steps),
        ("user_journeys", "user_journeys", steps and wanted["user_journeys"] is not None))
        if key in differ and needed and "sessions" in dataset.tables)


def counted_key(params: RunParams) -> str:
    """A short hash of :func:`counted_settings`."""
    return _short_hash(counted_settings(params))


def _short_hash(settings_: dict) -> str:
    """A short hash of settings in which a number is the same whether written 24 or 24.0 (a
    default is an int, the same value read back from a run's params.yaml a float)."""
    def same(value):
        if isinstance(value, dict):
            return {k: same(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [same(v) for v in value]
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    text = json.dumps(same(settings_), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def counted_for(dataset: Dataset, params: RunParams) -> Dataset | None:
    """The dataset's :data:`COUNTED_TABLES` made for the run's settings where they differ from
    those it was prepared with (a folder laid out as a dataset), or None when the dataset's own
    serve the run."""
    folder = dataset.folder / COUNTED / counted_key(params)
    return Dataset(folder) if folder.exists() and damaged(folder) is None else None


def _prepare_counted(params: RunParams, dataset: Dataset, step) -> list[dict]:
    """Make the dataset's counted tables for the run's settings unless the dataset's own serve it or
    they are there (on Spark with ``engine: spark``); notes for the appendix."""
    groups = _counted_groups(dataset, params)
    folder = dataset.folder / COUNTED / counted_key(params)
    if not groups or counted_for(dataset, params) is not None:
        return []
    notes = [_rebuilt_note(folder, damaged(folder))] if folder.exists() else []
    shutil.rmtree(folder, ignore_errors=True)
    step(f"counting the {', '.join(groups)} for this run's settings")
    if params.engine == "spark":
        from kit.spark.build import build_counted

        build_counted(params, dataset, folder, groups)
        return notes
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir(parents=True)
    try:
        write_counted_tables(tmp, dataset.table, params.conversion, params.experiments, groups,
                             user_periods(params))
        meta = {"key": folder.name, "of": dataset.folder.name, "settings": counted_settings(params),
                "prepared_at": datetime.now().isoformat(timespec="seconds"), "kit_version": __version__,
                "rows": {p.stem: pl.scan_parquet(p).select(pl.len()).collect().item() for p in sorted(tmp.glob("*.parquet"))}}
        (tmp / "quality.json").write_text("[]", encoding="utf-8")
        (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return notes


SLICES = "slices"
"""The folder of a dataset that holds the slices prepared on Spark, one folder per :func:`slice_key`."""
SLICE_LAYOUT = 1
"""Version of a prepared slice's folder layout."""


def slice_settings(params: RunParams) -> dict:
    """What a run's prepared slice depends on beyond its dataset: the slice, and the settings of the
    tables made from its events (the funnel steps, the cart window, the experiments' steps and
    windows, the user journeys' window and periods: :func:`counted_settings`). Runs that differ
    in these do not share a slice."""
    from kit.run import slice_values

    return {"slice": {key: slice_values(value) for key, value in params.slice.items()}, **counted_settings(params),
            "layout": SLICE_LAYOUT}


def slice_key(params: RunParams) -> str:
    """A short hash of :func:`slice_settings`."""
    return _short_hash(slice_settings(params))


def prepared_slice(dataset: Dataset, params: RunParams) -> Dataset | None:
    """The run's slice as prepared on Spark (a folder laid out as a dataset, whose description also
    holds the slice's notes), or None when it was not or is damaged: the run then cuts its slice
    itself (:func:`kit.run.prepare_run`)."""
    folder = dataset.folder / SLICES / slice_key(params)
    return Dataset(folder) if params.slice and folder.exists() and damaged(folder) is None else None


def _prepare_slice_on_spark(params: RunParams, dataset: Dataset, step) -> list[dict]:
    """Prepare the run's slice of ``dataset`` on Spark unless it is there; notes for the appendix.
    A slice Spark cannot cut (an unknown key, no matching row) is left to the run, which stops
    with the message naming the params file."""
    from kit.spark.build import build_slice

    folder = dataset.folder / SLICES / slice_key(params)
    notes = []
    if folder.exists():
        if prepared_slice(dataset, params) is not None:
            return notes
        notes.append(_rebuilt_note(folder, damaged(folder)))
        shutil.rmtree(folder)
    step("preparing the slice (Spark)")
    try:
        build_slice(params, dataset, folder, step)
    except DataError as e:
        notes.append({"level": "warning", "table": "slice", "check": "slice_not_prepared", "column": None, "count": 0,
                      "examples": [], "message": f"the slice was not prepared on Spark: {e}"})
    return notes


def check_rows_readable(dataset: Dataset) -> None:
    """Stop with one message when a table left on the cluster's storage (``spark.rows_at``)
    cannot be read from this machine: its checks and a few parts of a report read it there."""
    for name, uri in dataset.meta.get("rows_at", {}).items():
        try:
            dataset.table(name).collect_schema()
        except Exception as e:  # noqa: BLE001 - polars' object-store and file errors differ by place
            said = str(e).strip()
            reason = ("no part file there" if "expanded paths were empty" in said
                      else said.splitlines()[0] if said else type(e).__name__)
            raise DataError(
                f"the prepared {name} stay at {uri} (spark.rows_at) and cannot be read from this machine ({reason}). "
                "Give it read access there (for S3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, or an "
                "instance role), or prepare the dataset again without spark.rows_at (kit cache clear, then "
                "kit prepare).") from None


def damaged(folder: Path) -> str | None:
    """Why a cached dataset cannot be used (None when it can): its description missing or
    unreadable (a build that did not finish), or a table file missing or not Parquet."""
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"no readable {META}"
    left = meta.get("rows_at", {})
    for name in meta.get("rows", {}):
        if name in left:
            continue  # on the cluster's storage: read when a part needs it, not checked here
        path = folder / f"{name}.parquet"
        try:
            pl.read_parquet_schema(path)
        except Exception:  # noqa: BLE001 - any failure to read it means rebuilding it
            return f"{path.name} missing or unreadable"
    return None


def _build(params: RunParams, folder: Path, step) -> None:
    """Load, check and conform the data, write every table and the session table into a new
    folder, then rename it into place (a reader never sees half a dataset)."""
    from kit.contract import lines_with_orders
    from kit.data.load import load_tables
    from kit.metrics.customers import with_paid_neighbours
    from kit.metrics.sessions import with_sessions
    from kit.run import _jsonable, data_errors_message, fingerprint

    if params.engine == "spark":  # the same folder, prepared by Spark (kit.spark)
        from kit.spark.build import build

        return build(params, folder, step)
    step("loading and validating")
    loaded = load_tables(params, history=False)  # each run checks its own period against the dataset
    if loaded.errors:
        raise DataError(data_errors_message(params, loaded.errors))
    tables = dict(loaded.tables)
    if "orders" in tables:
        tables["orders"] = with_paid_neighbours(
            tables["orders"].unique("order_id", keep="first", maintain_order=True))
    if "customers" in tables:
        tables["customers"] = tables["customers"].unique("customer_id", keep="first", maintain_order=True)
    if "events" in tables:
        tables["events"] = with_sessions(tables["events"], params.conversion.session_gap_minutes)
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir(parents=True)
    try:
        step("writing the prepared data")
        for name in sorted(tables, key=lambda n: n == "order_items"):  # the lines after the orders
            lf = tables[name]
            if name == "order_items" and "orders" in tables:
                # joined to the orders as written (they are written first): joined to their plan,
                # the lines sorted and deduplicated the orders again (4 s of the 1M shop's 15M
                # lines). The inner join also drops the lines of orders outside the data.
                lf = lines_with_orders(lf, pl.scan_parquet(tmp / "orders.parquet"))
            lf.sink_parquet(tmp / f"{name}.parquet", compression=COMPRESSION)
        if "events" in tables:
            step("building the sessions")
            write_event_tables(tmp, params.conversion, experiments=params.experiments)
        files = [f for fs in loaded.files.values() for f in fs]
        files += [tmp / f"{name}.parquet" for name, source in params.data.sources().items()
                  if source.database is not None and (tmp / f"{name}.parquet").exists()]
        # the notes of the data itself; whether it reaches back far enough depends on each run's period
        quality = [p.as_dict() for p in loaded.problems]
        (tmp / "quality.json").write_text(json.dumps(_jsonable(quality), ensure_ascii=False, indent=2),
                                          encoding="utf-8")
        meta = {"key": folder.name, "settings": settings(params), "counted": own_counted_settings(params),
                "prepared_at": datetime.now().isoformat(timespec="seconds"),
                "rows": {p.stem: pl.scan_parquet(p).select(pl.len()).collect().item()
                         for p in sorted(tmp.glob("*.parquet"))},
                "read_rows": loaded.rows, "fingerprint": fingerprint(files), "kit_version": __version__}
        (tmp / META).write_text(json.dumps(_jsonable(meta), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_event_tables(folder: Path, conversion: Conversion, whole: Dataset | None = None,
                       events: pl.LazyFrame | None = None, users: pl.LazyFrame | None = None,
                       experiments: Experiments | None = None, periods: tuple = ()) -> None:
    """Beside the events (``events.parquet`` in ``folder``, or ``events``), the tables the
    figures read instead of them: the events' quality counts (``event_checks.parquet``:
    :func:`kit.metrics.quality.event_checks`), the customer each visitor logged in as
    (``visitor_links.parquet``: :func:`kit.metrics.experiments.visitor_links`),
    ``sessions.parquet`` (:func:`kit.metrics.sessions.session_table`, made by DuckDB:
    :mod:`kit.data.duck`), the sessions counted for the visit figures (``visits.parquet``:
    :func:`kit.metrics.profile.visit_counts`; ``visit_durations.parquet``:
    :func:`kit.metrics.profile.duration_counts`), ``carts.parquet``
    (:func:`kit.metrics.cart.cart_table`) and ``cart_lines.parquet``
    (:func:`kit.metrics.cart.cart_lines`), then those counted for the ``conversion`` and
    ``experiments`` settings (:func:`write_counted_tables`; user journeys only with the run's
    ``periods``: a slice's, not a dataset's). ``whole``: the dataset the events
    are a slice of, when the slice keeps every event of its customers (its session table is then
    cut, not built again), and ``users`` their ids when known (``user_id``)."""
    from kit.metrics.cart import cart_lines, cart_table
    from kit.metrics.experiments import visitor_links
    from kit.metrics.profile import duration_counts, visit_counts
    from kit.metrics.quality import event_checks

    if events is None:
        events = pl.scan_parquet(folder / "events.parquet")
    event_checks(events).collect(engine="streaming").write_parquet(folder / "event_checks.parquet", compression=COMPRESSION)
    links = visitor_links(events)
    if links is not None:
        links.collect(engine="streaming").write_parquet(folder / "visitor_links.parquet", compression=COMPRESSION)
    if whole is None or not _cut_sessions(whole.source("sessions"), events, folder, users):
        _build_sessions(events, folder, whole)
    sessions = pl.scan_parquet(folder / "sessions.parquet")
    for name, counted in (("visits", visit_counts), ("visit_durations", duration_counts)):
        counted(sessions).sink_parquet(folder / f"{name}.parquet", compression=COMPRESSION)
    cart_table(events, sessions).sink_parquet(folder / "carts.parquet", compression=COMPRESSION)
    cart_lines(events, pl.scan_parquet(folder / "carts.parquet")).sink_parquet(
        folder / "cart_lines.parquet", compression=COMPRESSION)

    def written(name: str) -> pl.LazyFrame | None:
        path = folder / f"{name}.parquet"
        return events if name == "events" else pl.scan_parquet(path) if path.exists() else None

    write_counted_tables(folder, written, conversion, experiments, periods=periods)


def write_counted_tables(folder: Path, table, conversion: Conversion, experiments: Experiments | None,
                         groups: tuple[str, ...] = ("carts", "experiments", "journeys", "user_journeys"),
                         periods: tuple = ()) -> None:
    """Into ``folder``, the tables made from the events that depend on a run's settings
    (:data:`COUNTED_TABLES`), from the tables ``table(name)`` gives (None when there is none):
    the carts counted for the ``conversion``'s payment window (``cart_counts.parquet``,
    ``pay_delays.parquet``, ``cart_line_counts.parquet``: :func:`kit.metrics.cart.counted_carts`),
    what the exposed units' sessions say (``experiment_visits.parquet``:
    :func:`kit.metrics.experiments.experiment_visits`, for the ``experiments`` settings, with an
    experiments table), and the session journeys of its funnel steps counted
    (``journey_counts.parquet`` and ``convert_times.parquet``:
    :func:`kit.metrics.funnel.session_journey_tables`, with the orders for new vs returning) and
    their paths counted (``path_moves.parquet``, ``path_counts.parquet``:
    :func:`kit.metrics.funnel.path_counts`); those four only for steps the session table times;
    with ``funnel_unit: user``, the user journeys starting in ``periods`` (the run's period and
    its comparison period) counted (``user_journey_counts.parquet``, ``user_convert_times.parquet``:
    :func:`kit.metrics.funnel.user_journey_tables`), for the same steps. ``groups``: which of the
    four to write."""
    from kit.metrics.cart import counted_carts
    from kit.metrics.experiments import experiment_visits
    from kit.metrics.funnel import (
        path_counts,
        prepared_steps,
        session_journey_tables,
        user_journey_tables,
    )

    events, sessions = table("events"), table("sessions")
    if "carts" in groups:
        counted = counted_carts(table("carts"), table("cart_lines"), conversion.cart_window_hours)
        for name, frame in zip(counted, pl.collect_all(list(counted.values()), engine="streaming"), strict=True):
            frame.write_parquet(folder / f"{name}.parquet", compression=COMPRESSION)
    exposed = table("experiments")
    if "experiments" in groups and experiments is not None and exposed is not None:
        experiment_visits(exposed, table("visitor_links"), sessions, experiments.settings_for).collect(
            engine="streaming").write_parquet(folder / "experiment_visits.parquet", compression=COMPRESSION)
    steps = conversion.funnel_steps
    if "journeys" in groups and prepared_steps(steps):
        tables = session_journey_tables(events, sessions, steps, table("orders")) | path_counts(events, sessions, steps)
        for name, frame in tables.items():
            frame.write_parquet(folder / f"{name}.parquet", compression=COMPRESSION)
    if "user_journeys" in groups and conversion.funnel_unit == "user" and periods and prepared_steps(steps):
        tables = user_journey_tables(events, sessions, table("orders"), periods[0], periods[1] if len(periods) > 1
                                     else None, steps, conversion.user_window_days)
        for name, frame in tables.items():
            frame.write_parquet(folder / f"{name}.parquet", compression=COMPRESSION)


def _build_sessions(events: pl.LazyFrame, folder: Path, whole: Dataset | None) -> None:
    """``sessions.parquet`` built by DuckDB from the events (written first when they are not a file
    of ``folder``), cut from ``whole``'s where it can (:func:`kit.data.duck.write_session_table`)."""
    from kit.data.duck import write_session_table

    path = folder / "events.parquet"
    written = not path.exists()
    if written:
        path = folder / f".events.{uuid.uuid4().hex[:8]}.parquet"
        events.sink_parquet(path, compression=COMPRESSION)
    try:
        write_session_table(path, folder / "sessions.parquet", whole.source("sessions") if whole is not None else None)
    finally:
        if written:
            path.unlink(missing_ok=True)


def _cut_sessions(whole: str, events: pl.LazyFrame, folder: Path, users: pl.LazyFrame | None = None) -> bool:
    """Write a slice's ``sessions.parquet`` as the rows of the whole dataset's session table
    ``whole`` whose users the slice holds, when that is exact: the slice keeps every event of
    its customers, and none of its ``events`` belongs to a session of several users (which would
    change in the slice, and with it its users' first visits). Returns whether it did;
    otherwise the sessions are built from the slice's events."""
    mixed = pl.scan_parquet(whole).filter(~pl.col("single_user")).select("session_id").collect()
    if mixed.height and events.join(mixed.lazy(), on="session_id", how="semi").select(pl.len()).collect().item():
        return False
    if users is None:
        users = events.select("user_id").unique()
    (pl.scan_parquet(whole).join(users, on="user_id", how="semi")
     .sink_parquet(folder / "sessions.parquet", compression=COMPRESSION))
    return True


def size_gb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1024**3


def evict(cache_dir: Path, keep: Path | None = None, max_gb: float | None = None) -> list[Path]:
    """Drop the least recently used datasets until the cache holds at most ``max_gb``
    (``KIT_CACHE_GB``, default :data:`MAX_GB`); ``keep`` is never dropped. Returns what went."""
    cap = max_gb if max_gb is not None else float(os.environ.get("KIT_CACHE_GB", MAX_GB))
    datasets = [d for d in Path(cache_dir).iterdir() if d.is_dir() and not d.name.startswith(".")]
    datasets.sort(key=lambda d: (d / META).stat().st_mtime if (d / META).exists() else 0.0)
    total = sum(size_gb(d) for d in datasets)
    dropped = []
    for d in datasets:
        if total <= cap:
            break
        if keep is not None and d.resolve() == Path(keep).resolve():
            continue
        total -= size_gb(d)
        shutil.rmtree(d, ignore_errors=True)
        dropped.append(d)
    return dropped


def clear(cache_dir: Path) -> int:
    """Empty the cache; returns how many datasets were dropped."""
    cache_dir = Path(cache_dir)
    if not cache_dir.exists():
        return 0
    count = sum(1 for d in cache_dir.iterdir() if d.is_dir() and not d.name.startswith("."))
    shutil.rmtree(cache_dir)
    return count
