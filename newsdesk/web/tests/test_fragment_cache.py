import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.web.tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db


def queries_for(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_it_draws_a_topics_volume_chart_once_for_all_visitors(client: Client) -> None:
    topic = make_topic("Business")
    make_article("Rates rise", topics=[topic])
    first = queries_for(client, topic.get_absolute_url())
    second = queries_for(Client(), topic.get_absolute_url())
    chart_queries = [q for q in first if "GROUP BY" in q.upper()]
    assert chart_queries, "the first visit computes the daily counts"
    assert not [q for q in second if "GROUP BY" in q.upper()]
    assert len(second) == len(first) - len(chart_queries)


def test_it_groups_the_front_pages_stories_once_a_minute(client: Client) -> None:
    make_article("Assembly passes protest bill")
    make_article("Assembly passes protest bill")
    first = queries_for(client, "/")
    second = queries_for(Client(), "/")
    assert len(second) < len(first)
    assert b"Assembly passes protest bill" in Client().get("/").content
