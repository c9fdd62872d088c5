from __future__ import annotations

import datetime as dt

import pytest

from newsdesk.digests.compose import (
    SectionCache,
    clean_snippet,
    compose,
    compose_for_reader,
    same_title,
    title_tokens,
)
from newsdesk.digests.tests.helpers import make_article, make_outlet, make_reader, make_topic

pytestmark = pytest.mark.django_db
UTC = dt.UTC
END = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)
START = END - dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def test_it_gives_a_follower_exactly_the_topics_articles_of_the_last_day() -> None:
    politics, business = make_topic("Valdorian politics"), make_topic("Business")
    inside = make_article([politics], "Parliament passes the budget", END - 2 * HOUR)
    make_article([politics], "Old news from two days ago", END - 30 * HOUR)
    make_article([politics], "After the digest was due", END + HOUR)
    make_article([business], "Shipping rates fall sharply", END - 3 * HOUR)
    reader = make_reader(topics=[politics])
    digest = compose_for_reader(reader.pk, START, END)
    assert digest is not None
    assert [i.story.key for s in digest.sections for i in s.items] == [inside.pk]
    assert digest.topic_names == ["Valdorian politics"]


def test_it_composes_nothing_for_a_reader_following_nothing() -> None:
    make_article([make_topic("Business")], "Shipping rates fall", END - HOUR)
    reader = make_reader(topics=[])
    assert compose_for_reader(reader.pk, START, END) is None


def test_it_shows_an_article_in_two_topics_once_with_an_also_in_note() -> None:
    politics, business = make_topic("Valdorian politics"), make_topic("Business")
    both = make_article([politics, business], "Tariff deal signed", END - HOUR)
    make_article([business], "Bank raises rates", END - 2 * HOUR)
    reader = make_reader(topics=[business, politics])
    digest = compose_for_reader(reader.pk, START, END)
    assert digest is not None
    (business_section,) = [s for s in digest.sections if s.section.name == "Business"]
    item = next(i for i in business_section.items if i.story.key == both.pk)
    assert item.also_in == ("Valdorian politics",)
    # Politics had only that story, already shown: the section is left out.
    assert digest.topic_names == ["Business"]
    assert digest.story_count == 2


def test_it_groups_the_same_story_from_several_outlets() -> None:
    topic = make_topic("Valdorian politics")
    herald, courier, wire = make_outlet("Herald"), make_outlet("Courier"), make_outlet("Wire")
    lead = make_article([topic], "Prime minister resigns after vote", END - 5 * HOUR, herald)
    make_article([topic], "Wire copy", END - 4 * HOUR, wire, duplicate_of=lead)
    make_article([topic], "Prime Minister resigns after the vote", END - 3 * HOUR, courier)
    make_article([topic], "Football: the cup final", END - HOUR, herald)
    digest = compose_for_reader(make_reader(topics=[topic]).pk, START, END)
    assert digest is not None
    first, second = digest.sections[0].items
    assert first.story.key == lead.pk
    assert set(first.story.outlets) == {"Herald", "Courier", "Wire"}
    assert len(first.story.article_ids) == 3
    assert second.story.title == "Football: the cup final"


def test_it_composes_each_section_once_for_every_reader() -> None:
    topic = make_topic("Business")
    make_article([topic], "Bank raises rates", END - HOUR)
    cache = SectionCache(START, END)
    first = cache.sections([topic.pk])[topic.pk]
    assert cache.sections([topic.pk])[topic.pk] is first
    a = compose([topic.pk], cache.sections([topic.pk]), START, END)
    b = compose([topic.pk], cache.sections([topic.pk]), START, END)
    assert a is not None and b is not None
    assert a.sections[0].items[0].story is b.sections[0].items[0].story


def test_it_cleans_snippets() -> None:
    text = "Sign up for our newsletter! The parliament voted 61 to 40. <b>More</b> soon."
    assert clean_snippet("", text) == "The parliament voted 61 to 40. More soon."
    assert clean_snippet("Receive free Valdorian politics updates. Real lead.", "") == "Real lead."
    long = clean_snippet("word " * 200, "")
    assert len(long) <= 281 and long.endswith("…")


def test_it_compares_titles_by_word_sets() -> None:
    a = title_tokens("Prime minister resigns after vote")
    assert same_title(a, title_tokens("Prime Minister resigns after the vote"))
    assert not same_title(a, title_tokens("Prime minister survives vote"))
    assert not same_title(title_tokens("Rates up"), title_tokens("Rates down"))
