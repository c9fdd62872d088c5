"""A visitor follows a topic from an article page, confirms by email, then unsubscribes."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable

from django.core import mail
from django.urls import reverse
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from newsdesk.accounts import tokens
from newsdesk.accounts.models import Reader
from newsdesk.topics.models import Follow
from newsdesk.web.tests.browser.conftest import Watched
from newsdesk.web.tests.factories import make_article, make_topic

EMAIL = "visitor@example.org"


def test_it_follows_confirms_and_unsubscribes_in_one_click(
    live_server: LiveServer, settings: Settings, open_page: Callable[..., Watched]
) -> None:
    settings.SITE_URL = live_server.url
    topic = make_topic("Central banks", slug="central-banks")
    article = make_article("Rates held in Valdoria", topics=[topic])
    watched = open_page()
    page = watched.goto(live_server.url + article.get_absolute_url())

    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Follow Central banks").click()
    page.wait_for_url("**/follow/central-banks/sent/")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your inbox"

    # The confirmation email (locmem outbox: the live server runs in this process).
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    link = re.search(r"http://\S+/confirm/\S+/", str(message.body))
    assert link is not None, message.body
    assert not Follow.objects.exists()

    # The link shows a button (mail scanners open links); the visitor presses it.
    page.goto(link.group(0))
    assert not Follow.objects.exists()
    page.get_by_role("button", name="Yes, send me these updates").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You're all set"
    assert "You now follow Central banks" in page.inner_text("main")
    reader = Reader.objects.get(email=EMAIL)
    follow = Follow.objects.get(reader=reader)
    assert (follow.topic_id, follow.daily) == (topic.pk, True)
    assert reader.time_zone  # filled in by web/site.js from the browser

    # A visitor's settings page is the signed "manage" link: the topic is there.
    page.get_by_role("link", name="Manage your subscription").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your Newsdesk emails"
    assert page.get_by_role("rowheader", name="Central banks").is_visible()
    assert page.get_by_label("Time zone").input_value() == reader.time_zone

    # The digest's List-Unsubscribe link: a GET shows a confirmation button and changes
    # nothing; a POST with no cookies (RFC 8058 one-click) unsubscribes.
    url = live_server.url + reverse(
        "digests:unsubscribe", args=[tokens.unsubscribe_token(reader.pk, topic.pk)]
    )
    page.goto(url)
    assert page.get_by_role("button", name="Stop Central banks emails").is_visible()
    assert Follow.objects.filter(reader=reader).exists()
    one_click = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST")
    one_click.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(one_click, timeout=10) as response:
        assert response.status == 200
    assert not Follow.objects.filter(reader=reader).exists()

    # Pressing the button afterwards is harmless and says so.
    page.get_by_role("button", name="Stop Central banks emails").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You're unsubscribed"
    assert watched.executed() == []
