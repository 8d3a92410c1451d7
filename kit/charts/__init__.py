"""The one chart theme of the report, and the figure helpers every section's charts share.

Section chart modules (``kit.charts.profile``, ``.conversion``, ``.rfm``, ``.diagnosis``)
take small polars DataFrames and a :class:`kit.i18n.Locale`, hand the data to matplotlib at
the last moment and, as seaborn's axes-level functions do, draw on ``ax`` when given (a panel
of a composed figure) or on a new figure of the report's width, and return the Axes. Charts
of several panels (small multiples) return their Figure. The notebook shows either with
:func:`show` (an inline PNG whose alt text is the chart's title).

The theme, in one place:

- **Size and type.** A figure is ``wide`` (the A4 text width, 7 in) or ``half``; :func:`show`
  gives the PNG its width in CSS pixels (1 in = 96 px), so every chart is shown at the same
  scale and its text at the sizes it was drawn in: :data:`TITLE` for titles, :data:`LABEL`
  for axis labels and panel titles, :data:`TEXT` for ticks, legends, cell and bar labels and
  notes, on screen and on paper alike.
- **Drawn once.** Figures use matplotlib's constrained layout and are saved at their own size
  (no ``bbox_inches="tight"``, which draws every figure a second time to measure it);
  heatmaps are drawn here (:func:`heatmap`), not by seaborn, whose heatmap draws the whole
  figure once more to test its tick labels for overlap; the theme's settings are applied
  when they differ from matplotlib's current ones, not rebuilt for every chart.
- **Numbers.** Axis ticks are written by :func:`kit.i18n.numbers.tick_labels` (through
  :meth:`kit.i18n.Locale.ticks`), the same rules as the report's text: percentages with the
  fewest decimals that keep every label exact (never ``0% 0% 1%``) on evenly spaced 1-2-5
  steps, money as the text writes it (``¥50万`` in Chinese), counts with separators.
- **Colour.** :data:`MAIN` for the data, :data:`ACCENT` for the one value the sentence names,
  :data:`UP` / :data:`DOWN` for a change for the better / the worse (a fall of a "lower is
  better" metric is :data:`UP`: :func:`kit.i18n.numbers.tone`), sequential :data:`SEQUENTIAL`
  for counts, :data:`DIVERGING` centred on the neutral value (:func:`diverging`). Text on a
  coloured cell is dark or white by the cell's luminance (:func:`text_colour`).
- **Legends** sit outside the plot area (:func:`legend`), so they never cover data.
"""

from __future__ import annotations

import functools
import gc
from contextlib import contextmanager
from datetime import date

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.artist import Artist
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import Formatter, MaxNLocator

# System CJK fonts first so Chinese labels render; DejaVu covers Latin and symbols.
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
         "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]
MAIN = "#2f5d8a"      # the kit's main series colour
ACCENT = "#e07b39"    # the one series the narrative talks about
UP = "#2e7d32"        # a change for the better
DOWN = "#c62828"      # a change for the worse
GREY = "#9e9e9e"
INK = "#262626"       # text on light cells
SEQUENTIAL = "Blues"  # heatmaps of counts and shares
DIVERGING = "RdBu_r"  # heatmaps centred on a neutral value (an index of 100, a change of 0)

WIDTHS = {"wide": 7.0, "half": 4.6}
"""Figure widths in inches: ``wide`` is the A4 text width (210 mm less 2 x 14 mm margins)."""
DPI = 144
"""Pixels per figure inch in the PNG: 1.5 x the 96 CSS pixels an inch is shown at."""
CSS_DPI = 96
TITLE, LABEL, TEXT = 10.5, 9.0, 8.0
"""The type scale in points: chart titles; axis labels and panel titles; ticks, legends,
cell and bar labels and notes. Nothing in a chart is set in another size."""


