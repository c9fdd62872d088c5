"""Editors' admin for topics: curated sections, entities and saved searches.

Follows are listed in the admin by accounts/admin.py (FollowAdmin, with the readers);
a topic here shows its follower count and links to its follows there.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from newsdesk.topics.models import Follow, Topic, TopicArticle


class AliasesField(forms.CharField):
    """Aliases, one per line in the form; a list of distinct labels in the JSON field."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(alias) for alias in value)
        return str(value or "")

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        seen: dict[str, None] = {}
        for line in str(value or "").splitlines():
            label = " ".join(line.split())
            if label:
                seen.setdefault(label, None)
        return list(seen)


class TopicForm(forms.ModelForm):
    aliases = AliasesField(
        required=False,
        help_text=(
            "Section labels outlets use for this topic, one per line "
            "(“Politics / Valdoria”, “Valdoria”). Articles filed under one join the topic."
        ),
    )

    class Meta:
        model = Topic
        fields = ["name", "slug", "kind", "description", "aliases", "query"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Topic.Kind.SEARCH and not str(data.get("query") or "").strip():
            self.add_error("query", "A saved search needs a query.")
        return data


def _count(model: type[Follow] | type[TopicArticle]) -> Coalesce:
    """A per-topic count as a subquery: two Count() joins would multiply each other."""
    rows = (
        model.objects.filter(topic=OuterRef("pk"))
        .order_by()
        .values("topic")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["name", "slug", "kind", "alias_list", "follower_count", "article_count"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "aliases", "query"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created", "follows_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        queryset = super().get_queryset(request)
        return queryset.annotate(follower_count=_count(Follow), article_count=_count(TopicArticle))

    @admin.display(description="Aliases")
    def alias_list(self, obj: Topic) -> str:
        return ", ".join(str(alias) for alias in obj.aliases) or "—"

    @admin.display(description="Followers", ordering="follower_count")
    def follower_count(self, obj: Any) -> int:
        return int(obj.follower_count)

    @admin.display(description="Articles", ordering="article_count")
    def article_count(self, obj: Any) -> int:
        return int(obj.article_count)

    @admin.display(description="Follows")
    def follows_link(self, obj: Any) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:topics_follow_changelist") + f"?topic__id__exact={obj.pk}"
        return format_html('<a href="{}">{} followers</a>', url, obj.follower_count)
