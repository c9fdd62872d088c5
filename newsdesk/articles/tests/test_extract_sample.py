"""Every article of the sample news world extracts to its full body, free of page furniture."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

import pytest

from newsdesk.articles.extract import extract
from newsdesk.articles.extract.blocks import normalise
from newsdesk.sample.catalog import Article, Catalog, load_catalog
from newsdesk.sample.render import render

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return load_catalog()


def _ids() -> list[str]:
    return [a.key for a in catalog().articles]


@pytest.mark.parametrize("key", _ids())
def test_sample_article_body_exact_and_clean(key: str) -> None:
    cat = catalog()
    article: Article = cat.article(key)
    base = f"https://{article.outlet}.example"
    response = render(cat, article.outlet, article.path, base, NOW)
    assert response.status == 200
    ex = extract(response.body, base + article.path)

    assert ex.is_article, ex.reason
    expected = [normalise(p) for p in cat.body_text(article).split("\n\n") if p.strip()]
    got = [normalise(line) for line in ex.text.split("\n") if line.strip()]
    assert got == expected
    flat = normalise(ex.text)
    for phrase in cat.boilerplate_phrases(article.outlet):
        if normalise(phrase):
            assert normalise(phrase) not in flat, phrase
    assert ex.title == article.title
    # People only: a "<Outlet> staff" credit names the outlet, not a person.
    people = {n for n in article.author_names if not n.lower().endswith(" staff")}
    assert set(ex.authors) == people
    assert ex.published is not None
