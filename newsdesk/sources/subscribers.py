"""How many readers a source serves, for the User-Agent we send it.

Publishers read ``Newsdesk/0.1 (+url; 12 subscribers)`` in their logs to see what one
polling client stands for (the convention of feed aggregators). The number is readers
following a topic that this source's articles are filed under. It only informs, so it is
cached per process for an hour instead of being counted on every poll.
"""

from __future__ import annotations

import threading
import time

from newsdesk.sources.models import Source, SourceItem
from newsdesk.topics.models import Follow, TopicArticle

CACHE_SECONDS = 3600.0
# Only recent items count: a topic the source stopped feeding years ago says little,
# and the bound keeps the query cheap on sources with a long history.
RECENT_ITEMS = 500

_cache: dict[int, tuple[float, int]] = {}
_lock = threading.Lock()


def subscriber_count(source: Source) -> int:
    """Readers following topics this source's recent articles are filed under (cached)."""
    if source.pk is None:
        return 0
    now = time.monotonic()
    with _lock:
        cached = _cache.get(source.pk)
    if cached is not None and cached[0] > now:
        return cached[1]
    count = _count(source.pk)
    with _lock:
        _cache[source.pk] = (now + CACHE_SECONDS, count)
    return count


def _count(source_id: int) -> int:
    recent_articles = list(
        SourceItem.objects.filter(source_id=source_id, article__isnull=False)
        .order_by("-id")
        .values_list("article_id", flat=True)[:RECENT_ITEMS]
    )
    if not recent_articles:
        return 0
    topics = TopicArticle.objects.filter(article_id__in=recent_articles).values("topic_id")
    return (
        Follow.objects.filter(topic_id__in=topics, reader__unsubscribed_at__isnull=True)
        .values("reader_id")
        .distinct()
        .count()
    )


def forget() -> None:
    """Drop the cache (tests, and after bulk changes to follows)."""
    with _lock:
        _cache.clear()
