"""The chart theme's helpers (kit.charts)."""

from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402

from kit.charts import date_axis  # noqa: E402
from kit.charts.profile import preference_heatmap, visit_heatmap_chart  # noqa: E402
from kit.i18n import Locale

ZH, EN = Locale("zh"), Locale("en")


def _ticks(first: date, last: date, max_ticks: int) -> list[str]:
    fig, ax = plt.subplots()
    days = [date.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1)]
    ax.plot(days, range(len(days)))
    date_axis(ax, first, last, max_ticks)
    labels = [label.get_text() for label in ax.get_xticklabels()]
    plt.close(fig)
    return labels


def test_a_quarter_is_labelled_by_its_month_starts():
    assert _ticks(date(2025, 10, 1), date(2025, 12, 31), 4) == ["10-01", "11-01", "12-01"]
    # at most two ticks: every second month start
    assert _ticks(date(2025, 10, 1), date(2025, 12, 31), 2) == ["10-01", "12-01"]


def test_a_quarter_with_room_for_more_ticks_gets_every_other_monday():
    # 2025-10-06 is the quarter's first Monday; 13 Mondays, every second one
    assert _ticks(date(2025, 10, 1), date(2025, 12, 31), 8) == [
        "10-06", "10-20", "11-03", "11-17", "12-01", "12-15", "12-29"]


def test_a_year_is_thinned_to_max_ticks():
    labels = _ticks(date(2025, 1, 1), date(2025, 12, 31), 4)
    assert labels == ["01-01", "04-01", "07-01", "10-01"]


def test_a_month_is_labelled_by_mondays_and_a_week_by_days():
    # 2025-03-03 is a Monday; March 2025 has five Mondays, thinned to every second
    assert _ticks(date(2025, 3, 1), date(2025, 3, 31), 3) == ["03-03", "03-17", "03-31"]
    assert _ticks(date(2025, 3, 4), date(2025, 3, 8), 5) == ["03-04", "03-05", "03-06", "03-07", "03-08"]


def test_a_span_across_years_shows_the_year():
    assert _ticks(date(2024, 11, 15), date(2025, 2, 20), 4) == ["2024-12", "2025-01", "2025-02"]
    assert _ticks(date(2024, 12, 28), date(2025, 1, 3), 7)[-3:] == ["2025-01-01", "2025-01-02", "2025-01-03"]


def test_heatmap_row_labels_read_horizontally():
    regions = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
    table = pl.DataFrame({"region": [r for r in regions for _ in range(3)],
                          "category": ["图书", "家电", "服饰"] * len(regions),
                          "index": [100.0 + i for i in range(3 * len(regions))]})
    visits = pl.DataFrame({"weekday": [d for d in range(1, 8) for _ in range(24)],
                           "hour": list(range(24)) * 7, "visits": list(range(24 * 7))})
    for ax in (preference_heatmap(table, "region", ZH), visit_heatmap_chart(visits, None, ZH)):
        labels = ax.get_yticklabels()
        assert len(labels) == 7 and all(label.get_rotation() == 0 for label in labels)
        plt.close(ax.figure)


@pytest.mark.parametrize("top", [0.001, 0.0015, 0.0023, 0.004, 0.007, 0.01, 0.025, 0.033, 0.05, 0.08, 0.12, 0.18,
                                 0.25, 0.4, 0.55, 0.75, 1.0])
@pytest.mark.parametrize("height", [1.2, 2.8, 6.0])
def test_percent_ticks_are_even_and_never_repeat_a_label(top, height):
    from kit.charts import figure, pct_axis

    # ranges from 0.1% to 100% (the chart that read "0% 0% 1% 2% 2%" ran to 2.3%), on axes
    # short and tall: the labels as drawn
    fig, ax = figure("half", height)
    ax.plot([0, 1], [0, top])
    ax.set_ylim(0, top)
    pct_axis(ax, "y")
    fig.canvas.draw()
    shown = [(t, label.get_text()) for t, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
             if -1e-12 <= t <= top * (1 + 1e-9)]
    ticks, labels = [t for t, _ in shown], [label for _, label in shown]
    assert len(ticks) >= 3, labels
    assert len(set(labels)) == len(labels), labels
    steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1, ticks  # evenly spaced
    for tick, label in zip(ticks, labels, strict=True):  # every label is its tick exactly, in percent
        assert float(label.rstrip("%").replace(",", "")) == pytest.approx(tick * 100, abs=1e-9), (tick, label)
    plt.close(fig)


