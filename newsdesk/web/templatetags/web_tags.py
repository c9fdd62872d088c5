"""Template filters of the reader-facing site."""

from __future__ import annotations

from django import template

from newsdesk.web.health import describe_error

register = template.Library()

# Browsers drop tabs and newlines anywhere in a URL and strip leading control characters
# and spaces, so "java\tscript:" and " javascript:" must be judged after the same steps.
_STRIPPED = "".join(chr(c) for c in range(0x21))
_REMOVED = str.maketrans("", "", "\t\n\r")


@register.filter
def safe_url(value: object) -> str:
    """The URL when it is an absolute http(s) URL, otherwise an empty string.

    Templates link an outside URL only through this filter, so a ``javascript:`` or
    ``data:`` URL from a feed is never rendered as a link.
    """
    if not isinstance(value, str):
        return ""
    url = value.translate(_REMOVED).strip(_STRIPPED)
    scheme, sep, rest = url.partition(":")
    if not sep or scheme.lower() not in {"http", "https"} or not rest.startswith("//"):
        return ""
    if not rest[2:].split("/", 1)[0]:
        return ""
    return url


@register.filter
def plain_error(value: object) -> str:
    return describe_error(value) if isinstance(value, str) else ""
