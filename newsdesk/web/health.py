"""Source fetch health in plain words, for the outlet page.

The fetcher stores its error as technical text ("HTTP 503", "ReadTimeoutError(...)",
"refused private address 10.0.0.5"). Readers and editors see a sentence first and the
technical text after it, so nothing is hidden and nothing needs decoding.
"""

from __future__ import annotations

import re

_HTTP_STATUS = re.compile(r"\b(?:HTTP|status)[^0-9]{0,12}([1-5]\d\d)\b", re.IGNORECASE)

_STATUS_WORDS = {
    "401": "The site asks for a login before it shows this address.",
    "403": "The site refused to let us read this address.",
    "404": "The address no longer exists on the site.",
    "410": "The site says this address is gone for good.",
    "429": "The site asked us to slow down; we will try again later.",
    "451": "The site withholds this address for legal reasons.",
}

# Checked in order; the first pattern found in the error text gives the sentence.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"timed? ?out|deadline|timeout", re.I), "The site did not answer in time."),
    (
        re.compile(r"name or service not known|nodename|getaddrinfo|dns|resolve", re.I),
        "The site's name could not be found (DNS).",
    ),
    (
        re.compile(r"connection refused|connect(ion)? (error|reset)|unreachable", re.I),
        "We could not connect to the site.",
    ),
    (re.compile(r"ssl|certificate|tls", re.I), "The site's secure connection (TLS) failed."),
    (
        re.compile(r"private|loopback|link-local|not allowed|refused address", re.I),
        "The address points inside a private network, so we do not fetch it.",
    ),
    (re.compile(r"too many redirects|redirect", re.I), "The site sent us round in redirects."),
    (re.compile(r"too large|body size|max bytes", re.I), "The response was too large to read."),
    (
        re.compile(r"parse|not a feed|xml|syntax|malformed|encoding", re.I),
        "The site answered, but not with a feed or page we can read.",
    ),
]


def describe_error(error: str) -> str:
    """One plain sentence for a stored fetch error; empty when there is no error."""
    text = error.strip()
    if not text:
        return ""
    status = _HTTP_STATUS.search(text)
    if status:
        code = status.group(1)
        if code in _STATUS_WORDS:
            return _STATUS_WORDS[code]
        if code.startswith("5"):
            return f"The site had a server error (HTTP {code}); we will try again."
        if code.startswith("4"):
            return f"The site refused the request (HTTP {code})."
    for pattern, sentence in _PATTERNS:
        if pattern.search(text):
            return sentence
    return "The last fetch failed."
