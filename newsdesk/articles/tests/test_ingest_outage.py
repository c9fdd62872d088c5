"""A page worker that loses the database in the middle of storing a page.

The step of ``fetchpages`` (and of the ``process_pending_items`` task) claims an item,
fetches its page and then writes the article, its page snapshot, its byline, its topics
and the item's DONE state. When the database goes away between two of those writes the
worker waits the outage out (newsdesk/jobs.py) and the item comes back when its lease
ends: what the next try finds must be all or nothing.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError

from newsdesk.articles import ingest
from newsdesk.articles.ingest import process_item
from newsdesk.articles.models import Article
from newsdesk.articles.tests.conftest import LocalSite, article_page, story
from newsdesk.lib.http import FetchPolicy
from newsdesk.sources.models import Outlet, Source, SourceItem

pytestmark = pytest.mark.django_db


def ferry_item(site: LocalSite) -> SourceItem:
    """A pending item whose page (with a byline) the local site serves."""
    outlet = Outlet.objects.create(name="Gazette", slug="gazette", home_url=site.url("/"))
    source = Source.objects.create(outlet=outlet, url=site.url("/feed"))
    site.add("/news/ferry", article_page("Ferry fares to rise", story("ferry")))
    return SourceItem.objects.create(source=source, guid="ferry", url=site.url("/news/ferry"))


def database_gone(*args: object, **kwargs: object) -> None:
    raise OperationalError("consuming input failed: server closed the connection unexpectedly")


def test_a_page_cut_off_after_its_article_row_is_stored_whole_on_the_next_try(
    local_site: LocalSite, local_policy: FetchPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = ferry_item(local_site)

    with monkeypatch.context() as outage:
        outage.setattr(ingest, "set_byline", database_gone)  # gone right after the article
        with pytest.raises(OperationalError):
            process_item(item, policy=local_policy)
    item.refresh_from_db()
    assert item.state == SourceItem.State.PENDING  # left to its lease, as a killed worker's
    assert not Article.objects.exists()  # nothing of the page was kept: all or nothing

    process_item(item, policy=local_policy)  # the lease ended: the next try
    item.refresh_from_db()
    article = Article.objects.get()
    assert item.state == SourceItem.State.DONE
    assert item.article_id == article.pk
    assert [b.author.name for b in article.bylines.select_related("author")] == ["Mira Castell"]


def test_a_database_error_while_reading_the_site_rule_is_not_blamed_on_the_page(
    local_site: LocalSite, local_policy: FetchPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = ferry_item(local_site)
    monkeypatch.setattr(ingest, "extract_page", database_gone)  # rule_for's query fails
    with pytest.raises(OperationalError):
        process_item(item, policy=local_policy)
    item.refresh_from_db()
    assert item.state == SourceItem.State.PENDING  # retried after the outage
    assert item.error == ""  # not "Could not read the page"
