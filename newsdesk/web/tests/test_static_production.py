"""Static files under the production settings: collected by the real command, served by
the site itself (WhiteNoise) under content-hashed names with long cache lifetimes."""

from __future__ import annotations

import gzip
import os
import re
import runpy
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.conf import settings as base_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse

import newsdesk.settings
from newsdesk.web.tests.factories import make_article, make_topic

ROOT = Path(__file__).resolve().parents[3]
SITE_CSS = ROOT / "newsdesk" / "web" / "static" / "web" / "site.css"
STATIC_LINK = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
HASHED_SITE_CSS = re.compile(r'href="(/static/web/site\.[0-9a-f]{12}\.css)"')
ONE_YEAR = 365 * 24 * 3600
# Settings that belong to the test run, not to what production serves.
KEEP_FROM_TEST_RUN = {"DATABASES", "DATA_DIR", "OUTBOX_DIR"}


def production_env(tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "NEWSDESK_SECRET_KEY": secrets.token_urlsafe(50),
        "NEWSDESK_SITE_URL": "https://news.example.org",
        "NEWSDESK_ALLOWED_HOSTS": "testserver",
        "NEWSDESK_DATA_DIR": str(tmp / "data"),
        "NEWSDESK_STATIC_ROOT": str(tmp / "static"),
        **extra,
    }


def load_production_settings(env: dict[str, str]) -> dict[str, Any]:
    """The production settings, base settings included, read afresh under ``env``; the
    settings modules this test run loaded are put back afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delitem(sys.modules, "newsdesk.settings")
        patch.setattr(newsdesk, "settings", newsdesk.settings)
        module = runpy.run_module("newsdesk.settings_production")
    return {name: value for name, value in module.items() if name.isupper()}


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the deployment step (``newsdesk collectstatic --noinput`` with the production
    settings, as deploy/ does) into a fresh folder, and returns the production settings
    that point at it."""
    env = production_env(tmp_path_factory.mktemp("production"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "DJANGO_"))}
    command = [sys.executable, "-m", "newsdesk", "collectstatic", "--noinput"]
    command.append("--settings=newsdesk.settings_production")
    result = subprocess.run(
        command, env=clean | env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (Path(env["NEWSDESK_STATIC_ROOT"]) / "staticfiles.json").is_file()
    return load_production_settings(env)


class HttpsClient(Client):
    """The test client, asking over HTTPS unless told otherwise (the production settings
    redirect plain HTTP)."""

    def get(  # type: ignore[override]
        self, path: str, data: Any = None, follow: bool = False, secure: bool = True, **extra: Any
    ) -> Any:
        return super().get(path, data, follow, secure, **extra)


@pytest.fixture
def prod_client(production: dict[str, Any]) -> Iterator[Client]:
    """A client of the site as configured by the production settings, over HTTPS."""
    overrides = {
        name: value
        for name, value in production.items()
        if name not in KEEP_FROM_TEST_RUN and getattr(base_settings, name, None) != value
    }
    with override_settings(**overrides):
        yield HttpsClient()


def static_links(html: str) -> list[str]:
    return STATIC_LINK.findall(html)


@pytest.mark.django_db
def test_the_page_links_hashed_css_served_with_a_far_future_cache_lifetime(
    prod_client: Client,
) -> None:
    make_article("Tariffs", topics=[make_topic(slug="trade")])
    page = prod_client.get(reverse("web:home"))
    assert page.status_code == 200
    found = HASHED_SITE_CSS.search(page.content.decode())
    assert found, "the page does not link a content-hashed site.css"

    css = prod_client.get(found.group(1))

    assert css.status_code == 200
    assert css["Content-Type"].startswith("text/css")
    assert b"".join(css.streaming_content) == SITE_CSS.read_bytes()  # type: ignore[attr-defined]
    cache = css["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", cache).group(1))  # type: ignore[union-attr]
    assert max_age >= ONE_YEAR
    assert "immutable" in cache and "public" in cache


