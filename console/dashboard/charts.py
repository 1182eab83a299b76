"""Small server-rendered SVG charts: geometry computed here, drawn by templates.

No JavaScript and no inline styles (the CSP is ``script-src 'self'; style-src 'self'``): shapes
carry SVG geometry attributes and CSS classes from ``console.css``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ouroboros.aggregates.dashboard import DayRemediations

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
    x: float
    width: float
    label: str
    total: int
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    ticks: list[Tick]
    width: int
    height: int
    plot_height: int
    maximum: int
    total: int
    statuses: list[str]


STATUS_ORDER = ("succeeded", "failed", "skipped", "rolled_back", "running", "pending")


def remediation_chart(days: Sequence[DayRemediations], *, width: int = 640) -> ColumnChart:
    """Stacked columns of executions per day, by status."""
    plot_height, left = 120, 30
    maximum = max((d.total for d in days), default=0)
    scale = plot_height / maximum if maximum else 0
    step = (width - left) / max(len(days), 1)
    seen = {status for d in days for status in d.by_status}
    statuses = [s for s in STATUS_ORDER if s in seen] + sorted(seen - set(STATUS_ORDER))
    columns, ticks = [], []
    for n, day in enumerate(days):
        x = left + n * step
        bottom = float(plot_height)
        segments = []
        for status in statuses:
            count = day.by_status.get(status, 0)
            if not count:
                continue
            height = round(count * scale, 2)
            bottom -= height
            segments.append(
                Segment(
                    y=round(bottom, 2),
                    height=height,
                    css=f"ex-{status}",
                    title=f"{day.day.isoformat()}: {count} {status}",
                )
            )
        label = day.day.strftime("%b %d")
        columns.append(
            Column(
                x=round(x + 1, 2),
                width=round(step - 2, 2),
                label=label,
                total=day.total,
                segments=segments,
            )
        )
        if n in (0, len(days) // 2, len(days) - 1):
            ticks.append(Tick(x=round(x + step / 2, 2), label=label))
    return ColumnChart(
        columns=columns,
        ticks=ticks,
        width=width,
        height=plot_height + 20,
        plot_height=plot_height,
        maximum=maximum,
        total=sum(d.total for d in days),
        statuses=statuses,
    )


@dataclass(frozen=True)
class MttrChart:
    """Columns of the mean time to remediate per day (seconds), scaled to the slowest day."""

    columns: list[Column]
    ticks: list[Tick]
    width: int
    height: int
    plot_height: int
    maximum_seconds: float


def mttr_chart(days: Sequence[DayRemediations], *, width: int = 640) -> MttrChart:
    """One column per day: the mean time to remediate the findings fixed that day."""
    plot_height, left = 120, 30
    maximum = max((d.mttr_seconds or 0.0 for d in days), default=0.0)
    scale = plot_height / maximum if maximum else 0
    step = (width - left) / max(len(days), 1)
    columns, ticks = [], []
    for n, day in enumerate(days):
        x = left + n * step
        label = day.day.strftime("%b %d")
        segments = []
        if day.mttr_seconds is not None:
            height = round(day.mttr_seconds * scale, 2)
            hours = day.mttr_seconds / 3600
            segments.append(
                Segment(
                    y=round(plot_height - height, 2),
                    height=height,
                    css="mttr",
                    title=f"{day.day.isoformat()}: {hours:.1f} h mean, {day.fixed_count} fixed",
                )
            )
        columns.append(
            Column(
                x=round(x + 1, 2),
                width=round(step - 2, 2),
                label=label,
                total=day.fixed_count,
                segments=segments,
            )
        )
        if n in (0, len(days) // 2, len(days) - 1):
            ticks.append(Tick(x=round(x + step / 2, 2), label=label))
    return MttrChart(
        columns=columns,
        ticks=ticks,
        width=width,
        height=plot_height + 20,
        plot_height=plot_height,
        maximum_seconds=maximum,
    )
