"""The one email builder: every email is three templates (subject, text, HTML).

``build_email`` renders ``<name>-subject.txt``, ``<name>-body.txt`` and
``<name>-body.html``, inlines the HTML's CSS (css-inline) and returns a multipart
text + HTML message. Every header value passes through ``header_value`` first, so a name
or topic title holding a newline can never add a header (and never crashes a batch:
Django's EmailMessage would refuse it with BadHeaderError).
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from newsdesk.accounts import tokens
from newsdesk.digests.compose import WEEKLY, Digest, DigestSection, Story, clean_name

_INLINER = css_inline.CSSInliner()


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def header_value(value: str, limit: int = 300) -> str:
    """One printable line, at most ``limit`` characters."""
    cleaned = clean_name(value)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def address(name: str, email: str) -> str:
    return formataddr((header_value(name, 100), email)) if name.strip() else email


def render_parts(name: str, context: Mapping[str, Any]) -> Rendered:
    subject = header_value(render_to_string(f"{name}-subject.txt", dict(context)))
    text = render_to_string(f"{name}-body.txt", dict(context))
    html = _INLINER.inline(render_to_string(f"{name}-body.html", dict(context)))
    return Rendered(subject, text, html)


def build_email(
    name: str,
    context: Mapping[str, Any],
    *,
    to: str,
    from_email: str,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
    rendered: Rendered | None = None,
) -> EmailMultiAlternatives:
    """The message for templates ``name``-{subject,body}; ``rendered`` if done already."""
    parts = rendered or render_parts(name, context)
    all_headers = {key: header_value(value, 2000) for key, value in (headers or {}).items()}
    all_headers["Message-ID"] = message_id or new_message_id(from_email)
    message = EmailMultiAlternatives(
        subject=parts.subject, body=parts.text, from_email=from_email, to=[to], headers=all_headers
    )
    message.attach_alternative(parts.html, "text/html")
    return message


def sender_domain(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "newsdesk.localhost"


def new_message_id(from_email: str | None = None) -> str:
    return make_msgid(domain=sender_domain(from_email or settings.DIGEST_FROM_EMAIL))


# --- The digest ---------------------------------------------------------------------------
#
# 100,000 readers must be rendered in minutes, so the digest is built from pieces rendered
# once: each story (compose.Story.fragments), each section as shown (keyed by its stories
# and "also in" notes), and the page around them. The page template is rendered once with
# markers, CSS-inlined once, and filled per reader with str.replace. Every piece still
# comes from the digest's templates; only the per-reader strings are substituted, escaped.

_MARK = "%%nd-{}%%"


@functools.cache
def _url_pattern(name: str) -> tuple[str, str]:
    """reverse() is slow; reverse once with a placeholder and substitute (ours are simple)."""
    url = reverse(name, args=["0PLACEHOLDER0"])
    head, _, tail = url.partition("0PLACEHOLDER0")
    return head, tail


def fast_reverse(name: str, arg: object) -> str:
    head, tail = _url_pattern(name)
    return f"{head}{arg}{tail}"


@functools.lru_cache(maxsize=4096)
def unsubscribe_token(reader_id: int, topic_id: int | None = None) -> str:
    # Signing costs ~50 µs and one digest needs the "everything" token three times (footer,
    # List-Unsubscribe URL and mailto). Unsubscribe tokens never expire, so reuse is safe.
    return tokens.unsubscribe_token(reader_id, topic_id)


def unsubscribe_url(reader_id: int, topic_id: int | None = None) -> str:
    token = unsubscribe_token(reader_id, topic_id)
    return settings.SITE_URL + fast_reverse("digests:unsubscribe", token)


def manage_url(reader_id: int) -> str:
    """The reader's "manage subscription" page (pause, hour, zone, topics); no login."""
    return settings.SITE_URL + fast_reverse("digests:manage", tokens.manage_token(reader_id))


def unsubscribe_mailto(reader_id: int) -> str:
    mailbox = getattr(
        settings,
        "NEWSDESK_UNSUBSCRIBE_MAILTO",
        "unsubscribe@" + sender_domain(settings.DIGEST_FROM_EMAIL),
    )
    subject = urllib.parse.quote("unsubscribe " + unsubscribe_token(reader_id))
    return f"mailto:{mailbox}?subject={subject}"


def list_id() -> str:
    return f"Newsdesk digest <digest.{sender_domain(settings.DIGEST_FROM_EMAIL)}>"


def subject_topics(names: list[str]) -> str:
    """ "Valdorian politics", "A and B", "A, B and 3 more"."""
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


@functools.cache
def email_css() -> str:
    return get_template("digests/email/digest.css").render({})


