"""``kit new-section NAME``: an analyst's own section of the report, from a template.

The new notebook ``notebooks/NAME.ipynb`` is a working section: its parameters cell, the run
opened with ``nbk.start``, its heading, one example figure (paid orders per weekday) as the
kit's sections write theirs (a figure function from the run that names what it needs, a chart
that draws on ``ax``, a sentence in the run's language) and a ``run.record`` into
``metrics.json`` (``sections.custom.NAME``). It is registered in ``notebooks/sections.yaml``
(``own: true``) after ``--after`` (default: after the last numbered section, before the appendix), so every report shows it, numbered; or, with
``--params FILE``, in that params file's ``sections:`` only, for its runs alone. The heading cells
and numbering of JupyterLab's table of contents are brought up to date (:mod:`kit.desk.headings`).

Both files are edited as text, so that their comments and layout stay as the analyst wrote them;
the edited file is read back and restored when it would no longer load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kit.desk import headings
from kit.desk.notebooks import as_lines, new_cell_id, read_notebook, write_notebook
from kit.errors import KitError

OWN_COMMENT = "your own section (kit new-section): when it fails, the report shows a note in its place"


@dataclass(frozen=True)
class NewSection:
    name: str
    title_zh: str
    title_en: str


def check_name(name: str, notebooks: Path) -> None:
    """A new section's name: it names the notebook and the section's key in ``metrics.json``."""
    from kit.figures.schema import BUILT_IN_SECTIONS, is_custom_name

    if not is_custom_name(name):
        raise KitError(f"{name!r} is not a section name: use lowercase letters, digits and _, starting with a letter "
                       "(e.g. returns); it names the notebook and the section's key in metrics.json.")
    if name in (*BUILT_IN_SECTIONS, "custom"):
        raise KitError(f"{name!r} is the name of one of the kit's metrics.json sections; pick another (e.g. "
                       f"my_{name}).")
    if (notebooks / f"{name}.ipynb").exists():
        raise KitError(f"{notebooks / f'{name}.ipynb'} already exists; open it in JupyterLab, or pick another name.")


# ---------------------------------------------------------------- the template

PARAMETERS = '''# the run to report on; run_name picks one run of a matrix (None: the first);
# work_dir is set by `kit publish` (a prepared run)
params_path = "../params/demo.yaml"
run_name = None
work_dir = None'''

START = '''import polars as pl

from kit import notebook as nbk
from kit.charts import MAIN, axes, count_axis, show as chart
from kit.contract import paid
from kit.figures import needs
from kit.metrics.common import in_period
from kit.metrics.significance import count_ratio_p, significant

run = nbk.start(params_path, run_name, work_dir)
loc = run.locale
SECTION = {name!r}  # this notebook's name: its key in metrics.json is sections.custom.{name}
nbk.heading(nbk.in_language(loc, zh={title_zh!r}, en={title_en!r}))'''

DEFINITIONS = '''# A figure is a function from the run, as in kit/figures/: @needs names the tables and columns it
# reads, so that a shop without them gets a note saying what to add instead of an error.
@needs(orders=())
def orders_by_weekday(run) -> pl.DataFrame:
    """Paid orders and their GMV per weekday of the period (1 = Monday ... 7 = Sunday), and per
    date of that weekday: orders_per_day = orders / days (a quarter has 14 of one weekday and 13
    of the others, so raw counts would favour that day)."""
    dates = pl.DataFrame({{"date": pl.date_range(run.period.start, run.period.end, eager=True)}})
    days = dates.group_by(pl.col("date").dt.weekday().alias("weekday")).agg(pl.len().alias("days"))
    counts = (paid(run.orders).filter(in_period("order_time", run.period))
              .group_by(pl.col("order_time").dt.weekday().alias("weekday"))
              .agg(pl.len().alias("orders"), pl.col("amount").sum().round(2).alias("gmv"))
              .collect())
    return (days.join(counts, on="weekday", how="left").fill_null(0)
            .with_columns((pl.col("orders") / pl.col("days")).alias("orders_per_day")).sort("weekday"))


WEEKDAYS = {{"zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
            "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}}


def weekday_bars(table: pl.DataFrame, loc, ax=None):
    """Paid orders per date of each weekday. A chart draws on ``ax`` when given and returns the Axes, as kit/charts/ do."""
    ax = axes(ax, height=3.0)
    ax.bar([WEEKDAYS[loc.lang][d - 1] for d in table["weekday"]], table["orders_per_day"], color=MAIN)
    ax.set_title(nbk.in_language(loc, zh="各星期的支付订单", en="Paid orders by weekday"))
    ax.set_ylabel(nbk.in_language(loc, zh="每天的支付订单", en="Paid orders a day"))
    count_axis(ax, loc=loc)
    return ax


def weekday_text(table: pl.DataFrame, loc, alpha: float) -> str:
    """The sentence under the chart, in the run's language, numbers written by loc. It names the
    busiest weekday only when its orders a day differ from the other days' at the run's
    significance (a Poisson rate test, kit.metrics.significance); otherwise it says they are alike."""
    busiest = table.sort("orders_per_day", descending=True).row(0, named=True)
    rest = table.filter(pl.col("weekday") != busiest["weekday"])
    p = count_ratio_p(busiest["orders"], rest["orders"].sum(), busiest["days"], rest["days"].sum())
    if not significant(p, alpha):
        return nbk.in_language(
            loc, zh="各星期每天的支付订单相近（每天{{low}}–{{high}}笔）。", en="Paid orders a day are alike across weekdays ({{low}}-{{high}} a day).",
        ).format(low=loc.number(table["orders_per_day"].min(), 0), high=loc.number(table["orders_per_day"].max(), 0))
    return nbk.in_language(
        loc, zh="{{day}}每天的支付订单最多：{{value}}笔，其他日子平均{{rest}}笔。",
        en="{{day}} has the most paid orders a day: {{value}}, against {{rest}} on the other days.",
    ).format(day=WEEKDAYS[loc.lang][busiest["weekday"] - 1], value=loc.number(busiest["orders_per_day"], 0),
             rest=loc.number(rest["orders"].sum() / rest["days"].sum(), 0))'''

FIGURE = '''nbk.heading(nbk.in_language(loc, zh="各星期的支付订单", en="Paid orders by weekday"), 2)
weekdays = orders_by_weekday(run)
if nbk.available(weekdays, loc) and weekdays["orders"].sum():  # a Missing note when the shop has no orders
    chart(weekday_bars(weekdays, loc))
    nbk.say(weekday_text(weekdays, loc, run.params.diagnosis.significance))
    run.record(SECTION, {{"orders_by_weekday": weekdays.to_dicts()}})'''

INTRO = '''**Your own section: {name}** ({title_zh} / {title_en}), made by `kit new-section`.
Change `params_path` below and run all cells to try it in JupyterLab; `kit publish` runs it in the reports
(notebooks/sections.yaml, or a params file's `sections:`). Each cell is one figure: the figure, its chart,
its sentence. Replace the example with your analysis; README.md, "Add your own analysis", says more.'''


def template(section: NewSection) -> dict:
    """The new section's notebook (heading cells for JupyterLab's table of contents included)."""
    values = {"name": section.name, "title_zh": section.title_zh, "title_en": section.title_en}

    def cell(kind: str, text: str, tags: list[str] | None = None) -> dict:
        made = {"cell_type": kind, "id": new_cell_id(), "metadata": {"tags": tags} if tags else {},
                "source": as_lines(text.format(**values))}
        return {**made, "execution_count": None, "outputs": []} if kind == "code" else made

    nb = {
        "cells": [cell("markdown", INTRO, ["remove_cell"]), cell("code", PARAMETERS, ["parameters"]),
                  cell("code", START), cell("code", DEFINITIONS), cell("code", FIGURE)],
        "metadata": {"kernelspec": {"display_name": "Shop report kit", "language": "python",
                                    "name": "shop-report-kit"}, "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return headings.sync_headings(nb)


# ---------------------------------------------------------------- registering it

def _sequence_of(root: yaml.Node | None, key: str, path: Path) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The (key node, value node) of a top-level ``key`` of a YAML mapping, or (None, None)."""
    if not isinstance(root, yaml.MappingNode):
        raise KitError(f"{path}: expected a mapping of keys.")
    for key_node, value_node in root.value:
        if key_node.value == key:
            return key_node, value_node
    return None, None


