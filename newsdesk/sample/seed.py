"""Register the sample world in the database: outlets, their feeds, topics, demo readers.

Everything is keyed on natural keys (slugs, URLs, emails), so seeding twice changes
nothing. The sample sites run on fixed local ports, which keeps their URLs, and so the
articles' canonical URLs, the same from one demo run to the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from newsdesk.accounts.models import Reader
from newsdesk.sample.catalog import Catalog
from newsdesk.sources.models import Outlet, Source
from newsdesk.topics.models import Follow, Topic


@dataclass(frozen=True)
class DemoReader:
    email: str
    name: str
    time_zone: str
    follows: tuple[str, ...]


DEMO_READERS = (
    DemoReader("ana@example.org", "Ana Weiss", "Europe/Berlin", ("valdoria-politics", "business")),
    DemoReader("ben@example.org", "Ben Okafor", "America/New_York", ("technology", "science")),
    DemoReader(
        "chiyo@example.org", "Chiyo Mori", "Asia/Tokyo", ("ostria-politics", "central-banks")
    ),
    DemoReader(
        "dara@example.org",
        "Dara Quinn",
        "Australia/Sydney",
        ("business", "valdoria-politics", "ostria-politics"),
    ),
    # Follows nothing: must get no email.
    DemoReader("eli@example.org", "Eli Novak", "Europe/London", ()),
)


def seed_topics(catalog: Catalog) -> list[Topic]:
    topics = []
    for section in catalog.sections:
        aliases = sorted(
            {
                outlet_section.label
                for outlet in catalog.outlets
                for outlet_section in outlet.sections
                if outlet_section.key == section.key
            }
        )
        topic, _ = Topic.objects.update_or_create(
            slug=section.key,
            defaults={"name": section.name, "kind": Topic.Kind.SECTION, "aliases": aliases},
        )
        topics.append(topic)
    return topics


def seed_sources(catalog: Catalog, base_urls: dict[str, str], now: dt.datetime) -> list[Source]:
    """Outlets and their feeds at ``base_urls`` (outlet slug → site URL), all due now."""
    sources = []
    for outlet_data in catalog.outlets:
        base = base_urls[outlet_data.slug].rstrip("/")
        outlet, _ = Outlet.objects.update_or_create(
            slug=outlet_data.slug, defaults={"name": outlet_data.name, "home_url": base + "/"}
        )
        for feed in outlet_data.feeds:
            source, _ = Source.objects.update_or_create(
                url=base + feed.path,
                defaults={"outlet": outlet, "kind": Source.Kind.FEED, "title": feed.title},
            )
            sources.append(source)
    # The demo is run by hand: everything it knows is due now.
    Source.objects.filter(pk__in=[s.pk for s in sources]).update(next_fetch_at=now)
    return sources


def seed_readers(readers: Iterable[DemoReader] = DEMO_READERS) -> list[Reader]:
    seeded = []
    for demo in readers:
        reader, created = Reader.objects.get_or_create(
            email=demo.email,
            defaults={
                "name": demo.name,
                "time_zone": demo.time_zone,
                "confirmed_at": timezone.now(),
            },
        )
        for slug in demo.follows:
            Follow.objects.get_or_create(reader=reader, topic=Topic.objects.get(slug=slug))
        seeded.append(reader)
    return seeded
