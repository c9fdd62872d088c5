"""Inline SVG charts built on the server, so the topic page needs no JavaScript.

Every piece of text that goes into the SVG passes through ``escape``: a topic name comes
from an editor or a saved search and must never be able to close the markup. The result
is a plain string; the view marks it safe because it was built only from escaped parts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

WIDTH = 600
HEIGHT = 180
PAD_LEFT = 34
PAD_RIGHT = 8
PAD_TOP = 12
PAD_BOTTOM = 26


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    count: int


def daily_series(counts: Mapping[dt.date, int], end: dt.date, days: int = 30) -> list[DayCount]:
    """The last ``days`` days up to ``end``, with zero for days that had no articles."""
    start = end - dt.timedelta(days=days - 1)
    return [
        DayCount(day, counts.get(day, 0))
        for day in (start + dt.timedelta(days=i) for i in range(days))
    ]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_max(peak: int) -> int:
    """A round top for the y axis so its label reads well (1, 2, 5, 10, 20, 50 …)."""
    if peak <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= step * factor:
                return step * factor
        step *= 10


def summary(series: list[DayCount], label: str) -> str:
    total = sum(point.count for point in series)
    if not series or total == 0:
        return f"No {label} articles in the last {len(series)} days."
    busiest = max(series, key=lambda point: (point.count, point.day))
    noun = "article" if total == 1 else "articles"
    return (
        f"{total} {label} {noun} in the last {len(series)} days; "
        f"busiest day {busiest.day:%d %b} with {busiest.count}."
    )


def volume_svg(series: list[DayCount], label: str, chart_id: str = "volume") -> str:
    """A bar chart of articles per day, with a title, a description and a tooltip per bar."""
    top = _nice_max(max((point.count for point in series), default=0))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(len(series), 1)
    bar_w = max(slot * 0.7, 1.0)
    base_y = PAD_TOP + plot_h
    cid = escape(chart_id, quote=True)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{cid}-title">{escape(f"Daily {label} articles")}</title>',
        f'<desc id="{cid}-desc">{escape(summary(series, label))}</desc>',
        f'<line class="chart-axis" x1="{PAD_LEFT}" y1="{base_y}" '
        f'x2="{WIDTH - PAD_RIGHT}" y2="{base_y}"/>',
        f'<line class="chart-grid" x1="{PAD_LEFT}" y1="{PAD_TOP}" '
        f'x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP}"/>',
        f'<text class="chart-label" x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" '
        f'text-anchor="end">{top}</text>',
        f'<text class="chart-label" x="{PAD_LEFT - 4}" y="{base_y}" text-anchor="end">0</text>',
    ]
    for index, point in enumerate(series):
        height = plot_h * point.count / top
        x = PAD_LEFT + index * slot + (slot - bar_w) / 2
        noun = "article" if point.count == 1 else "articles"
        tip = escape(f"{point.day:%a %d %b %Y}: {point.count} {noun}")
        parts.append(
            f'<rect class="chart-bar" x="{_fmt(x)}" y="{_fmt(base_y - height)}" '
            f'width="{_fmt(bar_w)}" height="{_fmt(height)}"><title>{tip}</title></rect>'
        )
        # Label the first day and then weekly, so labels never collide on a phone.
        if index % 7 == 0 or index == len(series) - 1:
            parts.append(
                f'<text class="chart-label" x="{_fmt(x + bar_w / 2)}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(f"{point.day:%d %b}")}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
