"""The translation table: every label, heading and sentence template, in zh and en.

``t(key, lang, **values)`` looks a key up and fills its ``{placeholders}``; the report reaches it
through a :class:`Locale` (``loc.t(key, **values)``), which carries the language once. The table is
kept in one file per report part (``report``, ``profile``, ``conversion``, ``retention``, ``rfm``, ``clv``,
``experiments``, ``diagnosis``, ``history``, ``intro``, ``glossary``, ``sections``), each under its own key prefix, and merged here; a key defined twice fails
at import.
A missing key or language fails loudly in tests rather than showing a raw key.
"""

from __future__ import annotations

from kit.i18n import (
    clv,
    conversion,
    diagnosis,
    experiments,
    glossary,
    history,
    intro,
    profile,
    report,
    retention,
    rfm,
    sections,
)

LANGS = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {}
for _part in (report, profile, conversion, retention, rfm, clv, experiments, diagnosis, history, intro, glossary, sections):
    _clash = TEXT.keys() & _part.TEXT.keys()
    assert not _clash, f"translation keys defined twice: {sorted(_clash)}"
    TEXT.update(_part.TEXT)


def t(key: str, lang: str = "zh", /, **values) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``."""
    try:
        entry = TEXT[key]
    except KeyError:
        raise KeyError(f"no translation for {key!r}; add it to the matching file in kit/i18n/") from None
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def join_list(items, lang: str) -> str:
    """The items joined by the language's list separator (``report.list_sep``: 、 in Chinese, ", " in English)."""
    return t("report.list_sep", lang).join(items)


def label(prefix: str, value, lang: str) -> str:
    """The translated label of a data value (``prefix.value``), or the value itself when none exists."""
    entry = TEXT.get(f"{prefix}.{value}")
    return entry.get(lang, entry.get("en")) if entry else str(value)


from kit.i18n.locale import Locale  # noqa: E402  (it reads the table above)

__all__ = ["LANGS", "TEXT", "Locale", "join_list", "label", "t"]
