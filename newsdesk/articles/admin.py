from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from newsdesk.articles.boilerplate import MIN_ARTICLES, learned
from newsdesk.articles.extract import TITLE_SOURCES, Extraction, decode, page_titles, parse
from newsdesk.articles.models import Article, ArticleAlias, Author, SiteBlock, SiteRule
from newsdesk.articles.pages import PageUnavailable, page_for
from newsdesk.articles.rules import RuleOutcome, preview

# Stored URLs carry their scheme; a scheme-less entry is read as https.
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class AliasInline(admin.TabularInline):
    model = ArticleAlias
    formfield_overrides = URL_FIELDS
    extra = 0
    readonly_fields = ["url"]
    can_delete = True


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "outlet", "published_at", "modified_at", "duplicate_of"]
    list_filter = ["outlet", ("duplicate_of", admin.EmptyFieldListFilter)]
    search_fields = ["title", "canonical_url"]
    raw_id_fields = ["duplicate_of"]
    date_hierarchy = "published_at"
    readonly_fields = ["content_hash", "title_history", "fetched_at"]
    exclude = ["authors"]
    inlines = [AliasInline]
    formfield_overrides = URL_FIELDS


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "outlet", "article_count"]
    list_filter = ["outlet"]
    search_fields = ["name", "bio"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Author]:
        return (
            super()
            .get_queryset(request)
            .select_related("outlet")
            .annotate(n_articles=models.Count("bylines"))
        )

    @admin.display(description="articles", ordering="n_articles")
    def article_count(self, author: Author) -> int:
        return int(getattr(author, "n_articles", 0))


@admin.register(SiteBlock)
class SiteBlockAdmin(admin.ModelAdmin):
    """Learned blocks are read-only: an operator who disagrees deletes the row (it is
    learned again only if the block keeps appearing) or writes a SiteRule."""

    list_display = ["outlet", "fingerprint", "article_count", "is_boilerplate", "last_seen"]
    list_filter = ["outlet"]
    readonly_fields = ["outlet", "fingerprint", "article_count", "first_seen", "last_seen"]
    ordering = ["outlet", "-article_count"]

    @admin.display(boolean=True, description="Dropped from pages")
    def is_boilerplate(self, obj: SiteBlock) -> bool:
        return obj.article_count >= MIN_ARTICLES

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class PreviewForm(forms.Form):
    url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="A stored article's URL (its kept page is used) or any page to fetch.",
    )
    html = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    page_url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Where pasted HTML came from (for relative links and the canonical URL).",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("url") and not data.get("html"):
            raise forms.ValidationError("Give a URL or paste the page's HTML.")
        return data


@admin.register(SiteRule)
class SiteRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "outlet", "host_pattern", "body_selector", "enabled", "preview"]
    list_filter = ["enabled", "outlet"]
    search_fields = ["host_pattern", "note"]
    readonly_fields = ["created", "updated"]

    @admin.display(description="Preview")
    def preview(self, obj: SiteRule) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:articles_siterule_preview", args=[obj.pk])
        return format_html('<a href="{}">Try on a page</a>', url)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:rule_id>/preview/", view, name="articles_siterule_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        """The page extracted without and with this rule, side by side."""
        rule = get_object_or_404(SiteRule, pk=rule_id)
        form = PreviewForm(request.POST if request.method == "POST" else None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": f"Preview: {rule}",
            "rule": rule,
            "form": form,
            "opts": self.model._meta,
        }
        if request.method == "POST" and form.is_valid():
            context.update(_run_preview(rule, form.cleaned_data))
        return TemplateResponse(request, "admin/articles/siterule/preview.html", context)


def _run_preview(rule: SiteRule, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("html"):
        body: bytes | str = data["html"]
        url = data.get("page_url") or data.get("url") or "https://example.invalid/"
        origin, outlet = "pasted", rule.outlet
    else:
        try:
            page = page_for(data["url"])
        except PageUnavailable as exc:
            return {"error": str(exc)}
        body, url, origin, outlet = page.body, page.url, page.origin, page.outlet or rule.outlet
    without, with_rule = preview(rule, body, url, boilerplate=learned(outlet))
    return {
        "page_url": url,
        "origin": origin,
        "rows": comparison(without, with_rule),
        "headlines": headline_sources(body, url, with_rule.extraction.title),
    }


def headline_sources(body: bytes | str, url: str, chosen: str | None) -> list[dict[str, Any]]:
    """Each part of the page that states a headline, for choosing the rule's title source."""
    tree = parse(decode(body))
    found = page_titles(tree, url) if tree is not None else {}
    return [
        {"key": key, "label": label, "title": found.get(key, ""), "used": found.get(key) == chosen}
        for key, label in TITLE_SOURCES.items()
    ]


def comparison(without: Extraction, outcome: RuleOutcome) -> dict[str, Any]:
    """Rows of (field, without, with) for the template, and the rule's notes."""
    with_rule = outcome.extraction

    def show(ex: Extraction) -> dict[str, str]:
        return {
            "Title": ex.title or "",
            "Authors": ", ".join(ex.authors),
            "Published": ex.published.isoformat() if ex.published else "",
            "Article?": "yes" if ex.is_article else f"no ({ex.reason})",
            "Characters": str(len(ex.text)),
            "Text": ex.text,
        }

    left, right = show(without), show(with_rule)
    return {
        "fields": [(name, left[name], right[name], left[name] != right[name]) for name in left],
        "notes": outcome.notes,
    }
