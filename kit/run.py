"""A prepared run: the data of one report, loaded and validated once, shared by its notebooks.

``prepare_run`` loads the tables, stops on errors, cuts them to the slice and to the
time the report needs, and writes them as Parquet into the run's work folder together
with ``run.json`` (what was run on what) and ``quality.json`` (the warnings). Every
section notebook then calls ``open_run`` and reads the prepared slice: nothing is read
or validated twice. Sections also leave their figures there (``results/``) for the
diagnosis and ``metrics/`` for ``metrics.json``.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from kit import __version__
from kit.errors import DataError, EmptySliceError, KitError
from kit.i18n import Locale
from kit.metrics.customers import with_paid_neighbours
from kit.params import RunParams, load_params, params_to_yaml
from kit.periods import Period

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "runs"
LAYOUT = 14
"""Version of the prepared run's folder layout (2: with ``sessions.parquet``, 3: order lines
carry their order's columns, 4: paid orders carry their customer's previous and next paid
order, 5: sessions say whether they are their user's first visit, 6: the tables are the
dataset's (:mod:`kit.dataset`) unless the run has a slice, 7: with the carts, 8: a slice by
customer cuts its sessions from the dataset's and reads its events there, 9: with the visits
counted, 10: with the funnel's journeys and paths counted, 11: with the carts counted, 12: with
the events' quality counts, 13: with their first and last time, the visitors' logins and what
the exposed units' sessions say, and views of the tables Spark left at spark.rows_at, 14: a
slice prepared on Spark read where it is, and views of the tables counted for the run's
settings); a cached run prepared with another layout is prepared again."""


# ------------------------------------------------------------------ fingerprint

def fingerprint(files: list[Path]) -> str:
    """A short hash of the input files' contents (and names), shown on the cover."""
    h = hashlib.blake2b(digest_size=8)
    for f in sorted(files):
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def _stamp(files: list[Path]) -> str:
    """Cheap change detector for the interactive cache: names, sizes, mtimes."""
    h = hashlib.blake2b(digest_size=8)
    for f in sorted(files):
        st = f.stat()
        h.update(f"{f}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


# ------------------------------------------------------------------ slicing

def slice_values(value) -> list[str]:
    """The values a slice key keeps, as text (a column is compared as text, whatever its type)."""
    return [str(x) for x in (value if isinstance(value, list) else [value])]


EVENTS_FOLLOW = ("slice {key}: events are kept for the slice's known customers only "
                 "(anonymous visitors cannot be placed in it)")
EXPOSURES_FOLLOW = ("experiments: exposures are kept for the slice's known customers only "
                    "(anonymous visitors cannot be placed in it)")


def slice_info(message: str) -> dict:
    """A slice's note as the data-quality appendix lists it."""
    return {"level": "info", "table": "slice", "check": "slice", "message": message, "column": None, "count": 0,
            "examples": []}


def unknown_slice_key(key: str, columns: list[str]) -> DataError:
    """The error of a slice key that is no column of the tables it could filter."""
    return DataError(f"slice key {key!r} is not a column of the orders, customers or events tables; "
                     f"choose one of: {', '.join(sorted(columns))}")


def slice_note(key: str, wanted: list[str], present: set[str]) -> str | None:
    """The note of wanted values the data does not hold; :class:`EmptySliceError` when it holds none."""
    missing = [w for w in wanted if w not in present]
    if len(missing) == len(wanted):
        raise EmptySliceError(f"slice {key}: {', '.join(wanted)} matches no row; values present: "
                              f"{', '.join(sorted(present)[:30])}")
    return f"slice {key}: {', '.join(missing)} not found in the data" if missing else None


def apply_slice(tables: dict[str, pl.LazyFrame], slice_: dict) -> tuple[dict[str, pl.LazyFrame], list[str]]:
    """Filter the tables to the slice. Returns the tables and notes for the quality appendix.

    A key filters every table that has that column; the other tables follow through
    the customers (orders, events) or the orders (order items) of the slice.
    """
    tables = dict(tables)
    notes = []
    for key, value in slice_.items():
        wanted = slice_values(value)
        holders = [n for n in ("orders", "customers", "events") if n in tables and key in tables[n].collect_schema().names()]
        if not holders:
            raise unknown_slice_key(key, list({c for n in ("orders", "customers") if n in tables
                                               for c in tables[n].collect_schema().names()}))
        present = set()
        for n in holders:
            present |= set(tables[n].select(pl.col(key).cast(pl.String).unique()).collect().to_series().drop_nulls().to_list())
        note = slice_note(key, wanted, present)
        notes += [note] if note else []
        for n in holders:
            tables[n] = tables[n].filter(pl.col(key).cast(pl.String).is_in(wanted))
        if "customers" in tables and "customers" not in holders and "orders" in holders:
            tables["customers"] = tables["customers"].join(tables["orders"].select("customer_id").unique(),
                                                           on="customer_id", how="semi")
        if "orders" in tables and "orders" not in holders and "customers" in holders:
            tables["orders"] = tables["orders"].join(tables["customers"].select("customer_id"), on="customer_id", how="semi")
        if "events" in tables and "events" not in holders:
            who = tables["orders"] if "orders" in tables else tables["customers"]
            tables["events"] = tables["events"].join(who.select(pl.col("customer_id").alias("user_id")).unique(),
                                                     on="user_id", how="semi")
            notes.append(EVENTS_FOLLOW.format(key=key))
    if slice_ and "experiments" in tables:
        tables["experiments"], note = _slice_experiments(tables)
        notes += [note] if note else []
    if slice_ and "order_items" in tables and "orders" in tables:
        tables["order_items"] = tables["order_items"].join(tables["orders"].select("order_id"), on="order_id", how="semi")
    return tables, notes


def _slice_experiments(tables: dict[str, pl.LazyFrame]) -> tuple[pl.LazyFrame, str | None]:
    """A slice's experiment exposures: those of its customers (by customer_id, else by the
    customer a visitor is seen logged in as in the slice's events); anonymous exposures cannot
    be placed in a slice and are left out, which the note says."""
    exposures = tables["experiments"]
    names = exposures.collect_schema().names()
    who = tables["orders"] if "orders" in tables else tables.get("customers")
    if who is None:
        return exposures, None
    ids = who.select("customer_id").unique()
    keep = pl.lit(False)
    if "customer_id" in names:
        exposures = exposures.join(ids.with_columns(pl.lit(True).alias("_in")), on="customer_id", how="left")
        keep = keep | pl.col("_in").fill_null(False)
    if "visitor_id" in names and "events" in tables and "visitor_id" in tables["events"].collect_schema().names():
        visitors = (tables["events"].filter(pl.col("visitor_id").is_not_null()).select("visitor_id", "user_id")
                    .join(ids.rename({"customer_id": "user_id"}), on="user_id", how="semi").select("visitor_id")
                    .unique().with_columns(pl.lit(True).alias("_seen")))
        exposures = exposures.join(visitors, on="visitor_id", how="left")
        keep = keep | pl.col("_seen").fill_null(False)
    kept = exposures.filter(keep).select(names)
    return kept, EXPOSURES_FOLLOW


def _prepare_events(events: pl.LazyFrame, params: RunParams) -> pl.LazyFrame:
    from kit.metrics.sessions import with_sessions

    first = (params.previous or params.current).start_dt
    last = params.current.end_dt + timedelta(hours=params.conversion.cart_window_hours)
    events = events.filter((pl.col("event_time") >= first) & (pl.col("event_time") < last))
    return with_sessions(events, params.conversion.session_gap_minutes)


# ------------------------------------------------------------------ the run

@dataclass
class Run:
    """One prepared run, as the section notebooks see it."""

    params: RunParams
    work_dir: Path
    memory: dict = field(default_factory=dict, repr=False)
    """Large intermediate tables kept in memory for this kernel only (e.g. the journeys)."""

    @property
    def period(self) -> Period:
        return self.params.current

    @property
    def comparison(self) -> Period | None:
        return self.params.previous

    @property
    def locale(self) -> Locale:
        """How the report writes for this run: its language and currency."""
        return Locale(self.params.lang, self.params.currency)

    @property
    def meta(self) -> dict:
        return json.loads((self.work_dir / "run.json").read_text(encoding="utf-8"))

    @property
    def quality(self) -> list[dict]:
        return json.loads((self.work_dir / "quality.json").read_text(encoding="utf-8"))

    @functools.cached_property
    def data_dir(self) -> Path:
        """Where the run's tables are: its slice in ``work_dir/data``, or the dataset's folder."""
        return Path(self.meta.get("data_dir") or self.work_dir / "data")

    @functools.cached_property
    def views(self) -> dict[str, dict]:
        """The run's tables read from the dataset through keys rather than written (:func:`read_view`)."""
        return self.meta.get("views", {})

    def table(self, name: str) -> pl.LazyFrame | None:
        """The prepared table, or None when the run has no such table."""
        if name in self.views:
            return read_view(self.views[name])
        path = self.data_dir / f"{name}.parquet"
        return pl.scan_parquet(path) if path.exists() else None

    def has(self, name: str, *columns: str) -> bool:
        lf = self.table(name)
        return lf is not None and all(c in lf.collect_schema().names() for c in columns)

    def missing(self, requirements: dict[str, tuple[str, ...]]) -> str | None:
        """The first missing ``table`` or ``table.column`` of the requirements, or None."""
        for name, columns in requirements.items():
            lf = self.table(name)
            if lf is None:
                return name
            names = lf.collect_schema().names()
            for c in columns:
                if c not in names:
                    return f"{name}.{c}"
        return None

    orders = property(lambda self: self.table("orders"))
    customers = property(lambda self: self.table("customers"))
    order_items = property(lambda self: self.table("order_items"))
    events = property(lambda self: self.table("events"))
    sessions = property(lambda self: self.table("sessions"))
    """One row per session (built when the run is prepared; None without events)."""
    visits = property(lambda self: self.table("visits"))
    """Sessions counted by hour, device, source and paid (:func:`kit.metrics.profile.visit_counts`)."""
    visit_durations = property(lambda self: self.table("visit_durations"))
    """Sessions counted by day and length (:func:`kit.metrics.profile.duration_counts`)."""
    cart_table = property(lambda self: self.table("carts"))
    """One row per cart with its user's next pay (:func:`kit.metrics.cart.cart_table`; None without events)."""
    cart_lines = property(lambda self: self.table("cart_lines"))
    """One row per cart and category (:func:`kit.metrics.cart.cart_lines`; None without events)."""
    cart_counts = property(lambda self: self.table("cart_counts"))
    """Carts counted by date, device, source and paid for one window (:func:`kit.metrics.cart.cart_counts`)."""
    pay_delays = property(lambda self: self.table("pay_delays"))
    """Carts paid within that window counted by date and hours to pay (:func:`kit.metrics.cart.pay_delays`)."""
    cart_line_counts = property(lambda self: self.table("cart_line_counts"))
    """Carts counted by date, category and paid for that window (:func:`kit.metrics.cart.cart_line_counts`)."""
    journey_counts = property(lambda self: self.table("journey_counts"))
    """Session journeys counted by date, device, source and visitor, for the steps of its
    ``at:`` columns (:func:`kit.metrics.funnel.session_journey_tables`; None without events)."""
    convert_times = property(lambda self: self.table("convert_times"))
    """Session journeys that paid counted by date and minutes to pay (:func:`kit.metrics.funnel.convert_times`)."""
    path_moves = property(lambda self: self.table("path_moves"))
    """Moves between funnel steps counted by date (:func:`kit.metrics.funnel.path_counts`), for the
    steps of :attr:`journey_counts`."""
    path_counts = property(lambda self: self.table("path_counts"))
    """Sessions counted by date and path (:func:`kit.metrics.funnel.path_counts`), for the steps of
    :attr:`journey_counts`."""
    event_checks = property(lambda self: self.table("event_checks"))
    """The events counted per event name with each column's missing values (:func:`kit.metrics.quality.event_checks`)."""
    marketing_spend = property(lambda self: self.table("marketing_spend"))

    # -- results shared between sections and with the publisher

    def save_result(self, name: str, frame: pl.DataFrame) -> None:
        """Keep a figure for later sections (the diagnosis reads these)."""
        folder = self.work_dir / "results"
        folder.mkdir(exist_ok=True)
        # written aside and renamed: a section running beside this one never reads half a file
        part = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.part"
        frame.write_parquet(part)
        os.replace(part, folder / f"{name}.parquet")

    def result(self, name: str) -> pl.DataFrame | None:
        path = self.work_dir / "results" / f"{name}.parquet"
        return pl.read_parquet(path) if path.exists() else None

    def record(self, section: str, values: dict) -> None:
        """Add headline figures to ``metrics.json`` under ``section`` (stable snake_case keys).

        The kit's sections (:data:`kit.figures.schema.BUILT_IN_SECTIONS`) are checked key by key
        when the run is published; any other name is an analyst's own section, recorded under
        ``sections.custom.<name>`` as free-form JSON, so that a name the kit adds later never
        collides with it."""
        from kit.figures.schema import BUILT_IN_SECTIONS, CUSTOM_NAME, is_custom_name

        folder = self.work_dir / "metrics"
        if section not in BUILT_IN_SECTIONS:
            if not is_custom_name(section):
                raise KitError(f"run.record({section!r}, ...): a section's name in metrics.json is lowercase "
                               f"letters, digits and _ ({CUSTOM_NAME}), e.g. 'returns'.")
            folder = folder / "custom"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{section}.json"
        # sections may run side by side in two kernels: the read-modify-write holds a lock
        with open(folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
            current.update(_jsonable(values))
            path.write_text(json.dumps(current, ensure_ascii=False, indent=2), encoding="utf-8")

    def metrics(self) -> dict:
        """What the sections recorded, as ``metrics.json``'s ``sections`` (own sections under ``custom``)."""
        folder = self.work_dir / "metrics"
        if not folder.exists():
            return {}
        recorded = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
        custom = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("custom/*.json"))}
        return {**recorded, "custom": custom} if custom else recorded


