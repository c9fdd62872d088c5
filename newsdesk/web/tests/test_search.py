from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.articles.models import Byline
from newsdesk.web import search
from newsdesk.web.search import Query, Term, fts5_match, parse_query
from newsdesk.web.tests.factories import make_article, make_author, make_outlet, make_topic
from newsdesk.web.views import PAGE_SIZE

HOSTILE_QUERIES = [
    '"',
    '""',
    '"""',
    "(",
    ")",
    "()",
    "AND",
    "NOT",
    "OR",
    "OR OR budget OR",
    "-",
    "--",
    "-budget",
    "*",
    "budget*",
    "^budget",
    "title:budget",
    "body : budget",
    "NEAR(budget vote)",
    "budget NEAR/2 vote",
    "'; DROP TABLE articles_article; --",
    "\\",
    "budget\\",
    '"budget',
    'bud"get',
    "{budget}",
    "budget & vote | !tax",
    "budget:*",
    "!!budget",
    "<script>alert(1)</script>",
    "%",
    "_",  # a NUL is refused before search (test_security_headers.py)
    "\ue000budget\ue001",
    "b" * 500,
    "budget " * 100,
]


def titles(client: Client, **params: str) -> list[str]:
    response = client.get(reverse("web:search"), params)
    assert response.status_code == 200
    return [item.title for _, item in response.context["hits"]]


# ---- parsing (no database) ------------------------------------------------------------


def test_it_parses_words_phrases_or_and_exclusions() -> None:
    query = parse_query('Central "trade talks" tariffs OR quotas -sport -"transfer window"')
    assert query.groups == (
        (Term(("central",)),),
        (Term(("trade", "talks")),),
        (Term(("tariffs",)), Term(("quotas",))),
    )
    assert query.excluded == (Term(("sport",)), Term(("transfer", "window")))


def test_it_turns_punctuated_words_into_phrases_and_drops_empty_terms() -> None:
    query = parse_query("Russia–North ... -- ( ) OR")
    assert query == Query(groups=((Term(("russia", "north")),),))


def test_it_needs_a_word_to_look_for() -> None:
    assert not parse_query("-sport")
    assert not parse_query('"" () OR')


def test_it_quotes_every_term_for_fts5() -> None:
    match = fts5_match(parse_query('a OR "b c" d -e -f'))
    assert match == '(("a" OR "b c") AND ("d")) NOT ("e" OR "f")'


def test_it_caps_the_number_of_terms() -> None:
    assert len(parse_query("word " * 50).terms) <= search.MAX_TERMS
    assert len(parse_query(" ".join(f"w{i}" for i in range(50))).terms) == search.MAX_TERMS


def test_it_lets_only_its_own_marks_through() -> None:
    raw = f"<b>{search.START}tariffs{search.STOP}</b> & more"
    assert search.highlighted(raw) == "&lt;b&gt;<mark>tariffs</mark>&lt;/b&gt; &amp; more"
    assert search.highlighted(f"{search.START}unbalanced") == "unbalanced"


# ---- searching ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_finds_articles_holding_every_word_in_title_or_text(client: Client) -> None:
    make_article("Central bank holds rates", text="The governor spoke in Valdoria.")
    make_article("Central bank cuts rates", text="Ostria moved first.")
    make_article("Harvest report", text="Wheat in Valdoria.")
    response = client.get(reverse("web:search"), {"q": "central VALDORIA"})
    assert [item.title for _, item in response.context["hits"]] == ["Central bank holds rates"]
    assert "1 article for “central VALDORIA”" in response.content.decode()


@pytest.mark.django_db
def test_it_finds_bylines_phrases_alternatives_and_exclusions(client: Client) -> None:
    ann = make_author("Annika Sorvald")
    make_article("Harbour reopens", text="Ships returned to the port.", authors=[ann])
    make_article("Port strike ends", text="The harbour workers voted.")
    make_article("Grain prices", text="Wheat futures rose at the port of Valdor.")
    assert titles(client, q="sorvald") == ["Harbour reopens"]
    assert titles(client, q='"harbour workers"') == ["Port strike ends"]
    assert titles(client, q='"workers harbour"') == []
    assert sorted(titles(client, q="wheat OR ships")) == ["Grain prices", "Harbour reopens"]
    assert sorted(titles(client, q="port -wheat")) == ["Harbour reopens", "Port strike ends"]


@pytest.mark.django_db
def test_it_ranks_title_matches_first_and_sorts_by_date_on_request(client: Client) -> None:
    now = timezone.now()
    make_article("Markets calm", text="Tariffs were mentioned once.", published_at=now)
    make_article("Tariffs lifted", text="Trade resumes.", published_at=now - dt.timedelta(days=2))
    assert titles(client, q="tariffs") == ["Tariffs lifted", "Markets calm"]
    assert titles(client, q="tariffs", sort="newest") == ["Markets calm", "Tariffs lifted"]


@pytest.mark.django_db
def test_it_highlights_matches_in_escaped_titles_and_snippets(client: Client) -> None:
    make_article(
        f"Budget <b>vote</b> {search.START}passes",
        text="Before the budget vote, <script>alert(1)</script> the chamber was full. " * 3,
    )
    page = client.get(reverse("web:search"), {"q": "budget"}).content.decode()
    assert "<mark>Budget</mark> &lt;b&gt;vote&lt;/b&gt; passes" in page
    assert "Before the <mark>budget</mark> vote," in page
    assert "<script>alert" not in page
    assert search.START not in page


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_it_survives_hostile_queries(client: Client, query: str) -> None:
    make_article("Budget vote", text="The budget vote passed.")
    response = client.get(reverse("web:search"), {"q": query})
    assert response.status_code == 200


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=80))
def test_it_never_fails_on_any_input(client: Client, text: str) -> None:
    query = parse_query(text.replace("\x00", ""))
    if query:
        list(search.Results(query, None, 5, newest=False)[0:5])
        search.matching(query).count()


