"""How numbers read (kit.i18n.numbers) and the Locale that writes them in the report's language."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kit.i18n import Locale
from kit.i18n.numbers import direction, fmt_change, fmt_int, fmt_num, fmt_pct

ZH, EN = Locale("zh"), Locale("en")


# ------------------------------------------------------------------ fmt_*

def test_fmt_int_thousands_and_half_up_rounding():
    assert fmt_int(1234567) == "1,234,567"
    # Python's round() gives 2 for 2.5 (to even); readers expect 3, and -2.5 -> -3
    assert fmt_int(2.5) == "3"
    assert fmt_int(-2.5) == "-3"
    assert fmt_int(999.4) == "999"
    assert fmt_int(np.int64(12000)) == "12,000"


def test_missing_values_show_a_dash():
    for fmt in (EN.integer, EN.number, EN.money, EN.pct, EN.pp, EN.change):
        assert fmt(None) == "–"
        assert fmt(float("nan")) == "–"
        assert fmt(math.inf) == "–"
    assert fmt_num(np.float32("nan")) == "–"


def test_fmt_num_digits():
    assert fmt_num(1234.56) == "1,234.6"
    assert fmt_num(1234.56, 0) == "1,235"
    # 2.675 is stored as 2.67499999...; shown as written it rounds up to 2.68
    assert fmt_num(2.675, 2) == "2.68"
    assert fmt_num(-0.04) == "0.0"  # rounds to zero: no "-0.0"


def test_fmt_money():
    assert ZH.money(12345.6) == "¥12,346"
    assert ZH.money(35.2) == "¥35.20"  # below 100 keeps cents
    assert ZH.money(-1234.5) == "-¥1,235"  # sign before the symbol, half away from zero
    assert Locale("en", "$").money(-35.2) == "-$35.20"
    assert ZH.money(-0.001) == "¥0.00"  # no "-¥0.00"
    assert Locale("en", "€").money(1234.5, digits=1) == "€1,234.5"


def test_fmt_pct_pp_and_change():
    assert fmt_pct(0.3821) == "38.2%"
    assert fmt_pct(12.3456) == "1,234.6%"
    assert fmt_pct(-0.00001) == "0.0%"
    # 0.015 = 1.5 points
    assert EN.pp(0.015) == "+1.5 pp"
    assert ZH.pp(-0.015) == "-1.5 个百分点"
    assert EN.pp(0.0) == "+0.0 pp"
    assert fmt_change(0.23) == "+23.0%"
    assert fmt_change(-0.0555) == "-5.6%"  # -5.55 rounds away from zero
    assert fmt_change(-0.0001) == "+0.0%"  # shows as zero: no "-0.0%"


def test_direction_follows_the_printed_number():
    assert direction(0.01) == "up"
    assert direction(-0.01) == "down"
    assert direction(0.0004) == "flat"  # printed +0.0%
    assert direction(0.0005) == "up"  # printed +0.1%
    assert direction(None) == "flat"


def test_locale_value_writes_each_kind():
    loc = Locale("zh", "$")
    assert [loc.value(0.1234, k) for k in ("int", "num", "money", "pct", "pp", "change", "text")] == [
        "0", "0.12", "$0.12", "12.3%", "+12.3 个百分点", "+12.3%", "0.1234"]
    assert loc.value(None, "money") == "–"


def test_locale_joins_lists_and_sentences_in_its_language():
    assert ZH.join(["华东", "华南"]) == "华东、华南"
    assert EN.join(["East", "South"]) == "East, South"
    assert ZH.sentences(["甲。", "", "乙。"]) == "甲。乙。"
    assert EN.sentences(["One.", "", "Two."]) == "One. Two."


def test_locale_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        Locale("fr")