def register_in_sections_yaml(path: Path, name: str, after: str | None) -> None:
    """Add ``- notebook: NAME`` with ``own: true`` to ``sections.yaml`` after the entry of ``after``
    (default: the last), keeping the file's comments and layout."""
    text = path.read_text(encoding="utf-8")
    _, seq = _sequence_of(yaml.compose(text), "sections", path)
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
        raise KitError(f"{path}: `sections:` is not a block list of `- notebook: NAME` entries; add `- notebook: "
                       f"{name}` and `own: true` by hand.")
    stems = [_notebook_of(item) for item in seq.value]
    at = _position(stems, after, path)
    item = seq.value[at - 1]
    lines = text.splitlines(keepends=True)
    if at < len(seq.value):
        insert_at = seq.value[at].start_mark.line
    else:
        insert_at = item.end_mark.line if item.end_mark.column == 0 else item.end_mark.line + 1
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
    indent = " " * item.start_mark.column
    dash = " " * (item.start_mark.column - 2)
    entry = f"{dash}- notebook: {name}\n{indent}own: true  # {OWN_COMMENT}\n"
    lines.insert(insert_at, entry)
    _write_checked(path, text, "".join(lines), lambda: _check_sections_yaml(path, stems, name, at))


def _notebook_of(item: yaml.Node) -> str | None:
    if isinstance(item, yaml.MappingNode):
        return next((v.value for k, v in item.value if k.value == "notebook"), None)
    return None


