"""URL normalisation shared by the source parsers.

`canonical_url` is what we use as a de-duplication key and as the stored form
of an article link; `same_site` decides whether a link stays on an outlet.
Both are pure string functions: they never resolve names or fetch anything.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "registrable_domain", "same_site"]

# Query parameters that only carry campaign/click attribution. Removing them
# never changes which document a URL names, and keeping them would make the
# same article look like several.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "cmp",
        "ocid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "at_medium",
        "at_campaign",
        "at_link",
        "at_format",
        "at_ptr_name",
        "mkt_tok",
        "smid",
        "spm",
        "vero_id",
        "oly_enc_id",
        "oly_anon_id",
        "rb_clickid",
        "s_kwcid",
        "wt_mc",
        "wt.mc_id",
        "__twitter_impression",
    }
)
# Whole families of attribution parameters (Google Analytics, Matomo/Piwik,
# HubSpot ads, AT Internet custom fields, "internal tracking" itm_*).
_TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_", "at_custom", "itm_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
# RFC 3986 section 2.3: unreserved characters may always be decoded.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _is_tracking_param(name: str) -> bool:
    key = unquote(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _normalise_percent(text: str) -> str:
    """Upper-case percent-escapes and decode unreserved ones (RFC 3986 6.2.2.1-2)."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_RE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, so /a/./b/../c and /a/c compare equal."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _clean_query(query: str) -> str:
    # Work on the raw "k=v" pairs so the original percent-encoding of values
    # survives; decoding and re-encoding would change e.g. "/" into "%2F".
    pairs = [part for part in query.split("&") if part and not part.startswith("=")]
    kept = [part for part in pairs if not _is_tracking_param(part.split("=", 1)[0])]
    # A stable sort by name: order between repeated keys can be meaningful.
    kept.sort(key=lambda part: unquote(part.split("=", 1)[0]))
    return "&".join(kept)


def _netloc(scheme: str, netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):  # IPv6 literal, RFC 3986 section 3.2.2
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 1 :].lstrip(":")
    elif ":" in hostport:
        host, port = hostport.rsplit(":", 1)
    host = host.lower().rstrip(".")
    if port and port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    hostport = f"{host}:{port}" if port else host
    return f"{userinfo}{at}{hostport}"


def canonical_url(url: str) -> str:
    """Return the canonical form of an absolute URL.

    Lower-cases scheme and host, drops default ports, the fragment and
    tracking parameters, sorts the remaining query parameters, turns an empty
    path into "/" and otherwise keeps the path (including a trailing slash)
    as it is, apart from RFC 3986 normalisation. Never raises: input that
    cannot be split as a URL comes back stripped of surrounding whitespace.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    netloc = _netloc(scheme, parts.netloc) if parts.netloc else ""
    path = _remove_dot_segments(_normalise_percent(parts.path))
    if netloc and not path:
        path = "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def _host_of(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The registrable domain ("eTLD+1") of a host name, e.g. bbc.co.uk.

    Uses the Public Suffix List bundled with the `tld` package (installed with
    trafilatura); hosts the list does not know fall back to their last two
    labels, IP addresses and single-label hosts to themselves.
    """
    host = host.rstrip(".").lower()
    if _is_ip(host) or "." not in host:
        return host
    try:
        from tld import get_fld

        domain = get_fld(host, fix_protocol=True, fail_silently=True)
    except Exception:  # any failure of the lookup falls back below
        domain = None
    if isinstance(domain, str) and domain:
        return domain.lower()
    return ".".join(host.split(".")[-2:])


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on the same registrable domain.

    www.example.com, example.com and news.example.com are one site; the
    scheme is ignored because outlets still mix http and https links.
    """
    host_a, host_b = _host_of(a), _host_of(b)
    if not host_a or not host_b:
        return False
    if host_a == host_b:
        return True
    return registrable_domain(host_a) == registrable_domain(host_b)
