"""The prepared dataset: read, checked and conformed once per dataset, shared by every run of
it, never stale, rebuilt when damaged, kept under a size cap."""

from __future__ import annotations

import json
import os
import shutil

import polars as pl
import pytest
from conftest import OTHER_SETTINGS, write_params

from kit.dataset import Dataset, dataset_key, evict, prepare_dataset
from kit.params import load_params
from kit.run import apply_slice, prepare_run


@pytest.fixture
def shop(tmp_path, small_demo):
    """A copy of the small demo shop that the tests may change."""
    copy = tmp_path / "shop"
    shutil.copytree(small_demo, copy)
    return copy


def _params(tmp_path, shop, extra="", name="t.yaml"):
    return load_params(write_params(tmp_path, shop, extra, name=name))[0]


def test_runs_of_one_dataset_share_it_and_a_sliced_run_writes_only_its_slice(tmp_path, shop):
    cache = tmp_path / "cache"
    whole = prepare_run(_params(tmp_path, shop), tmp_path / "w1", cache_dir=cache)
    east = prepare_run(_params(tmp_path, shop, "slice: {region: 华东}\n", "east.yaml"), tmp_path / "w2",
                       cache_dir=cache)
    q3 = prepare_run(_params(tmp_path, shop, "comparison: none\n", "q3.yaml"), tmp_path / "w3", cache_dir=cache)
    assert len([d for d in cache.iterdir() if d.is_dir() and not d.name.startswith(".")]) == 1
    dataset = whole.meta["dataset"]
    assert whole.data_dir == cache / dataset and q3.data_dir == cache / dataset  # read where they are
    assert east.data_dir == tmp_path / "w2" / "data" and (east.data_dir / "sessions.parquet").exists()
    customers = east.customers.select(pl.col("region").unique()).collect()["region"].to_list()
    assert customers == ["华东"]
    assert east.orders.select(pl.len()).collect().item() < whole.orders.select(pl.len()).collect().item()


@pytest.mark.parametrize("cut", ["region: 华东", "device: App"])
def test_a_sliced_runs_tables_from_its_events_equal_those_built_from_its_events(tmp_path, shop, cut):
    """A slice by customer (region) cuts its sessions from the dataset's; a slice by an events
    column (device) builds them again: either way they, the carts and the cart lines are the
    tables of the slice's own events."""
    from polars.testing import assert_frame_equal

    from kit.metrics.cart import cart_lines, cart_table
    from kit.metrics.sessions import session_table

    params = _params(tmp_path, shop, f"slice: {{{cut}}}\n", "s.yaml")
    run = prepare_run(params, tmp_path / "w", cache_dir=tmp_path / "c")
    assert run.data_dir == tmp_path / "w" / "data"
    # a slice by customer reads its events in the dataset (not copied), one by device writes them
    assert (run.data_dir / "events.parquet").exists() == (cut == "device: App")
    dataset = Dataset(tmp_path / "c" / run.meta["dataset"])
    sliced, _ = apply_slice({n: dataset.table(n) for n in ("orders", "customers", "events")}, params.slice)
    events = run.events
    every = events.collect_schema().names()
    assert_frame_equal(events.collect().sort(every, nulls_last=True), sliced["events"].collect().sort(every, nulls_last=True))
    assert run.meta["rows"]["events"] == events.select(pl.len()).collect().item() > 0
    sessions = session_table(events).collect()
    carts = cart_table(events, sessions.lazy()).collect()
    expected = {"sessions": sessions, "carts": carts, "cart_lines": cart_lines(events, carts.lazy()).collect()}
    for name, table in expected.items():
        got = run.table(name).collect()
        assert got.schema == table.schema, name
        key = ["session_id", "group"] if name == "cart_lines" else ["session_id"]
        assert_frame_equal(got.sort(key), table.sort(key), check_exact=False, rel_tol=1e-12)
    assert sessions.height > 0 and carts.height > 0


