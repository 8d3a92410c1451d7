"""An analyst's own sections in the published report: their figures in metrics.json under their
name, and a failing one replaced by a note while the rest of the report is published (unless
the params say ``strict: true``)."""

from __future__ import annotations

import nbformat
import pytest
from pydantic import ValidationError

from kit.errors import KitError
from kit.figures.schema import BUILT_IN_SECTIONS, validate_metrics
from kit.i18n import Locale


def _doc(sections: dict, failed: list | None = None) -> dict:
    run = {"run_name": "t", "period": "2025-Q4", "period_start": "2025-10-01", "period_end": "2025-12-31",
           "lang": "zh", "currency": "¥", "fingerprint": "x", "kit_version": "0"}
    doc = {"schema_version": "1.1", "run": run, "generated_at": "now", "sections": sections}
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
    assert 'class="kit-missing"' in html and "returns.ipynb 的代码单元格 [5] 出错" in html and "&lt;b&gt;" in html
    gone = nbformat.read(failed_section_notebook(tmp_path / "none.ipynb", {**failure, "notebook": "my_part",
                                                                            "cell": None}, Locale("en"),
                                                 tmp_path / "g"), as_version=4)
    assert gone.cells[0].source == r"# my\_part"
    assert "notebook my_part.ipynb failed (KeyError" in gone.cells[1].outputs[0]["data"]["text/plain"]