# ------------------------------------------------------------------ ordered categories

def _ylabels(ax) -> list[str]:
    """Tick labels of a horizontal-bar chart, top to bottom."""
    pairs = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    top_first = ax.yaxis_inverted() or ax.get_ylim()[0] > ax.get_ylim()[1]
    return [label for _, label in (pairs if top_first else pairs[::-1])]


def test_ordered_categories_keep_their_order_whatever_their_shares():
    from kit.charts.profile import age_gender_pyramid, orders_per_customer_bars, share_bars
    from kit.i18n.labels import in_order

    assert in_order("city_tier", ["三线", "unknown", "一线", "四线及以下"]) == ["一线", "三线", "四线及以下", "unknown"]
    assert in_order("region", ["华南", "华东"]) == ["华南", "华东"]  # no order of its own: as given
    # shares chosen so that largest-first would scramble them
    tiers = pl.DataFrame({"city_tier": ["三线", "一线", "四线及以下", "二线", "新一线"],
                          "share": [0.4, 0.05, 0.3, 0.1, 0.15], "share_prev": [0.3, 0.1, 0.3, 0.15, 0.15]})
    ax = share_bars(tiers, ZH, "profile.chart.city_tier")
    assert _ylabels(ax) == ["一线城市", "新一线城市", "二线城市", "三线城市", "四线及以下城市"]
    plt.close(ax.figure)
    orders = pl.DataFrame({"orders": ["5+", "1", "3", "2", "4"], "customers": [50, 10, 30, 40, 20],
                           "share": [0.33, 0.07, 0.2, 0.27, 0.13]})
    ax = orders_per_customer_bars(orders, EN)
    assert _ylabels(ax) == ["1", "2", "3", "4", "5+"]
    plt.close(ax.figure)
    bands = ["55+", "18-24", "35-44", "25-34", "45-54", "<18"]
    ages = pl.DataFrame({"age_band": [b for b in bands for _ in "FM"], "gender": ["F", "M"] * len(bands),
                         "share": [0.1, 0.05, 0.3, 0.2, 0.02, 0.03, 0.08, 0.07, 0.04, 0.06, 0.03, 0.02]})
    ax = age_gender_pyramid(ages, EN)
    young_to_old = [EN.label("profile.age_band", b) for b in ("<18", "18-24", "25-34", "35-44", "45-54", "55+")]
    assert _ylabels(ax) == young_to_old
    plt.close(ax.figure)


# ------------------------------------------------------------------ colour

def test_text_on_a_cell_is_dark_on_light_cells_and_white_on_dark_ones():
    from kit.charts import INK, text_colour

    assert text_colour("#ffffff") == INK and text_colour("#deebf7") == INK  # Blues' light end
    assert text_colour("#08306b") == "white" and text_colour("#2e5b88") == "white"
    assert text_colour("#e07b39") == INK  # the accent orange is light enough for dark text


def test_cohort_labels_follow_their_cell_luminance():
    from matplotlib.collections import QuadMesh

    from kit.charts import INK, CellLabels, text_colour
    from kit.charts.retention import cohort_heatmap

    cohorts = pl.DataFrame({"cohort": [date(2025, m, 1) for m in (1, 1, 1, 2, 2)],
                            "month": [0, 1, 2, 0, 1], "share": [1.0, 0.40, 0.02, 1.0, 0.20]})
    ax = cohort_heatmap(cohorts, ZH)
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    cells = mesh.to_rgba(mesh.get_array())  # rows: 2025-01 (m1, m2), 2025-02 (m1, blank)
    labels = next(a for a in ax.artists if isinstance(a, CellLabels))
    texts = {text: colour for _, _, text, colour in labels.cells}
    assert texts == {"40%": text_colour(cells[0][0]), "2%": text_colour(cells[0][1]), "20%": text_colour(cells[1][0])}
    assert texts["40%"] == "white" and texts["2%"] == INK  # the darkest and the lightest cell
    plt.close(ax.figure)


