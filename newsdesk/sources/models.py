"""Outlets, the sources we poll for them, and what each source said.

A Source is one URL we poll (a feed, a news sitemap or an HTML section page); an Outlet
is the publisher behind one or more sources. A SourceItem records one entry of a source;
many items (from different feeds, with different tracking parameters) may point to one
Article, which lives in the articles app keyed by its canonical URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db import models
from django.utils import timezone

from newsdesk.sources.parse import registrable_domain

SITE_LENGTH = 255  # Outlet.site's max_length


def site_of(url: str) -> str:
    """The key of the site ``url`` is on, as ``same_site`` compares URLs: its host's
    registrable domain ("" without a host). Two URLs are same-site exactly when their
    keys are equal and not empty."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return ""
    return registrable_domain(host)[:SITE_LENGTH] if host else ""


class Outlet(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    home_url = models.URLField(max_length=2000, blank=True)
    # site_of(home_url), kept by save(): finding the outlet a fetched page belongs to
    # (sources.registry.site_outlet, once per page) is one indexed lookup, not a
    # same_site() test against every outlet in Python.
    site = models.CharField(max_length=SITE_LENGTH, blank=True, db_index=True, editable=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.site = site_of(self.home_url)
        fields = kwargs.get("update_fields")
        if fields is not None and "home_url" in fields and "site" not in fields:
            kwargs["update_fields"] = [*fields, "site"]
        super().save(*args, **kwargs)


class Source(models.Model):
    class Kind(models.TextChoices):
        FEED = "feed", "RSS / Atom / JSON Feed"
        SITEMAP = "sitemap", "News sitemap"
        HTML = "html", "HTML section page"

    class Status(models.TextChoices):
        NEW = "new", "Not fetched yet"
        OK = "ok", "OK"
        ERROR = "error", "Failing"
        GONE = "gone", "Gone (410)"

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=2000, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FEED)
    title = models.CharField(max_length=300, blank=True)
    # Operator patterns (regular expressions) for HTML section pages.
    include_patterns = models.JSONField(default=list, blank=True)
    exclude_patterns = models.JSONField(default=list, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    last_error = models.TextField(blank=True)
    error_count = models.PositiveIntegerField(default=0)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Index for next_fetch_at: the fetch scheduler selects due sources by it.
    next_fetch_at = models.DateTimeField(default=timezone.now, db_index=True)
    interval_seconds = models.PositiveIntegerField(default=3600)
    # Pages this source linked to that could not be fetched or read (the feed itself may
    # be fine); shown beside the source's status so an operator sees broken articles.
    page_error_count = models.PositiveIntegerField(default=0)
    last_page_error = models.TextField(blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["outlet__name", "url"]

    def __str__(self) -> str:
        return self.title or self.url


class SourceItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for its page"
        DONE = "done", "Stored as an article"
        FAILED = "failed", "Page could not be fetched or read"
        SKIPPED = "skipped", "Not an article"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items")
    guid = models.CharField(max_length=2000)
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=1000, blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    authors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    # Index for state: the page fetcher picks pending items by it.
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Not to be claimed before this time: set when the page may not be fetched yet for a
    # reason that is not the page's own (its site's robots.txt is unreachable).
    retry_at = models.DateTimeField(null=True, blank=True)
    article = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="sourceitem_unique_guid")
        ]

    def __str__(self) -> str:
        return self.title or self.url


class RobotsFile(models.Model):
    """The robots.txt of one site, cached for a day (RFC 9309 section 2.4).

    Keyed by origin ("https://example.com:443"), not bare host: the RFC scopes a
    robots.txt to its scheme, host and port. ``status`` is the HTTP status, or 0 when
    the file could not be fetched at all; 5xx and 0 mean "disallow everything for now".
    Read by sources/robots.py before article pages are fetched (articles/ingest.py).
    """

    origin = models.CharField(max_length=300, unique=True)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.origin}/robots.txt ({self.status or 'unreachable'})"