def read_view(view: dict) -> pl.LazyFrame:
    """A run's table read where the dataset keeps it: the rows of ``view["table"]`` (a file, or
    the part files of a table left on the cluster's storage) whose ``view["on"]`` is among the
    keys in ``view["keys"]`` (a slice's events: those of its users), or all of them without keys."""
    table = pl.scan_parquet(view["table"])
    return table.join(pl.scan_parquet(view["keys"]), on=view["on"], how="semi") if "keys" in view else table


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, pl.DataFrame):
        return _jsonable(value.to_dicts())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def data_errors_message(params: RunParams, errors: list) -> str:
    """The message a run stops with on data errors: the first on the first line (a summary shows
    that line alone), the others below it."""
    head = f"{params.source_file}: {errors[0]}"
    more = "".join(f"\n  - {p}" for p in errors[1:10])
    rest = f"\n  (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return head + (f"\n  {len(errors) - 1} more error(s), nothing was published:{more}{rest}" if len(errors) > 1 else "")


def _where(params: RunParams) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.slice.items()) or "all data"


def check_period(tables: dict[str, pl.LazyFrame], params: RunParams) -> None:
    """Stop with :class:`EmptySliceError` when the run's period holds nothing to report: with an
    orders table, no paid order in the period (for the slice); without one, no event. The
    message says why (no order at all in the period, or orders that are none of them paid) and
    where the data lies, so that the period, the slice or the status mapping can be fixed."""
    p = params.current
    in_period = lambda col: (pl.col(col) >= p.start_dt) & (pl.col(col) < p.end_dt)  # noqa: E731
    where = _where(params)
    file = params.source_file
    if "orders" in tables:
        orders = tables["orders"]
        counts = orders.filter(in_period("order_time")).group_by("status").len().collect()
        paid = orders.filter(in_period("order_time") & (pl.col("status") == "paid") & (pl.col("amount") >= 0))
        if counts.is_empty():
            span = orders.select(pl.col("order_time").min().alias("lo"), pl.col("order_time").max().alias("hi"),
                                 pl.len().alias("n")).collect().row(0, named=True)
            lies = (f"the {span['n']:,} orders run from {span['lo']:%Y-%m-%d} to {span['hi']:%Y-%m-%d}"
                    if span["n"] else "there is no order at all")
            raise EmptySliceError(f"{file}: period {p.label} ({where}): no order in the period; {lies}. "
                                  "Choose a period with orders (period: in the params) or another slice.")
        if paid.select(pl.len()).collect().item() == 0:
            statuses = ", ".join(f"{s} {n:,}" for s, n in counts.sort("len", descending=True).iter_rows())
            raise EmptySliceError(f"{file}: period {p.label} ({where}): no paid order in the period ({statuses}). "
                                  "If your paid orders have another status name, map it with "
                                  "data.orders.values.status (e.g. {已支付: paid}).")
        return
    if "events" in tables:
        events = tables["events"]
        if events.filter(in_period("event_time")).select(pl.len()).collect().item() == 0:
            span = events.select(pl.col("event_time").min().alias("lo"), pl.col("event_time").max().alias("hi"),
                                 pl.len().alias("n")).collect().row(0, named=True)
            lies = (f"the events kept run from {span['lo']:%Y-%m-%d} to {span['hi']:%Y-%m-%d}"
                    if span["n"] else "no event is left for it")
            raise EmptySliceError(f"{file}: period {p.label} ({where}): no event in the period; {lies}. "
                                  "Choose a period with data (period: in the params) or another slice.")