def test_a_diverging_map_is_centred_and_spans_only_possible_values():
    from kit.charts import diverging

    cmap, norm = diverging([40.0, 100.0, 130.0, float("nan")], 100, lowest=0)
    assert (norm.vmin, norm.vmax) == (40.0, 160.0)  # 60 either side of 100
    white = plt.get_cmap("RdBu_r")(0.5)
    assert cmap(norm(100.0)) == pytest.approx(white, abs=0.02)
    # an index can reach 3x but not below 0: the bar stops at 0 and keeps 100 neutral
    cmap, norm = diverging([20.0, 300.0], 100, lowest=0)
    assert norm.vmin == 0 and norm.vmax == 300
    assert cmap(norm(100.0)) == pytest.approx(white, abs=0.02)
    assert cmap(norm(0.0))[2] > cmap(norm(0.0))[0]  # blue below, red above
    assert cmap(norm(300.0))[0] > cmap(norm(300.0))[2]


def test_preference_heatmaps_have_distinct_titles_and_no_impossible_colour_bar_ticks():
    from kit.charts.profile import preference_heatmap

    by_region = pl.DataFrame({"region": ["华东", "华东", "东北", "东北"], "category": ["图书", "服饰"] * 2,
                              "index": [60.0, 140.0, 130.0, 70.0]})
    by_age = pl.DataFrame({"age_band": ["45-54", "45-54", "18-24", "18-24"], "category": ["图书", "服饰"] * 2,
                           "index": [90.0, 110.0, 120.0, 80.0]})
    region_ax, age_ax = preference_heatmap(by_region, "region", ZH), preference_heatmap(by_age, "age_band", ZH)
    assert region_ax.get_title() != age_ax.get_title()
    assert "地区" in region_ax.get_title() and "年龄段" in age_ax.get_title()
    assert _ylabels(age_ax) == ["18-24岁", "45-54岁"]  # young first
    fig = region_ax.figure
    fig.canvas.draw()
    bar = region_ax.child_axes[0]  # the colour bar
    lo, hi = bar.get_ylim()
    assert (lo, hi) == (60.0, 140.0)
    assert all(float(t.get_text()) >= 0 for t in bar.get_yticklabels() if t.get_text())
    plt.close(fig)
    plt.close(age_ax.figure)


def test_lower_is_better_changes_are_green_when_they_fall():
    from kit.charts import DOWN, UP
    from kit.charts.conversion import cart_chart
    from kit.charts.diagnosis import comparison_chart

    carts = pl.DataFrame({"dimension": ["device", "device"], "group": ["App", "PC"], "carts": [100, 80],
                          "abandonment_rate": [0.60, 0.50], "abandonment_rate_prev": [0.70, 0.45]})
    fig = cart_chart([carts], ZH)
    changes = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert changes == {"-10.0": UP, "+5.0": DOWN}  # fewer abandoned carts is better
    plt.close(fig)

    def bar_colour(finding):
        ax = comparison_chart(finding, ZH)
        colour = ax.patches[0].get_facecolor()  # the period's bar
        plt.close(ax.figure)
        return matplotlib.colors.to_hex(colour)

    churn = {"rule": "customers.churn", "evidence": {"rate": 0.80, "overall_rate": 0.56}}
    repurchase = {"rule": "retention.first_repurchase", "evidence": {"rate": 0.30, "overall_rate": 0.20}}
    returns = {"rule": "product.quality", "evidence": {"return_rate": 0.10, "return_rate_prev": 0.14}}
    assert bar_colour(churn) == DOWN and bar_colour(repurchase) == UP and bar_colour(returns) == UP


# ------------------------------------------------------------------ R x F grid, histograms, small multiples

def test_rf_grid_leaves_out_scores_nobody_has_and_says_so():
    from kit.charts.rfm import rf_heatmap

    cells = [(r, f) for r in range(1, 6) for f in range(1, 6)]
    grid = pl.DataFrame({"r_score": [r for r, _ in cells], "f_score": [f for _, f in cells],
                         "customers": [0 if f in (2, 3) else 10 * r + f for r, f in cells],
                         "revenue": [0.0 if f in (2, 3) else 100.0 for r, f in cells]})
    ax = rf_heatmap(grid, ZH)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4", "5"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["5", "4", "3", "2", "1"]
    notes = [t.get_text() for t in ax.texts if "不存在" in t.get_text()]
    assert notes == ["F分为2、3的客户不存在（排名并列者同分），未显示"]
    plt.close(ax.figure)


