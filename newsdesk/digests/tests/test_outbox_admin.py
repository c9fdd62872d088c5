from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.accounts.tokens import view_token
from newsdesk.digests.management.commands.senddigests import run_once
from newsdesk.digests.models import DigestDelivery
from newsdesk.digests.tests.helpers import make_article, make_reader, make_topic

pytestmark = pytest.mark.django_db
UTC = dt.UTC
DUE = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)


def test_it_writes_each_message_to_the_outbox_folder(settings: Any, tmp_path: Path) -> None:
    settings.EMAIL_BACKEND = "newsdesk.digests.outbox.OutboxBackend"
    settings.OUTBOX_DIR = tmp_path
    topic = make_topic("Business")
    make_article([topic], "Bank raises rates", DUE - dt.timedelta(hours=1))
    make_reader("ann+news@example.com", topics=[topic])
    make_reader("bob@example.com", topics=[topic])
    run_once(DUE)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and all(name.endswith(".eml") for name in files)
    assert any("ann_news_at_example.com" in name for name in files)
    parsed = email.message_from_bytes(
        (tmp_path / files[0]).read_bytes(), policy=email.policy.default
    )
    assert parsed["Subject"].startswith("Your Newsdesk digest: 1 story on Business")
    assert DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count() == 2


def test_it_lets_staff_preview_a_readers_digest_and_filter_deliveries() -> None:
    topic = make_topic("Business")
    make_article([topic], "Bank raises rates", dt.datetime.now(UTC) - dt.timedelta(hours=1))
    reader = make_reader(topics=[topic])
    admin = User.objects.create_superuser("editor", "editor@example.com", "pw")
    client = Client()
    client.force_login(admin)
    preview = client.get(reverse("admin:accounts_reader_preview", args=[reader.pk]))
    assert preview.status_code == 200 and b"Bank raises rates" in preview.content
    changelist = client.get(
        reverse("admin:digests_digestdelivery_changelist") + "?status__exact=failed"
    )
    assert changelist.status_code == 200
    assert (
        Client().get(reverse("admin:accounts_reader_preview", args=[reader.pk])).status_code == 302
    )


def test_it_shows_a_sent_digest_in_the_browser_with_its_inline_css_and_no_scripts(
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    topic = make_topic("Business")
    make_article([topic], "Bank raises rates", DUE - dt.timedelta(hours=1))
    make_reader("ann@example.com", topics=[topic])
    run_once(DUE)
    delivery = DigestDelivery.objects.get(status=DigestDelivery.Status.SENT)

    page = Client().get(reverse("digests:view", args=[view_token(delivery.pk)]))
    assert page.status_code == 200 and b"Bank raises rates" in page.content
    assert b'style="' in page.content  # the email's CSS is inlined
    policy = page.headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
