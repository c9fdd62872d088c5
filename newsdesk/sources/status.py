"""A source's health in plain words, for ``sources list`` and the staff pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from newsdesk.sources.models import Source


def describe(source: Source, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "id": source.pk,
        "url": source.url,
        "kind": source.kind,
        "outlet": source.outlet.name,
        "title": source.title,
        "status": source.status,
        "status_words": Source.Status(source.status).label,
        "last_fetched_at": source.last_fetched_at,
        "last_success_at": source.last_success_at,
        "last_error": source.last_error,
        "error_count": source.error_count,
        "next_fetch_at": source.next_fetch_at,
        "next_fetch_in": relative(source.next_fetch_at, now),
        "interval_seconds": source.interval_seconds,
        "page_error_count": source.page_error_count,
        "last_page_error": source.last_page_error,
    }


def lines(row: dict[str, Any]) -> list[str]:
    fetched = row["last_fetched_at"]
    out = [
        f"[{row['id']}] {row['url']}",
        f"    {row['outlet']} · {Source.Kind(row['kind']).label} · {row['status_words']}"
        + (f" ({row['error_count']} failures in a row)" if row["error_count"] else ""),
        f"    last fetch: {fetched:%Y-%m-%d %H:%M} UTC" if fetched else "    last fetch: never",
        f"    next try: {row['next_fetch_in']}, every {duration(row['interval_seconds'])}",
    ]
    if row["last_error"]:
        out.append(f"    problem: {row['last_error']}")
    if row["page_error_count"]:
        out.append(f"    page problems: {row['page_error_count']}, last: {row['last_page_error']}")
    return out


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds // 86400} days"


def relative(when: dt.datetime, now: dt.datetime) -> str:
    delta = (when - now).total_seconds()
    if abs(delta) < 60:
        return "now"
    return f"in {duration(delta)}" if delta > 0 else f"due since {duration(-delta)}"