@pytest.mark.django_db
def test_every_static_link_on_the_pages_is_hashed_and_resolves(prod_client: Client) -> None:
    make_topic(slug="trade")
    pages = [
        reverse("web:home"),
        reverse("accounts:follow", args=["trade"]),
        reverse("accounts:signup"),
        reverse("accounts:login"),
        reverse("admin:login"),
    ]
    checked = 0
    for url in pages:
        page = prod_client.get(url)
        assert page.status_code == 200, url
        links = static_links(page.content.decode())
        assert links, f"{url} links no static file"
        for link in links:
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", link), f"{url}: {link} is not hashed"
            assert prod_client.get(link).status_code == 200, f"{url}: {link}"
            checked += 1
    assert checked >= len(pages)


@pytest.mark.django_db
def test_static_responses_keep_the_security_headers(prod_client: Client) -> None:
    link = HASHED_SITE_CSS.search(prod_client.get("/").content.decode())
    assert link
    response = prod_client.get(link.group(1))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [("gzip", "gzip", gzip.decompress), ("br, gzip", "br", brotli.decompress)],
)
@pytest.mark.django_db
def test_a_compressed_variant_is_served_when_the_client_accepts_it(
    prod_client: Client, accept: str, encoding: str, decode: Any
) -> None:
    link = HASHED_SITE_CSS.search(prod_client.get("/").content.decode())
    assert link
    response = prod_client.get(link.group(1), headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response["Vary"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert decode(body) == SITE_CSS.read_bytes()
    assert len(body) < SITE_CSS.stat().st_size


def test_without_accept_encoding_the_file_is_sent_plain(prod_client: Client) -> None:
    response = prod_client.get("/static/web/site.css")
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"".join(response.streaming_content) == SITE_CSS.read_bytes()  # type: ignore[attr-defined]
    # The unhashed name may change at the next release: it is cached briefly only.
    assert "immutable" not in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/static/web/no-such-file.css", "/static/web/site.000000000000.css", "/static/"],
)
def test_a_missing_static_file_is_a_404(prod_client: Client, path: str) -> None:
    assert prod_client.get(path).status_code == 404


def test_plain_http_for_a_static_file_is_redirected_to_https(prod_client: Client) -> None:
    response = prod_client.get("/static/web/site.css", secure=False)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/static/web/site.css"


def test_whitenoise_comes_right_after_the_security_header_middlewares(
    production: dict[str, Any],
) -> None:
    middleware = production["MIDDLEWARE"]
    assert middleware[:3] == [
        "django.middleware.security.SecurityMiddleware",
        "newsdesk.web.middleware.SecurityHeadersMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert [m for m in middleware if "whitenoise" not in m] == base_settings.MIDDLEWARE


def test_the_embedded_settings_do_not_use_whitenoise_or_hashed_names() -> None:
    assert not any("whitenoise" in name for name in base_settings.MIDDLEWARE)
    backend = base_settings.STORAGES["staticfiles"]["BACKEND"]
    assert backend == "django.contrib.staticfiles.storage.StaticFilesStorage"


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("static", "must be an absolute path"),
        ("{data}", "would publish"),
        ("/", "would publish"),
        (str(ROOT), "would publish"),
    ],
)
def test_a_static_root_that_would_publish_private_files_is_refused(
    tmp_path: Path, root: str, message: str
) -> None:
    env = production_env(tmp_path)
    env["NEWSDESK_STATIC_ROOT"] = root.format(data=env["NEWSDESK_DATA_DIR"])
    with pytest.raises(ImproperlyConfigured, match=message):
        load_production_settings(env)


def test_static_root_comes_from_the_environment(tmp_path: Path) -> None:
    loaded = load_production_settings(production_env(tmp_path))
    assert loaded["STATIC_ROOT"] == (tmp_path / "static").resolve()
    default = production_env(tmp_path)
    del default["NEWSDESK_STATIC_ROOT"]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("NEWSDESK_STATIC_ROOT", raising=False)
        loaded = load_production_settings(default)
    assert loaded["STATIC_ROOT"] == (tmp_path / "data" / "static").resolve()


def test_no_template_hard_codes_a_static_path() -> None:
    templates = sorted((ROOT / "newsdesk").glob("*/templates/**/*.html"))
    assert templates
    for path in templates:
        assert not re.search(r"""["'(]/static/""", path.read_text()), path