def slice_tables(loaded, params: RunParams) -> tuple[dict[str, pl.LazyFrame], list[str]]:
    """The loaded tables as the run uses them, still lazy: orders and customers without
    duplicates, events in the run's window with users stitched and sessions derived, cut to the
    slice (:func:`apply_slice`). What :func:`prepare_run` writes and ``kit validate`` checks."""
    tables = dict(loaded.tables)
    if "orders" in tables:
        tables["orders"] = tables["orders"].unique("order_id", keep="first", maintain_order=True)
    if "customers" in tables:
        tables["customers"] = tables["customers"].unique("customer_id", keep="first", maintain_order=True)
    if "events" in tables:
        tables["events"] = _prepare_events(tables["events"], params)
    try:
        return apply_slice(tables, params.slice)
    except DataError as e:  # name the params file, where the slice is written
        raise type(e)(f"{params.source_file}: {e}") from None


def prepare_run(params: RunParams, work_dir: Path, progress=None, cache_dir: Path | None = None) -> Run:
    """The data of one run in ``work_dir``: the shop's prepared dataset (read, checked and
    conformed once per dataset, see :mod:`kit.dataset`; ``cache_dir`` holds it) cut to the
    run's slice. A run without a slice reads the dataset's files where they are (and the tables
    counted for its settings, :func:`kit.dataset.counted_for`); a sliced run reads its slice
    where Spark prepared it (:func:`kit.dataset.prepared_slice`), else writes its slice (and
    its session table) into ``work_dir/data``. Stops with one message when the data has errors
    or the period holds nothing to report."""
    from kit.dataset import (
        FROM_EVENTS,
        check_rows_readable,
        counted_for,
        default_cache,
        prepare_dataset,
        prepared_slice,
    )

    step = progress or (lambda message: None)
    dataset, cache_notes = prepare_dataset(params, cache_dir or default_cache(), step)
    # a slice prepared on Spark is read as it is; a run of the whole shop reads the dataset
    prepared = prepared_slice(dataset, params) if params.slice else dataset
    try:
        check_rows_readable(prepared or dataset)
    except DataError as e:
        raise type(e)(f"{params.source_file}: {e}") from None
    if prepared is not None:
        tables = {name: prepared.table(name) for name in prepared.tables if name not in FROM_EVENTS}
        check_period(tables, params)
        work_dir.mkdir(parents=True, exist_ok=True)
        data_dir = prepared.folder
        # the tables Spark left on the cluster's storage (spark.rows_at) are read from there
        views = {name: {"table": prepared.source(name)} for name in prepared.meta.get("rows_at", {})}
        rows = prepared.meta["rows"]
        notes = [] if prepared is dataset else prepared.quality  # a slice's notes, as the appendix lists them
        counted = counted_for(dataset, params) if prepared is dataset else None
        if counted is not None:  # the counted tables made for this run's settings
            views |= {name: {"table": counted.source(name)} for name in counted.tables}
            rows = rows | counted.meta["rows"]
    else:
        tables, cut = _cut_slice(dataset, params)
        notes = [slice_info(n) for n in cut]
        check_period(tables, params)
        work_dir.mkdir(parents=True, exist_ok=True)
        data_dir = work_dir / "data"
        views = _write_slice(tables, dataset, params, data_dir, step)
        rows = ({p.stem: pl.scan_parquet(p).select(pl.len()).collect().item() for p in sorted(data_dir.glob("*.parquet"))}
                | {name: read_view(view).select(pl.len()).collect().item() for name, view in views.items()})
    run = Run(params, work_dir)
    quality = dataset.quality + cache_notes + notes + [p.as_dict() for p in _history(tables, params)]
    (work_dir / "quality.json").write_text(json.dumps(_jsonable(quality), ensure_ascii=False, indent=2), encoding="utf-8")
    meta = {
        "run_name": params.run_name,
        "params_file": params.source_file,
        "title": params.title,
        "period": params.current.label,
        "period_start": params.current.start.isoformat(),
        "period_end": params.current.end.isoformat(),
        "comparison": params.previous.label if params.previous else None,
        "slice": params.slice,
        "lang": params.lang,
        "currency": params.currency,
        "tables": sorted(tables),
        "data_dir": str(data_dir),
        "dataset": dataset.folder.name,
        "views": views,
        "rows": rows,
        "data_end": _last_order_day(data_dir),
        "fingerprint": dataset.meta["fingerprint"],
        "stamp": _stamp(_current_files(params)),
        "kit_version": __version__,
        "layout": LAYOUT,
        "prepared_at": datetime.now().isoformat(timespec="seconds"),
    }
    (work_dir / "run.json").write_text(json.dumps(_jsonable(meta), ensure_ascii=False, indent=2), encoding="utf-8")
    (work_dir / "params.yaml").write_text(params_to_yaml(params), encoding="utf-8")
    return run


