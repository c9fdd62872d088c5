from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic

pytestmark = pytest.mark.django_db


def get_page(client: Client, pk: int) -> str:
    response = client.get(reverse("web:article", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_headline_body_byline_dates_and_source_link(client: Client) -> None:
    outlet = make_outlet("Valdoria Herald")
    ann = make_author("Ann Ames", outlet=outlet, bio="Covers trade.")
    bob = make_author("Bob Burr", outlet=outlet)
    published = timezone.now() - dt.timedelta(hours=5)
    article = make_article(
        "Tariffs lifted",
        outlet=outlet,
        authors=[ann, bob],
        html="<p>The <strong>first</strong> paragraph.</p>",
        url="https://herald.example/tariffs?utm_source=x",
        published_at=published,
        modified_at=published + dt.timedelta(hours=1),
    )
    page = get_page(client, article.pk)
    assert "<h1>Tariffs lifted</h1>" in page
    assert "<p>The <strong>first</strong> paragraph.</p>" in page
    assert f'<a rel="author" href="{ann.get_absolute_url()}">Ann Ames</a>' in page
    assert f'<a rel="author" href="{bob.get_absolute_url()}">Bob Burr</a>' in page
    assert "Published <time" in page
    assert "Updated <time" in page
    assert (
        '<a href="https://herald.example/tariffs?utm_source=x" rel="noopener nofollow">'
        "Source link</a>"
    ) in page
    assert "Covers trade." in page


def test_with_no_person_named_the_byline_is_the_desk_the_page_credits(client: Client) -> None:
    outlet = make_outlet("Mexico News Daily")
    desk = make_article("Steel tariffs", outlet=outlet, credit="MND Staff")
    assert '<p class="byline">By MND Staff</p>' in get_page(client, desk.pk)
    itself = make_article("Peso rallies", outlet=outlet, credit="Mexico News Daily")
    assert 'class="byline"' not in get_page(client, itself.pk)  # the outlet line says so
    signed = make_article(
        "Rates hold", outlet=outlet, credit="MND Staff", authors=[make_author("Ana Ruiz")]
    )
    page = get_page(client, signed.pk)
    assert "Ana Ruiz" in page and "MND Staff" not in page


def test_it_falls_back_to_text_paragraphs_without_html(client: Client) -> None:
    article = make_article("Plain", text="One.\n\nTwo <b>not bold</b>.", html="")
    page = get_page(client, article.pk)
    assert "<p>One.</p>" in page
    assert "Two &lt;b&gt;not bold&lt;/b&gt;." in page


def test_it_omits_the_update_date_when_never_updated(client: Client) -> None:
    page = get_page(client, make_article("Fresh").pk)
    assert "Updated" not in page


def test_it_offers_share_by_email_and_copy_link_without_inline_script(client: Client) -> None:
    article = make_article("Share me & more")
    page = get_page(client, article.pk)
    assert "Share post" in page
    assert "mailto:?subject=Share%20me%20%26%20more&amp;body=http%3A%2F%2Ftestserver%2F" in page
    assert f'value="http://testserver{article.get_absolute_url()}" readonly' in page
    assert 'src="/static/web/site.js" defer></script>' in page
    assert "<script>" not in page


def test_it_offers_a_follow_box_for_each_topic(client: Client) -> None:
    trade = make_topic("EU trade", slug="eu-trade")
    banks = make_topic("Central banks", slug="central-banks")
    article = make_article("Tariffs", topics=[trade, banks])
    page = get_page(client, article.pk)
    for topic in (trade, banks):
        assert f'action="{reverse("accounts:follow", args=[topic.slug])}"' in page
        assert f"Receive free {topic.name} updates" in page
        assert (
            f"We'll send you a Daily Digest email rounding up the latest {topic.name} news "
            "every morning."
        ) in page
    assert page.count('name="email"') == 2
    assert page.count('name="csrfmiddlewaretoken"') == 2
    assert f'name="next" value="{article.get_absolute_url()}"' in page


def test_it_lists_related_articles_from_the_same_topics_with_their_snippets(
    client: Client,
) -> None:
    trade = make_topic("EU trade")
    other = make_topic("Sport")
    article = make_article("Tariffs", topics=[trade])
    related = make_article("Quota talks", topics=[trade], snippet="The real story begins.")
    make_article("Copy of tariffs", topics=[trade], duplicate_of=article)
    make_article("Football", topics=[other])
    response = client.get(reverse("web:article", args=[article.pk]))
    assert list(response.context["related"]) == [related]
    page = response.content.decode()
    assert "Related articles" in page
    assert "The real story begins." in page


def test_it_limits_related_to_five_and_recent_to_five_others(client: Client) -> None:
    trade = make_topic()
    article = make_article("Me", topics=[trade], published_at=timezone.now())
    for i in range(7):
        make_article(f"Other {i}", topics=[trade])
    context = client.get(reverse("web:article", args=[article.pk])).context
    assert len(context["related"]) == 5
    assert len(context["recent"]) == 5
    assert article not in context["related"]
    assert article not in context["recent"]


def test_it_renders_no_empty_insight_boxes(client: Client) -> None:
    page = get_page(client, make_article("Bare").pk)
    assert "About this story" not in page
    assert "Related articles" not in page
    assert 'class="article-topics"' not in page
    assert 'class="authors"' not in page


def test_it_returns_404_for_a_missing_article(client: Client) -> None:
    assert client.get(reverse("web:article", args=[999999])).status_code == 404


def test_it_reads_an_article_page_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    outlet = make_outlet()
    topics = [make_topic() for _ in range(3)]
    authors = [make_author(outlet=outlet) for _ in range(3)]
    article = make_article("Main", outlet=outlet, topics=topics, authors=authors)
    for i in range(20):
        make_article(f"Other {i}", outlet=make_outlet(), topics=topics, authors=authors)
    # article + bylines + topics + related + recent
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        response = client.get(reverse("web:article", args=[article.pk]))
    assert response.status_code == 200
