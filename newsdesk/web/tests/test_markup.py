"""Structural checks on every page: landmarks, unique ids, labelled fields, safe links."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.web.tests.factories import (
    make_article,
    make_author,
    make_outlet,
    make_source,
    make_topic,
)

pytestmark = pytest.mark.django_db


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.label_targets.append(str(found["for"]))
        if tag == "a" and found.get("href") is not None:
            self.hrefs.append(str(found["href"]))
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1


def page_urls() -> list[str]:
    outlet = make_outlet("Herald", slug="herald")
    make_source(outlet, status="error", last_error="HTTP 500")
    topics = [make_topic("EU trade", slug="eu-trade"), make_topic("Banks", slug="banks")]
    ann = make_author("Ann", outlet=outlet, bio="Bio.")
    article = make_article(
        "Tariffs lifted", outlet=outlet, topics=topics, authors=[ann], html="<p>Body</p>"
    )
    make_article("Tariffs lifted", topics=topics, authors=[ann], duplicate_of=article)
    make_article("Quota talks", topics=topics)
    return [
        reverse("web:home"),
        reverse("web:topics"),
        article.get_absolute_url(),
        reverse("web:topic", args=["eu-trade"]),
        ann.get_absolute_url(),
        reverse("web:outlet", args=["herald"]),
        reverse("web:search") + "?q=tariffs",
    ]


def test_it_builds_every_page_with_landmarks_unique_ids_and_labelled_fields(
    client: Client,
) -> None:
    for url in page_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        parsed = Collector()
        parsed.feed(response.content.decode())
        for landmark in ("header", "nav", "main", "footer", "h1"):
            assert landmark in parsed.tags, (url, landmark)
        assert len(parsed.ids) == len(set(parsed.ids)), (url, sorted(parsed.ids))
        assert set(parsed.label_targets) <= set(parsed.ids), url
        assert parsed.hrefs[0] == "#main", url  # the skip link comes first
        assert "main" in parsed.ids, url
        assert parsed.inline_scripts == 0, url
        for href in parsed.hrefs:
            assert href.startswith(("/", "#", "?", "http://", "https://", "mailto:?")), (url, href)
