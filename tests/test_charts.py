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