def test_the_second_run_reads_the_prepared_dataset(tmp_path, shop):
    cache = tmp_path / "cache"
    said = []
    prepare_run(_params(tmp_path, shop), tmp_path / "w1", progress=said.append, cache_dir=cache)
    first = json.loads(next(cache.glob("*/dataset.json")).read_text(encoding="utf-8"))["prepared_at"]
    said.clear()
    prepare_run(_params(tmp_path, shop), tmp_path / "w2", progress=said.append, cache_dir=cache)
    assert "reusing the prepared data" in said and "loading and validating" not in said
    assert json.loads(next(cache.glob("*/dataset.json")).read_text(encoding="utf-8"))["prepared_at"] == first


def test_a_changed_source_file_is_never_read_from_the_cache(tmp_path, shop):
    cache = tmp_path / "cache"
    params = _params(tmp_path, shop)
    run = prepare_run(params, tmp_path / "w1", cache_dir=cache)
    before = run.orders.select(pl.len()).collect().item()
    # drop the last 50 orders of one part file: a changed file, a new dataset
    part = sorted((shop / "orders").glob("*.parquet"))[0]
    frame = pl.read_parquet(part)
    frame.head(frame.height - 50).write_parquet(part)
    assert dataset_key(_params(tmp_path, shop)) != run.meta["dataset"]
    again = prepare_run(_params(tmp_path, shop), tmp_path / "w2", cache_dir=cache)
    assert again.meta["dataset"] != run.meta["dataset"]
    assert again.orders.select(pl.len()).collect().item() == before - 50


def test_a_damaged_dataset_is_prepared_again_with_a_warning(tmp_path, shop):
    cache = tmp_path / "cache"
    run = prepare_run(_params(tmp_path, shop), tmp_path / "w1", cache_dir=cache)
    sessions = cache / run.meta["dataset"] / "sessions.parquet"
    sessions.write_bytes(sessions.read_bytes()[:1000])  # cut short: no Parquet footer
    again = prepare_run(_params(tmp_path, shop), tmp_path / "w2", cache_dir=cache)
    assert again.sessions.select(pl.len()).collect().item() == run.sessions.select(pl.len()).collect().item()
    warnings = [q for q in again.quality if q["check"] == "cache_rebuilt"]
    assert len(warnings) == 1 and "sessions.parquet" in warnings[0]["message"]
    # a build that did not finish (no dataset.json) is not used either
    (cache / again.meta["dataset"] / "dataset.json").unlink()
    third = prepare_run(_params(tmp_path, shop), tmp_path / "w3", cache_dir=cache)
    assert [q["check"] for q in third.quality].count("cache_rebuilt") == 1


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used(tmp_path, shop):
    cache = tmp_path / "cache"
    old, _ = prepare_dataset(_params(tmp_path, shop), cache)
    newer, _ = prepare_dataset(_params(tmp_path, shop, "timezone: UTC\n", "utc.yaml"), cache)
    assert old.folder != newer.folder  # another preparation setting, another dataset
    os.utime(old.folder / "dataset.json", (1, 1))  # used long ago
    dropped = evict(cache, keep=newer.folder, max_gb=0.0)
    assert dropped == [old.folder] and newer.folder.exists()


def test_kit_cache_list_and_clear(tmp_path, shop, capsys):
    from kit.cli import main

    cache = tmp_path / "cache"
    prepare_dataset(_params(tmp_path, shop), cache)
    assert main(["cache", "list", "--dir", str(cache)]) == 0
    assert "1 prepared dataset(s)" in capsys.readouterr().out
    assert main(["cache", "clear", "--dir", str(cache)]) == 0
    assert not cache.exists()


