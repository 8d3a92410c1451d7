from pathlib import Path

import pytest

from kit.errors import ParamsError
from kit.params import load_params, safe_name

REPO = Path(__file__).resolve().parent.parent

BASE = """\
title: t
period: 2025-Q4
data:
  orders: {path: orders.csv}
"""


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_defaults(tmp_path):
    (run,) = load_params(write(tmp_path, BASE))
    assert run.lang == "zh" and run.currency == "¥"
    assert run.current.label == "2025-Q4" and run.previous.label == "2025-Q3"
    assert run.rfm_scheme == "cn8"
    assert run.conversion.cart_window_hours == 24 and run.conversion.at_risk_days == 90
    assert run.run_name == "p_2025-Q4"
    assert run.resolve("orders.csv") == tmp_path / "orders.csv"


def test_english_defaults_to_rfm_grid(tmp_path):
    (run,) = load_params(write(tmp_path, BASE + "lang: en\n"))
    assert run.rfm_scheme == "rfm-grid"


def test_unknown_key_names_file_line_and_closest_key(tmp_path):
    path = write(tmp_path, BASE + "lnag: en\n")
    with pytest.raises(ParamsError) as e:
        load_params(path)
    msg = str(e.value)
    assert f"{path}:5" in msg and "'lnag'" in msg and "Did you mean 'lang'?" in msg


def test_unknown_nested_key_points_at_its_line(tmp_path):
    path = write(tmp_path, BASE + "conversion:\n  cart_window_hrs: 12\n")
    with pytest.raises(ParamsError) as e:
        load_params(path)
    assert f"{path}:6" in str(e.value) and "cart_window_hours" in str(e.value)


def test_bad_period_lists_accepted_forms(tmp_path):
    path = write(tmp_path, BASE.replace("2025-Q4", "Q4-2025"))
    with pytest.raises(ParamsError, match=r"p.yaml:2: period: .*accepted forms: 2025 \(a year\)"):
        load_params(path)


def test_unknown_column_in_mapping_suggests(tmp_path):
    path = write(tmp_path, BASE.replace("{path: orders.csv}", "{path: orders.csv, columns: {ammount: Total}}"))
    with pytest.raises(ParamsError, match="'ammount' is not a column of the orders table \\(did you mean 'amount'\\?\\)"):
        load_params(path)


def test_event_mapping_must_target_a_step(tmp_path):
    with pytest.raises(ParamsError, match="not one of view, product_view"):
        load_params(write(tmp_path, BASE + "events: {click: klick}\n"))


def test_malformed_yaml_names_the_line(tmp_path):
    path = write(tmp_path, BASE + "slice: {region: [a, b}\n")
    with pytest.raises(ParamsError, match=r"p.yaml:5: not valid YAML"):
        load_params(path)


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "nope.yaml")
    with pytest.raises(ParamsError, match="expected a mapping"):
        load_params(write(tmp_path, "- a\n- b\n"))


def test_data_needs_orders_or_events(tmp_path):
    with pytest.raises(ParamsError, match="at least an orders or an events source"):
        load_params(write(tmp_path, "period: 2025-Q4\ndata: {customers: {path: c.csv}}\n"))


def test_matrix_expands_to_every_combination_with_safe_names(tmp_path):
    text = BASE + "slice: {channel: 搜索引擎}\nmatrix:\n  region: [华东, 华南]\n  period: [2025-Q3, 2025-Q4]\n"
    runs = load_params(write(tmp_path, text, "shop.yaml"))
    assert len(runs) == 4
    assert {(r.slice["region"], r.current.label) for r in runs} == {
        ("华东", "2025-Q3"), ("华东", "2025-Q4"), ("华南", "2025-Q3"), ("华南", "2025-Q4")}
    assert all(r.slice["channel"] == "搜索引擎" for r in runs)
    names = {r.run_name for r in runs}
    assert "shop_2025-Q4_搜索引擎_华东" in names and len(names) == 4


def test_safe_name_removes_path_separators():
    assert safe_name("a/b c:d*e") == "a-b-c-d-e"
    assert safe_name("华东 / 华南") == "华东-华南"
    assert safe_name("..") == "run"


def test_shipped_params_files_are_valid():
    for path in sorted((REPO / "params").glob("*.yaml")):
        assert load_params(path), path
    runs = load_params(REPO / "params" / "demo_regions.yaml")
    assert len(runs) == 6
