"""Full-text search over article titles, bodies and bylines.

SQLite (the embedded default) keeps an FTS5 table ``web_search`` whose rowid is the
article id; PostgreSQL keeps ``web_search_document`` (article id, weighted tsvector) with
a GIN index. Migration web/0001 creates whichever the database needs. Both are kept in
step with the articles by ``index_article``, which the signal handlers in ``apps.py`` call
whenever an article, a byline or an author's name is saved.

The reader's query is parsed here (words, "phrases", OR, -exclusion) and compiled to the
backend's syntax from quoted tokens only, so no input can break the FTS query. Snippets
come back from ``snippet()`` / ``ts_headline`` with private-use marker characters that
are stripped from the text beforehand; the snippet is escaped and only then are the
markers turned into ``<mark>``, so the only markup on a result is our own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from newsdesk.articles.models import Article, Byline

FTS_TABLE = "web_search"
PG_TABLE = "web_search_document"
PG_CONFIG = "english"
# A query past these sizes is cut: each term is more work for every search.
MAX_TERMS = 12
MAX_TERM_WORDS = 8
MAX_QUERY_LENGTH = 200
SNIPPET_WORDS = 32

# Private-use characters that stand for <mark> and </mark> until the snippet is escaped.
# They are removed from every indexed or highlighted text, so the ones in a snippet are
# the database's markers and nothing else.
START, STOP = "\ue000", "\ue001"
_NO_MARKERS = str.maketrans("", "", START + STOP)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


# ---- the query language ----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word or phrase: its words in order (a single word is a one-word phrase)."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Query:
    """Every group must match (AND), a group matches when any of its terms does (OR),
    and no excluded term may match."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]


def parse_query(text: str) -> Query:
    """Parse words, "quoted phrases", ``OR`` between terms and ``-`` before a term.

    Punctuation inside a word splits it into a phrase ("Russia–North" is the phrase
    "Russia North"); a term with no letters or digits is dropped; an unclosed quote runs
    to the end. Only the uppercase word OR is an operator, as in web search engines.
    """
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    count = 0
    for match in _TOKEN.finditer(text[:MAX_QUERY_LENGTH]):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            join_next = bool(groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        words = tuple(_WORD.findall(phrase if phrase is not None else bare))[:MAX_TERM_WORDS]
        if not words or count >= MAX_TERMS:
            join_next = False
            continue
        count += 1
        term = Term(tuple(word.lower() for word in words))
        if negated:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return Query(tuple(tuple(dict.fromkeys(g)) for g in groups), tuple(dict.fromkeys(excluded)))


def fts5_match(query: Query) -> str:
    """The FTS5 MATCH expression: every term a double-quoted string, so it is a phrase of
    plain tokens whatever the reader typed."""

    def quoted(term: Term) -> str:
        return '"' + term.text.replace('"', '""') + '"'

    def any_of(terms: Sequence[Term]) -> str:
        return "(" + " OR ".join(quoted(t) for t in terms) + ")"

    expression = " AND ".join(any_of(group) for group in query.groups)
    if query.excluded:
        expression = f"({expression}) NOT {any_of(query.excluded)}"
    return expression


def pg_tsquery(query: Query) -> tuple[str, list[str]]:
    """SQL for the tsquery, with every term passed as a parameter."""
    phrase = f"phraseto_tsquery('{PG_CONFIG}', %s)"

    def any_of(terms: Sequence[Term]) -> str:
        return "(" + " || ".join(phrase for _ in terms) + ")"

    sql = " && ".join(any_of(group) for group in query.groups)
    params = [term.text for term in query.terms]
    if query.excluded:
        sql = f"({sql}) && !!{any_of(query.excluded)}"
        params += [term.text for term in query.excluded]
    return sql, params


# ---- keeping the index ----------------------------------------------------------------


def backend() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _clean(text: str) -> str:
    return (text or "").translate(_NO_MARKERS)


def index_article(article: Article | int) -> None:
    """Write (or rewrite) one article's search entry from the database's current rows."""
    pk = article if isinstance(article, int) else article.pk
    row = Article.objects.filter(pk=pk).values_list("title", "text").first()
    if row is None:
        unindex_article(pk)
        return
    names = Byline.objects.filter(article_id=pk).order_by("position")
    byline = " ".join(names.values_list("author__name", flat=True))
    title, text, byline = _clean(row[0]), _clean(row[1]), _clean(byline)
    with connection.cursor() as cursor:
        if backend() == "postgresql":
            # PostgreSQL's parser takes "<vote>" for a markup tag and drops it; the text is
            # plain, so a "<" is only ever a character.
            title, text, byline = (part.replace("<", " ") for part in (title, text, byline))
            cursor.execute(
                f"INSERT INTO {PG_TABLE} (article_id, document) VALUES (%s, "
                f"setweight(to_tsvector('{PG_CONFIG}', %s), 'A') || "
                f"setweight(to_tsvector('{PG_CONFIG}', %s), 'B') || "
                f"setweight(to_tsvector('{PG_CONFIG}', %s), 'C')) "
                "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document",
                [pk, title, byline, text],
            )
        else:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [pk])
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, body, byline) VALUES (%s, %s, %s, %s)",
                [pk, title, text, byline],
            )