def test_tables_left_on_the_clusters_storage_are_read_there_and_unreadable_stop_with_one_message(tmp_path, shop,
                                                                                                   capsys):
    """A dataset whose events and sessions stay where Spark wrote them (``rows_at`` in its
    description, here moved by hand into part files) serves the whole shop's run and a region's
    run from there; with that folder gone, a run stops with one message naming the params file,
    the table and the place."""
    from kit.errors import DataError

    cache = tmp_path / "cache"
    params = _params(tmp_path, shop)
    dataset, _ = prepare_dataset(params, cache)
    kept = {name: dataset.table(name).collect() for name in ("events", "sessions")}
    meta = dataset.meta
    for name in kept:
        parts = tmp_path / "cluster" / name
        parts.mkdir(parents=True)
        (dataset.folder / f"{name}.parquet").rename(parts / "part-00000.parquet")
        meta.setdefault("rows_at", {})[name] = parts.as_uri()
    (dataset.folder / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")

    whole = prepare_run(params, tmp_path / "w1", cache_dir=cache)
    assert whole.meta["dataset"] == dataset.folder.name  # not rebuilt: the moved tables are not damage
    assert whole.events.collect().equals(kept["events"]) and whole.sessions.collect().equals(kept["sessions"])
    east = prepare_run(_params(tmp_path, shop, "slice: {region: 华东}\n", "east.yaml"), tmp_path / "w2", cache_dir=cache)
    assert 0 < east.events.select(pl.len()).collect().item() < kept["events"].height

    shutil.rmtree(tmp_path / "cluster" / "sessions")
    with pytest.raises(DataError, match=r"t\.yaml: the prepared sessions stay at file://.*cluster/sessions "
                                        r"\(spark\.rows_at\) and cannot be read from this machine \(no part file there\)"):
        prepare_run(params, tmp_path / "w3", cache_dir=cache)

    # kit cache says where the rows are, and that clearing the cache leaves them there
    from kit.cli import main

    capsys.readouterr()
    assert main(["cache", "list", "--dir", str(cache)]) == 0
    assert f"rows at {(tmp_path / 'cluster').as_uri()}" in capsys.readouterr().out
    assert main(["cache", "clear", "--dir", str(cache)]) == 0
    said = capsys.readouterr().out
    assert "1 prepared dataset(s) removed" in said and f"for the cluster's storage to remove:\n  {(tmp_path / 'cluster').as_uri()}" in said


def test_a_run_with_other_settings_reads_tables_counted_for_them_once(tmp_path, shop, monkeypatch, capsys):
    """A dataset holds the tables counted for the settings of the params that prepared it; a run
    of the whole shop with another cart window, other funnel steps and other experiment settings
    gets its own counted once, in the dataset's ``counted/`` folder, equal to those of a dataset
    prepared with its settings; the next such run reuses them, and they read no event or session
    once made."""
    from conftest import make_unreadable
    from polars.testing import assert_frame_equal

    from kit.dataset import COUNTED_TABLES

    session_counts = [name for name in COUNTED_TABLES if not name.startswith("user_")]  # a session funnel's
    cache = tmp_path / "cache"
    first = prepare_run(_params(tmp_path, shop), tmp_path / "w1", cache_dir=cache)
    assert not any(name in first.views for name in COUNTED_TABLES)
    other = _params(tmp_path, shop, OTHER_SETTINGS, "other.yaml")
    run = prepare_run(other, tmp_path / "w2", cache_dir=cache)
    counted = cache / first.meta["dataset"] / "counted"
    assert run.meta["dataset"] == first.meta["dataset"] and len(list(counted.iterdir())) == 1
    assert sorted(run.views) == sorted(session_counts)
    assert all(view["table"].startswith(str(counted)) for view in run.views.values())
    assert run.table("cart_counts").select("window_hours").unique().collect().item() == 48.0
    assert sorted(set(run.table("experiment_visits").collect()["window_days"])) == [5.0]

    own = prepare_run(other, tmp_path / "w3", cache_dir=tmp_path / "own")  # a dataset prepared with them
    assert not own.views
    for name in session_counts:
        a, b = run.table(name).collect(), own.table(name).collect()
        # floats sort last (their sums may differ in the last bits), so that rows alike in all else pair up
        order = sorted(a.columns, key=lambda c: a.schema[c].is_float())
        assert a.height > 0, name
        assert_frame_equal(a.sort(order), b.sort(order), check_exact=False, rel_tol=1e-9)
    assert run.meta["rows"] == own.meta["rows"]

    made = {p.name: p.stat().st_mtime_ns for p in counted.rglob("*.parquet")}
    make_unreadable(monkeypatch, "events", "sessions", "carts", "cart_lines")
    again = prepare_run(other, tmp_path / "w4", cache_dir=cache)
    assert again.views == run.views and made == {p.name: p.stat().st_mtime_ns for p in counted.rglob("*.parquet")}
    assert again.table("journey_counts").collect().height == run.table("journey_counts").collect().height

    from kit.cli import main  # kit cache list says which tables were counted for other settings

    capsys.readouterr()
    assert main(["cache", "list", "--dir", str(cache)]) == 0
    assert "\n  counted for other settings: cart_counts, cart_line_counts, convert_times, experiment_visits, " \
           "journey_counts, path_counts, path_moves, pay_delays\n" in capsys.readouterr().out
    # the figures read them, not the rows: the funnel, the carts and the readout equal those of
    # the run whose dataset was prepared with these settings
    from kit.figures import conversion, experiments

    for figure in (conversion.funnel, conversion.cart_abandonment):
        assert_frame_equal(figure(again), figure(own), check_exact=False, rel_tol=1e-9)
    results = experiments.readout(again).results
    assert "step:checkout" in results["metric"].to_list()
    assert_frame_equal(results, experiments.readout(own).results, check_exact=False, rel_tol=1e-9)


def test_user_journeys_are_counted_for_the_runs_periods_and_the_funnel_reads_them(tmp_path, shop, monkeypatch):
    """User journeys start at a user's first event in a period, so they are counted for a run's
    periods: into the dataset's ``counted/`` folder for a run of the whole shop, into the slice
    for a sliced run. The funnel read from them equals the funnel of the journeys built from the
    events, and reads no event or session."""
    from conftest import make_unreadable
    from polars.testing import assert_frame_equal

    from kit.figures import conversion
    from kit.metrics import funnel as fn

    cache = tmp_path / "cache"
    users = "conversion: {funnel_unit: user, user_window_days: 3}\n"
    run = prepare_run(_params(tmp_path, shop, users, "u.yaml"), tmp_path / "w1", cache_dir=cache)
    assert "/counted/" in run.views["user_journey_counts"]["table"]
    east = prepare_run(_params(tmp_path, shop, users + "slice: {region: 华东}\n", "ue.yaml"), tmp_path / "w2",
                       cache_dir=cache)
    assert (east.data_dir / "user_journey_counts.parquet").exists()
    for r in (run, east):
        built = fn.journeys(r.events, r.period, r.comparison, unit="user", window_days=3, orders=r.orders,
                            sessions=r.sessions)
        expected = fn.funnel_table(fn.journey_counts(built), r.period, r.comparison)
        assert expected["count"][0] > 0
        with monkeypatch.context() as m:
            make_unreadable(m, "events", "sessions")
            assert_frame_equal(conversion.funnel(r), expected)


def test_a_runs_prepared_slice_and_counts_are_found_again_from_its_params_as_written(tmp_path, shop):
    """kit publish runs each run from the params.yaml written into its folder, where a default
    (cart_window_hours: 24) reads back as 24.0: the keys of its prepared slice and counted tables
    are the same, so publishing after kit prepare finds what was prepared."""
    from kit.dataset import counted_key, slice_key
    from kit.params import params_to_yaml

    params = _params(tmp_path, shop, "slice: {region: 华东}\nconversion: {funnel_unit: user}\n")
    assert isinstance(params.conversion.cart_window_hours, int)  # the default, as the first run has it
    (tmp_path / "again.yaml").write_text(params_to_yaml(params), encoding="utf-8")
    again = load_params(tmp_path / "again.yaml")[0]
    assert slice_key(again) == slice_key(params) and counted_key(again) == counted_key(params)
