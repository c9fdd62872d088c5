"""Articles (one per canonical URL) and the people who wrote them."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone


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


class Byline(models.Model):
    """An author's place on an article's byline, in the order the outlet printed it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique")
        ]