# ---- keeping the index ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_reindexes_edited_titles_new_bylines_renamed_authors_and_deletions(
    client: Client,
) -> None:
    article = make_article("Old headline", text="Body text.")
    article.title = "New headline"
    article.save()
    assert titles(client, q="old") == []
    assert titles(client, q="new") == ["New headline"]

    author = make_author("Mira Castell")
    Byline.objects.create(article=article, author=author, position=0)
    assert titles(client, q="castell") == ["New headline"]
    author.name = "Mira Tovrin"
    author.save()
    assert titles(client, q="castell") == []
    assert titles(client, q="tovrin") == ["New headline"]
    Byline.objects.filter(article=article).delete()
    assert titles(client, q="tovrin") == []

    article.delete()
    assert titles(client, q="new") == []


@pytest.mark.django_db
def test_it_rebuilds_the_whole_index() -> None:
    make_article("Kept after rebuild", text="Body.")
    with connection.cursor() as cursor:
        table = search.PG_TABLE if search.backend() == "postgresql" else search.FTS_TABLE
        cursor.execute(f"DELETE FROM {table}")
    assert search.matching(parse_query("rebuild")).count() == 0
    assert search.rebuild_index() == 1
    assert search.matching(parse_query("rebuild")).count() == 1


# ---- facets and pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_it_counts_and_applies_source_topic_and_date_facets(client: Client) -> None:
    now = timezone.now()
    herald, courier = make_outlet("Herald", slug="herald"), make_outlet("Courier", slug="courier")
    trade = make_topic("Trade", slug="trade")
    make_article("Tariffs one", outlet=herald, topics=[trade], published_at=now)
    make_article("Tariffs two", outlet=herald, published_at=now - dt.timedelta(days=3))
    make_article("Tariffs three", outlet=courier, topics=[trade], published_at=now)
    make_article("Tariffs four", outlet=courier, published_at=now - dt.timedelta(days=100))

    def facets(**params: str) -> dict[str, list[tuple[str, int, bool]]]:
        response = client.get(reverse("web:search"), {"q": "tariffs", **params})
        return {
            f.key: [(o.label, o.count, o.selected) for o in f.options]
            for f in response.context["facets"]
        }

    assert facets() == {
        "source": [("Courier", 2, False), ("Herald", 2, False)],
        "topic": [("Trade", 2, False)],
        "since": [
            ("Past 24 hours", 2, False),
            ("Past week", 3, False),
            ("Past month", 3, False),
            ("Past year", 4, False),
        ],
    }
    assert sorted(titles(client, q="tariffs", source="herald")) == ["Tariffs one", "Tariffs two"]
    # A chosen source still shows the other sources' counts, and narrows the others.
    chosen = facets(source="herald")
    assert chosen["source"] == [("Courier", 2, False), ("Herald", 2, True)]
    assert chosen["topic"] == [("Trade", 1, False)]
    assert titles(client, q="tariffs", topic="trade", since="day", source="courier") == [
        "Tariffs three"
    ]
    assert len(titles(client, q="tariffs", since="week")) == 3
    assert len(titles(client, q="tariffs", since="bogus", source="../x")) == 4


@pytest.mark.django_db
def test_it_escapes_the_query_and_keeps_it_and_the_facets_on_page_links(client: Client) -> None:
    outlet = make_outlet(slug="herald")
    for i in range(PAGE_SIZE + 1):
        make_article(f"Budget <vote> {i}", outlet=outlet)
    page = client.get(reverse("web:search"), {"q": "<vote>", "source": "herald"}).content.decode()
    assert "<vote>" not in page.replace("Budget &lt;vote&gt;", "")
    assert 'value="&lt;vote&gt;"' in page
    assert 'href="?q=%3Cvote%3E&amp;source=herald&amp;page=2"' in page
    second = client.get(reverse("web:search"), {"q": "<vote>", "source": "herald", "page": "2"})
    assert len(second.context["hits"]) == 1
    assert client.get(reverse("web:search"), {"q": "vote", "page": "9"}).status_code == 404


@pytest.mark.django_db
def test_it_shows_only_the_form_without_a_query(client: Client) -> None:
    make_article("Anything")
    response = client.get(reverse("web:search"))
    assert response.context["page"] is None
    page = response.content.decode()
    assert 'role="search"' in page
    assert "Anything" not in page
    excluded = client.get(reverse("web:search"), {"q": "-anything"}).content.decode()
    assert "Type at least one word" in excluded


@pytest.mark.django_db
def test_it_searches_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: object
) -> None:
    topic = make_topic()
    for i in range(30):
        make_article(f"Budget story {i}", outlet=make_outlet(), topics=[topic])
    # count, page, articles, bylines, and one per facet
    with django_assert_max_num_queries(7):  # type: ignore[operator]
        response = client.get(reverse("web:search"), {"q": "budget", "topic": topic.slug})
    assert response.context["page"].paginator.count == 30
    assert len(response.context["hits"]) == PAGE_SIZE
