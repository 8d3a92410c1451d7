"""An analyst's own sections in the published report: their figures in metrics.json under their
name, and a failing one replaced by a note while the rest of the report is published (unless
the params say ``strict: true``)."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from conftest import REPO, write_params
from pydantic import ValidationError

from kit.errors import KitError
from kit.figures.schema import BUILT_IN_SECTIONS, validate_metrics
from kit.i18n import Locale
from kit.publish import batch


def _doc(sections: dict, failed: list | None = None) -> dict:
    run = {"run_name": "t", "period": "2025-Q4", "period_start": "2025-10-01", "period_end": "2025-12-31",
           "lang": "zh", "currency": "¥", "fingerprint": "x", "kit_version": "0"}
    doc = {"schema_version": "1.3", "run": run, "generated_at": "now", "sections": sections}
    return doc if failed is None else {**doc, "failed_sections": failed}


def test_metrics_schema_takes_own_sections_free_form_and_keeps_the_kits_strict():
    doc = validate_metrics(_doc({"custom": {"returns": {"by_weekday": [{"weekday": 1, "orders": 3}], "note": None}}},
                                [{"notebook": "broken", "cell": 4, "reason": "ZeroDivisionError: division by zero"}]))
    assert doc.sections.custom["returns"]["by_weekday"][0]["orders"] == 3 and doc.failed_sections[0].cell == 4
    for wrong in ({"custom": {"Returns Q4": {}}}, {"custom": {"returns": [1, 2]}}, {"returns": {"x": 1}},
                  {"profile": {"region_shares": []}}):
        with pytest.raises(ValidationError):
            validate_metrics(_doc(wrong))
    with pytest.raises(ValidationError):
        validate_metrics(_doc({}, [{"notebook": "broken", "why": "?"}]))
    assert "custom" not in BUILT_IN_SECTIONS and {"profile", "summary", "rfm"} <= set(BUILT_IN_SECTIONS)


def test_run_record_files_an_own_section_under_custom(tmp_path):
    from kit.run import Run

    run = Run(params=None, work_dir=tmp_path)
    run.record("profile", {"peak_hours": [20]})
    run.record("returns", {"rate": 0.12})
    run.record("returns", {"top": "服饰"})
    assert run.metrics() == {"profile": {"peak_hours": [20]}, "custom": {"returns": {"rate": 0.12, "top": "服饰"}}}
    with pytest.raises(KitError, match="lowercase letters, digits and _"):
        run.record("My Returns", {"rate": 1})


def test_a_failed_sections_note_keeps_its_heading_or_names_the_notebook(tmp_path):
    from kit.publish.failed import failed_section_notebook

    executed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/markdown": "# 退货分析"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "## 各星期"})])])
    nbformat.write(executed, tmp_path / "returns.ipynb")
    failure = {"notebook": "returns", "cell": 5, "reason": "KeyError: 'x' <b>"}
    note = nbformat.read(failed_section_notebook(tmp_path / "returns.ipynb", failure, Locale("zh"), tmp_path / "f"),
                         as_version=4)
    assert note.cells[0].source == "# 退货分析"
    html = note.cells[1].outputs[0]["data"]["text/html"]
    assert 'class="kit-missing"' in html and "returns.ipynb的代码单元格 [5] 出错" in html and "&lt;b&gt;" in html
    gone = nbformat.read(failed_section_notebook(tmp_path / "none.ipynb", {**failure, "notebook": "my_part",
                                                                            "cell": None}, Locale("en"),
                                                 tmp_path / "g"), as_version=4)
    assert gone.cells[0].source == r"# my\_part"
    assert "notebook my_part.ipynb failed (KeyError" in gone.cells[1].outputs[0]["data"]["text/plain"]


@pytest.fixture
def own_sections(tmp_path, monkeypatch):
    """A copy of notebooks/ with two own sections made by kit new-section: `returns` (in
    sections.yaml, after 03_rfm) and `broken` (a notebook no sections.yaml lists; its figure cell
    divides by zero before it records anything)."""
    from kit.cli import main

    folder = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setattr(batch, "NOTEBOOKS", folder)
    assert main(["new-section", "returns", "--after", "03_rfm", "--title", "退货分析", "--title-en", "Returns"]) == 0
    assert main(["new-section", "broken", "--params", str(write_params(tmp_path, REPO, name="scratch.yaml")),
                 "--title", "坏掉的分析"]) == 0
    nb = nbformat.read(folder / "broken.ipynb", as_version=4)
    figure = next(c for c in nb.cells if c.cell_type == "code" and "run.record" in c.source)
    figure.source = figure.source.replace("weekdays = orders_by_weekday(run)", "weekdays = 1 / 0")
    nbformat.write(nb, folder / "broken.ipynb")
    return folder


@pytest.mark.e2e
def test_own_sections_publish_numbered_and_a_failing_one_leaves_a_note(own_sections, small_demo, tmp_path, capsys):
    out = tmp_path / "output"
    params = write_params(tmp_path, small_demo)
    # the summary, and the two own sections: the built-in sections are left out to keep it quick
    assert batch.publish([str(params)], quiet=True, output=out, section_stems=["returns", "broken"], pdf=False) == 0
    printed = capsys.readouterr().out
    assert "ok, with a warning" in printed
    assert ("t_2025-Q4 WARNING: section broken.ipynb, cell [5]: ZeroDivisionError: division by zero; the report "
            "shows a note in its place") in printed
    report = out / "t_2025-Q4"
    html = (report / "report.html").read_text(encoding="utf-8")
    assert '<span class="secno">1</span> 退货分析' in html and '<span class="secno">1.1</span> 各星期的支付订单' in html
    assert '<span class="secno">2</span> 坏掉的分析' in html  # the failed section keeps its place and number
    assert "笔记本broken.ipynb的代码单元格 [5] 出错（ZeroDivisionError: division by zero）" in html
    assert "Traceback" not in html and ("每天的支付订单最多" in html or "每天的支付订单相近" in html)
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    validate_metrics(metrics)
    assert sorted(metrics["sections"]["custom"]) == ["returns"]
    assert sum(r["orders"] for r in metrics["sections"]["custom"]["returns"]["orders_by_weekday"]) > 0
    assert metrics["failed_sections"] == [{"notebook": "broken", "cell": 5,
                                           "reason": "ZeroDivisionError: division by zero"}]
    assert "section broken failed and is left out" in (report / "run.log").read_text(encoding="utf-8")
    executed = nbformat.read(report / "notebooks" / "broken.ipynb", as_version=4)  # kept, with its traceback
    assert any(o.get("ename") == "ZeroDivisionError" for c in executed.cells for o in c.get("outputs", []))

    # strict: the same run fails as a failing kit section would, and the report above stays
    strict = write_params(tmp_path, small_demo, "strict: true\n", name="strict.yaml")
    assert batch.publish([str(strict)], quiet=True, output=out, section_stems=["broken"], pdf=False) == 1
    assert "t_2025-Q4 FAILED: broken.ipynb, cell [5]: ZeroDivisionError" in capsys.readouterr().out
    assert (out / "_failed" / "t_2025-Q4" / "run.log").exists()
    assert (report / "report.html").read_text(encoding="utf-8") == html
