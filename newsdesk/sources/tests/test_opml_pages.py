"""The staff OPML pages: upload with a report, download, and no way in for others."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from newsdesk.sources.models import Outlet, Source
from newsdesk.sources.parse.opml import NAMESPACE

pytestmark = pytest.mark.django_db

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline type="rss" text="One" xmlUrl="https://one.example/feed.xml"/>
<outline type="rss" text="Known" xmlUrl="https://known.example/feed.xml"/>
<outline type="rss" text="Local" xmlUrl="http://127.0.0.1/feed.xml"/>
</body></opml>"""


@pytest.fixture
def staff(client: Client) -> Client:
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(user)
    return client


def test_it_imports_an_upload_and_reports_each_feed(staff: Client) -> None:
    outlet = Outlet.objects.create(name="Known", slug="known")
    Source.objects.create(outlet=outlet, url="https://known.example/feed.xml")
    upload = SimpleUploadedFile("subs.opml", OPML, content_type="text/x-opml")
    response = staff.post(reverse("sources:opml_import"), {"file": upload})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Added 1, skipped 1 (already followed), failed 1, left out 0." in text
    assert "http://127.0.0.1/feed.xml: 127.0.0.1 is a loopback address" in text
    assert Source.objects.filter(url="https://one.example/feed.xml").exists()


def test_it_says_when_an_upload_is_not_opml(staff: Client) -> None:
    upload = SimpleUploadedFile("x.opml", b"<html></html>")
    response = staff.post(reverse("sources:opml_import"), {"file": upload})
    assert "This is not a usable OPML file" in response.content.decode()


def test_it_downloads_the_feeds_as_opml(staff: Client) -> None:
    outlet = Outlet.objects.create(name="Known", slug="known")
    Source.objects.create(outlet=outlet, url="https://known.example/feed.xml")
    response = staff.get(reverse("sources:opml_export"))
    assert response["Content-Type"].startswith("text/x-opml")
    assert "attachment" in response["Content-Disposition"]
    assert b'xmlUrl="https://known.example/feed.xml"' in response.content


def test_sitemaps_and_section_pages_survive_download_and_upload(staff: Client) -> None:
    outlet = Outlet.objects.create(name="Known", slug="known", home_url="https://known.example/")
    Source.objects.create(outlet=outlet, url="https://known.example/sitemap.xml", kind="sitemap")
    Source.objects.create(
        outlet=outlet, url="https://known.example/world/", kind="html", include_patterns=["/w/"]
    )
    downloaded = staff.get(reverse("sources:opml_export")).content
    assert f'xmlns:newsdesk="{NAMESPACE}"'.encode() in downloaded
    assert b'newsdesk:kind="sitemap"' in downloaded and b'newsdesk:kind="section"' in downloaded
    assert b"xmlUrl" not in downloaded  # nothing here for a feed reader to subscribe to

    Source.objects.all().delete()
    Outlet.objects.all().delete()
    upload = downloaded.replace(
        b"</body>", b'<outline type="link" text="Bookmark" url="https://blog.example/"/></body>'
    )
    response = staff.post(
        reverse("sources:opml_import"), {"file": SimpleUploadedFile("backup.opml", upload)}
    )
    text = response.content.decode()
    assert "Added 2, skipped 0 (already followed), failed 0, left out 1." in text
    assert "Left out (not marked as a source)" in text
    assert "https://blog.example/: a plain web link (type=&quot;link&quot;)" in text
    restored = {s.url: (s.kind, s.outlet.name, s.include_patterns) for s in Source.objects.all()}
    assert restored == {
        "https://known.example/sitemap.xml": ("sitemap", "Known", []),
        "https://known.example/world/": ("html", "Known", ["/w/"]),
    }
    assert Outlet.objects.get().home_url == "https://known.example/"


@pytest.mark.parametrize("name", ["sources:opml_import", "sources:opml_export"])
def test_it_keeps_readers_out(client: Client, name: str) -> None:
    User.objects.create_user("reader", password="pw")
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.login(username="reader", password="pw")
    assert client.get(reverse(name)).status_code == 302
