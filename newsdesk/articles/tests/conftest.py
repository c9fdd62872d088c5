"""A small local web site for ingest tests: pages on 127.0.0.1, each request counted."""

from __future__ import annotations

import ipaddress
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from newsdesk.lib.http import FetchPolicy

HTML = "text/html; charset=utf-8"


@dataclass
class LocalSite:
    base_url: str = ""
    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: str | bytes, content_type: str = HTML, status: int = 200) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[path] = (status, content_type, data)
        return self.url(path)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


def _handler(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            site.hits[path] += 1
            status, ctype, body = site.pages.get(path, (404, "text/plain", b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    site = LocalSite()
    server = _Quiet(("127.0.0.1", 0), _handler(site))
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_policy() -> FetchPolicy:
    return FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),), deadline=10.0)


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    canonical: str = "",
    extra_head: str = "",
    before: str = "",
    after: str = "",
    author: str = "Mira Castell",
) -> str:
    """A plain news article page in the shape most CMSs emit."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | The Harbour Gazette</title>"
        '<meta property="og:type" content="article">'
        '<meta property="og:site_name" content="The Harbour Gazette">'
        f'<meta name="author" content="{author}">'
        '<meta property="article:published_time" content="2026-03-10T08:00:00Z">'
        f"{link}{extra_head}</head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f'<article><h1>{title}</h1><p class="byline">By {author}</p>{before}{body}{after}'
        "</article><footer><p>© 2026 The Harbour Gazette</p></footer></body></html>"
    )


def story(seed: str, paragraphs: int = 6) -> list[str]:
    """Distinct, sentence-final paragraphs for ``seed``: two seeds share almost no word
    5-grams, so their pages are different stories to the near-duplicate check."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            words = rng.choices(_VOCABULARY, k=rng.randint(14, 22))
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


_WORDS = (
    "council harbour ferry budget bridge market school river festival railway library "
    "museum stadium clinic factory mayor minister workers residents officials plan vote "
    "report figures week year city district coast island road station tunnel port trade "
    "export import price wage tax grant loan bank court judge police fire crew ship boat "
    "storm flood winter summer spring autumn morning evening said told asked warned added "
    "agreed refused promised opened closed built moved raised cut paid sold bought rose "
    "fell new old large small early late public private local national northern southern "
    "after before during while because although with without under over between against"
)
_VOCABULARY = tuple(_WORDS.split())
