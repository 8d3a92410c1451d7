"""How kit publish runs a report's sections: the execution plan and the run folder's shared files."""

from __future__ import annotations

import threading

import polars as pl

from kit.publish.batch import Section, execution_plan
from kit.run import Run

SECTIONS = [Section("00_summary", run_last=True), Section("01_profile"), Section("02_conversion"),
            Section("03_rfm"), Section("04_diagnosis", after_others=True)]


def _stems(plan):
    side_by_side, after = plan
    return [[s.stem for s in lane] for lane in side_by_side], [s.stem for s in after]


def test_independent_sections_are_dealt_over_two_kernels_then_the_rest_in_order():
    assert _stems(execution_plan(SECTIONS, 2)) == (
        [["01_profile", "03_rfm"], ["02_conversion"]], ["04_diagnosis", "00_summary"])


def test_one_kernel_runs_everything_in_the_old_order():
    assert _stems(execution_plan(SECTIONS, 1)) == (
        [["01_profile", "02_conversion", "03_rfm"]], ["04_diagnosis", "00_summary"])


def test_more_lanes_than_sections_leaves_no_empty_kernel():
    assert _stems(execution_plan(SECTIONS[:3], 4)) == ([["01_profile"], ["02_conversion"]], ["00_summary"])


def test_a_section_after_the_diagnosis_also_waits_for_it():
    secs = [*SECTIONS, Section("05_appendix")]
    assert _stems(execution_plan(secs, 2))[1] == ["04_diagnosis", "05_appendix", "00_summary"]


def test_only_the_summary_still_gets_a_kernel():
    assert _stems(execution_plan([Section("00_summary", run_last=True)], 2)) == ([[]], ["00_summary"])


def test_records_from_sections_side_by_side_are_all_kept(tmp_path):
    """Two kernels add keys to the same section's metrics at once: none is lost."""
    run = Run(params=None, work_dir=tmp_path)

    def add(prefix: str) -> None:
        for i in range(60):
            run.record("shared", {f"{prefix}{i}": i})

    threads = [threading.Thread(target=add, args=(p,)) for p in ("a", "b", "c")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    saved = run.metrics()["custom"]["shared"]  # not a kit section: an own section's record
    assert len(saved) == 180 and saved["b59"] == 59


def test_saved_results_replace_the_file_whole(tmp_path):
    run = Run(params=None, work_dir=tmp_path)
    run.save_result("f", pl.DataFrame({"x": [1, 2]}))
    run.save_result("f", pl.DataFrame({"x": [3]}))
    assert run.result("f")["x"].to_list() == [3]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["f.parquet"]  # no part file left


def test_a_section_leaves_the_process_working_directory_alone(tmp_path, monkeypatch):
    """A single report runs its sections in threads of the kit process, side by side: a section
    that changed the process's directory (papermill does when given a cwd, restoring it after)
    could leave the other thread's directory behind, and the report was published under
    notebooks/output/."""
    import logging
    import os

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from kit.publish import batch
    from kit.publish.kernel import KERNEL, start_kernel, stop_kernel

    nb = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]}), new_code_cell("y = x + 1")])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nbformat.write(nb, tmp_path / "probe.ipynb")
    monkeypatch.setattr(batch, "NOTEBOOKS", tmp_path)
    here, moves, real_chdir = os.getcwd(), [], os.chdir
    monkeypatch.setattr(os, "chdir", lambda path: (moves.append(path), real_chdir(path)))
    out = tmp_path / "out"
    out.mkdir()
    km = start_kernel(tmp_path)
    try:
        batch.execute_section(batch.Section("probe"), out, {"x": 2}, logging.getLogger("probe"), km)
    finally:
        stop_kernel(km)
    assert (out / "probe.ipynb").exists()
    # papermill's file handler still "changes" to the directory it is in: only moves elsewhere matter
    assert {os.path.realpath(m) for m in moves} <= {os.path.realpath(here)}


def test_sections_are_dealt_by_cost_so_the_kernels_finish_together():
    """Costliest first, each to the kernel with the least cost so far; each kernel keeps report
    order. Dealt in turn, conversion (8) would share a kernel with products (2) while profile and
    RFM (4 + 3) left the other idle."""
    secs = [Section("00_summary", run_last=True), Section("00_intro", cost=1), Section("01_profile", cost=4),
            Section("02_conversion", cost=8), Section("03_rfm", cost=3), Section("06_products", cost=2),
            Section("05_experiments"), Section("04_diagnosis", after_others=True)]
    assert _stems(execution_plan(secs, 2)) == (
        [["00_intro", "02_conversion", "05_experiments"], ["01_profile", "03_rfm", "06_products"]],
        ["04_diagnosis", "00_summary"])
    assert _stems(execution_plan(secs, 1))[0] == [
        ["00_intro", "01_profile", "02_conversion", "03_rfm", "06_products", "05_experiments"]]


def test_the_shipped_sections_yaml_puts_conversion_apart_from_profile_and_rfm():
    from kit.publish.batch import listed_sections

    lanes, _ = execution_plan(listed_sections(), 2)
    conversion = next(lane for lane in lanes if any(s.stem == "02_conversion" for s in lane))
    assert not {"01_profile", "03_rfm"} & {s.stem for s in conversion}
