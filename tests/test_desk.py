"""The analyst's desk without a server: the heading cells JupyterLab's table of contents lists,
their numbering, and ``kit new-section`` (the template, sections.yaml, a params file's sections:)."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from conftest import REPO

from kit.cli import main
from kit.desk import headings
from kit.desk.notebooks import notebook_text, read_notebook
from kit.publish import batch

TOC_NOTEBOOKS = ("01_profile", "02_conversion", "03_rfm")


def _code(source: str, **metadata) -> dict:
    return {"cell_type": "code", "id": "c" + str(abs(hash(source)) % 10**7), "metadata": metadata,
            "source": source, "execution_count": None, "outputs": []}


def _nb(*cells) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def notebooks(tmp_path, monkeypatch):
    """A copy of notebooks/ that the publisher and kit new-section use instead of the real one."""
    folder = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setattr(batch, "NOTEBOOKS", folder)
    return folder


# ---------------------------------------------------------------- headings


def test_sections_list_their_numbered_headings_before_they_run():
    listed = batch.sections()
    order = [(s.stem, read_notebook(s.path)) for s in listed]
    numbers = headings.section_numbers(order, {s.stem for s in listed if not s.numbered})
    for stem, nb in order:
        if stem not in TOC_NOTEBOOKS:
            continue
        assert headings.problems(nb, numbers[stem]) == [], f"{stem}: run `kit toc notebooks/{stem}.ipynb`"
        cells = [c for c in nb["cells"] if headings.is_heading_cell(c)]
        assert len(cells) >= 3 and all("remove_cell" in c["metadata"]["tags"] for c in cells)
        assert nb["metadata"]["toc-autonumbering"] is True
    assert [numbers[s] for s in TOC_NOTEBOOKS] == [1, 2, 3]
    first = next(c for c in dict(order)["01_profile"]["cells"] if headings.is_heading_cell(c))
    assert "".join(first["source"]) == "# 客户画像分析"  # the report's default language


def test_heading_cells_follow_the_code_and_keep_their_ids():
    nb = _nb(_code('nbk.heading(loc.t("profile.section"))\nnbk.heading(loc.t("profile.h.attributes"), 2)'),
             _code('x = 1'),
             _code('nbk.heading(nbk.in_language(loc, zh="我的 *分析*", en="Mine"), level=2)'),
             _code('nbk.heading(loc.t(f"diag.h.{severity}"), 2)\nnbk.heading("细节", 3)'),
             _code('%matplotlib inline'))
    synced = headings.sync_headings(nb)
    kinds = [c["cell_type"] for c in synced["cells"]]
    assert kinds == ["markdown", "code", "code", "markdown", "code", "code", "code"]
    assert "".join(synced["cells"][0]["source"]) == "# 客户画像分析\n\n## 基础属性"
    assert "".join(synced["cells"][3]["source"]) == r"## 我的 \*分析\*"  # escaped as the report escapes it
    assert headings.sync_headings(synced) == synced  # idempotent, ids kept
    synced["cells"][1]["source"] = 'nbk.heading(loc.t("rfm.section"))'
    again = headings.sync_headings(synced)
    assert "".join(again["cells"][0]["source"]) == "# 客户价值评估"
    assert again["cells"][3]["id"] == synced["cells"][3]["id"]
    assert headings.problems(synced, 1) and not headings.problems(headings.number_section(again, 1), 1)


def test_section_numbers_are_the_publishers():
    from kit.publish.export import REMOVE_TAG, number_headings

    assert REMOVE_TAG == headings.REMOVE_TAG
    order = [("summary", _nb(_code('nbk.heading("摘要")'))), ("a", _nb(_code('nbk.heading("甲")'))),
             ("b", _nb(_code('nbk.heading("乙")\nnbk.heading("乙二")'), _code('nbk.heading("细", 2)'))),
             ("c", _nb(_code('nbk.heading("丙")')))]
    numbers = headings.section_numbers(order)
    assert numbers == {"summary": None, "a": 1, "b": 2, "c": 4}
    assert headings.section_numbers(order, {"summary", "a"}) == {"summary": None, "a": None, "b": 1, "c": 3}
    # the report numbers the same headings alike: each notebook's first level-1 heading
    parts = [nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        headings.heading_markdown(headings.heading_calls(c["source"]))) for c in nb["cells"]]) for _, nb in order]
    toc = number_headings(parts)
    firsts = {e["text"]: e["number"] for e in toc if e["level"] == 1}
    assert [firsts["甲"], firsts["乙"], firsts["丙"]] == [str(numbers[s]) for s in ("a", "b", "c")]


def test_kit_toc_restores_a_heading_cell_and_leaves_other_notebooks_alone(notebooks, capsys):
    path = notebooks / "02_conversion.ipynb"
    nb = read_notebook(path)
    nb["cells"] = [c for c in nb["cells"] if "".join(c["source"]) != "## 购物车放弃率"]
    path.write_text(notebook_text(nb), encoding="utf-8")
    untouched = (notebooks / "04_diagnosis.ipynb").read_bytes()
    assert main(["toc"]) == 0
    assert "02_conversion: updated" in capsys.readouterr().out

    def shape(nb):
        return nb["metadata"], [(c["cell_type"], "".join(c["source"]), c["metadata"]) for c in nb["cells"]]

    assert shape(read_notebook(path)) == shape(read_notebook(REPO / "notebooks" / "02_conversion.ipynb"))
    assert (notebooks / "04_diagnosis.ipynb").read_bytes() == untouched


# ---------------------------------------------------------------- kit new-section


def test_new_section_after_a_section_is_registered_numbered_and_moves_the_numbers_after_it(notebooks, capsys):
    before = {p.name: p.read_bytes() for p in notebooks.glob("*.ipynb")}
    code = main(["new-section", "returns", "--after", "01_profile", "--title", "退货分析", "--title-en", "Returns"])
    assert code == 0
    out = capsys.readouterr().out
    assert "section 2 of the report" in out and "02_conversion.ipynb" in out
    text = (notebooks / "sections.yaml").read_text(encoding="utf-8")
    assert text.startswith("# The report's sections") and "after_others: true" in text  # comments and keys kept
    assert text.index("- notebook: 01_profile") < text.index("- notebook: returns") < text.index(
        "- notebook: 02_conversion")
    listed = batch.listed_sections()
    assert [s.stem for s in listed][:5] == ["00_summary", "00_intro", "01_profile", "returns", "02_conversion"]
    assert listed[3].own and not any(s.own for s in listed if s.stem != "returns")

    nb = read_notebook(notebooks / "returns.ipynb")
    assert notebook_text(nb) == (notebooks / "returns.ipynb").read_text(encoding="utf-8")  # as nbformat writes it
    nbformat.validate(nbformat.reads(notebook_text(nb), as_version=4))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert nb["cells"][1]["metadata"]["tags"] == ["parameters"]
    assert [s for c, s in zip(nb["cells"], sources, strict=True) if headings.is_heading_cell(c)] == [
        "# 退货分析", "## 各星期的支付订单"]
    code_text = "\n".join(sources)
    for part in ("nbk.start(params_path, run_name, work_dir)", "chart(weekday_bars(", "nbk.say(",
                 "run.record(SECTION", "SECTION = 'returns'", "@needs(orders=())"):
        assert part in code_text, part
    assert nb["metadata"]["toc"]["base_numbering"] == 2
    assert read_notebook(notebooks / "02_conversion.ipynb")["metadata"]["toc"]["base_numbering"] == 3
    assert read_notebook(notebooks / "03_rfm.ipynb")["metadata"]["toc"]["base_numbering"] == 4
    for unchanged in ("00_summary.ipynb", "01_profile.ipynb", "04_diagnosis.ipynb"):
        assert (notebooks / unchanged).read_bytes() == before[unchanged]


@pytest.mark.parametrize("args, message", [
    (["My Section"], "is not a section name"),
    (["profile"], "one of the kit's metrics.json sections"),
    (["returns", "--after", "05_nowhere"], "--after 05_nowhere"),
    (["returns", "--params", "missing.yaml"], "params file not found"),
])
def test_new_section_refuses_bad_input_with_one_message_and_writes_nothing(notebooks, capsys, args, message):
    before = {p.name: p.read_bytes() for p in notebooks.iterdir()}
    assert main(["new-section", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert {p.name: p.read_bytes() for p in notebooks.iterdir()} == before


def test_new_section_refuses_an_existing_notebook(notebooks, capsys):
    assert main(["new-section", "returns"]) == 0
    assert main(["new-section", "returns"]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("existing, expected", [
    ("", ["00_summary", "00_intro", "01_profile", "coupons", "02_conversion", "03_rfm", "06_products", "05_experiments",
          "04_diagnosis", "99_appendix"]),
    ("sections: [00_summary, 01_profile, 03_rfm]\n", ["00_summary", "01_profile", "coupons", "03_rfm"]),
    ("sections:\n  - 01_profile\n  - 03_rfm\n# a comment kept\nlang: en\n", ["01_profile", "coupons", "03_rfm"]),
])
def test_new_section_for_one_params_file(notebooks, tmp_path, existing, expected):
    from kit.params import load_params

    params = tmp_path / "mine.yaml"
    params.write_text(f"# my shop\nperiod: 2025-Q4\ndata:\n  orders: {{path: orders.csv}}\n{existing}",
                      encoding="utf-8")
    sections_yaml = (notebooks / "sections.yaml").read_bytes()
    assert main(["new-section", "coupons", "--params", str(params), "--after", "01_profile"]) == 0
    run = load_params(params)[0]
    assert run.sections == expected
    text = params.read_text(encoding="utf-8")
    assert text.startswith("# my shop\n") and ("# a comment kept" in text) == ("comment" in existing)
    assert (run.lang == "en") == ("lang: en" in existing)
    assert (notebooks / "sections.yaml").read_bytes() == sections_yaml  # the other reports are untouched
    assert [s.stem for s in batch.sections(run.sections, str(params)) if s.numbered][:2] == ["01_profile", "coupons"]
    assert read_notebook(notebooks / "coupons.ipynb")["metadata"]["toc"]["base_numbering"] == 2


def test_sections_yaml_mistakes_are_one_message(notebooks):
    from kit.errors import KitError

    path = notebooks / "sections.yaml"
    for text, message in [("sections:\n  - notebook: 01_profile\n    owm: true\n", "unknown key 'owm'"),
                          ("sections:\n  - 01_profile\n", "needs `notebook: NAME`"),
                          ("sections:\n  - notebook: 01_profile\n    own: maybe\n", "own must be true or false"),
                          ("sections:\n  - notebook: 01_profile\n    cost: 0\n", "cost must be a number above 0"),
                          ("sections:\n  - notebook: 01_profile\n    cost: high\n", "cost must be a number above 0"),
                          ("sections: [\n", "not valid YAML"),
                          ("sections:\n  - notebook: 01_profile\n  - notebook: 01_profile\n", "twice")]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(KitError, match=message):
            batch.listed_sections()


def test_a_params_file_may_list_an_own_notebook_in_its_place(notebooks):
    from kit.errors import KitError

    (notebooks / "mine.ipynb").write_text(json.dumps(_nb()), encoding="utf-8")
    stems = lambda only: [(s.stem, s.own) for s in batch.sections(only, "p.yaml")]  # noqa: E731
    assert stems(["01_profile", "mine", "03_rfm"]) == [("00_summary", False), ("01_profile", False), ("mine", True),
                                                       ("03_rfm", False)]
    assert stems(["mine", "02_conversion"])[:2] == [("00_summary", False), ("mine", True)]
    with pytest.raises(KitError, match="p.yaml: sections: unknown section.s. nothere"):
        batch.sections(["01_profile", "nothere"], "p.yaml")


def test_the_templates_example_names_a_busiest_weekday_only_when_it_is_significant():
    """The example figure counts orders per date of each weekday (a quarter has 14 of one) and
    its sentence states a busiest day only when the difference passes the run's threshold."""
    import polars as pl

    from kit.desk.new_section import DEFINITIONS
    from kit.i18n import Locale

    space = {"pl": pl}
    exec("from kit import notebook as nbk\nfrom kit.charts import MAIN, axes, count_axis\n"
         "from kit.contract import paid\nfrom kit.figures import needs\nfrom kit.metrics.common import in_period\n"
         "from kit.metrics.significance import count_ratio_p, significant\n"
         + DEFINITIONS.format(), space)
    loc = Locale("zh")
    # 14 Wednesdays with 10 orders each, 13 of each other day with 10: alike per day (raw counts favour Wednesday)
    alike = pl.DataFrame({"weekday": range(1, 8), "days": [13, 13, 14, 13, 13, 13, 13],
                          "orders": [130, 130, 140, 130, 130, 130, 130]}).with_columns(
        (pl.col("orders") / pl.col("days")).alias("orders_per_day"))
    assert space["weekday_text"](alike, loc, 0.05) == "各星期每天的支付订单相近（每天10–10笔）。"
    busy = alike.with_columns(pl.when(pl.col("weekday") == 7).then(390).otherwise(pl.col("orders")).alias("orders")
                              ).with_columns((pl.col("orders") / pl.col("days")).alias("orders_per_day"))
    assert space["weekday_text"](busy, loc, 0.05) == "周日每天的支付订单最多：30笔，其他日子平均10笔。"