def installed_fonts() -> list[str]:
    """:data:`FONTS` that this machine has: the first CJK font found, then DejaVu Sans for
    any glyph it lacks. matplotlib looks every family of the list up for every text it
    measures or draws, and a family it does not find is searched again each time (only
    found fonts are cached): with four absent families that search was a quarter of the
    report's chart time."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [f for f in FONTS[:-1] if f in names][:1]
    return cjk + ["DejaVu Sans"] if cjk else list(FONTS)


def _theme() -> dict:
    """The rc settings of the theme: seaborn's whitegrid look, the CJK fonts, the type scale."""
    import seaborn as sns
    from cycler import cycler

    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    rc.update({
        "axes.prop_cycle": cycler(color=palette(8)),
        "font.family": "sans-serif",
        "font.sans-serif": installed_fonts(),
        "axes.unicode_minus": False,  # CJK fonts lack U+2212; use ASCII minus
        "text.parse_math": False,  # labels are data ("$100 deals"): a $ is a dollar, not TeX
        # FreeType's auto-hinter runs on every glyph of every text drawn (matplotlib keeps no
        # glyph cache): at 144 dpi unhinted text looks the same and the charts draw 3% faster
        "text.hinting": "no_hinting",
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "savefig.bbox": None,  # the figure's own size: drawn once, shown at one scale
        "figure.titlesize": TITLE,
        "figure.titleweight": "bold",
        "axes.titlesize": TITLE,
        "axes.titleweight": "bold",
        # titles sit at the top of their axes (+ axes.titlepad): matplotlib then skips moving
        # them above whatever ticks it finds up there, a tick-label measurement per title
        "axes.titley": 1.0,
        "axes.labelsize": LABEL,
        "xtick.labelsize": TEXT,
        "ytick.labelsize": TEXT,
        "legend.fontsize": TEXT,
        "legend.title_fontsize": TEXT,
        "legend.frameon": False,
        "font.size": TEXT,
        "axes.spines.top": False,
        "axes.spines.right": False,
        # where an Axes sits before the layout places it: near where it will end up, so
        # that the one layout pass measures what hangs off its sides (a legend under it wider
        # than matplotlib's default 77% of the figure) as it will be
        "figure.subplot.left": 0.08,
        "figure.subplot.right": 0.98,
        "figure.constrained_layout.h_pad": 0.03,
        "figure.constrained_layout.w_pad": 0.03,
    })
    return rc


_THEME: dict | None = None


