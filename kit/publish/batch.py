"""``kit publish``: run the section notebooks of every run and publish each report atomically.

One run = prepare the data once (``kit.run.prepare_run``), execute each section
notebook with papermill into a temporary folder, assemble ``report.html``, print
``report.pdf``, then rename the folder into ``output/<run-name>/``. A failing run
leaves the previous report untouched and lands in ``output/_failed/<run-name>/`` with
the executed notebook and a log naming the notebook, the cell and the error. Runs go
in parallel processes (``--jobs``); one failure does not stop the others. With cores to
spare, a run's independent sections go side by side in two kernels (:func:`execution_plan`).

An analyst's own section (``own: true`` in ``notebooks/sections.yaml``, as ``kit new-section``
registers it, or a notebook listed only in a params file's ``sections:``) that fails does not cost
the rest of the report: the report shows a note in its place, the run's summary and ``run.log``
name it, ``metrics.json`` lists it under ``failed_sections``, and the run is "ok with a warning"
(exit code 0). ``strict: true`` in the params fails the run instead. The kit's own sections
always fail the run: the diagnosis and the summary read their figures, and a failure there is
the kit's bug, which must not be published over.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import shutil
import signal
import threading
import time
import traceback
import uuid
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kit import __version__
from kit.errors import KitError
from kit.params import RunParams, load_params, params_to_yaml
from kit.publish.kernel import (
    ENGINE,
    KERNEL,
    code_position,
    kill_kernel,
    start_kernel,
    stop_kernel,
    warm_up_kernel,
)

REPO = Path(__file__).resolve().parent.parent.parent
# KIT_NOTEBOOKS points the publisher at another notebooks folder (a customised or test copy)
NOTEBOOKS = Path(os.environ.get("KIT_NOTEBOOKS", REPO / "notebooks"))


@dataclass
class Section:
    stem: str
    run_last: bool = False  # the summary runs after the sections it summarises
    after_others: bool = False  # the diagnosis reads the figures the sections before it saved
    numbered: bool = True  # its headings are numbered (not the summary, introduction or appendix)
    own: bool = False  # an analyst's own section: when it fails, the report shows a note instead (unless strict)
    cost: float = 1.0  # its running time relative to the others' on a large shop (see execution_plan)

    @property
    def path(self) -> Path:
        return NOTEBOOKS / f"{self.stem}.ipynb"

    @property
    def anchor(self) -> str | None:
        """The id prefix of an unnumbered section's headings (``00_intro`` -> ``intro``); None when numbered."""
        return None if self.numbered else (self.stem.lstrip("0123456789_") or self.stem)


SECTION_KEYS = ("notebook", "run_last", "after_others", "numbered", "own", "cost")
SECTION_DEFAULTS = {"run_last": False, "after_others": False, "numbered": True, "own": False}


def listed_sections() -> list[Section]:
    """``notebooks/sections.yaml`` as read and checked: a file an analyst edits by hand gets one
    message naming the entry and the key when it does not describe sections."""
    path = NOTEBOOKS / "sections.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"{path} is missing: it lists the report's section notebooks (restore it from git).") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise KitError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e}); check the indentation "
                       "there.") from None
    entries = raw.get("sections") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise KitError(f"{path}: expected `sections:` and a list of `- notebook: NAME` entries.")
    result = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("notebook"), str):
            raise KitError(f"{path}: section {number} needs `notebook: NAME` (the notebook's file name without "
                           ".ipynb).")
        unknown = sorted(set(entry) - set(SECTION_KEYS))
        if unknown:
            raise KitError(f"{path}: section {number} ({entry['notebook']}) has the unknown key {unknown[0]!r}; "
                           f"keys: {', '.join(SECTION_KEYS)}.")
        flags = {k: entry.get(k, default) for k, default in SECTION_DEFAULTS.items()}
        wrong = next((k for k, v in flags.items() if not isinstance(v, bool)), None)
        if wrong:
            raise KitError(f"{path}: section {number} ({entry['notebook']}): {wrong} must be true or false.")
        cost = entry.get("cost", 1)
        if isinstance(cost, bool) or not isinstance(cost, int | float) or not cost > 0:
            raise KitError(f"{path}: section {number} ({entry['notebook']}): cost must be a number above 0 (its "
                           "running time relative to the other sections').")
        result.append(Section(entry["notebook"], **flags, cost=float(cost)))
    stems = [s.stem for s in result]
    twice = next((s for s in stems if stems.count(s) > 1), None)
    if twice:
        raise KitError(f"{path} lists {twice} twice; a section appears once in a report.")
    return result


