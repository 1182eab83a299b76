"""Chart geometry: bars scale to the largest value, columns stack statuses per day."""

from __future__ import annotations

from datetime import date, timedelta

from console.dashboard.charts import (
    BAR_AREA,
    LABEL_WIDTH,
    bar_chart,
    mttr_chart,
    remediation_chart,
)
from ouroboros.aggregates.dashboard import DayRemediations


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


def test_remediation_columns_stack_statuses_from_the_axis_up() -> None:
    first = date(2024, 5, 1)
    days = [DayRemediations(first + timedelta(days=n)) for n in range(3)]
    days[1].by_status = {"failed": 1, "succeeded": 3}

    chart = remediation_chart(days, width=330)

    busy = chart.columns[1]
    assert chart.maximum == 4 and chart.total == 4
    assert [s.css for s in busy.segments] == ["ex-succeeded", "ex-failed"]
    succeeded, failed = busy.segments
    assert succeeded.y + succeeded.height == chart.plot_height
    assert failed.y + failed.height == succeeded.y
    assert round(succeeded.height + failed.height) == chart.plot_height
    assert chart.columns[0].segments == []
    assert [t.label for t in chart.ticks] == ["May 01", "May 02", "May 03"]
    assert chart.statuses == ["succeeded", "failed"]


def test_mttr_columns_scale_to_the_slowest_day_and_skip_days_without_fixes() -> None:
    first = date(2024, 5, 1)
    days = [DayRemediations(first + timedelta(days=n)) for n in range(3)]
    days[0].fixed_seconds, days[0].fixed_count = 4 * 3600, 2  # 2 h mean
    days[2].fixed_seconds, days[2].fixed_count = 4 * 3600, 1  # 4 h mean

    chart = mttr_chart(days, width=330)

    assert chart.maximum_seconds == 4 * 3600
    [two_hours] = chart.columns[0].segments
    [four_hours] = chart.columns[2].segments
    assert four_hours.height == chart.plot_height and four_hours.y == 0
    assert two_hours.height == chart.plot_height / 2
    assert two_hours.y + two_hours.height == chart.plot_height
    assert chart.columns[1].segments == [] and chart.columns[1].total == 0
    assert "2.0 h mean, 2 fixed" in two_hours.title
