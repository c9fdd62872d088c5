"""URL helpers: same-site checks and tracking-parameter stripping."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "ref_src", "ref_url", "referrer", "cmpid", "ocid", "smid", "smtyp",
        "sr_share", "share", "src", "cid", "icid", "mbid", "ito", "s_cid", "rss",
        "_ga", "_gl", "spm", "ncid", "guccounter", "guce_referrer", "guce_referrer_sig",
        "outputtype", "amp", "__twitter_impression", "wt_mc", "wt.mc_id", "at_medium",
        "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "xtor",
        "ns_campaign", "ns_mchannel", "ns_source", "ns_linkname", "ns_fee", "partner",
        "ftag", "traffic_source", "tracking", "trk", "campaign", "feature", "mod",
    }
)  # fmt: skip
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or", "go"})


def strip_tracking(url: str) -> str:
    """Drop ``utm_*`` and other tracking parameters and the fragment."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(("utm_", "utm-", "pk_", "mtm_", "hsa_"))
        and k.lower() not in TRACKING_PARAMS
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def site_of(url: str | None) -> str | None:
    """Registrable-ish domain: ``www.bbc.co.uk`` -> ``bbc.co.uk``."""
    if not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if not host:
        return None
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str | None, b: str | None) -> bool:
    sa, sb = site_of(a), site_of(b)
    return bool(sa) and sa == sb


def absolutize(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if href.startswith("//"):
        scheme = urlsplit(base).scheme if base else "https"
        href = f"{scheme or 'https'}:{href}"
    if base:
        try:
            href = urljoin(base, href)
        except ValueError:
            return None
    if not href.lower().startswith(("http://", "https://")):
        return None
    return href