def use_theme() -> None:
    """Apply the report's theme (seaborn whitegrid, CJK-capable fonts, the type scale) where
    matplotlib's settings differ from it; a no-op when they already match."""
    global _THEME
    if _THEME is None:
        _THEME = _theme()
    rc = plt.rcParams
    changed = {k: v for k, v in _THEME.items() if rc[k] != v}
    if changed:
        rc.update(changed)


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused (and resumed as it was): building and drawing
    a chart makes tens of thousands of objects that live until the figure is drawn; the
    collector, counting them, would meanwhile scan the kernel's whole heap several times per
    chart (a tenth of the report's chart time). It runs afterwards on what is left."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_held = False
"""Whether a chart paused the collector (:func:`chart`) and has not been closed yet."""
_building = 0
"""How many chart functions are building now (a chart may draw another as a panel)."""


def _hold_collector() -> None:
    """Pause the collector for a chart from the start of its build until :func:`close`: the
    figure's objects are then looked at once, when they are garbage, instead of each time
    a collection runs while the figure lives (after its build, after its drawing, and later
    in the older generations they were promoted to: about a tenth of the chart time)."""
    global _held
    if _held:  # an earlier chart was never closed: collect its objects before holding again
        release_collector()
        gc.collect(0)
    if gc.isenabled():
        gc.disable()
        _held = True


def release_collector() -> None:
    """Resume the collector a chart paused (a no-op when none did): :func:`close` calls it, and
    a notebook's kernel at the end of every cell (:func:`kit.notebook.start`), so a chart that
    is never closed does not keep it paused."""
    global _held
    if _held:
        _held = False
        gc.enable()


def close(fig) -> None:
    """Release a drawn figure: closed in pyplot, and the collector a chart paused resumed, so
    that its next run frees the figure's objects in one pass."""
    plt.close(fig)
    release_collector()


def chart(build):
    """A chart function of the report: the theme applied (:func:`use_theme`) and the collector
    paused from the start of its build until the figure is closed (:func:`close`, which
    :func:`show` calls)."""

    @functools.wraps(build)
    def built(*args, **kwargs):
        global _building
        if not _building:
            use_theme()
            _hold_collector()
        _building += 1
        try:
            return build(*args, **kwargs)
        finally:
            _building -= 1

    return built


def palette(n: int) -> list:
    """``n`` distinguishable colours starting with the main colour."""
    base = [MAIN, ACCENT, "#5b9a68", "#8e6bb0", "#c9a227", "#4aa3b5", "#b5566b", "#7a7a7a"]
    if n <= len(base):
        return base[:n]
    import seaborn as sns

    return base + sns.color_palette("husl", n - len(base))


def _legend_off_side(ax) -> bool:
    """Whether ``ax`` has a legend anchored above or below it: its distance from the Axes is a
    fraction of their height, which the layout changes, so the layout needs its second pass
    (:func:`legend`'s place, at the right and top-aligned, does not move that way)."""
    legend = ax.get_legend()
    if legend is None or getattr(legend, "_kit_fixed_offset", False):
        return False
    anchor, box = legend.get_bbox_to_anchor(), ax.bbox
    return anchor.y0 < box.y0 - 1 or anchor.y0 > box.y1 + 1


class OnePassLayout(ConstrainedLayoutEngine):
    """matplotlib's constrained layout, measured once instead of twice.

    Constrained layout measures every Axes' decorations (tick labels, axis labels, titles,
    legends), places the Axes, and then measures and places them again, because at the new
    size an axis may get other ticks and so other labels. The theme's axes never do: every
    numeric axis has a fixed number of bins (:func:`pct_axis`, :func:`count_axis`,
    :func:`money_axis`, colour bars in :func:`heatmap`), dates and categories fixed ticks, so
    the second pass would measure the same and is skipped (``tests/test_charts.py`` checks,
    for every chart of the report, that the Axes land within a pixel of the two-pass
    layout's). Measuring was the largest part of drawing a chart. A colour bar made with ``fig.colorbar(ax=...)`` takes its width and gap
    as fractions of its parent's size, so a figure with one keeps both passes (the theme's
    heatmaps put theirs in a child Axes of fixed size instead, see :func:`_bar_axes`). Built on
    matplotlib's own layout steps; if a matplotlib release moves them, the full two-pass
    layout runs instead."""

    def execute(self, fig):
        if any(hasattr(ax, "_colorbar_info") or _legend_off_side(ax) for ax in fig.axes):
            return super().execute(fig)
        try:
            from matplotlib import _constrained_layout as cl

            steps = (cl.make_layoutgrids, cl.make_layout_margins, cl.make_margin_suptitles,
                     cl.match_submerged_margins, cl.check_no_collapsed_axes, cl.reposition_axes, cl.reset_margins)
        except (ImportError, AttributeError):  # pragma: no cover - another matplotlib
            return super().execute(fig)
        make_grids, make_margins, make_suptitles, match_margins, not_collapsed, reposition, reset = steps
        width, height = fig.get_size_inches()
        w_pad, h_pad = self._params["w_pad"] / width, self._params["h_pad"] / height
        hspace, wspace = self._params["hspace"], self._params["wspace"]
        renderer = fig._get_renderer()
        grids = make_grids(fig, None, rect=self._params["rect"])
        if not grids["hasgrids"]:
            return None
        make_margins(grids, fig, renderer, h_pad=h_pad, w_pad=w_pad, hspace=hspace, wspace=wspace)
        make_suptitles(grids, fig, renderer, h_pad=h_pad, w_pad=w_pad)
        match_margins(grids, fig)
        grids[fig].update_variables()
        if not_collapsed(grids, fig):
            reposition(grids, fig, renderer, h_pad=h_pad, w_pad=w_pad, hspace=hspace, wspace=wspace)
        reset(grids, fig)
        return grids


def figure(size: str = "wide", height: float = 2.8, ncols: int = 1, nrows: int = 1, grid: str = "both",
           **kwargs):
    """A new figure of the report's width (``wide`` = full text width, ``half``) and its axes,
    laid out by :class:`OnePassLayout` when it is drawn; ``grid``: which axes' values get grid
    lines (``x`` for horizontal bars, ``y`` for vertical ones, ``none``), set as the axes are
    made rather than undone tick by tick afterwards."""
    use_theme()
    rc = {"axes.grid": grid != "none", "axes.grid.axis": grid if grid in ("x", "y") else "both"}
    with plt.rc_context(rc):
        fig = blank_figure(size, height)
        axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def blank_figure(size: str = "wide", height: float = 2.8):
    """A new figure of the report's width without Axes (for a grid of panels of different
    sizes: ``fig.add_gridspec``), laid out by :class:`OnePassLayout`. Not made through
    pyplot: a pyplot figure asks whether to redraw itself after every change to any of its
    artists (thousands per chart) and stays registered until closed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use_theme()
    fig = Figure(figsize=(WIDTHS[size], height), layout=OnePassLayout())
    FigureCanvasAgg(fig)
    return fig


def axes(ax=None, size: str = "wide", height: float = 2.8, grid: str = "both"):
    """The Axes a chart draws on: ``ax`` when given (its grid set to ``grid``), else a new
    figure's (see :func:`figure`)."""
    if ax is not None:
        if grid != "both":
            ax.grid(False)
            if grid in ("x", "y"):
                ax.grid(True, axis=grid)
        return ax
    _, ax = figure(size, height, grid=grid)
    return ax


# ------------------------------------------------------------------ axes and their numbers

class TickLabels(Formatter):
    """Tick labels written by :meth:`kit.i18n.Locale.ticks`: the axis's ticks are labelled
    together, so they share one unit and one number of decimals."""

    def __init__(self, loc, kind: str, absolute: bool = False):
        self.loc, self.kind, self.absolute = loc, kind, absolute
        self._labels: dict[float, str] = {}

    def format_ticks(self, values):
        labels = self.loc.ticks(list(values), self.kind, self.absolute)
        self._labels = dict(zip(values, labels, strict=True))
        return labels

    def __call__(self, x, pos=None):
        return self._labels.get(x) or self.loc.ticks([x], self.kind, self.absolute)[0]


def _axis(ax, axis: str):
    return ax.yaxis if axis == "y" else ax.xaxis


NBINS = 5
"""Tick intervals a numeric axis has at most: a fixed number (not matplotlib's "auto", which
depends on the axis's length), so the ticks do not change when the layout resizes the Axes."""


def _numbers_axis(ax, axis: str, kind: str, loc, absolute: bool = False, integer: bool = False,
                  nbins: int = NBINS) -> None:
    locator = MaxNLocator(nbins=nbins, steps=[1, 2, 5, 10], integer=integer)
    formatter = TickLabels(loc, kind, absolute)
    bar = getattr(ax, "_colorbar", None)
    if bar is not None:  # a colour bar sets its axis's ticker itself when it draws
        bar.locator, bar.formatter = locator, formatter
        return
    target = _axis(ax, axis)
    target.set_major_locator(locator)
    target.set_major_formatter(formatter)


def _default_locale():
    from kit.i18n import Locale

    return Locale("en")


def pct_axis(ax, axis: str = "y", digits: int | None = None, absolute: bool = False, loc=None,
             nbins: int = NBINS) -> None:
    """Label an axis of shares (0-1) as percentages: evenly spaced 1-2-5 steps (at most
    ``nbins``), every label different (the decimals follow the step: ``0% 0.5% 1.0%``);
    ``absolute`` labels ``|x|``. ``digits`` is ignored (the step decides), kept for callers
    that still pass it."""
    _numbers_axis(ax, axis, "pct", loc or _default_locale(), absolute, nbins=nbins)


def count_axis(ax, axis: str = "y", loc=None) -> None:
    """Label an axis of counts: whole numbers with thousands separators."""
    _numbers_axis(ax, axis, "num", loc or _default_locale(), integer=True)


def number_axis(ax, axis: str = "y", loc=None) -> None:
    """Label an axis of other numbers (means, indexes): the fewest decimals that write every tick."""
    _numbers_axis(ax, axis, "num", loc or _default_locale())


def money_axis(ax, loc, axis: str = "y") -> None:
    """Label an axis of money as the report's text writes money (``¥50万`` in Chinese)."""
    _numbers_axis(ax, axis, "money", loc)


def thousands_axis(ax, axis: str = "y", prefix: str = "") -> None:
    """Kept for analysts' notebooks written before :func:`count_axis` and :func:`money_axis`:
    counts with thousands separators, or money when ``prefix`` (a currency sign) is given."""
    from kit.i18n import Locale

    _numbers_axis(ax, axis, "money" if prefix else "num", Locale("en", prefix), integer=not prefix)


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


def legend(ax, **kwargs):
    """The legend of ``ax`` outside its plot area, to the right and top-aligned, so that it
    never covers data (constrained layout makes room for it). Its gap from the plot is fixed
    in inches, not a fraction of the axes' width, which the layout changes."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    gap = ScaledTranslation(0.06, 0, fig.dpi_scale_trans)
    return ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), bbox_transform=ax.transAxes + gap,
                     borderaxespad=0.0, **kwargs)


def legend_below(ax, x: float = 0.0, loc: str = "upper left", gap: float = 0.04, **kwargs):
    """The legend of ``ax`` under its x axis (tick labels and axis label), ``gap`` inches
    below them, its ``loc`` corner at ``x`` (a fraction of the axes' width): for a legend too
    wide for the side. Its distance below the axes is fixed in inches, measured from the axis'
    decorations when it is called (call it after the x axis is set), not a fraction of the
    axes' height, which the layout changes: so :class:`OnePassLayout` places it in one pass."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    below = ax.bbox.y0 - ax.xaxis.get_tightbbox(fig._get_renderer()).y0  # display units, at the figure's dpi
    drop = ScaledTranslation(0, -(max(below, 0.0) / fig.dpi + gap), fig.dpi_scale_trans)
    handle = ax.legend(loc=loc, bbox_to_anchor=(x, 0.0), bbox_transform=ax.transAxes + drop, borderaxespad=0.0,
                       **kwargs)
    handle._kit_fixed_offset = True
    return handle


def _text_extent(text: str, size: float) -> tuple[float, float]:
    """An estimate of a one-line label's width and height in points: a CJK (full-width)
    character is about one em wide, another about 0.6 em."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return size * (wide + 0.6 * (len(text) - wide)), size * 1.2


LABEL_PLACES = ((1, 0.15), (1, -1.15), (-1, 0.15), (-1, -1.15), (0, 1), (0, -1))
"""Where a point's label may go, tried in this order: right (up, then down), left (up, then
down), above, below; as (side, height): side -1/0/1 = left of / centred on / right of the
point's marker, height in label heights from the point's centre."""


def label_points(ax, x, y, names, areas, size: float = TEXT, limit: int | None = None) -> list[str]:
    """Name scatter points beside their markers without one name covering another: each point
    (in the order given, most important first) takes the first place of :data:`LABEL_PLACES`
    whose box overlaps no name already placed and no other marker; where none is free, the
    point stays unnamed (its neighbour's name is read instead). ``areas``: marker areas in
    points² (as ``scatter``'s ``s``). Call after the axis limits are set. Returns the names
    placed."""
    fig = ax.figure
    box = ax.get_position()
    width = box.width * fig.get_figwidth() * 72
    height = box.height * fig.get_figheight() * 72
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    px = (np.asarray(x, dtype=float) - x0) / ((x1 - x0) or 1.0) * width
    py = (np.asarray(y, dtype=float) - y0) / ((y1 - y0) or 1.0) * height
    radii = np.sqrt(np.asarray(areas, dtype=float) / np.pi)
    markers = [(px[i] - radii[i], py[i] - radii[i], px[i] + radii[i], py[i] + radii[i]) for i in range(len(px))]
    taken: list[tuple[float, float, float, float]] = []
    placed = []

    def free(b, own):
        inside = b[0] >= 0 and b[2] <= width and b[1] >= 0 and b[3] <= height
        return inside and not any(b[0] < t[2] and t[0] < b[2] and b[1] < t[3] and t[1] < b[3] for t in taken) and \
            not any(j != own and b[0] < m[2] and m[0] < b[2] and b[1] < m[3] and m[1] < b[3]
                    for j, m in enumerate(markers))

    for i, name in enumerate(names):
        if limit is not None and len(placed) >= limit:
            break
        if not (np.isfinite(px[i]) and np.isfinite(py[i])):
            continue
        w, h = _text_extent(str(name), size)
        gap = radii[i] * 0.75 + 2
        for side, up in LABEL_PLACES:
            left = px[i] + (gap if side > 0 else -gap - w if side < 0 else -w / 2)
            bottom = py[i] + (up * h if side else (radii[i] + 1 if up > 0 else -radii[i] - 1 - h))
            candidate = (left, bottom, left + w, bottom + h)
            if free(candidate, i):
                taken.append(candidate)
                ax.annotate(str(name), (x[i], y[i]), xytext=(left - px[i], bottom - py[i]), textcoords="offset points",
                            ha="left", va="bottom", fontsize=size)
                placed.append(str(name))
                break
    return placed


def note(ax, text: str) -> None:
    """A short remark in grey under the x axis label (what a clipped axis leaves out, ...)."""
    ax.annotate(text, xy=(0.5, 0.0), xycoords=ax.xaxis.label, xytext=(0, -3), textcoords="offset points",
                ha="center", va="top", fontsize=TEXT, color="#6b6b6b")


# ------------------------------------------------------------------ colour

def text_colour(rgba) -> str:
    """Dark text on a light cell, white on a dark one, by the cell's relative luminance
    (WCAG's formula; the threshold where both have the same contrast)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in mcolors.to_rgb(rgba))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return INK if luminance > 0.179 else "white"


def change_colour(x, good_up: bool = True, digits: int = 1) -> str:
    """The colour of a change: :data:`UP` when it is for the better, :data:`DOWN` for the
    worse (so a fall of return rate, churn or abandonment is green), grey when it shows as
    zero at ``digits`` (see :func:`kit.i18n.numbers.tone`)."""
    from kit.i18n.numbers import tone

    return {"good": UP, "bad": DOWN, "flat": GREY}[tone(x, good_up, digits)]


def diverging(values, centre: float, lowest: float | None = None, highest: float | None = None):
    """A colour map and norm for values around a neutral ``centre``: the same distance from
    the centre is the same depth of colour on both sides, and the scale spans only
    ``[max(lowest, centre - d), min(highest, centre + d)]`` (d = the largest distance in the
    data): an index that cannot go below 0 has no bar below 0."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    spread = float(np.max(np.abs(finite - centre))) if finite.size else 1.0
    spread = spread or 1.0
    vmin, vmax = centre - spread, centre + spread
    if lowest is not None:
        vmin = max(vmin, lowest)
    if highest is not None:
        vmax = min(vmax, highest)
    full = plt.get_cmap(DIVERGING)
    ends = ((vmin - (centre - spread)) / (2 * spread), (vmax - (centre - spread)) / (2 * spread))
    cmap = mcolors.ListedColormap(full(np.linspace(ends[0], ends[1], 256)))
    return cmap, mcolors.Normalize(vmin, vmax)


class CellLabels(Artist):
    """Short texts centred on points of an Axes' data (a heatmap's cell values), each in its
    colour, at the :data:`TEXT` size, drawn by one artist.

    ``ax.text`` per cell made a :class:`~matplotlib.text.Text` each, with its own layout on
    every draw: the labels were a tenth of the report's chart time. These texts sit inside
    their cells, so the layout never measures them (``in_layout`` False), and each distinct
    string is measured once per draw. ``cells``: ``[(x, y, text, colour), ...]``."""

    def __init__(self, cells, fontsize: float = TEXT):
        super().__init__()
        from matplotlib.font_manager import FontProperties

        self.cells = list(cells)
        self.prop = FontProperties(size=fontsize)  # the theme's family, as rcParams have it now
        self.set_in_layout(False)
        self.set_zorder(3)

    def get_fontsize(self) -> float:
        return self.prop.get_size_in_points()

    def draw(self, renderer):
        if not self.get_visible() or not self.cells:
            return
        points = self.axes.transData.transform([(x, y) for x, y, _, _ in self.cells])
        sizes: dict[str, tuple[float, float, float]] = {}
        canvas_height = renderer.get_canvas_width_height()[1] if renderer.flipy() else None
        gc = renderer.new_gc()
        gc.set_alpha(self.get_alpha())
        for (px, py), (_, _, text, colour) in zip(points, self.cells, strict=True):
            if text not in sizes:
                sizes[text] = renderer.get_text_width_height_descent(text, self.prop, ismath=False)
            width, height, descent = sizes[text]
            gc.set_foreground(colour)
            # draw_text takes where the baseline starts, from the top on a raster (flipy)
            baseline = py - height / 2 + descent
            if canvas_height is not None:
                baseline = canvas_height - baseline
            renderer.draw_text(gc, px - width / 2, baseline, text, self.prop, 0.0)
        gc.restore()
        self.stale = False


def _bar_axes(ax):
    """A colour bar's Axes: a child of ``ax`` at its right, 0.08 in away and 0.12 in wide
    whatever ``ax``'s size, so that placing ``ax`` once places the bar too (OnePassLayout;
    a bar sized in fractions of ``ax``, as ``fig.colorbar(ax=...)`` makes it, moves when the
    layout resizes ``ax`` and needs a second pass)."""
    from matplotlib import transforms

    inches_right_of_ax = ax.figure.dpi_scale_trans + transforms.ScaledTranslation(1, 0, ax.transAxes)
    return ax.inset_axes([0.08, 0.0, 0.12, 1.0],
                         transform=transforms.blended_transform_factory(inches_right_of_ax, ax.transAxes))


def heatmap(ax, values, xticklabels, yticklabels, cmap=SEQUENTIAL, norm=None, labels=None,
            colorbar: bool = False, gaps: bool = True):
    """A grid of coloured cells, first row on top, as seaborn's heatmap draws it but in one
    pass: ``values`` (rows x columns, NaN = blank), each cell labelled with ``labels`` (same
    shape, strings; None = no labels) in :data:`TEXT` size, dark or white by the cell's
    luminance; white gaps between cells; a colour bar when asked. Returns the mesh."""
    values = np.asarray(values, dtype=float)
    masked = np.ma.masked_invalid(values)
    cmap = plt.get_cmap(cmap) if isinstance(cmap, str) else cmap
    norm = norm or mcolors.Normalize(np.nanmin(values) if masked.count() else 0,
                                     np.nanmax(values) if masked.count() else 1)
    mesh = ax.pcolormesh(masked, cmap=cmap, norm=norm, edgecolors="white" if gaps else "face",
                         linewidth=0.6 if gaps else 0)
    rows, cols = values.shape
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_xticks(np.arange(cols) + 0.5, list(xticklabels))
    ax.set_yticks(np.arange(rows) + 0.5, list(yticklabels))
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if labels is not None:
        cells = [(j + 0.5, i + 0.5, labels[i][j], text_colour(cmap(norm(values[i, j]))))
                 for i in range(rows) for j in range(cols) if labels[i][j] and np.isfinite(values[i, j])]
        ax.add_artist(CellLabels(cells))
    if colorbar:
        bar = ax.figure.colorbar(mesh, cax=_bar_axes(ax))
        bar.outline.set_visible(False)
        bar.ax.tick_params(labelsize=TEXT, length=0)
        number_axis(bar.ax, "y")
    return mesh


# ------------------------------------------------------------------ output

def title_of(fig) -> str:
    """A figure's title: its suptitle, else the titles of its axes joined."""
    if fig._suptitle is not None and fig._suptitle.get_text():
        return fig._suptitle.get_text()
    return " · ".join(t for t in (ax.get_title() for ax in fig.axes) if t)


def png(fig) -> bytes:
    """The figure as PNG bytes, as the report embeds it: its own size at :data:`DPI`, drawn
    once: the Agg canvas draws it (its one draw runs the layout, then renders) and the pixels
    are written as an RGB PNG. (``savefig`` first draws a figure that has a layout engine
    without rendering it, to lay it out, then draws it again; with ``bbox_inches="tight"`` it
    measures it in between.)"""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    buffer = io.BytesIO()
    fig.set_dpi(DPI)
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # another backend's canvas: let savefig switch to Agg
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=None)
        return buffer.getvalue()
    with collector_paused():
        canvas.draw()
    # the figure is opaque: RGB, a quarter less to compress than matplotlib's RGBA; zlib
    # level 3 is both faster and (on these flat-coloured charts) smaller than the default 6
    image = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image.convert("RGB").save(buffer, format="png", compress_level=3, dpi=(DPI, DPI))
    return buffer.getvalue()


def css_width(fig) -> int:
    """The width in CSS pixels a figure is shown at: its width in inches x 96, the same scale
    for every chart, so the type scale reads the same in every chart."""
    return round(fig.get_figwidth() * CSS_DPI)


def show(chart) -> None:
    """Display a finished chart (its Axes or Figure) once, as an inline PNG at
    :func:`css_width` whose alt text is its title, and release its memory."""
    from IPython.display import Image, display

    fig = getattr(chart, "figure", chart)
    display(Image(data=png(fig), format="png", width=css_width(fig), metadata={"alt": title_of(fig)}))
    close(fig)