def _cut_slice(dataset, params: RunParams) -> tuple[dict[str, pl.LazyFrame], list[str]]:
    """The dataset's tables cut to the run's slice (:func:`apply_slice`), still lazy, and its notes."""
    from kit.dataset import FROM_EVENTS

    tables = {name: dataset.table(name) for name in dataset.tables if name not in FROM_EVENTS}
    try:
        return apply_slice(tables, params.slice)
    except DataError as e:  # name the params file, where the slice is written
        raise type(e)(f"{params.source_file}: {e}") from None


def _write_slice(tables: dict[str, pl.LazyFrame], dataset, params: RunParams, data_dir: Path, step) -> dict[str, dict]:
    """Write a sliced run's tables and those made from its events into ``data_dir``; returns the
    views of the tables read from the dataset instead (a slice's events, through its users)."""
    from kit.dataset import COMPRESSION, user_periods, write_event_tables

    step("writing the slice")
    data_dir.mkdir(parents=True, exist_ok=True)
    views: dict[str, dict] = {}
    whole_users = "events" in tables and not _slices_by_own_column(dataset.table("events"), params.slice)
    if "orders" in tables and _slices_by_own_column(tables["orders"], params.slice):
        # a slice by an order's own column (channel, device ...) keeps some of a customer's
        # orders: their previous and next paid order are those of the slice
        from kit.metrics.customers import NEXT, PREV

        tables["orders"] = with_paid_neighbours(tables["orders"].drop(PREV, NEXT))
    for name, lf in tables.items():
        if not (name == "events" and whole_users):
            lf.sink_parquet(data_dir / f"{name}.parquet", compression=COMPRESSION)
    if "events" in tables:
        step("building the slice's sessions")
        if whole_users:
            # every event of the slice's customers: read from the dataset through their ids,
            # not copied (a fifth of the 1M shop's 57M events took 5.6 s to write)
            (data_dir / "keys").mkdir(exist_ok=True)
            users = data_dir / "keys" / "users.parquet"
            tables["events"].select("user_id").unique().sink_parquet(users)
            views["events"] = {"table": dataset.source("events"), "keys": str(users), "on": "user_id"}
            write_event_tables(data_dir, params.conversion, dataset, read_view(views["events"]), pl.scan_parquet(users),
                               params.experiments, user_periods(params))
        else:
            write_event_tables(data_dir, params.conversion, experiments=params.experiments, periods=user_periods(params))
    return views