def _position(stems: list[str | None], after: str | None, where: Path) -> int:
    """Where the new section goes: the index after ``after`` (default: the end)."""
    if after is None:
        return len(stems)
    if after not in stems:
        raise KitError(f"--after {after}: {where} has no such section; sections: "
                       f"{', '.join(s for s in stems if s)}.")
    return stems.index(after) + 1


def _check_sections_yaml(path: Path, stems: list, name: str, at: int) -> None:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["sections"]
    expected = [*stems[:at], name, *stems[at:]]
    if [e.get("notebook") for e in entries] != expected or not entries[at].get("own"):
        raise ValueError(f"read back as {[e.get('notebook') for e in entries]}")


def register_in_params(path: Path, name: str, after: str | None, all_stems: list[str]) -> list[str]:
    """Add ``name`` to the params file's ``sections:`` (after ``after``, default last) and return
    the new list. A file without ``sections:`` gets every section of ``sections.yaml`` and ``name``:
    a params file's list chooses the sections of its runs."""
    from kit.params import load_params

    load_params(path)  # a params file that does not load gets its own message first
    text = path.read_text(encoding="utf-8")
    key, value = _sequence_of(yaml.compose(text), "sections", path)
    current = yaml.safe_load(text).get("sections") if key is not None else None
    stems = list(current) if current else list(all_stems)
    stems.insert(_position(stems, after, path), name)
    flow = f"sections: [{', '.join(stems)}]"
    if key is None:
        new_text = text + ("" if text.endswith("\n") or not text else "\n") + f"{flow}  # kit new-section {name}\n"
    else:
        end, tail = value.end_mark.index, ""
        if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
            # a block list ends with its last item's line: comments and keys after it stay
            line_end = text.find("\n", value.value[-1].end_mark.index)
            end, tail = (len(text), "\n") if line_end == -1 else (line_end + 1, "\n")
        new_text = text[:key.start_mark.index] + flow + tail + text[end:]

    def check() -> None:
        if [r.sections for r in load_params(path)][0] != stems:
            raise ValueError("sections read back differently")

    _write_checked(path, text, new_text, check)
    return stems


def _write_checked(path: Path, old: str, new: str, check) -> None:
    """Write ``new`` into ``path`` and read it back; put ``old`` back if it does not read as meant."""
    path.write_text(new, encoding="utf-8")
    try:
        check()
    except Exception as e:  # noqa: BLE001 - whatever went wrong, the analyst's file is restored
        path.write_text(old, encoding="utf-8")
        raise KitError(f"{path}: could not add the section to it as text ({e}); the file is unchanged. Add it by "
                       "hand.") from None


# ---------------------------------------------------------------- the command

def new_section(name: str, after: str | None = None, params: Path | None = None, title: str | None = None,
                title_en: str | None = None) -> tuple[Path, int | None, list[Path]]:
    """Create and register the section; returns its notebook, its number in the report and the
    other notebooks whose numbering moved."""
    from kit.publish import batch

    notebooks = batch.NOTEBOOKS
    check_name(name, notebooks)
    listed = batch.listed_sections()
    if after is None:  # the last numbered section: before the appendix, which ends the report
        after = next((s.stem for s in reversed(listed) if s.numbered), None)
    section = NewSection(name, title or name, title_en or name.replace("_", " ").capitalize())
    target = notebooks / f"{name}.ipynb"
    if params is not None:
        params = Path(params)
        stems = register_in_params(params, name, after, [s.stem for s in listed])
        write_notebook(template(section), target)
        order = batch.sections(stems, str(params))
    else:
        _position([s.stem for s in listed], after, notebooks / "sections.yaml")  # before writing anything
        write_notebook(template(section), target)
        try:
            register_in_sections_yaml(notebooks / "sections.yaml", name, after)
        except KitError:
            target.unlink()
            raise
        order = batch.sections()
    numbers = headings.section_numbers([(s.stem, read_notebook(s.path)) for s in order],
                                       {s.stem for s in order if not s.numbered})
    moved = []
    for s in order:
        nb = read_notebook(s.path)
        if s.stem != name and (params is not None or not headings.takes_part(nb)):
            continue  # a params file's order is for its runs alone: the shared notebooks keep theirs
        if write_notebook(headings.number_section(nb, numbers[s.stem]), s.path) and s.stem != name:
            moved.append(s.path)
    return target, numbers[name], moved
