"""Security headers on every page, no inline script or style anywhere, production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from newsdesk.web.middleware import content_security_policy
from newsdesk.web.tests.factories import make_article, make_topic

ROOT = Path(__file__).resolve().parents[3]
# The pages readers see. Email bodies need inlined CSS and are never served as pages.
TEMPLATES = sorted(
    path
    for app in ("web", "accounts", "digests")
    for path in (ROOT / "newsdesk" / app / "templates").glob("**/*.html")
    if "/email/" not in path.as_posix()
)


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


@pytest.mark.django_db
def test_it_sends_a_strict_policy_and_the_other_headers_on_every_page(client: Client) -> None:
    topic = make_topic(slug="trade")
    article = make_article("Tariffs", topics=[topic])
    for url in (
        reverse("web:home"),
        article.get_absolute_url(),
        reverse("web:topic", args=["trade"]),
        reverse("web:search") + "?q=tariffs",
        reverse("accounts:follow", args=["trade"]),
        "/no-such-page/",
    ):
        response = client.get(url)
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == "'self'", url
        assert policy["script-src"] == "'self'", url
        assert policy["style-src"] == "'self'", url
        assert policy["object-src"] == "'none'", url
        assert policy["base-uri"] == "'none'", url
        assert policy["frame-ancestors"] == "'none'", url
        assert policy["form-action"] == "'self'", url
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "camera=()" in response["Permissions-Policy"], url


def test_it_never_allows_inline_script() -> None:
    assert "unsafe" not in directives(content_security_policy())["script-src"]
    relaxed = directives(content_security_policy(style_src="'self' 'unsafe-inline'"))
    assert relaxed["script-src"] == "'self'"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_template_has_inline_script_or_style(path: Path) -> None:
    source = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), "inline <script>"
    assert "<style" not in source
    assert not re.search(r"\sstyle\s*=", source), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", source), "event handler attribute"


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "newsdesk", "check", "--deploy", "--fail-level", "WARNING"]
    command.append("--settings=newsdesk.settings_production")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "DJANGO_"))}
    return subprocess.run(
        command, env=full_env | env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    result = run_check(
        {
            "NEWSDESK_SECRET_KEY": secrets.token_urlsafe(50),
            "NEWSDESK_SITE_URL": "https://news.example.org",
            "NEWSDESK_DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "key", [None, "embedded-insecure-key-change-me-for-any-public-instance", "short"]
)
def test_production_settings_refuse_the_default_or_a_short_key(
    tmp_path: Path, key: str | None
) -> None:
    env = {"NEWSDESK_DATA_DIR": str(tmp_path)}
    if key is not None:
        env["NEWSDESK_SECRET_KEY"] = key
    result = run_check(env)
    assert result.returncode != 0
    assert "NEWSDESK_SECRET_KEY" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/search/?q=a%00b", "/topics/x%00y/", "/?page=%00", "/%00"])
def test_a_nul_character_in_the_address_is_a_plain_400(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert response["Content-Security-Policy"]  # the headers still apply
