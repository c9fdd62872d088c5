from __future__ import annotations

from collections import Counter

from newsdesk.sample.catalog import Catalog, is_quote, is_subheading

CANONICAL = {"valdoria-politics", "ostria-politics", "business", "technology", "science"}


def _words(paragraph: str) -> int:
    return len(paragraph.split())


def test_it_has_enough_outlets_with_distinct_feed_kinds(catalog: Catalog) -> None:
    kinds = [outlet.feed_kind for outlet in catalog.outlets]
    assert len(catalog.outlets) >= 4
    assert kinds[:4] == ["rss", "atom", "json", "rss"]
    assert len(catalog.outlets[3].feeds) == 2, "outlet 4 also has a section feed"


def test_it_lists_the_canonical_sections_with_display_names(catalog: Catalog) -> None:
    names = {section.key: section.name for section in catalog.sections}
    assert set(names) >= CANONICAL
    assert names["valdoria-politics"] == "Valdorian politics"
    assert names["ostria-politics"] == "Ostrian politics"


def test_each_outlet_labels_sections_its_own_way(catalog: Catalog) -> None:
    labels = [outlet.section("valdoria-politics").label for outlet in catalog.outlets]
    assert len(set(labels)) == len(labels)


def test_it_has_at_least_44_articles_about_eleven_per_outlet(catalog: Catalog) -> None:
    per_outlet = Counter(article.outlet for article in catalog.articles)
    assert len(catalog.articles) >= 44
    assert all(count >= 10 for count in per_outlet.values())


def test_every_article_has_4_to_9_paragraphs_of_60_to_120_words(catalog: Catalog) -> None:
    for article in catalog.articles:
        prose = [p for p in article.paragraphs if not is_subheading(p)]
        assert 4 <= len(prose) <= 9, article.key
        for paragraph in prose:
            assert 60 <= _words(paragraph) <= 120, (article.key, paragraph[:40])


def test_most_articles_are_from_the_last_day_and_some_are_older(catalog: Catalog) -> None:
    ages = [article.age_hours for article in catalog.articles]
    recent = [age for age in ages if 0.5 <= age <= 22]
    old = [age for age in ages if 26 <= age <= 70]
    assert len(recent) + len(old) == len(ages)
    assert 6 <= len(old) <= 10


def test_at_least_six_stories_are_covered_by_several_outlets(catalog: Catalog) -> None:
    shared = {
        key: {article.outlet for article in articles} for key, articles in catalog.stories().items()
    }
    multi = {key: outlets for key, outlets in shared.items() if 2 <= len(outlets) <= 4}
    assert len(multi) >= 6
    for key, articles in catalog.stories().items():
        originals = [a for a in articles if not a.wire_copy_of]
        texts = {catalog.body_text(a) for a in originals}
        assert len(texts) == len(originals), f"{key}: outlets must write their own text"


def test_the_wire_copy_repeats_the_original_under_another_url(catalog: Catalog) -> None:
    wires = [article for article in catalog.articles if article.wire_copy_of]
    assert len(wires) == 1
    wire = wires[0]
    original = catalog.article(wire.wire_copy_of or "")
    assert wire.outlet != original.outlet
    assert wire.paragraphs == original.paragraphs
    assert wire.title != original.title and wire.title.startswith(original.title)


def test_it_has_multi_author_articles_and_additional_reporting(catalog: Catalog) -> None:
    author_counts = Counter(len(article.authors) for article in catalog.articles)
    assert author_counts[2] + author_counts[3] >= 8
    assert author_counts[3] >= 1
    reported = [a for a in catalog.articles if a.additional_reporting]
    assert len(reported) >= 2
    for article in reported:
        assert catalog.body_text(article).endswith(
            f"Additional reporting by {article.additional_reporting}"
        )


def test_articles_quote_named_people_and_some_have_subheadings(catalog: Catalog) -> None:
    quoted = [a for a in catalog.articles if any(is_quote(p) for p in a.paragraphs)]
    assert len(quoted) >= len(catalog.articles) * 3 // 4
    assert any(any(is_subheading(p) for p in a.paragraphs) for a in catalog.articles)
    assert any(a.image for a in catalog.articles)


def test_every_section_is_used_by_some_article(catalog: Catalog) -> None:
    used = {article.section_key for article in catalog.articles}
    assert used >= CANONICAL
    for outlet in catalog.outlets:
        assert {a.section_label for a in catalog.articles_for(outlet.slug)} <= {
            s.label for s in outlet.sections
        }


def test_every_author_has_a_bio_and_writes_something(catalog: Catalog) -> None:
    writing = {(a.outlet, author.key) for a in catalog.articles for author in a.authors}
    for outlet in catalog.outlets:
        for author in outlet.authors:
            assert 1 <= len(author.bio_sentences()) <= 2, author.key
            assert (outlet.slug, author.key) in writing, author.key


def test_article_paths_are_unique_per_outlet(catalog: Catalog) -> None:
    paths = [(a.outlet, a.path) for a in catalog.articles]
    assert len(paths) == len(set(paths))
    for article in catalog.articles:
        assert article.path.startswith("/") and article.slug in article.path


def test_boilerplate_never_appears_in_a_true_body(catalog: Catalog) -> None:
    for article in catalog.articles:
        body = catalog.body_text(article)
        for phrase in catalog.boilerplate_phrases(article.outlet):
            assert phrase not in body, (article.key, phrase)


def test_boilerplate_phrases_cover_bios_signup_and_furniture(catalog: Catalog) -> None:
    phrases = catalog.boilerplate_phrases("merrowgate-herald")
    assert "Receive free Business updates" in phrases
    assert "Share post" in phrases and "Recent posts" in phrases
    assert "Ines Dorrance is the Herald's political editor." in phrases


def test_broken_items_are_declared_but_not_counted_as_articles(catalog: Catalog) -> None:
    broken = [b for outlet in catalog.outlets for b in outlet.broken_items]
    assert {b.kind for b in broken} == {"http-500", "malformed"}
    article_paths = {(a.outlet, a.path) for a in catalog.articles}
    assert not {(b.outlet, b.path) for b in broken} & article_paths


def test_published_at_counts_back_from_now(catalog: Catalog) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    article = catalog.articles[0]
    assert now - article.published_at(now) == timedelta(hours=article.age_hours)