def sections(only: list[str] | None = None, source: str | None = None) -> list[Section]:
    """The ordered section list (``notebooks/sections.yaml``): the order of the report.

    ``only`` (a params file's ``sections:``, or ``--sections``) keeps the listed sections and the
    summary. It may also name a notebook of ``notebooks/`` that ``sections.yaml`` does not list:
    an analyst's own section for these runs alone, placed after the section listed before it.
    ``source`` (the params file) is named in the message when a listed section does not exist."""
    result = listed_sections()
    if only:
        known = {s.stem for s in result}
        extra = [stem for stem in dict.fromkeys(only) if stem not in known]
        absent = [stem for stem in extra if not (NOTEBOOKS / f"{stem}.ipynb").exists()]
        if absent:
            where = f"{source}: sections: " if source else ""
            raise KitError(f"{where}unknown section(s) {', '.join(absent)}: neither in notebooks/sections.yaml nor a "
                           f"notebook in {NOTEBOOKS} (create one with `kit new-section NAME`); sections: "
                           f"{', '.join(s.stem for s in result)}")
        result = [s for s in result if s.stem in only or s.run_last]
        result = _place_extra(result, list(dict.fromkeys(only)), extra)
    for s in result:
        if not s.path.exists():
            raise KitError(f"notebooks/sections.yaml lists {s.stem}, but {s.path} does not exist.")
    return result


def _place_extra(result: list[Section], only: list[str], extra: list[str]) -> list[Section]:
    """Insert each own section that only ``only`` names after the section ``only`` lists before
    it (after the summary when it comes first)."""
    for stem in extra:
        before = only[:only.index(stem)]
        stems = [s.stem for s in result]
        anchor = next((b for b in reversed(before) if b in stems), None)
        if anchor is not None:
            at = stems.index(anchor) + 1
        else:
            at = next((i for i, s in enumerate(result) if not s.run_last), len(result))
        result.insert(at, Section(stem, own=True))
    return result


def execution_order(secs: list[Section]) -> list[Section]:
    return [s for s in secs if not s.run_last] + [s for s in secs if s.run_last]


def execution_plan(secs: list[Section], lanes: int) -> tuple[list[list[Section]], list[Section]]:
    """How a run's sections execute: the ones that may run side by side, dealt over at most
    ``lanes`` kernels (empty lanes dropped), then the rest one by one in the first kernel: the
    first ``after_others`` or ``run_last`` section and everything after it.

    The sections are dealt so that the kernels finish together: costliest first, each to the
    kernel with the least ``cost`` so far (the first such kernel on a tie); each kernel runs
    its sections in report order. Dealt in turn instead, section 2 (the costliest) shared its
    kernel with the products, and the other kernel stood idle for 15 s of the 1M shop's report."""
    ordered = execution_order(secs)
    cut = next((i for i, s in enumerate(ordered) if s.after_others or s.run_last), len(ordered))
    free, rest = ordered[:cut], ordered[cut:]
    dealt: list[list[Section]] = [[] for _ in range(max(1, lanes))]
    for section in sorted(free, key=lambda s: -s.cost):  # stable: report order among equal costs
        min(dealt, key=lambda lane: sum(s.cost for s in lane)).append(section)
    return [sorted(lane, key=free.index) for lane in dealt if lane] or [[]], rest


@dataclass
class Outcome:
    run_name: str
    ok: bool
    seconds: float
    where: str
    error: str | None = None
    timings: dict | None = None
    bad_input: bool = False
    """A failure on the user's input (the kit's bad-input errors, in the kit or in a cell): exit code 2."""
    failed_sections: list[str] = field(default_factory=list)
    """An analyst's own sections that failed in a published run (each a line such as
    ``mine.ipynb, cell [4]: ZeroDivisionError: ...``): the run is ok, with a warning."""


_interrupted = threading.Event()
"""Set when publishing is interrupted (Ctrl-C): runs still going leave no folder behind."""


class Interrupted(Exception):
    """Raised inside a run when publishing was interrupted."""


