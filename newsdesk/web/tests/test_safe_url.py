from __future__ import annotations

import pytest

from newsdesk.web.health import describe_error
from newsdesk.web.templatetags.web_tags import plain_error, safe_url


@pytest.mark.parametrize(
    "url",
    ["https://example.com/a?b=c", "http://example.com", "HTTPS://EXAMPLE.COM/"],
)
def test_it_passes_http_and_https_urls(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/",
        "/relative/path",
        "http:evil.example",
        "https:///no-host",
        "",
        None,
        42,
    ],
)
def test_it_refuses_everything_else(url: object) -> None:
    assert safe_url(url) == ""


def test_it_strips_what_browsers_would_strip() -> None:
    assert safe_url("  https://example.com/\n") == "https://example.com/"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("HTTP 404", "The address no longer exists on the site."),
        ("HTTPError: status 502", "The site had a server error (HTTP 502); we will try again."),
        ("ReadTimeoutError(...)", "The site did not answer in time."),
        ("[Errno -2] Name or service not known", "The site's name could not be found (DNS)."),
        ("SSLError: certificate verify failed", "The site's secure connection (TLS) failed."),
        (
            "refused private address 10.0.0.5",
            "The address points inside a private network, so we do not fetch it.",
        ),
        (
            "XMLSyntaxError: not well-formed",
            "The site answered, but not with a feed or page we can read.",
        ),
        ("something odd", "The last fetch failed."),
        ("", ""),
    ],
)
def test_it_describes_fetch_errors_in_plain_words(error: str, words: str) -> None:
    assert describe_error(error) == words
    assert plain_error(error) == words
