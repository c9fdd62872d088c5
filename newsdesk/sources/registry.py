"""Adding sources: one row per URL, whoever asks for it, under the right outlet.

One fetch serves every reader: Source.url is unique, and an address that differs only
by spelling (case, tracking parameters, default port...) is recognised as already
followed instead of being added twice. Used by the ``sources`` command and OPML import.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from newsdesk.sources.models import Outlet, Source, site_of
from newsdesk.sources.parse import canonical_url, registrable_domain

MAX_URL_LENGTH: int = Source._meta.get_field("url").max_length or 2000


def known_source(url: str) -> Source | None:
    """The source already following ``url`` (compared by canonical URL), if any."""
    exact = Source.objects.filter(url=url).first()
    if exact is not None:
        return exact
    wanted = canonical_url(url)
    host = (urlsplit(url).hostname or "").lower()
    # Only sources on the same host can share a canonical URL: a cheap pre-filter.
    for source in Source.objects.filter(url__icontains=host).only("id", "url", "outlet_id"):
        if canonical_url(source.url) == wanted:
            return source
    return None


def site_outlet(url: str) -> Outlet | None:
    """The outlet whose site ``url`` is on (its home_url is same-site with it), if any:
    the oldest when several are. One indexed query (Outlet.site), cheap enough for
    every fetched page."""
    site = site_of(url)
    if not site:
        return None
    return Outlet.objects.filter(site=site).order_by("created", "id").first()


def outlet_for(url: str, name: str | None = None) -> Outlet:
    """The outlet named ``name``, else the one whose site ``url`` is on, else a new one."""
    if name:
        slug = slugify(name)[:200] or "outlet"
        outlet, _ = Outlet.objects.get_or_create(slug=slug, defaults={"name": name[:200]})
        return outlet
    known = site_outlet(url)
    if known is not None:
        return known
    parts = urlsplit(url)
    host = (parts.hostname or "site").lower()
    site = registrable_domain(host) or host
    home = f"{parts.scheme}://{parts.netloc}/"
    slug = _free_slug(slugify(site) or "outlet")
    return Outlet.objects.create(name=site, slug=slug, home_url=home)


def _free_slug(base: str) -> str:
    slug, n = base[:190], 2
    while Outlet.objects.filter(slug=slug).exists():
        slug, n = f"{base[:190]}-{n}", n + 1
    return slug


def check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
    return patterns


def follow(
    url: str,
    kind: str,
    *,
    title: str = "",
    outlet_name: str | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
) -> tuple[Source, bool]:
    """The source for ``url``; created (True) unless it was already followed (False).

    Raises ValueError, in words for the operator, for an address too long to store
    or a link pattern that is not a regular expression.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"the address is longer than {MAX_URL_LENGTH} characters: {url[:100]}…")
    known = known_source(url)
    if known is not None:
        return known, False
    try:
        with transaction.atomic():
            source = Source.objects.create(
                outlet=outlet_for(url, outlet_name),
                url=url,
                kind=kind,
                title=title[:300],
                include_patterns=check_patterns(include or []),
                exclude_patterns=check_patterns(exclude or []),
            )
    except IntegrityError:
        # Someone added the same URL a moment ago: that one is ours too.
        return Source.objects.get(url=url), False
    return source, True
