"""Topics readers follow: curated sections, entities and saved searches."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Topic(models.Model):
    class Kind(models.TextChoices):
        SECTION = "section", "Section"
        ENTITY = "entity", "Entity"
        SEARCH = "search", "Saved search"
        # Followable people and outlets: created on demand when someone follows an author
        # or a source page (accounts/followable.py); match.py assigns their articles.
        AUTHOR = "author", "Author"
        SOURCE = "source", "Source"

    slug = models.SlugField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SECTION)
    description = models.TextField(blank=True)
    # Section labels outlets use for this topic ("Politics / Valdoria", "Valdoria").
    aliases = models.JSONField(default=list, blank=True)
    query = models.TextField(blank=True)
    author = models.OneToOneField(
        "articles.Author", null=True, blank=True, on_delete=models.CASCADE, related_name="topic"
    )
    outlet = models.OneToOneField(
        "sources.Outlet", null=True, blank=True, on_delete=models.CASCADE, related_name="topic"
    )
    articles = models.ManyToManyField(
        "articles.Article", through="TopicArticle", related_name="topics"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:topic", args=[self.slug])


class TopicArticle(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE)
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "article"], name="topicarticle_unique")
        ]
        # Index for matched_at: the instant-alert step asks for what matched in the last
        # minutes (digests/alerts.py).
        indexes = [models.Index(fields=["matched_at"], name="topicarticle_matched")]

    def __str__(self) -> str:
        return f"{self.topic_id} ← {self.article_id}"


class Follow(models.Model):
    """A reader's follow of a topic, with how they want to hear about it."""

    reader = models.ForeignKey("accounts.Reader", on_delete=models.CASCADE, related_name="follows")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    daily = models.BooleanField(default=True)
    weekly = models.BooleanField(default=False)
    instant = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["reader", "topic"], name="follow_unique")]

    def __str__(self) -> str:
        return f"{self.reader} → {self.topic}"