def _slices_by_own_column(table: pl.LazyFrame, slice_: dict) -> bool:
    """Whether the slice filters ``table`` by one of its own columns, not through its customers:
    orders by channel keep some of a customer's orders; events by device some of their events
    (otherwise a slice keeps every event of its customers)."""
    return any(key in table.collect_schema().names() for key in slice_)


def _history(tables: dict[str, pl.LazyFrame], params: RunParams) -> list:
    """The run's warning when the data starts after the comparison period starts."""
    from kit.data.validate import history_check

    return history_check(tables, (params.previous or params.current).start)


def _last_order_day(data_dir: Path) -> str | None:
    """The day of the last order in the data (the end of a holdout after the period)."""
    path = data_dir / "orders.parquet"
    if not path.exists():
        return None
    last = pl.scan_parquet(path).select(pl.col("order_time").max()).collect().item()
    return last.date().isoformat() if last is not None else None


def open_run(params_path: str | os.PathLike | None = None, run_name: str | None = None,
             work_dir: str | os.PathLike | None = None) -> Run:
    """The run a notebook works on.

    Published runs pass ``work_dir`` (already prepared by ``kit publish``). In JupyterLab
    the notebook passes its params file: the run is prepared once into ``.cache/runs/``
    and reused until the data or the params change.
    """
    if work_dir:
        work = Path(work_dir)
        if not (work / "run.json").exists():
            raise KitError(f"{work} is not a prepared run (no run.json); run `kit publish` or pass params_path.")
        return Run(_reload_params(work), work)
    if params_path is None:
        raise KitError("open_run needs params_path (a params YAML file) or work_dir (a prepared run).")
    runs = load_params(params_path)
    params = runs[0] if run_name is None else next((r for r in runs if r.run_name == run_name), None)
    if params is None:
        raise KitError(f"{params_path}: no run named {run_name!r}; runs: {', '.join(r.run_name for r in runs)}")
    work = CACHE / params.run_name
    meta = work / "run.json"
    from_database = any(s.database is not None for s in params.data.sources().values())
    if not from_database and meta.exists() and (work / "params.yaml").read_text(encoding="utf-8") == params_to_yaml(params):
        loaded_files = _current_files(params)
        cached = json.loads(meta.read_text(encoding="utf-8"))
        if cached.get("stamp") == _stamp(loaded_files) and cached.get("layout") == LAYOUT:
            return Run(params, work)
    return prepare_run(params, _fresh(work))  # the dataset cache beside the kit (kit.dataset.default_cache)


def _yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _reload_params(work: Path) -> RunParams:
    params = RunParams.model_validate(_yaml(work / "params.yaml"))
    params.source_file = json.loads((work / "run.json").read_text(encoding="utf-8")).get("params_file")
    return params


def _current_files(params: RunParams) -> list[Path]:
    from kit.data.read import source_files

    return [f for s in params.data.sources().values() if s.path for f in source_files(params.resolve(s.path))]


def _fresh(work: Path) -> Path:
    import shutil

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    return work
