"""The follow box on our pages works with the accounts app's double opt-in flow."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from newsdesk.web.tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db


def form_fields(page: str, action: str) -> dict[str, str]:
    form = page[page.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert 'name="email"' in form
    return fields


def test_it_sends_what_the_follow_flow_needs(client: Client) -> None:
    topic = make_topic("EU trade", slug="eu-trade")
    article = make_article("Tariffs", topics=[topic])
    page = client.get(article.get_absolute_url()).content.decode()
    fields = form_fields(page, reverse("accounts:follow", args=["eu-trade"]))
    assert fields["next"] == article.get_absolute_url()
    assert fields["page_url"] == article.get_absolute_url()
    assert fields["daily"] == "on"
    assert fields["time_zone"] == ""
    assert fields["csrfmiddlewaretoken"]


def test_it_asks_for_a_confirmation_email_in_one_post(client: Client) -> None:
    topic = make_topic("EU trade", slug="eu-trade")
    page = client.get(reverse("web:topic", args=["eu-trade"])).content.decode()
    action = reverse("accounts:follow", args=[topic.slug])
    data = form_fields(page, action) | {"email": "reader@example.org"}
    response = client.post(action, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("accounts:follow-sent", args=[topic.slug])
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]
