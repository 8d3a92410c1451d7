"""The translation table: every label, heading and sentence template, in zh and en.

``t(key, lang, **values)`` looks a key up and fills its ``{placeholders}``; the report reaches it
through a :class:`Locale` (``loc.t(key, **values)``), which carries the language once. The table is
kept in one file per report part (``report``, ``profile``, ``conversion``, ``retention``, ``rfm``, ``clv``, ``products``,
``experiments``, ``diagnosis``, ``history``, ``intro``, ``glossary``, ``sections``), each under its own key prefix, and merged here; a key defined twice fails
at import.
A missing key or language fails loudly in tests rather than showing a raw key.

Chinese text has no ASCII space next to a Chinese character: not between two Chinese words
(地区东北), nor between Chinese and Latin letters, digits or a currency sign (设备App「支付」、
信息流广告的ROI、下降1.5个百分点、涉及金额¥24.9万). This follows the Chinese publishing norm
and W3C's Requirements for Chinese Text Layout (clreq 3.2.2; Unicode UTR #59): the thin gap
between Han and Western characters is the typesetter's job (CSS ``text-autospace``), not a
space character in the text. Spaces between two Western words stay (``p < 0.001``, ``BG/NBD``),
and so do spaces around symbols (``访问 → 支付``). :func:`tidy` applies the rule; every text
:func:`t` and :func:`label` return in Chinese has passed through it, placeholders included,
so names from the data and parts built by code (``设备 App``) follow it too. English text is
left as written.
"""

from __future__ import annotations

import re

from kit.i18n import (
    clv,
    conversion,
    diagnosis,
    experiments,
    glossary,
    history,
    intro,
    products,
    profile,
    report,
    retention,
    rfm,
    sections,
)

LANGS = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {}
for _part in (report, profile, conversion, retention, rfm, clv, products, experiments, diagnosis, history, intro, glossary, sections):
    _clash = TEXT.keys() & _part.TEXT.keys()
    assert not _clash, f"translation keys defined twice: {sorted(_clash)}"
    TEXT.update(_part.TEXT)


_CJK = ("\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3200-\u32ff"
        "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff")
_WORD = rf"[{_CJK}\w¥$€£%+\-–]"  # what sits on the other side: CJK, letters, digits, signs
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) +(?={_WORD})|(?<={_WORD}) +(?=[{_CJK}])")


def tidy(text: str, lang: str) -> str:
    """``text`` without the ASCII spaces the language's typesetting does not use: in Chinese,
    none next to a Chinese character (see the module's docstring); other languages unchanged."""
    return _CJK_SPACE.sub("", text) if lang == "zh" else text


def t(key: str, lang: str = "zh", /, **values) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``
    (Chinese through :func:`tidy`)."""
    try:
        entry = TEXT[key]
    except KeyError:
        raise KeyError(f"no translation for {key!r}; add it to the matching file in kit/i18n/") from None
    text = entry.get(lang) or entry["en"]
    return tidy(text.format(**values) if values else text, lang)


def join_list(items, lang: str) -> str:
    """The items joined by the language's list separator (``report.list_sep``: 、 in Chinese, ", " in English)."""
    return t("report.list_sep", lang).join(items)


def label(prefix: str, value, lang: str) -> str:
    """The translated label of a data value (``prefix.value``), or the value itself when none exists."""
    entry = TEXT.get(f"{prefix}.{value}")
    return tidy(entry.get(lang, entry.get("en")), lang) if entry else str(value)


from kit.i18n.locale import Locale  # noqa: E402  (it reads the table above)

__all__ = ["LANGS", "TEXT", "Locale", "join_list", "label", "t", "tidy"]