def story_fragments(story: Story) -> tuple[SafeString, str]:
    """A story's HTML and text, rendered once and reused for every reader it goes to."""
    if "html" not in story.fragments:
        story.fragments["html"] = get_template("digests/email/_story.html").render({"story": story})
        story.fragments["text"] = get_template("digests/email/_story.txt").render({"story": story})
    return mark_safe(story.fragments["html"]), story.fragments["text"]  # noqa: S308 (our template)


def section_fragments(shown: DigestSection) -> tuple[str, str]:
    """A section as shown (its stories, notes), CSS inlined; ``_MARK`` "stop" left in."""
    key = "section:" + repr(([(i.story.key, i.also_in) for i in shown.items], shown.more))
    cache = shown.section.fragments
    if key not in cache:
        items = []
        for item in shown.items:
            story_html, story_text = story_fragments(item.story)
            also_in = ", ".join(item.also_in)
            items.append({"html": story_html, "text": story_text, "also_in": also_in})
        context = {"section": shown.section, "items": items, "more": shown.more,
                   "stop_url": _MARK.format("stop")}  # fmt: skip
        html = get_template("digests/email/_section.html").render(context)
        cache[key] = css_inline.inline_fragment(html, email_css())
        cache[key + ":text"] = get_template("digests/email/_section.txt").render(context)
    return cache[key], cache[key + ":text"]


_PAGE_KEYS = (
    "greeting", "summary", "view_link", "view_url", "unsubscribe_url", "manage_url", "sections",
)  # fmt: skip


@functools.cache
def _page() -> tuple[str, str]:
    """The digest page and text with markers, rendered and CSS-inlined once."""
    context: dict[str, str] = {key: mark_safe(_MARK.format(key)) for key in _PAGE_KEYS}
    context["css"] = mark_safe(email_css())  # noqa: S308 (our own stylesheet)
    context["site_url"] = settings.SITE_URL
    html = _INLINER.inline(get_template("digests/email/digest-body.html").render(context))
    text = get_template("digests/email/digest-body.txt").render(context)
    return html, text


def _fill(page: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        page = page.replace(_MARK.format(key), value)
    return page


def digest_parts(digest: Digest, reader_id: int, reader_name: str, view_url: str = "") -> Rendered:
    """Subject, text and HTML of one reader's digest, from the shared pieces."""
    html_sections, text_sections = [], []
    for shown in digest.sections:
        stop = unsubscribe_url(reader_id, shown.section.topic_id)
        html, text = section_fragments(shown)
        html_sections.append(html.replace(_MARK.format("stop"), escape(stop)))
        text_sections.append(text.replace(_MARK.format("stop"), stop))
    name = clean_name(reader_name)
    count = digest.story_count
    weekly = digest.kind == WEEKLY
    period = " this week" if weekly else ""
    summary = (
        f"{count} {'story' if count == 1 else 'stories'}{period} "
        f"on {subject_topics(digest.topic_names)}."
    )
    hello = "Your week in the news" if weekly else "Good morning"
    greeting = f"{hello}, {name}." if name else f"{hello}."
    everything = unsubscribe_url(reader_id)
    manage = manage_url(reader_id)
    subject = header_value(
        render_to_string(
            "digests/email/digest-subject.txt",
            {"story_count": count, "topics": subject_topics(digest.topic_names), "weekly": weekly},
        )
    )
    page_html, page_text = _page()
    html = _fill(
        page_html,
        {
            "greeting": escape(greeting),
            "summary": escape(summary),
            "view_link": format_html(' <a href="{}">View in your browser</a>', view_url)
            if view_url
            else "",
            "view_url": escape(view_url),
            "unsubscribe_url": escape(everything),
            "manage_url": escape(manage),
            "sections": "".join(html_sections),
        },
    )
    text = _fill(
        page_text,
        {
            "greeting": greeting,
            "summary": summary,
            "view_link": f"View in your browser: {view_url}" if view_url else "",
            "view_url": view_url,
            "unsubscribe_url": everything,
            "manage_url": manage,
            "sections": "".join(text_sections),
        },
    )
    return Rendered(subject, text, html)


def digest_email(
    digest: Digest,
    *,
    reader_id: int,
    reader_name: str,
    reader_email: str,
    message_id: str | None = None,
    view_url: str = "",
) -> EmailMultiAlternatives:
    rendered = digest_parts(digest, reader_id, reader_name, view_url)
    from_email = settings.DIGEST_FROM_EMAIL
    unsubscribe = unsubscribe_url(reader_id)
    headers = {
        # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
        "List-Unsubscribe": f"<{unsubscribe}>, <{unsubscribe_mailto(reader_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(),
        "Auto-Submitted": "auto-generated",
    }
    return build_email(
        "digests/email/digest",
        {},
        to=address(reader_name, reader_email),
        from_email=from_email,
        headers=headers,
        message_id=message_id,
        rendered=rendered,
    )