def _check_interrupted() -> None:
    if _interrupted.is_set():
        raise Interrupted("interrupted")


class SectionFailed(Exception):
    """A cell of a section notebook raised: the notebook, the cell's ``[n]``, the error's first
    line, and whether the error was the kit's bad-input error (exit code 2) or anything else (1)."""

    def __init__(self, notebook: str, cell: int | None, first_line: str, bad_input: bool = False):
        self.notebook, self.cell, self.first_line, self.bad_input = notebook, cell, first_line, bad_input
        where = f"cell [{cell}]" if cell is not None else "a cell"
        super().__init__(f"{notebook}.ipynb, {where}: {first_line}")

    def record(self) -> dict:
        """The failure as ``metrics.json`` lists it (``failed_sections``) and the report's note reads it."""
        return {"notebook": self.notebook, "cell": self.cell, "reason": self.first_line}


def execute_section(section: Section, out_dir: Path, parameters: dict, log: logging.Logger, km=None) -> float:
    """Execute one section notebook into ``out_dir`` in the kernel ``km`` (papermill, through
    the kit engine of :mod:`kit.publish.kernel`); log its time and its slowest cells. A failing
    cell raises :class:`SectionFailed` naming the notebook, the cell as ``[n]`` among its code
    cells (as it shows when run alone) and the error's first line."""
    import papermill as pm

    target = out_dir / f"{section.stem}.ipynb"
    started = time.perf_counter()
    cells: list[tuple[str, float | None]] = []
    try:
        pm.execute_notebook(
            # no cwd: papermill would chdir the whole process, and sections side by side run in its
            # threads (one could restore another's directory); the kernel already runs in NOTEBOOKS
            str(section.path), str(target), parameters=parameters, kernel_name=KERNEL, engine_name=ENGINE,
            progress_bar=False, log_output=False, report_mode=False, km=km, cells=cells,
            # written once when done, not at each cell's start and end (~1 MB of JSON each time)
            request_save_on_cell_execute=False,
        )
    except pm.PapermillExecutionError as e:
        first = f"{e.ename}: {e.evalue}".strip().splitlines()[0]
        failed = SectionFailed(section.stem, code_position(cells, e.cell_index), first, bad_input=e.ename in
                               _input_error_names())
        # the executed notebook shows the kernel's count, which runs on across a run's sections
        log.info("section %s failed at its cell [%s], In [%s] in the executed notebook", section.stem,
                 failed.cell, e.exec_count)
        raise failed from None
    seconds = time.perf_counter() - started
    slowest = sorted(((d, i) for i, (kind, d) in enumerate(cells) if kind == "code" and d), reverse=True)[:3]
    log.info("section %s done in %.1fs (slowest cells: %s)", section.stem, seconds,
             ", ".join(f"[{code_position(cells, i)}] {d:.1f}s" for d, i in slowest) or "none")
    return seconds


