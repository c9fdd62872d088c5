"""What every alert email shares: the story pieces, the footer links and the headers.

The single alert (alerts.alert_email) and the roll-up of held-back stories
(rollup.rollup_email) are both built here, through render.build_email, so both carry the
same one-click List-Unsubscribe, List-Id and manage link.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail.message import EmailMultiAlternatives

from newsdesk.accounts.models import Reader
from newsdesk.articles.models import Article
from newsdesk.digests.compose import Story, clean_name, group_stories
from newsdesk.digests.render import (
    address,
    build_email,
    list_id,
    manage_url,
    unsubscribe_mailto,
    unsubscribe_url,
)


def alert_headers(reader_id: int) -> dict[str, str]:
    """RFC 2369 / RFC 8058 one-click unsubscribe, the list's id, auto-generated."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(reader_id)}>, <{unsubscribe_mailto(reader_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(),
        "Auto-Submitted": "auto-generated",
    }


def reader_email(
    name: str, context: Mapping[str, Any], reader: Reader, message_id: str
) -> EmailMultiAlternatives:
    """Templates ``name``-{subject,body} for ``reader``, with the alert footer and headers."""
    full = {
        "reader_name": clean_name(reader.name),
        "manage_url": manage_url(reader.pk),
        "unsubscribe_url": unsubscribe_url(reader.pk),
        "site_url": settings.SITE_URL,
        **context,
    }
    return build_email(
        name,
        full,
        to=address(reader.name, reader.email),
        from_email=settings.DIGEST_FROM_EMAIL,
        headers=alert_headers(reader.pk),
        message_id=message_id,
    )


def article_stories(article_ids: Iterable[int]) -> dict[int, Story]:
    """Each article as a compose.Story of its own (title, clean snippet, links)."""
    found = Article.objects.filter(pk__in=list(article_ids)).values(
        "id",
        "title",
        "snippet",
        "text",
        "url",
        "canonical_url",
        "published_at",
        "outlet__name",
    )
    out: dict[int, Story] = {}
    for values in found:
        row: dict[str, Any] = dict(values)
        row["outlet_name"] = row.pop("outlet__name")
        row["duplicate_of_id"] = None  # alone in its group here
        out[row["id"]] = group_stories([row])[0]
    return out


def article_story(article_id: int) -> Story | None:
    return article_stories([article_id]).get(article_id)


def local_time(at: dt.datetime, zone: zoneinfo.ZoneInfo, now: dt.datetime) -> str:
    """'09:12 CEST' today in the reader's zone, 'Mon 1 Jun 21:40 CEST' another day."""
    local = at.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M} {local.tzname()}"
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"