def test_an_order_value_histogram_is_cut_at_a_high_percentile_and_says_so():
    from kit.charts.profile import clip_bins, order_value_histogram

    # 10 bins of 50, a long thin tail: 95% is reached in the 6th bin
    starts = [50.0 * i for i in range(10)]
    ends = [*(50.0 * (i + 1) for i in range(9)), None]
    shares = [0.3, 0.25, 0.2, 0.1, 0.06, 0.04, 0.02, 0.01, 0.01, 0.01]
    kept_starts, _, kept_shares, rest, cut = clip_bins(starts, ends, shares)
    assert kept_starts == starts[:6] and cut == 300.0 and rest == pytest.approx(0.05)
    assert sum(kept_shares) + rest == pytest.approx(1.0)
    ax = order_value_histogram(pl.DataFrame({"bin_start": starts, "bin_end": ends, "share": shares}), ZH)
    assert ax.get_xlim()[1] == pytest.approx(350.0)
    assert len(ax.patches) == 7  # six bins and the hatched rest
    assert [t.get_text() for t in ax.texts] == ["横轴截至¥300，覆盖95.0%的订单；更高的5.0%合为最后一柱（斜线）"]
    plt.close(ax.figure)


def _daily(groups: list[str]) -> pl.DataFrame:
    days = [date(2025, 10, d) for d in range(1, 11)]
    rows = [{"date": d, "dimension": "all", "group": "all", "step": s, "entered": 100, "converted": 50, "rate": 0.5}
            for d in days for s in ("cart", "pay")]
    rows += [{"date": d, "dimension": "device", "group": g, "step": s, "entered": 100 - i, "converted": 40,
              "rate": 0.3 + 0.05 * i} for i, g in enumerate(groups) for d in days for s in ("cart", "pay")]
    return pl.DataFrame(rows)


def test_daily_small_multiples_of_more_than_four_groups_get_a_panel_per_group():
    from kit.charts.conversion import REFERENCE, daily_chart

    few = daily_chart(_daily(["App", "PC", "H5"]), "device", EN)
    assert len(few.axes) == 2 and all(len(ax.lines) == 3 for ax in few.axes)  # a panel per step, a line per group
    plt.close(few)
    groups = ["App", "PC", "H5", "小程序", "TV", "Pad"]
    many = daily_chart(_daily(groups), "device", EN)
    for ax in many.axes:  # one column of panels per step
        coloured = [line for line in ax.lines if line.get_color() != REFERENCE]
        assert len(coloured) == len(groups)
        spans = sorted((min(line.get_ydata()), max(line.get_ydata())) for line in coloured)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))  # each in its own panel
    names = [t.get_text() for t in many.axes[0].texts]
    assert names == groups
    plt.close(many)


# ------------------------------------------------------------------ every chart of the report

@pytest.fixture(scope="module")
def report_charts(tmp_path_factory, small_demo):
    """(name, zero-argument call) for every chart the demo report draws, over the small demo:
    the bench's list (bench/charts.py), so the bench draws what the report draws."""
    import importlib.util

    from conftest import REPO, write_params

    from kit.params import load_params
    from kit.run import prepare_run

    spec = importlib.util.spec_from_file_location("chart_bench", REPO / "bench" / "charts.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder = tmp_path_factory.mktemp("charts")
    run = prepare_run(load_params(write_params(folder, small_demo))[0], folder / "work")
    calls = bench.chart_calls(bench._modules("kit.charts"), bench.demo_inputs(run))
    return [(name, call) for name, call in calls]


def _figure(call):
    chart = call()
    return None if chart is None else getattr(chart, "figure", chart)


def test_every_chart_uses_the_type_scale_and_keeps_legends_off_the_data(report_charts):
    from matplotlib.text import Text

    from kit.charts import LABEL, TEXT, TITLE, CellLabels, png

    drawn = 0
    for name, call in report_charts:
        fig = _figure(call)
        if fig is None:
            continue
        png(fig)
        renderer = fig.canvas.get_renderer()
        sizes = {round(t.get_fontsize(), 2) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()}
        sizes |= {round(t.get_fontsize(), 2) for t in fig.findobj(CellLabels)}
        assert sizes <= {TITLE, LABEL, TEXT}, (name, sizes)
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is not None:
                box, area = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
                assert box.x0 >= area.x1 - 1 or box.y1 <= area.y0 + 1 or box.y0 >= area.y1 - 1, name
            if ax.get_ylabel() and "%" in "".join(t.get_text() for t in ax.get_yticklabels()):
                labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
                assert len(labels) == len(set(labels)), (name, labels)
        plt.close(fig)
        drawn += 1
    assert drawn >= 35


def test_a_chart_is_drawn_once_and_one_layout_pass_places_it_as_two_do(report_charts, monkeypatch):
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from kit.charts import png

    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: (draws.append(self), original(self, renderer))[1])
    for name, call in report_charts:
        fig = _figure(call)
        if fig is None:
            continue
        draws.clear()
        png(fig)
        assert len(draws) == 1, name  # no second draw to lay out or measure a tight box
        width, height = fig.canvas.get_width_height()

        def pixels(fig=fig, width=width, height=height):
            return [b * size for ax in fig.axes for b, size in zip(ax.get_position().bounds, (width, height) * 2,
                                                                   strict=True)]

        one_pass = pixels()
        engine = fig.get_layout_engine()
        two_pass = ConstrainedLayoutEngine(**{k: v for k, v in engine.get().items()})
        fig.set_layout_engine(two_pass)
        fig.canvas.draw()
        assert pixels() == pytest.approx(one_pass, abs=2.0), name  # within two pixels
        plt.close(fig)


