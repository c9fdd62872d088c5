import datetime as dt

import pytest

from newsdesk.articles.models import Article
from newsdesk.sources.models import Outlet
from newsdesk.topics.match import assign_topics, normalise_label
from newsdesk.topics.models import Topic

pytestmark = pytest.mark.django_db


def make_article(outlet: Outlet, n: int) -> Article:
    return Article.objects.create(
        canonical_url=f"https://example.com/{n}",
        url=f"https://example.com/{n}",
        outlet=outlet,
        title=f"Article {n}",
        text="Body",
        published_at=dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
    )


def test_it_normalises_labels_across_punctuation_and_case() -> None:
    assert normalise_label("Politics / Valdoria") == normalise_label("politics  valdoria")
    assert normalise_label("Science & Environment") == "science environment"


def test_it_assigns_an_article_to_the_topics_whose_aliases_match() -> None:
    outlet = Outlet.objects.create(name="Herald", slug="herald")
    politics = Topic.objects.create(
        slug="valdoria-politics", name="Valdorian politics", aliases=["Politics / Valdoria"]
    )
    Topic.objects.create(slug="business", name="Business", aliases=["Economy"])
    article = make_article(outlet, 1)

    assert assign_topics(article, ["POLITICS/Valdoria", "Unrelated"]) == {politics.pk}
    assert list(article.topics.all()) == [politics]


def test_it_matches_a_topic_by_its_own_name_and_ignores_repeats() -> None:
    outlet = Outlet.objects.create(name="Herald", slug="herald")
    business = Topic.objects.create(slug="business", name="Business")
    article = make_article(outlet, 2)
    assign_topics(article, ["business"])
    assign_topics(article, ["Business"])
    assert list(article.topics.all()) == [business]


def test_it_leaves_search_and_entity_topics_to_their_own_matchers() -> None:
    outlet = Outlet.objects.create(name="Herald", slug="herald")
    Topic.objects.create(slug="acme", name="Business", kind=Topic.Kind.ENTITY)
    article = make_article(outlet, 3)
    assert assign_topics(article, ["Business"]) == set()
