"""Following an author or a source page: the Topic appears on demand and collects articles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.accounts import tokens
from newsdesk.accounts.models import Consent
from newsdesk.articles.models import Article, Author, Byline
from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.tests.helpers import Sink, make_article, make_outlet
from newsdesk.topics.match import assign_topics
from newsdesk.topics.models import Follow, Topic, TopicArticle

pytestmark = pytest.mark.django_db
UTC = dt.UTC
DUE = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


def byline(article: Article, author: Author) -> Article:
    Byline.objects.create(article=article, author=author)
    return article


def confirm_last(client: Client, sink: Sink) -> None:
    text = str(sink.messages[-1].get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    match = re.search(r"/confirm/(\S+)/", text)
    assert match is not None
    client.post(reverse("accounts:confirm", args=[match.group(1)]))


def test_it_follows_an_author_from_the_author_page(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    herald = make_outlet("Valdoria Herald")
    author = Author.objects.create(name="Mara Holt", slug="mara-holt", outlet=herald)
    earlier = byline(make_article([], "Budget night in parliament", DUE - 5 * HOUR), author)
    make_article([], "Someone else's story", DUE - 5 * HOUR)

    client = Client()
    page = client.get(author.get_absolute_url())
    action = f'action="/follow/author-{author.pk}-mara-holt/"'
    assert page.status_code == 200 and action in page.content.decode()
    assert b"Receive free Mara Holt (Valdoria Herald) updates" in page.content
    assert not Topic.objects.exists()  # a page view creates nothing

    slug = f"author-{author.pk}-mara-holt"
    assert client.get(reverse("accounts:follow", args=[slug])).status_code == 200
    assert not Topic.objects.exists()
    response = client.post(
        reverse("accounts:follow", args=[slug]),
        {"email": "ann@example.com", "daily": "on", "instant": "on", "time_zone": "UTC"},
    )
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert (topic.kind, topic.author, topic.slug) == (Topic.Kind.AUTHOR, author, slug)
    # Filled with the author's recent articles, and only theirs.
    assert list(topic.articles.all()) == [earlier]
    assert Consent.objects.get().topic == topic
    confirm_last(client, sink)
    follow = Follow.objects.get(topic=topic)
    assert follow.daily and follow.instant

    # A new article by the author joins the topic as it is stored, and the digest.
    new = byline(make_article([], "Mara Holt on the harbour strike", DUE - 2 * HOUR), author)
    assert topic.pk in assign_topics(new, [])
    # (matched "now" by the wall clock; the test's morning is DUE)
    TopicArticle.objects.filter(article=new).update(matched_at=DUE - 2 * HOUR)
    run_once(DUE + dt.timedelta(minutes=1))
    digest = sink.messages[-1]
    assert digest["Subject"] == "Your Newsdesk digest: 2 stories on Mara Holt (Valdoria Herald)"
    text = str(digest.get_body(preferencelist=("plain",)))
    assert "Mara Holt on the harbour strike" in text and "Someone else" not in text


def test_it_follows_a_source_and_matches_its_new_articles(smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp
    herald, courier = make_outlet("Valdoria Herald"), make_outlet("Courier")
    page = Client().get(reverse("web:outlet", args=[herald.slug]))
    assert 'action="/follow/source-valdoria-herald/"' in page.content.decode()
    response = Client().post(
        reverse("accounts:follow", args=["source-valdoria-herald"]),
        {"email": "ann@example.com", "daily": "on", "time_zone": "UTC"},
    )
    assert response.status_code == 302
    topic = Topic.objects.get(outlet=herald)
    assert topic.kind == Topic.Kind.SOURCE and topic.name == "Valdoria Herald"
    # Following again (another visitor) reuses the same topic.
    Client().post(
        reverse("accounts:follow", args=["source-valdoria-herald"]),
        {"email": "bob@example.com", "daily": "on", "time_zone": "UTC"},
    )
    assert Topic.objects.count() == 1 and Consent.objects.filter(topic=topic).count() == 2

    ours = make_article([], "Herald story", DUE, outlet=herald)
    theirs = make_article([], "Courier story", DUE, outlet=courier)
    assert assign_topics(ours, []) == {topic.pk}
    assert assign_topics(theirs, []) == set()
    assert TopicArticle.objects.filter(topic=topic).count() == 1


def test_it_keeps_section_matching_and_refuses_unknown_authors() -> None:
    section = Topic.objects.create(name="Politics", slug="politics", aliases=["Politik"])
    article = make_article([], "A story", DUE)
    assert assign_topics(article, ["politik"]) == {section.pk}
    client = Client()
    assert client.get(reverse("accounts:follow", args=["author-999-nobody"])).status_code == 404
    assert client.get(reverse("accounts:follow", args=["source-nowhere"])).status_code == 404
    assert (
        client.post(
            reverse("accounts:follow", args=["author-999-nobody"]), {"email": "a@example.com"}
        ).status_code
        == 404
    )
    # An invalid form creates no topic either.
    herald = make_outlet("Valdoria Herald")
    client.post(reverse("accounts:follow", args=[f"source-{herald.slug}"]), {"email": "x"})
    assert not Topic.objects.filter(outlet=herald).exists()


def test_confirm_tokens_still_work_for_author_topics(smtp: tuple[Sink, int]) -> None:
    author = Author.objects.create(name="Mara Holt", slug="mara-holt")
    Client().post(
        reverse("accounts:follow", args=[f"author-{author.pk}-mara-holt"]),
        {"email": "ann@example.com", "weekly": "on", "time_zone": "UTC"},
    )
    consent = Consent.objects.get()
    token = tokens.confirm_token(consent.pk)
    Client().post(reverse("accounts:confirm", args=[token]))
    assert Follow.objects.get().weekly and Topic.objects.get().name == "Mara Holt"