def test_a_chart_pauses_the_collector_until_it_is_closed_and_an_unclosed_one_is_collected_at_the_next():
    import gc
    import weakref

    import kit.charts

    ages = pl.DataFrame({"region": ["华东", "华北"], "category": ["图书", "图书"], "index": [120.0, 80.0]})
    kit.charts.release_collector()  # whatever an earlier test left held
    assert gc.isenabled()
    ax = preference_heatmap(ages, "region", ZH)
    assert not gc.isenabled()  # held from the build until the figure is closed
    kit.charts.close(ax.figure)
    assert gc.isenabled()

    never_closed = preference_heatmap(ages, "region", ZH)
    plt.close(never_closed.figure)  # closed in pyplot only: the collector stays held
    assert not gc.isenabled()
    gone = weakref.ref(never_closed.figure)
    del never_closed
    assert gone() is not None  # a cycle: only the collector frees it
    ax = preference_heatmap(ages, "region", ZH)  # the next chart collects the earlier one's objects
    assert gone() is None
    assert not gc.isenabled()
    kit.charts.close(ax.figure)
    assert gc.isenabled()


def test_a_notebook_resumes_the_collector_after_every_cell_and_registers_that_once(monkeypatch):
    import gc

    import kit.charts
    import kit.notebook

    class Events:
        def __init__(self):
            self.callbacks = {"post_run_cell": []}

        def register(self, name, fn):
            self.callbacks[name].append(fn)

    class Shell:
        events = Events()

    monkeypatch.setattr("IPython.get_ipython", lambda: Shell)
    kit.notebook._release_collector_after_each_cell()
    kit.notebook._release_collector_after_each_cell()  # start() run twice: one callback
    assert Shell.events.callbacks["post_run_cell"] == [kit.notebook._release_collector_after_cell]
    ax = preference_heatmap(pl.DataFrame({"region": ["华东"], "category": ["图书"], "index": [100.0]}), "region", ZH)
    assert not gc.isenabled()
    for callback in Shell.events.callbacks["post_run_cell"]:
        callback(None)  # the end of the cell
    assert gc.isenabled()
    plt.close(ax.figure)


def test_scatter_names_never_cover_each_other_or_leave_the_plot():
    from kit.charts import axes, label_points

    # a crowd of four points, two close ones apart, names of both scripts
    x = [1.0, 1.08, 1.16, 1.04, 5.0, 5.05]
    y = [1.0, 1.04, 0.97, 1.08, 3.0, 3.02]
    names = ["运动", "母婴", "宠物", "图书", "Books & more", "服饰"]
    areas = [300.0] * 6
    ax = axes(None, "wide", height=3.6)
    ax.scatter(x, y, s=areas)
    ax.set_xlim(0, 6)
    ax.set_ylim(0, 4)
    placed = label_points(ax, x, y, names, areas)
    fig = ax.figure
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    assert [t.get_text() for t in ax.texts] == placed
    assert len(placed) >= 5  # a crowd of four leaves room for at least three names
    for i, a in enumerate(boxes):
        assert all(not a.overlaps(b) for b in boxes[i + 1:]), placed
        assert ax.bbox.x0 <= a.x0 and a.x1 <= ax.bbox.x1 + 1
    plt.close(fig)
    ax = axes(None, "wide", height=3.6)
    ax.set_xlim(0, 6)
    ax.set_ylim(0, 4)
    assert len(label_points(ax, x, y, names, areas, limit=2)) == 2 == len(ax.texts)
    plt.close(ax.figure)
