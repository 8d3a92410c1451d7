"""The one chart theme of the report, and the figure helpers every section's charts share.

Section chart modules (``kit.charts.profile``, ``.conversion``, ``.rfm``, ``.diagnosis``)
take small polars DataFrames and a :class:`kit.i18n.Locale`, hand the data to seaborn as
pandas at the last moment and, as seaborn's axes-level functions do, draw on ``ax`` when
given (a panel of a composed figure) or on a new figure of the report's width, and return
the Axes. Charts of several panels (small multiples) return their Figure. The notebook
shows either with :func:`show` (an inline PNG whose alt text is the chart's title).
"""

from __future__ import annotations

from datetime import date

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# System CJK fonts first so Chinese labels render; DejaVu covers Latin and symbols.
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
         "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]
MAIN = "#2f5d8a"      # the kit's main series colour
ACCENT = "#e07b39"    # the one series the narrative talks about
UP = "#2e7d32"        # a change for the better
DOWN = "#c62828"      # a change for the worse
GREY = "#9e9e9e"
SEQUENTIAL = "Blues"  # heatmaps of counts and shares
DIVERGING = "RdBu_r"  # heatmaps centred on an index of 100 or a change of 0

WIDTHS = {"wide": 9.0, "half": 5.5}


def use_theme() -> None:
    """Apply the report's seaborn theme, CJK-capable fonts and figure defaults."""
    sns.set_theme(style="whitegrid", context="notebook", palette=palette(8))
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": FONTS,
        "axes.unicode_minus": False,  # CJK fonts lack U+2212; use ASCII minus
        "text.parse_math": False,  # labels are data ("$100 deals"): a $ is a dollar, not TeX
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })


def palette(n: int) -> list:
    """``n`` distinguishable colours starting with the main colour."""
    base = [MAIN, ACCENT, "#5b9a68", "#8e6bb0", "#c9a227", "#4aa3b5", "#b5566b", "#7a7a7a"]
    if n <= len(base):
        return base[:n]
    return base + sns.color_palette("husl", n - len(base))


def figure(size: str = "wide", height: float = 3.6, ncols: int = 1, nrows: int = 1, **kwargs):
    """A new figure of the report's width (``wide`` = full text width, ``half``) and its axes."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTHS[size], height), layout="constrained", **kwargs)
    return fig, axes


def axes(ax=None, size: str = "wide", height: float = 3.6):
    """The Axes a chart draws on: ``ax`` when given, else a new figure's (see :func:`figure`)."""
    if ax is not None:
        return ax
    _, ax = figure(size, height)
    return ax


def pct_axis(ax, axis: str = "y", digits: int = 0) -> None:
    """Label an axis of shares (0-1) as percentages."""
    fmt = FuncFormatter(lambda v, _: f"{v * 100:.{digits}f}%")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def thousands_axis(ax, axis: str = "y", prefix: str = "") -> None:
    """Label an axis with thousands separators (and a currency prefix)."""
    fmt = FuncFormatter(lambda v, _: f"{prefix}{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def date_axis(ax, first: date, last: date, max_ticks: int = 4) -> None:
    """Label a daily x axis from ``first`` to ``last`` with at most ``max_ticks`` fixed dates,
    the finest of days, Mondays or month starts that needs no more than every second one:
    a quarter gets every other Monday with 8 ticks and its month starts with 3. Month-day
    labels (with the year when the span crosses one). The ticks are set once: matplotlib's
    automatic date locator re-ran its date rule on every layout pass and made the daily
    charts the slowest of the report."""
    days = [date.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1)]
    mondays = [d for d in days if d.weekday() == 0]
    months = [d for d in days if d.day == 1]
    levels = [level for level in (days, mondays, months) if level]
    candidates = next((level for level in levels if len(level) <= 2 * max_ticks), levels[-1])
    ticks = candidates[::-(-len(candidates) // max_ticks)]
    if first.year == last.year:
        fmt = "%m-%d"
    else:
        fmt = "%Y-%m" if candidates is months else "%Y-%m-%d"
    ax.set_xticks(ticks, [d.strftime(fmt) for d in ticks])


def title_of(fig) -> str:
    """A figure's title: its suptitle, else the titles of its axes joined."""
    if fig._suptitle is not None and fig._suptitle.get_text():
        return fig._suptitle.get_text()
    return " · ".join(t for t in (ax.get_title() for ax in fig.axes) if t)


def png(fig) -> bytes:
    """The figure as PNG bytes, as the report embeds it (the theme's dpi and bounding box)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def show(chart) -> None:
    """Display a finished chart (its Axes or Figure) once, as an inline PNG whose alt text is
    its title, and release its memory."""
    from IPython.display import Image, display

    fig = getattr(chart, "figure", chart)
    display(Image(data=png(fig), format="png", metadata={"alt": title_of(fig)}))
    plt.close(fig)