def unindex_article(pk: int) -> None:
    with connection.cursor() as cursor:
        if backend() == "postgresql":
            cursor.execute(f"DELETE FROM {PG_TABLE} WHERE article_id = %s", [pk])
        else:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [pk])


def rebuild_index() -> int:
    """Index every article again (after a bulk import that skipped the signals)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PG_TABLE if backend() == 'postgresql' else FTS_TABLE}")
    count = 0
    for pk in Article.objects.values_list("pk", flat=True).iterator():
        index_article(pk)
        count += 1
    return count


# ---- searching ------------------------------------------------------------------------


def highlighted(raw: str) -> SafeString:
    """Escape a marked-up snippet, then turn our markers (only ours) into <mark>."""
    html = str(escape(raw))
    if html.count(START) != html.count(STOP):
        html = html.translate(_NO_MARKERS)
    return mark_safe(html.replace(START, "<mark>").replace(STOP, "</mark>"))


def matching(query: Query) -> QuerySet[Article]:
    """Every article the query matches, as a queryset to filter and count further."""
    if backend() == "postgresql":
        tsquery, params = pg_tsquery(query)
        sql = f"SELECT article_id FROM {PG_TABLE} WHERE document @@ ({tsquery})"
        return Article.objects.filter(pk__in=RawSQL(sql, params))
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    return Article.objects.filter(pk__in=RawSQL(sql, [fts5_match(query)]))


@dataclass(frozen=True)
class Hit:
    article_id: int
    title: SafeString
    snippet: SafeString


def ranked_page(
    query: Query, within: QuerySet[Article] | None, newest: bool, limit: int, offset: int
) -> list[Hit]:
    """One page of hits, best first (or newest first), with highlighted title and snippet.

    ``within`` narrows the hits to a queryset of articles (the chosen facets).
    """
    scope, scope_params = "", []
    if within is not None:
        inner, inner_params = within.order_by().values("pk").query.sql_with_params()
        scope, scope_params = f" AND a.id IN ({inner})", list(inner_params)
    if backend() == "postgresql":
        sql, params = _pg_page(query, scope, newest)
    else:
        sql, params = _sqlite_page(query, scope, newest)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params[0], *scope_params, *params[1], limit, offset])
        rows = cursor.fetchall()
    return [Hit(pk, highlighted(title), highlighted(snippet)) for pk, title, snippet in rows]


def _sqlite_page(query: Query, scope: str, newest: bool) -> tuple[str, tuple[list[Any], ...]]:
    # Weights: a word in the title counts ten times one in the body, a byline four.
    order = "a.published_at DESC, a.id DESC" if newest else f"bm25({FTS_TABLE}, 10.0, 1.0, 4.0)"
    sql = (
        f"SELECT {FTS_TABLE}.rowid, highlight({FTS_TABLE}, 0, %s, %s), "
        f"snippet({FTS_TABLE}, 1, %s, %s, %s, {SNIPPET_WORDS}) "
        f"FROM {FTS_TABLE} JOIN articles_article a ON a.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH %s{scope} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    return sql, ([START, STOP, START, STOP, "…", fts5_match(query)], [])


def _pg_page(query: Query, scope: str, newest: bool) -> tuple[str, tuple[list[Any], ...]]:
    tsquery, params = pg_tsquery(query)
    order = "published_at DESC, id DESC" if newest else "rank DESC, published_at DESC, id DESC"
    options = f'StartSel="{START}", StopSel="{STOP}"'
    snippet_options = (
        f'{options}, MaxFragments=2, MinWords=12, MaxWords={SNIPPET_WORDS}, FragmentDelimiter=" … "'
    )

    def cleaned(column: str) -> str:
        return f"replace(replace(page.{column}, '{START}', ''), '{STOP}', '')"

    # The inner query picks the page; ts_headline runs on those rows only.
    sql = (
        "WITH q AS (SELECT (" + tsquery + ") AS q), page AS ("
        "SELECT a.id, a.title, a.text, a.published_at, ts_rank(d.document, q.q) AS rank "
        f"FROM {PG_TABLE} d JOIN articles_article a ON a.id = d.article_id, q "
        f"WHERE d.document @@ q.q{{scope}} ORDER BY {order} LIMIT %s OFFSET %s) "
        f"SELECT page.id, ts_headline('{PG_CONFIG}', {cleaned('title')}, q.q, "
        f"'{options}, HighlightAll=TRUE'), "
        f"ts_headline('{PG_CONFIG}', {cleaned('text')}, q.q, '{snippet_options}') "
        f"FROM page, q ORDER BY {order.replace('id DESC', 'page.id DESC')}"
    )
    return sql.replace("{scope}", scope), (params, [])


class Results(Sequence[Hit]):
    """The hits of one search, sized for django.core.paginator.Paginator: the total comes
    from one COUNT and each page slice runs one ranked query."""

    def __init__(
        self, query: Query, within: QuerySet[Article] | None, total: int, newest: bool
    ) -> None:
        self.query, self.within, self.total, self.newest = query, within, total, newest

    def count(self) -> int:  # type: ignore[override]
        return self.total

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> Hit: ...

    @overload
    def __getitem__(self, index: slice) -> list[Hit]: ...

    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(self.total)
        if stop <= start:
            return []
        return ranked_page(self.query, self.within, self.newest, stop - start, start)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self[0 : self.total])