def _input_error_names() -> set[str]:
    """The class names of the kit's bad-input errors (:class:`KitError` and its subclasses): a
    cell that raised one of these failed on the user's input, not on a bug."""
    names, todo = set(), [KitError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _logger(path: Path) -> logging.Logger:
    log = logging.getLogger(f"kit.run.{uuid.uuid4().hex}")
    log.setLevel(logging.INFO)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log


@dataclass
class Executed:
    """A run whose notebooks ran: its temporary folder, awaiting export."""
    run_name: str
    tmp: str
    started: float  # time.time() when the run started
    timings: dict
    failed: list[dict] = field(default_factory=list)
    """The own sections that failed (:meth:`SectionFailed.record`), in the order they failed."""


def execute_run(params: RunParams, output: Path, section_stems: list[str] | None, kms: list,
                events=None, tag: str | None = None) -> Executed | Outcome:
    """The first step of publishing a run: prepare its data and execute its section notebooks
    into a temporary folder, in the running kernels ``kms``, side by side when there are
    several (see :func:`execution_plan`). Returns what :func:`export_run` needs, or the failed
    Outcome (never raises). ``tag`` marks the temporary folder as this publish's (see
    :func:`publish`), so that an interrupted publish removes its own folders and no other's."""
    from kit.dataset import default_cache
    from kit.run import prepare_run

    name = params.run_name
    started = time.time()
    tmp = output / f".tmp-{name}-{tag or 'run'}-{uuid.uuid4().hex[:8]}"
    work = tmp / ".work"
    nb_dir = tmp / "notebooks"
    nb_dir.mkdir(parents=True)
    log = _logger(tmp / "run.log")
    tell = events.put if events is not None else (lambda item: None)
    timings: dict[str, float] = {}
    failed: list[dict] = []

    def run_lane(lane: list[Section], km) -> None:
        for section in lane:
            _check_interrupted()
            started_section = time.perf_counter()
            try:
                timings[section.stem] = execute_section(section, nb_dir, {"work_dir": str(work)}, log, km)
            except SectionFailed as e:
                if not section.own or params.strict:
                    raise
                # an analyst's own section: the report goes on without it, and says so
                timings[section.stem] = time.perf_counter() - started_section
                failed.append(e.record())
                log.warning("section %s failed and is left out of the report with a note (strict: true in the "
                            "params would fail the run): %s", section.stem, e)
            tell((name, "section", section.stem))

    try:
        log.info("run %s: params %s, kit %s", name, params.source_file, __version__)
        side_by_side, after = execution_plan(_run_sections(params, section_stems), len(kms))
        # the kernels warm up while the data is prepared in a thread (polars works outside the
        # GIL), so the first sections start with imports done; a bad input found meanwhile fails
        # the run at once. The first kernel has a thread of its own for its warm-up, its lane and
        # the sections after: a thread keeps one ready client per kernel (kernel.ready_client)
        pool = ThreadPoolExecutor(len(kms) + 1)
        first_kernel = ThreadPoolExecutor(1)
        ok = False
        try:
            t0 = time.perf_counter()
            # each step of the preparation first checks that publishing goes on: an interrupted
            # run must not write into a folder that is being removed
            preparing = pool.submit(prepare_run, params, work,
                                    progress=lambda m: (_check_interrupted(), log.info(m)),
                                    cache_dir=default_cache(output))
            warming = [first_kernel.submit(warm_up_kernel, kms[0])] + [pool.submit(warm_up_kernel, km)
                                                                       for km in kms[1:]]
            wait([preparing, *warming], return_when=FIRST_EXCEPTION)
            if preparing.done() and preparing.exception() is not None:
                preparing.result()
            for warm in warming:
                try:
                    warm.result()
                except Exception as e:  # a kernel that did not empty its namespace must not publish this run
                    preparing.result()  # a bad input, found meanwhile, is the better message
                    raise KitError(f"the kernel did not answer before the run: {e}") from None
            preparing.result()
            timings["prepare"] = time.perf_counter() - t0
            tell((name, "prepared", None))
            t0 = time.perf_counter()
            lanes = [first_kernel.submit(run_lane, side_by_side[0], kms[0])] + [
                pool.submit(run_lane, lane, km) for lane, km in zip(side_by_side[1:], kms[1:], strict=True)]
            wait(lanes)  # all lanes finish; the first failure in report order is reported
            for lane in lanes:
                lane.result()
            first_kernel.submit(run_lane, after, kms[0]).result()
            timings["sections"] = time.perf_counter() - t0  # wall time: sections may overlap
            ok = True
        finally:
            # a failed run does not wait for a kernel still warming up (its kernels are dropped)
            pool.shutdown(wait=ok)
            first_kernel.shutdown(wait=ok)
        _close(log)
        return Executed(name, str(tmp), started, timings, failed)
    except Exception as e:  # noqa: BLE001 - a failed run is reported, never raised
        return _failed(e, name, tmp, output, log, started)


def export_run(params: RunParams, executed: Executed, output: Path, section_stems: list[str] | None,
               pdf: bool) -> Outcome:
    """The second step: assemble ``report.html``, print ``report.pdf``, write the files beside
    them and move the folder into ``output/<run-name>/``. Needs no kernel: a batch does it in
    the main process while the workers' kernels go on with the next runs. Never raises."""
    from kit.publish.failed import drop_failed_metrics, failed_section_notebook
    from kit.publish.report import assemble, write_metrics
    from kit.run import Run

    name, tmp, timings = executed.run_name, Path(executed.tmp), dict(executed.timings)
    work = tmp / ".work"
    log = _logger(tmp / "run.log")
    try:
        run = Run(params, work)
        secs = _run_sections(params, section_stems)
        failed = {f["notebook"]: f for f in executed.failed}
        parts = []
        for s in secs:
            executed_nb = tmp / "notebooks" / f"{s.stem}.ipynb"
            if s.stem in failed:  # its note, in its place; the executed notebook stays for the analyst
                executed_nb = failed_section_notebook(executed_nb, failed[s.stem], run.locale, work / "failed")
                drop_failed_metrics(work, s.stem)
            parts.append(executed_nb)
        t0 = time.perf_counter()
        html = assemble(run, parts, tmp, [s.anchor for s in secs])
        timings["html"] = time.perf_counter() - t0
        if pdf:
            from kit.publish.export import print_pdf

            t0 = time.perf_counter()
            print_pdf(html, tmp / "report.pdf", header=_header(run))
            timings["pdf"] = time.perf_counter() - t0
        write_metrics(run, tmp / "metrics.json", timings, failed_sections=executed.failed)
        (tmp / "params.yaml").write_text(params_to_yaml(params), encoding="utf-8")
        for extra in ("findings.json", "segments.csv"):
            if (work / extra).exists():
                shutil.copy2(work / extra, tmp / extra)
        if (work / "actions").is_dir():  # the action lists: customer ids beside the report, never in it
            shutil.copytree(work / "actions", tmp / "actions")
        shutil.rmtree(work)
        log.info("published in %.1fs", time.time() - executed.started)
        _close(log)
        _check_interrupted()
        final = output / name
        _swap_into_place(tmp, final)
        # the failure of an earlier attempt is no longer the state of this run
        shutil.rmtree(output / "_failed" / name, ignore_errors=True)
        return Outcome(name, True, time.time() - executed.started, str(final), timings=timings,
                       failed_sections=[str(SectionFailed(f["notebook"], f["cell"], f["reason"]))
                                        for f in executed.failed])
    except Exception as e:  # noqa: BLE001 - a failed run is reported, never raised
        return _failed(e, name, tmp, output, log, executed.started)


def _run_sections(params: RunParams, section_stems: list[str] | None) -> list[Section]:
    """The sections of a run: ``--sections`` if given, else the params file's ``sections:``, else all."""
    if section_stems:
        return sections(section_stems, "--sections")
    return sections(params.sections, params.source_file)


def _failed(e: Exception, name: str, tmp: Path, output: Path, log: logging.Logger, started: float) -> Outcome:
    """Log the error and move the run's temporary folder to ``output/_failed/<run-name>/``
    (when publishing was interrupted, remove it instead: an interrupted run leaves nothing)."""
    if _interrupted.is_set():
        _close(log)
        shutil.rmtree(tmp, ignore_errors=True)
        return Outcome(name, False, time.time() - started, "", error="interrupted", bad_input=True)
    bad_input = isinstance(e, KitError) or (isinstance(e, SectionFailed) and e.bad_input)
    if isinstance(e, SectionFailed):
        message = str(e)
    elif isinstance(e, KitError):
        message = f"preparing the data: {e}"
    else:
        message = f"{type(e).__name__}: {e}"
    message = message.strip()
    log.error("run failed: %s", message)
    if not isinstance(e, KitError | SectionFailed):
        log.error("%s", traceback.format_exc())
    _close(log)
    failed = output / "_failed" / name
    if failed.exists():
        shutil.rmtree(failed)
    failed.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(tmp / ".work", ignore_errors=True)
    tmp.rename(failed)
    return Outcome(name, False, time.time() - started, str(failed), error=message.splitlines()[0],
                   bad_input=bad_input)


def _close(log: logging.Logger) -> None:
    for h in list(log.handlers):
        h.close()
        log.removeHandler(h)


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` so that a reader never sees a half-written report."""
    if final.exists():
        old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old)
    else:
        tmp.rename(final)


def _header(run) -> dict:
    from kit.i18n import t

    meta = run.meta
    slice_text = ", ".join(f"{k}={v}" for k, v in run.params.slice.items()) or t("report.all_data", run.locale.lang)
    return {"title": run.params.title or t("report.default_title", run.locale.lang), "period": meta["period"],
            "slice": slice_text, "lang": run.locale.lang}


_worker_kernels: list = []
"""The kernels of this process (a batch worker, or the kit process publishing a single run),
each with the finalizer that stops it, kept from one run to the next."""


def _kernels_of_worker(n: int) -> list:
    """This worker's ``n`` kernels, started when first needed (or after a failed run dropped
    them) and stopped when the worker process exits."""
    from multiprocessing.util import Finalize

    while len(_worker_kernels) < n:
        km = start_kernel(NOTEBOOKS)
        _worker_kernels.append((km, Finalize(None, stop_kernel, args=(km,), exitpriority=10)))
    return [km for km, _ in _worker_kernels[:n]]


def _drop_worker_kernels() -> None:
    while _worker_kernels:
        _, stop = _worker_kernels.pop()
        try:
            stop()  # runs once, then no longer at exit
        except Exception:  # noqa: BLE001 - it may already be gone
            pass


def _execute_in_worker(params_json: str, source_file: str | None, output: str, stems, events,
                       lanes: int, tag: str | None = None) -> Executed | Outcome:
    params = RunParams.model_validate_json(params_json)
    params.source_file = source_file
    side_by_side, _ = execution_plan(sections(stems or params.sections), lanes)
    done = execute_run(params, Path(output), stems, _kernels_of_worker(len(side_by_side)), events, tag)
    if isinstance(done, Outcome):  # a kernel may be stuck or dead: the next run gets fresh ones
        _drop_worker_kernels()
    return done


def _worker_started() -> None:
    """A batch worker leaves Ctrl-C to the kit process (which ends the workers and cleans up),
    and when ended stops its kernels at once (they would otherwise notice within a second)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def end(signum, frame):
        for km, _ in _worker_kernels:
            kill_kernel(km)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, end)


def _clean_after_interrupt(output: Path, tag: str) -> int:
    """Remove what an interrupted publish left in ``output``: its temporary folders, and a
    previous report caught between the two renames of :func:`_swap_into_place` put back."""
    removed = 0
    for tmp in output.glob(f".tmp-*-{tag}-*"):
        shutil.rmtree(tmp, ignore_errors=True)
        removed += 1
    for old in output.glob(".old-*"):
        final = output / old.name[len(".old-"):].rsplit("-", 1)[0]
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(final)
    return removed


@contextmanager
def _kernels_dropped_after(in_this_process: bool):
    """Stop the kernels a run left in this process (a worker's are stopped when it exits)."""
    try:
        yield
    finally:
        if in_this_process:
            _drop_worker_kernels()


def publish(params_files: list[str], jobs: int = 1, only: list[str] | None = None, quiet: bool = False,
            output: Path = Path("output"), section_stems: list[str] | None = None, pdf: bool = True) -> int:
    """Publish every run of the params files. Returns the exit code (non-zero if any run failed)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from kit.publish.index import write_index

    output = output.resolve()
    runs: list[RunParams] = [r for f in params_files for r in load_params(f)]
    if only:
        unknown = sorted(set(only) - {r.run_name for r in runs})
        if unknown:
            raise KitError(f"--only {', '.join(unknown)}: no such run; runs: {', '.join(r.run_name for r in runs)}")
        runs = [r for r in runs if r.run_name in only]
    from kit.data.load import check_sources

    # what can be checked before any kernel starts (a matrix's runs share their sources)
    checked = set()
    for r in runs:
        key = r.model_dump_json(include={"data", "timezone"})
        if key not in checked:
            check_sources(r)
            checked.add(key)
    n_sections = len(sections(section_stems))
    output.mkdir(parents=True, exist_ok=True)
    console = Console(quiet=quiet, highlight=False)
    outcomes: list[Outcome] = []
    jobs = max(1, min(jobs, len(runs)))
    # cores left over by the runs let a run's independent sections go side by side (two at most:
    # a report has three such sections, and each kernel holds its own copy of the data)
    lanes = max(1, min(2, (os.cpu_count() or 1) // jobs))
    ctx = mp.get_context("spawn")
    # one run has nothing to be isolated from: it runs in a thread of this process (its kernels
    # are processes anyway), which saves starting a worker and a queue manager (~2 s)
    alone = len(runs) == 1
    # marks this publish's temporary folders, which an interrupted publish removes
    tag = uuid.uuid4().hex[:8]
    _interrupted.clear()
    with _sigterm_as_interrupt(), (nullcontext() if alone else ctx.Manager()) as manager, Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, disable=quiet, transient=False,
    ) as progress, _kernels_dropped_after(alone):
        events = queue.Queue() if alone else manager.Queue()
        tasks = {r.run_name: progress.add_task(r.run_name, total=n_sections + 1) for r in runs}
        by_name = {r.run_name: r for r in runs}

        def finished(outcome: Outcome) -> None:
            outcomes.append(outcome)
            status = "[green]ok[/green]" if outcome.ok else "[red]failed[/red]"
            if outcome.ok and outcome.failed_sections:
                status = f"[yellow]ok, {len(outcome.failed_sections)} section(s) left out[/yellow]"
            progress.update(tasks[outcome.run_name], description=f"{outcome.run_name} {status}",
                            completed=n_sections + 1)

        # notebooks run in `jobs` worker processes (one kernel each); each run's export (HTML,
        # PDF, files) runs here in a thread, so a worker goes on with its next run meanwhile
        pool = ThreadPoolExecutor(1) if alone else ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=_worker_started)
        exporter = ThreadPoolExecutor(jobs)
        interrupted = False
        try:
            pending = {pool.submit(_execute_in_worker, r.model_dump_json(), r.source_file, str(output),
                                   section_stems, events, lanes, tag) for r in runs}
            while pending:
                while not events.empty():
                    name, what, detail = events.get()
                    progress.advance(tasks[name])
                    progress.update(tasks[name], description=f"{name} {detail or what}")
                for f in [f for f in pending if f.done()]:
                    pending.discard(f)
                    result = f.result()
                    if isinstance(result, Outcome):
                        finished(result)
                    else:
                        progress.update(tasks[result.run_name], description=f"{result.run_name} export")
                        pending.add(exporter.submit(export_run, by_name[result.run_name], result, output,
                                                    section_stems, pdf))
                if pending:
                    time.sleep(0.1)
        except KeyboardInterrupt:
            interrupted = True
            _stop_everything(alone)
            raise
        finally:
            # after an interrupt nothing is waited for: the runs still going see the flag and stop
            pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
            exporter.shutdown(wait=not interrupted, cancel_futures=interrupted)
            if interrupted:
                _clean_after_interrupt(output, tag)
                time.sleep(0.5)  # a run thread between its check and its write: clean after it too
                _clean_after_interrupt(output, tag)
    write_index(output)
    _print_summary(console if not quiet else Console(highlight=False), outcomes)
    if all(o.ok for o in outcomes):
        return 0
    # a bug anywhere is worth exit code 1; failures on bad input alone are 2
    return 1 if any(not o.ok and not o.bad_input for o in outcomes) else 2


def _stop_everything(alone: bool) -> None:
    """On an interrupt: flag the runs, and end what runs their notebooks (this process's
    kernels, or the batch workers, which stop theirs)."""
    _interrupted.set()
    if alone:
        _drop_worker_kernels()
        return
    children = mp.active_children()  # the workers, and the queue manager
    for child in children:
        child.terminate()
    for child in children:
        child.join(5)


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a stopped CI job, ``kill``) interrupts publishing like Ctrl-C does."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_summary(console, outcomes: list[Outcome]) -> None:
    """The runs as a table, then one unwrapped line per failed run: where it failed (the section
    notebook and cell, or preparing the data) and why, and where its notebooks and log went."""
    from rich.table import Table

    table = Table(title="runs", title_justify="left")
    for head in ("run", "status", "seconds", "output"):
        table.add_column(head, justify="right" if head == "seconds" else "left")
    for o in sorted(outcomes, key=lambda o: o.run_name):
        status = ("ok, with a warning" if o.failed_sections else "ok") if o.ok else "FAILED"
        where = str(Path(o.where) / "report.html") if o.ok else str(Path(o.where) / "run.log")
        table.add_row(o.run_name, status, f"{o.seconds:.1f}", where)
    console.print(table)
    for o in sorted(outcomes, key=lambda o: o.run_name):
        if not o.ok:
            console.print(f"{o.run_name} FAILED: {o.error}", soft_wrap=True, markup=False)
        for failure in o.failed_sections:
            console.print(f"{o.run_name} WARNING: section {failure}; the report shows a note in its place "
                          "(strict: true in the params fails the run instead)", soft_wrap=True, markup=False)
