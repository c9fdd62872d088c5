"""The main pages in a real browser: search from the header, accessibility basics at phone
and desktop widths, and screenshots in artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from newsdesk.articles.extract.sanitize import sanitize_html
from newsdesk.web.tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, Watched
from newsdesk.web.tests.factories import (
    make_article,
    make_author,
    make_outlet,
    make_source,
    make_topic,
)

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

PARAGRAPHS = [
    "The Valdorian central bank held its main rate at 3.5 per cent on Tuesday, saying the "
    "tariffs lifted last month had not yet fed through to prices in the shops.",
    "Governor Elin Marsk told reporters in Valdor that the board would wait for the spring "
    "figures before moving. “We are not in a hurry,” she said.",
    "Exporters welcomed the decision. The full statement is at "
    "https://bank.valdoria.example/statements/2026/rates-held-in-valdoria-tariffs-decision-"
    "full-text-and-appendices.",
]


def newsroom() -> dict[str, str]:
    """A small, plausible news day; returns the pages to look at by name."""
    now = timezone.now()
    herald = make_outlet("The Valdoria Herald", slug="valdoria-herald")
    courier = make_outlet("Kessling Courier", slug="kessling-courier")
    ledger = make_outlet("Continental Ledger", slug="continental-ledger")
    make_source(herald, url="https://herald.example/rss.xml", title="Herald — all news")
    make_source(
        courier,
        url="https://courier.example/atom.xml",
        status="error",
        error_count=3,
        last_error="HTTP 503 Service Unavailable",
    )
    banks = make_topic("Central banks", slug="central-banks", description="Rates and money.")
    trade = make_topic("EU trade", slug="eu-trade")
    marta = make_author(
        "Marta Ilves", outlet=herald, bio="Marta covers economics for the Herald from Valdor."
    )
    jon = make_author("Jon Petrak", outlet=courier, bio="Jon is the Courier's markets editor.")
    html = sanitize_html("".join(f"<p>{p}</p>" for p in PARAGRAPHS))
    lead = make_article(
        "Central bank holds rates as tariffs lifted on Valdorian exports",
        text="\n\n".join(PARAGRAPHS),
        snippet=PARAGRAPHS[0],
        html=html,
        outlet=herald,
        authors=[marta],
        topics=[banks, trade],
        published_at=now - dt.timedelta(hours=2),
    )
    make_article(
        "Valdoria keeps rates steady; exporters cheer end of tariffs",
        text="Rates were kept steady. " + PARAGRAPHS[2],
        snippet="Rates were kept steady in Valdor, and exporters cheered.",
        outlet=courier,
        authors=[jon],
        topics=[banks],
        published_at=now - dt.timedelta(hours=3),
    )
    for i in range(6):
        make_article(
            f"Trade talks, day {i + 1}: quotas on the table in Kessling",
            text=f"Negotiators met for day {i + 1}. Tariffs were not discussed. " * 4,
            snippet=f"Negotiators met for day {i + 1} of the talks.",
            outlet=ledger if i % 2 else courier,
            topics=[trade],
            published_at=now - dt.timedelta(hours=5 + i * 7),
        )
    return {
        "home": reverse("web:home"),
        "article": lead.get_absolute_url(),
        "topic": banks.get_absolute_url(),
        "author": marta.get_absolute_url(),
        "outlet": reverse("web:outlet", args=[courier.slug]),
        "search": reverse("web:search") + "?q=tariffs",
    }


def test_it_searches_from_the_header_box_and_highlights_matches(
    live_server: LiveServer, open_page: Callable[..., Watched]
) -> None:
    pages = newsroom()
    watched = open_page(DESKTOP)
    page = watched.goto(live_server.url + pages["home"])
    page.get_by_role("search").get_by_label("Search articles").fill('tariffs -"trade talks"')
    page.get_by_role("search").get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=*")
    heading = page.get_by_role("heading", level=2, name="for “tariffs -")
    assert heading.inner_text().startswith("2 articles for")
    marks = page.locator(".search-hits mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} <= {"tariffs", "tariff"}
    assert "Central bank holds rates" in page.locator(".search-hits").inner_text()

    page.locator(".search-facets").get_by_role("link", name="Kessling Courier").click()
    page.wait_for_url("**source=kessling-courier*")
    assert page.locator(".search-hits > li").count() == 1
    assert watched.executed() == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_main_pages_are_accessible_and_fit_the_screen(
    live_server: LiveServer, open_page: Callable[..., Watched], viewport: ViewportSize
) -> None:
    pages = newsroom()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = viewport["width"]
    watched = open_page(viewport)
    for name, path in pages.items():
        page = watched.goto(live_server.url + path)
        size = "phone" if viewport is PHONE else "desktop"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
        report = page.evaluate(A11Y_REPORT)
        assert report["scrollWidth"] <= width, (name, report["scrollWidth"], report["wide"])
        assert report["h1"] == 1, name
        assert report["landmarks"] == ["banner", "navigation", "main", "contentinfo"], name
        assert report["unlabelled"] == [], name
        assert report["noAlt"] == [], name
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        assert focused["outline"] != "none" and focused["width"] > 0, (name, focused)
        assert watched.executed() == [], name


A11Y_REPORT = """() => {
  const visible = (el) => el.getClientRects().length > 0 || el.type === 'hidden';
  const named = (el) => (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby');
  const landmarks = [];
  if (document.querySelector('body > header, [role=banner]')) landmarks.push('banner');
  if (document.querySelector('nav')) landmarks.push('navigation');
  if (document.querySelectorAll('main').length === 1) landmarks.push('main');
  if (document.querySelector('body > footer, [role=contentinfo]')) landmarks.push('contentinfo');
  const fields = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && visible(el));
  const root = document.scrollingElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
    .slice(0, 5).map((el) => el.tagName + '.' + el.className);
  return {
    scrollWidth: root.scrollWidth,
    wide,
    h1: document.querySelectorAll('h1').length,
    landmarks,
    unlabelled: fields.filter((el) => !named(el)).map((el) => el.name || el.id),
    noAlt: [...document.querySelectorAll('img')].filter((el) => !el.hasAttribute('alt'))
      .map((el) => el.src),
  };
}"""

FOCUS_STYLE = """() => {
  const style = getComputedStyle(document.activeElement);
  return {tag: document.activeElement.tagName, outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth)};
}"""
