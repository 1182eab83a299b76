"""Small server-rendered SVG charts: geometry computed here, drawn by templates.

No JavaScript and no inline styles (the CSP is ``script-src 'self'; style-src 'self'``): shapes
carry SVG geometry attributes and CSS classes from ``console.css``.

Bar charts have a fixed geometry (a viewBox the browser scales). The time charts (one column per
day) span their whole panel: their SVG is ``width="100%"`` without a viewBox, columns and ticks
are placed in percent of that width (``x``, ``width``) and in pixels vertically, so the columns
widen with the panel while the text keeps its size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ouroboros.aggregates.dashboard import DayRemediations
from ouroboros.aggregates.remediation import OUTCOMES

LABEL_WIDTH = 150
BAR_AREA = 260
BAR_HEIGHT = 18
BAR_GAP = 7


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, value, CSS class, link and geometry."""

    label: str
    value: int
    css: str
    href: str | None
    y: int
    width: float
    text_y: int
    value_x: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    total: int


def bar_chart(
    rows: Sequence[tuple[str, int]],
    *,
    css: Callable[[str], str] = lambda label: "bar",
    href: Callable[[str], str | None] = lambda label: None,
) -> BarChart:
    """Horizontal bars for ``rows`` (label, value), scaled to the largest value."""
    top = max((value for _, value in rows), default=0) or 1
    bars = []
    for n, (label, value) in enumerate(rows):
        y = n * (BAR_HEIGHT + BAR_GAP)
        width = round(BAR_AREA * value / top, 1) if value else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                css=css(label),
                href=href(label),
                y=y,
                width=width,
                text_y=y + BAR_HEIGHT - 5,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    height = max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
    return BarChart(
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + 60,
        height=height,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        total=sum(value for _, value in rows),
    )


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Column:
    """One day: ``x`` and ``width`` in percent of the chart's width."""

    x: float
    width: float
    label: str
    total: int
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Tick:
    """A day label under the axis, centred on ``x`` (percent)."""

    x: float
    label: str


#: Percent of the width left of the first column, for the axis labels.
LEFT = 6.0
PLOT_HEIGHT = 120


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    ticks: list[Tick]
    height: int
    plot_height: int
    maximum: int
    total: int
    outcomes: list[str]
    left: float = LEFT


def _label(day: DayRemediations) -> str:
    return day.day.strftime("%b %d")


def _columns(
    days: Sequence[DayRemediations],
    segments: Callable[[DayRemediations], list[Segment]],
    total: Callable[[DayRemediations], int],
) -> tuple[list[Column], list[Tick]]:
    step = (100 - LEFT) / max(len(days), 1)
    gap = min(0.3, step / 5)
    columns, ticks = [], []
    for n, day in enumerate(days):
        x = LEFT + n * step
        columns.append(
            Column(
                x=round(x + gap / 2, 3),
                width=round(step - gap, 3),
                label=_label(day),
                total=total(day),
                segments=segments(day),
            )
        )
        if n in (0, len(days) // 2, len(days) - 1):
            ticks.append(Tick(x=round(x + step / 2, 3), label=_label(day)))
    return columns, ticks


OUTCOME_LABELS = {
    "fixed": "fixed",
    "dry_run": "dry run",
    "skipped": "skipped",
    "failed": "failed",
    "rolled_back": "rolled back",
}


def remediation_chart(days: Sequence[DayRemediations]) -> ColumnChart:
    """Stacked columns of ended executions per day, by outcome (fixed at the bottom)."""
    maximum = max((d.total for d in days), default=0)
    scale = PLOT_HEIGHT / maximum if maximum else 0
    seen = {outcome for d in days for outcome, n in d.by_outcome.items() if n}
    outcomes = [o for o in OUTCOMES if o in seen] + sorted(seen - set(OUTCOMES))

    def stack(day: DayRemediations) -> list[Segment]:
        bottom = float(PLOT_HEIGHT)
        segments = []
        for outcome in outcomes:
            count = day.by_outcome.get(outcome, 0)
            if not count:
                continue
            height = round(count * scale, 2)
            bottom -= height
            label = OUTCOME_LABELS.get(outcome, outcome)
            segments.append(
                Segment(
                    y=round(bottom, 2),
                    height=height,
                    css=f"ex-{outcome}",
                    title=f"{day.day.isoformat()}: {count} {label}",
                )
            )
        return segments

    columns, ticks = _columns(days, stack, lambda d: d.total)
    return ColumnChart(
        columns=columns,
        ticks=ticks,
        height=PLOT_HEIGHT + 20,
        plot_height=PLOT_HEIGHT,
        maximum=maximum,
        total=sum(d.total for d in days),
        outcomes=outcomes,
    )


@dataclass(frozen=True)
class TtrChart:
    """Columns of the median time to remediate per day (seconds), scaled to the slowest day."""

    columns: list[Column]
    ticks: list[Tick]
    height: int
    plot_height: int
    maximum_seconds: float
    left: float = LEFT


def ttr_chart(days: Sequence[DayRemediations]) -> TtrChart:
    """One column per day: the median time to remediate the findings fixed that day."""
    maximum = max((d.median_seconds or 0.0 for d in days), default=0.0)
    scale = PLOT_HEIGHT / maximum if maximum else 0

    def column(day: DayRemediations) -> list[Segment]:
        median = day.median_seconds
        if median is None:
            return []
        height = round(median * scale, 2)
        return [
            Segment(
                y=round(PLOT_HEIGHT - height, 2),
                height=height,
                css="mttr",
                title=f"{day.day.isoformat()}: {median / 3600:.1f} h median, "
                f"{day.fixed_count} fixed",
            )
        ]

    columns, ticks = _columns(days, column, lambda d: d.fixed_count)
    return TtrChart(
        columns=columns,
        ticks=ticks,
        height=PLOT_HEIGHT + 20,
        plot_height=PLOT_HEIGHT,
        maximum_seconds=maximum,
    )
