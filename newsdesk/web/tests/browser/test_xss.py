"""Script placed in any field from a feed never runs on any page (RELIABILITY.md).

Every payload tries to set ``window.__xss`` or open a dialog. Titles, bylines, bios,
outlet and topic names, snippets, source titles and errors are stored as given; bodies go
through the real sanitizer first, as ingestion stores them; URLs (article, image, outlet
home, source) carry ``javascript:`` and friends. The pages are checked twice: with the
Content-Security-Policy, where a blocked inline script would show as a console error, and
with the policy bypassed, so escaping and sanitizing are shown to hold on their own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from newsdesk.articles.extract.sanitize import sanitize_html
from newsdesk.web.tests.browser.conftest import DESKTOP, Watched
from newsdesk.web.tests.factories import (
    make_article,
    make_author,
    make_outlet,
    make_source,
    make_topic,
)

RUN = "window.__xss=1"
PAYLOADS = [
    f"<script>{RUN}</script>",
    f"<img src=x onerror={RUN}>",
    f"<svg onload={RUN}>",
    f"<svg><script>{RUN}</script></svg>",
    f'"><script>{RUN}</script>',
    f"'><img src=x onerror={RUN}>",
    f'" onmouseover="{RUN}" autofocus onfocus="{RUN}" x="',
    f"' onfocus='{RUN}' autofocus='",
    f"</title><script>{RUN}</script>",
    f"</textarea><script>{RUN}</script>",
    f"</script><script>{RUN}</script>",
    f'<iframe src="javascript:{RUN}"></iframe>',
    f'<iframe srcdoc="<script>parent.{RUN}</script>"></iframe>',
    f"<body onload={RUN}>",
    f'<a href="javascript:{RUN}">click</a>',
    f"<details open ontoggle={RUN}>",
    f"<input autofocus onfocus={RUN}>",
    f"<video><source onerror={RUN}></video>",
    f"<audio src=x onerror={RUN}>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={RUN}>",
    '<base href="javascript:/">',
    f'<object data="javascript:{RUN}"></object>',
    f'<embed src="javascript:{RUN}">',
    f'<form action="javascript:{RUN}"><button>go</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{RUN}">',
    f'<div style="background:url(javascript:{RUN})">styled</div>',
    f"<style>body{{background:url('javascript:{RUN}')}}</style>",
    f'<!--<img src="--><img src=x onerror={RUN}//">',
    f"<scr<script>ipt>{RUN}</scr</script>ipt>",
    f'<noscript><p title="</noscript><img src=x onerror={RUN}>">',
    f"<select><template><img src=x onerror={RUN}></template></select>",
    f"<a id=x tabindex=1 autofocus onfocusin={RUN}>x</a>",
    f'<img src="x" alt="&quot; onerror={RUN}">',
    f"<marquee onstart={RUN}>news</marquee>",
    f'<svg><a xlink:href="javascript:{RUN}"><text y="20">svg link</text></a></svg>',
    f"{{{{ {RUN} }}}} {{% debug %}}",
    "<img src=x onerror=alert(1)><img src=x onerror=confirm(1)>",
    f"<x onclick={RUN}>click</x>",
]
URLS = [
    f"javascript:{RUN}",
    f" JaVaScRiPt:{RUN}",
    f"java\tscript:{RUN}",
    f"data:text/html,<script>{RUN}</script>",
    f"vbscript:{RUN}",
    f'https://img.example/a.png" onerror="{RUN}',
    f"https://img.example/<script>{RUN}</script>",
]
assert len(PAYLOADS) >= 30


def world() -> list[str]:
    """One outlet, author, topic and article per payload; the pages to visit."""
    pages = [reverse("web:home"), reverse("web:topics")]
    for i, payload in enumerate(PAYLOADS):
        other = PAYLOADS[(i + 7) % len(PAYLOADS)]
        url = URLS[i % len(URLS)]
        outlet = make_outlet(payload, slug=f"outlet-{i}", home_url=url)
        make_source(
            outlet,
            url=f"https://feeds.example/{i}.xml?{payload}",
            title=other,
            status="error",
            last_error=payload,
        )
        author = make_author(payload, outlet=outlet, slug=f"author-{i}", bio=other)
        topic = make_topic(payload, slug=f"topic-{i}", description=other)
        article = make_article(
            f"{payload} zebra",
            text=f"{other} zebra crossing {payload}",
            snippet=f"{payload} {other}",
            html=sanitize_html(f"<p>{payload}</p><p>zebra</p>{other}<img src='{url}'>"),
            image=url,
            url=url,
            outlet=outlet,
            authors=[author],
            topics=[topic],
        )
        pages += [
            article.get_absolute_url(),
            author.get_absolute_url(),
            topic.get_absolute_url(),
            reverse("web:outlet", args=[outlet.slug]),
        ]
    search = reverse("web:search")
    pages += [f"{search}?q=zebra", f"{search}?q=zebra&page=2", f"{search}?q=zebra+-crossing"]
    pages += [f"{search}?q={payload}" for payload in PAYLOADS[:8]]
    return pages


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "csp-bypassed"])
def test_no_payload_runs_on_any_page(
    live_server: LiveServer, open_page: Callable[..., Watched], bypass_csp: bool
) -> None:
    pages = world()
    watched = open_page(DESKTOP, bypass_csp=bypass_csp)
    for path in pages:
        page = watched.goto(live_server.url + path)
        # Focus moves through every link and field: handlers on focus would fire.
        for _ in range(3):
            page.keyboard.press("Tab")
        assert watched.executed() == [], path
        assert page.evaluate(INJECTED_MARKUP) == [], path


# Markup that could only have come from a payload: handler attributes, script URLs,
# scripts other than ours, frames, objects, <base>.
INJECTED_MARKUP = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(attr.name)
          && /^(javascript|vbscript|data):/.test(value)) found.push(el.tagName + ' ' + attr.name);
    }
  }
  for (const el of document.querySelectorAll('script')) {
    if (!el.src || new URL(el.src).origin !== location.origin) found.push('script');
  }
  for (const tag of ['iframe', 'object', 'embed', 'base', 'frame', 'style']) {
    if (document.querySelector(tag)) found.push(tag);
  }
  return found;
}"""
