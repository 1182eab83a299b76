"""Chart geometry: bars scale to the largest value, columns stack outcomes per day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from console.dashboard.charts import (
    BAR_AREA,
    LABEL_WIDTH,
    LEFT,
    bar_chart,
    remediation_chart,
    ttr_chart,
)
from ouroboros.aggregates.dashboard import DayRemediations
from ouroboros.aggregates.remediation import ttr_bucket


def test_bars_scale_to_the_largest_value_and_keep_zero_bars_empty() -> None:
    chart = bar_chart(
        [("CRITICAL", 10), ("HIGH", 5), ("LOW", 0)],
        css=lambda label: f"bar sev-{label}",
        href=lambda label: f"/findings/?severity={label}",
    )

    widths = [bar.width for bar in chart.bars]
    assert widths == [BAR_AREA, BAR_AREA / 2, 0.0]
    assert [bar.css for bar in chart.bars] == ["bar sev-CRITICAL", "bar sev-HIGH", "bar sev-LOW"]
    assert chart.bars[1].href == "/findings/?severity=HIGH"
    assert chart.bars[0].value_x == LABEL_WIDTH + BAR_AREA + 6
    assert chart.total == 15
    assert len({bar.y for bar in chart.bars}) == 3


def test_an_empty_chart_has_a_height_and_no_bars() -> None:
    chart = bar_chart([])

    assert chart.bars == [] and chart.height > 0 and chart.total == 0


def test_remediation_columns_stack_outcomes_from_the_axis_up_across_the_full_width() -> None:
    first = date(2024, 5, 1)
    days = [DayRemediations(first + timedelta(days=n)) for n in range(3)]
    days[1].by_outcome = {"skipped": 1, "fixed": 3}

    chart = remediation_chart(days)

    busy = chart.columns[1]
    assert chart.maximum == 4 and chart.total == 4
    assert [s.css for s in busy.segments] == ["ex-fixed", "ex-skipped"]
    fixed, skipped = busy.segments
    assert fixed.y + fixed.height == chart.plot_height
    assert skipped.y + skipped.height == fixed.y
    assert round(fixed.height + skipped.height) == chart.plot_height
    assert chart.columns[0].segments == []
    assert [t.label for t in chart.ticks] == ["May 01", "May 02", "May 03"]
    assert chart.outcomes == ["fixed", "skipped"]
    # Percent of the panel: from the axis labels' gutter to the right edge.
    last = chart.columns[-1]
    assert chart.columns[0].x == pytest.approx(LEFT, abs=0.2)
    assert last.x + last.width == pytest.approx(100, abs=0.2)


def test_ttr_columns_show_each_days_median_scaled_to_the_slowest_day() -> None:
    first = date(2024, 5, 1)
    days = [DayRemediations(first + timedelta(days=n)) for n in range(3)]
    days[0].histogram = {ttr_bucket(3600): 2, ttr_bucket(10 * 86400): 1}  # median 1 h
    days[2].histogram = {ttr_bucket(4 * 3600): 1}

    chart = ttr_chart(days)

    assert chart.maximum_seconds == days[2].median_seconds
    [one_hour] = chart.columns[0].segments
    [four_hours] = chart.columns[2].segments
    assert four_hours.height == chart.plot_height and four_hours.y == 0
    assert one_hour.height == pytest.approx(chart.plot_height / 4, rel=0.2)
    assert one_hour.y + one_hour.height == pytest.approx(chart.plot_height)
    assert chart.columns[1].segments == [] and chart.columns[1].total == 0
    assert "h median, 3 fixed" in one_hour.title
