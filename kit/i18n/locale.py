"""The reader's language and currency, passed once instead of a ``lang`` argument in every
signature: everything that writes text for the report (sentences, chart labels, tables)
takes a :class:`Locale`, usually ``run.locale``."""

from __future__ import annotations

from dataclasses import dataclass

from kit.i18n import numbers


@dataclass(frozen=True)
class Locale:
    """How the report writes: ``lang`` (``zh`` or ``en``) and the shop's ``currency`` symbol."""

    lang: str
    currency: str = "¥"

    def __post_init__(self) -> None:
        from kit.i18n import LANGS

        if self.lang not in LANGS:
            raise ValueError(f"unknown language {self.lang!r}; use one of {', '.join(LANGS)}")

    # ---------------------------------------------------------------- words

    def t(self, key: str, /, **values) -> str:
        """The text for ``key`` with ``{placeholders}`` filled (see :func:`kit.i18n.t`)."""
        from kit.i18n import t

        return t(key, self.lang, **values)

    def tidy(self, text: str) -> str:
        """Text put together outside :meth:`t` made to follow the language's spacing rule
        (:func:`kit.i18n.tidy`: no ASCII space next to a Chinese character)."""
        from kit.i18n import tidy

        return tidy(text, self.lang)

    def label(self, prefix: str, value) -> str:
        """The translated label of a data value (``prefix.value``), or the value itself."""
        from kit.i18n import label

        return label(prefix, value, self.lang)

    def has(self, key: str) -> bool:
        """Whether the translation table defines ``key``."""
        from kit.i18n import TEXT

        return key in TEXT

    def join(self, items) -> str:
        """Items joined by the language's list separator (、 in Chinese, ", " in English)."""
        return self.t("report.list_sep").join(items)

    def sentences(self, parts) -> str:
        """Sentences one after another: no space between Chinese sentences, one in English;
        empty parts are left out."""
        return ("" if self.lang == "zh" else " ").join(p for p in parts if p)

    # ---------------------------------------------------------------- numbers

    def integer(self, x) -> str:
        return numbers.fmt_int(x)

    def number(self, x, digits: int = 1) -> str:
        return numbers.fmt_num(x, digits)

    def money(self, x, digits: int | None = None) -> str:
        """Money as :func:`kit.i18n.numbers.fmt_money` writes it in this language (``¥568.6万``)."""
        return numbers.fmt_money(x, self.currency, digits, self.lang)

    def pct(self, x, digits: int = 1) -> str:
        return numbers.fmt_pct(x, digits)

    def pp(self, x, digits: int = 1, unit: bool = True) -> str:
        """A change of a rate in percentage points, with the language's unit (``+1.5个百分点``;
        without it when ``unit`` is False, for a chart whose axis names it); 持平 (flat) when
        it rounds to zero."""
        return numbers.fmt_pp(x, self.t("report.unit.pp") if unit else "", digits, flat=self.t("report.flat"))

    def change(self, rel, digits: int = 1) -> str:
        """A relative change with its sign (``+23.0%``); 持平 (flat) when it rounds to zero."""
        return numbers.fmt_change(rel, digits, flat=self.t("report.flat"))

    def ticks(self, values, kind: str = "num", absolute: bool = False) -> list[str]:
        """Axis tick labels (see :func:`kit.i18n.numbers.tick_labels`) in this language and currency."""
        return numbers.tick_labels(values, kind, self.currency, self.lang, absolute)

    def value(self, x, kind: str) -> str:
        """``x`` written as ``kind`` (see :data:`kit.i18n.numbers.KINDS`)."""
        if numbers.is_missing(x):
            return numbers.DASH
        writer = {"int": self.integer, "num": numbers.fmt_auto, "money": self.money, "pct": self.pct,
                  "pp": self.pp, "change": self.change}.get(kind)
        return writer(x) if writer else str(x)
