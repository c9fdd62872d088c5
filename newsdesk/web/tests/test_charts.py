from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

from newsdesk.web.charts import DayCount, daily_series, summary, volume_svg

SVG = "{http://www.w3.org/2000/svg}"
END = dt.date(2026, 3, 31)


def test_it_fills_missing_days_with_zero() -> None:
    series = daily_series({dt.date(2026, 3, 30): 4, dt.date(2026, 1, 1): 9}, end=END, days=3)
    assert series == [
        DayCount(dt.date(2026, 3, 29), 0),
        DayCount(dt.date(2026, 3, 30), 4),
        DayCount(dt.date(2026, 3, 31), 0),
    ]


def test_it_draws_one_bar_per_day_scaled_to_a_round_maximum() -> None:
    series = daily_series({END: 7, END - dt.timedelta(days=1): 3}, end=END, days=30)
    root = ElementTree.fromstring(volume_svg(series, "EU trade"))
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 30
    heights = [float(bar.get("height", "0")) for bar in bars]
    assert heights[:28] == [0.0] * 28
    # Top of the axis is 10 for a peak of 7, so 7 articles fill 70% of the plot height.
    plot_height = 180 - 12 - 26
    assert heights[29] == round(plot_height * 0.7, 1)
    labels = [text.text for text in root.findall(f"{SVG}text")]
    assert "10" in labels and "0" in labels
    assert bars[29].find(f"{SVG}title").text == "Tue 31 Mar 2026: 7 articles"  # type: ignore[union-attr]


def test_it_is_accessible_with_a_title_and_a_summary() -> None:
    series = daily_series({END: 2}, end=END, days=30)
    root = ElementTree.fromstring(volume_svg(series, "EU trade", chart_id="c1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Daily EU trade articles"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == "2 EU trade articles in the last 30 days; busiest day 31 Mar with 2."


def test_it_escapes_the_label_and_the_id() -> None:
    series = daily_series({}, end=END, days=30)
    svg = volume_svg(series, "</title><script>alert(1)</script>", chart_id='x" onload="alert(1)')
    assert "<script>" not in svg
    assert 'onload="' not in svg
    root = ElementTree.fromstring(svg)  # still well-formed
    assert root.find(f"{SVG}title").text == "Daily </title><script>alert(1)</script> articles"  # type: ignore[union-attr]


def test_it_summarises_an_empty_month() -> None:
    assert summary(daily_series({}, end=END, days=30), "EU trade") == (
        "No EU trade articles in the last 30 days."
    )
