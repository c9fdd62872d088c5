"""The one email builder: every email is three templates (subject, text, HTML).

``build_email`` renders ``<name>-subject.txt``, ``<name>-body.txt`` and
``<name>-body.html``, inlines the HTML's CSS (css-inline) and returns a multipart
text + HTML message. Every header value passes through ``header_value`` first, so a name
or topic title holding a newline can never add a header (and never crashes a batch:
Django's EmailMessage would refuse it with BadHeaderError).
"""

from __future__ import annotations

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
from django.utils.safestring import SafeString, mark_safe

from newsdesk.accounts import tokens
from newsdesk.digests.compose import Digest, Story, clean_name

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
) -> EmailMultiAlternatives:
    parts = render_parts(name, context)
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


def unsubscribe_url(reader_id: int, topic_id: int | None = None) -> str:
    token = tokens.unsubscribe_token(reader_id, topic_id)
    return settings.SITE_URL + reverse("digests:unsubscribe", args=[token])


def unsubscribe_mailto(reader_id: int) -> str:
    mailbox = getattr(
        settings,
        "NEWSDESK_UNSUBSCRIBE_MAILTO",
        "unsubscribe@" + sender_domain(settings.DIGEST_FROM_EMAIL),
    )
    subject = urllib.parse.quote("unsubscribe " + tokens.unsubscribe_token(reader_id))
    return f"mailto:{mailbox}?subject={subject}"


def list_id() -> str:
    return f"Newsdesk digest <digest.{sender_domain(settings.DIGEST_FROM_EMAIL)}>"


def subject_topics(names: list[str]) -> str:
    """ "Valdorian politics", "A and B", "A, B and 3 more"."""
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


def story_fragments(story: Story) -> tuple[SafeString, str]:
    """A story's HTML and text, rendered once and reused for every reader it goes to."""
    if "html" not in story.fragments:
        story.fragments["html"] = get_template("digests/email/_story.html").render({"story": story})
        story.fragments["text"] = get_template("digests/email/_story.txt").render({"story": story})
    return mark_safe(story.fragments["html"]), story.fragments["text"]  # noqa: S308 (our template)


def digest_context(
    digest: Digest, reader_id: int, reader_name: str, view_url: str = ""
) -> dict[str, Any]:
    sections = []
    for section in digest.sections:
        items = []
        for item in section.items:
            html, text = story_fragments(item.story)
            items.append({"html": html, "text": text, "also_in": ", ".join(item.also_in)})
        sections.append(
            {
                "name": section.section.name,
                "url": section.section.url,
                "items": items,
                "more": section.more,
                "unsubscribe_url": unsubscribe_url(reader_id, section.section.topic_id),
            }
        )
    return {
        "reader_name": clean_name(reader_name),
        "story_count": digest.story_count,
        "topics": subject_topics(digest.topic_names),
        "sections": sections,
        "view_url": view_url,
        "unsubscribe_url": unsubscribe_url(reader_id),
        "site_url": settings.SITE_URL,
    }


def digest_email(
    digest: Digest,
    *,
    reader_id: int,
    reader_name: str,
    reader_email: str,
    message_id: str | None = None,
    view_url: str = "",
) -> EmailMultiAlternatives:
    context = digest_context(digest, reader_id, reader_name, view_url)
    from_email = settings.DIGEST_FROM_EMAIL
    headers = {
        # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>, <{unsubscribe_mailto(reader_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(),
        "Auto-Submitted": "auto-generated",
    }
    return build_email(
        "digests/email/digest",
        context,
        to=address(reader_name, reader_email),
        from_email=from_email,
        headers=headers,
        message_id=message_id,
    )
