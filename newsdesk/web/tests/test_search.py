from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.web.tests.factories import make_article, make_outlet
from newsdesk.web.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


def test_it_finds_articles_holding_every_word_in_title_or_text(client: Client) -> None:
    make_article("Central bank holds rates", text="The governor spoke in Valdoria.")
    make_article("Central bank cuts rates", text="Ostria moved first.")
    make_article("Harvest report", text="Wheat in Valdoria.")
    response = client.get(reverse("web:search"), {"q": "central VALDORIA"})
    assert response.status_code == 200
    titles = [a.title for a in response.context["page"].object_list]
    assert titles == ["Central bank holds rates"]
    assert "1 article for “central VALDORIA”" in response.content.decode()


def test_it_shows_only_the_form_without_a_query(client: Client) -> None:
    make_article("Anything")
    response = client.get(reverse("web:search"))
    assert response.context["page"] is None
    page = response.content.decode()
    assert 'role="search"' in page
    assert "Anything" not in page


def test_it_escapes_the_query_and_keeps_it_on_page_links(client: Client) -> None:
    outlet = make_outlet()
    for i in range(PAGE_SIZE + 1):
        make_article(f"Budget <vote> {i}", outlet=outlet)
    page = client.get(reverse("web:search"), {"q": "<vote>"}).content.decode()
    assert "<vote>" not in page.replace("Budget &lt;vote&gt;", "")
    assert 'value="&lt;vote&gt;"' in page
    assert 'href="?q=%3Cvote%3E&amp;page=2"' in page


def test_it_searches_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    for i in range(30):
        make_article(f"Budget story {i}", outlet=make_outlet())
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        response = client.get(reverse("web:search"), {"q": "budget"})
    assert response.context["page"].paginator.count == 30
