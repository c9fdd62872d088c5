"""Articles (one per canonical URL) and the people who wrote them."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone

from newsdesk.articles.extract import TITLE_SOURCES


class Author(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    outlet = models.ForeignKey(
        "sources.Outlet", null=True, blank=True, on_delete=models.SET_NULL, related_name="authors"
    )
    bio = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "slug"], name="author_unique_per_outlet")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:author", args=[self.pk, self.slug])


class Article(models.Model):
    # Identity: one row per canonical URL, whatever feeds or tracking links led here.
    canonical_url = models.URLField(max_length=2000, unique=True)
    url = models.URLField(max_length=2000)
    outlet = models.ForeignKey("sources.Outlet", on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=1000)
    text = models.TextField()
    # Sanitized once, before storing; templates may mark it safe because of that.
    html = models.TextField(blank=True)
    snippet = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True)
    image = models.URLField(max_length=2000, blank=True)
    section = models.CharField(max_length=200, blank=True)
    # The organisation or desk the page credits when it names no person ("MND Staff").
    credit = models.CharField(max_length=200, blank=True)
    # Index for published_at: front page, digests and feeds all read newest first.
    published_at = models.DateTimeField(db_index=True)
    modified_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    title_history = models.JSONField(default=list, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles")

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("web:article", args=[self.pk])

    @property
    def byline_credit(self) -> str:
        """The credit to show when no person is named: not when it only repeats the
        outlet's name, which the page shows anyway."""
        if not self.credit or self.credit.casefold() == self.outlet.name.casefold():
            return ""  # (no credit: the outlet need not be loaded at all)
        return self.credit


class Byline(models.Model):
    """An author's place on an article's byline, in the order the outlet printed it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["article", "author"], name="byline_unique")]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.article_id} ({self.position})"


class ArticleBand(models.Model):
    """One LSH band of an article's MinHash signature (see ``identity.py``).

    Two articles that share any band key are near-duplicate candidates; the index on
    ``key`` lets a new article find them without scanning every stored text.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bands")
    # Band number and band values hashed together into 63 bits, so one column (and one
    # index) serves all bands. Read by identity.candidates().
    key = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.article_id}:{self.key}"


class ArticleAlias(models.Model):
    """Another URL that is known to show an article: its AMP or mobile page, a page
    whose rel=canonical led here. Lets ingest link a feed item without fetching it."""

    url = models.URLField(max_length=2000, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="aliases")

    def __str__(self) -> str:
        return self.url


class PageSnapshot(models.Model):
    """The raw page an article was last extracted from, gzipped, for rule previews and
    re-extraction. Kept only for each outlet's most recent articles and only below a
    size cap (see ``snapshots.py``), so the table stays small."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="snapshot")
    url = models.URLField(max_length=2000)
    content_type = models.CharField(max_length=200, blank=True)
    body_gz = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    # Index for fetched_at: pruning keeps the newest snapshots per outlet.
    fetched_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.url


class SiteBlock(models.Model):
    """How many distinct articles of an outlet carried a block of text (by fingerprint).

    Blocks seen on several articles of one outlet are its boilerplate (a sign-up box, a
    bio, a promise) and are passed to the extractor for that outlet's next pages.
    """

    outlet = models.ForeignKey("sources.Outlet", on_delete=models.CASCADE, related_name="blocks")
    fingerprint = models.CharField(max_length=32)
    article_count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outlet", "fingerprint"], name="siteblock_unique")
        ]
        # Used by boilerplate.learned(): the outlet's blocks at or over the threshold.
        indexes = [models.Index(fields=["outlet", "article_count"], name="siteblock_count")]

    def __str__(self) -> str:
        return f"{self.fingerprint} × {self.article_count}"


class SiteRule(models.Model):
    """Operator-written extraction rule for one outlet or a host pattern (CSS selectors).

    Applied around the extractor by ``rules.py``: remove elements, narrow the page to the
    body container(s), then override fields the selectors find.
    """

    outlet = models.ForeignKey(
        "sources.Outlet", null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    host_pattern = models.CharField(
        max_length=255,
        blank=True,
        help_text="Host or shell pattern, e.g. news.example.com or *.example.com. "
        "A matching host pattern wins over an outlet-wide rule.",
    )
    body_selector = models.TextField(
        blank=True, help_text="CSS selector of the article body container(s)."
    )
    remove_selectors = models.TextField(
        blank=True, help_text="CSS selectors of elements to remove, one per line."
    )
    title_selector = models.CharField(max_length=500, blank=True)
    title_source = models.CharField(
        max_length=16,
        blank=True,
        choices=list(TITLE_SOURCES.items()),
        help_text="Where this site puts the headline readers should see; blank chooses "
        "automatically. A title selector, when given, wins.",
    )
    author_selector = models.CharField(max_length=500, blank=True)
    date_selector = models.CharField(
        max_length=500,
        blank=True,
        help_text="Element whose datetime/content attribute or text is the publication date.",
    )
    enabled = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["outlet__name", "host_pattern", "id"]

    def __str__(self) -> str:
        where = self.host_pattern or (self.outlet.name if self.outlet else "?")
        return f"Rule for {where}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from newsdesk.articles.rules import selector_errors

        if self.outlet_id is None and not self.host_pattern.strip():
            raise ValidationError("Give an outlet or a host pattern.")
        errors = selector_errors(self)
        if errors:
            raise ValidationError(errors)
