"""Page metadata: title, authors, dates, canonical URL, image, site name, section."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import jsonld
from .dom import HtmlElement, klass, norm_space, text_of
from .urls import absolutize, same_site, strip_tracking

# --------------------------------------------------------------------------- meta tags


@dataclass
class PageMeta:
    """Everything read from ``<head>`` and JSON-LD in one pass."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    title_tag: str | None = None
    html_lang: str | None = None
    ld_objects: list[dict[str, Any]] = field(default_factory=list)
    ld_article: dict[str, Any] | None = None

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                value = norm_space(value)
                if value:
                    return value
        return None

    def all(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(v for v in (norm_space(x) for x in self.meta.get(name, ())) if v)
        return out


def read_page_meta(tree: HtmlElement) -> PageMeta:
    pm = PageMeta()
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                pm.meta.setdefault(key.strip().lower(), []).append(content)
    for el in tree.iter("link"):
        rel = (el.get("rel") or "").lower()
        href = el.get("href")
        if rel and href:
            for r in rel.split():
                pm.links.setdefault(r, []).append(href)
    title = tree.find(".//title")
    if title is not None:
        pm.title_tag = norm_space(title.text_content()) or None
    pm.html_lang = tree.get("lang") or tree.get("xml:lang") or pm.first("content-language")
    pm.ld_objects = jsonld.collect(tree)
    pm.ld_article = jsonld.main_article(pm.ld_objects)
    return pm


# --------------------------------------------------------------------------- site name


def site_name(pm: PageMeta) -> str | None:
    name = pm.first(
        "og:site_name", "application-name", "al:ios:app_name", "twitter:app:name:iphone"
    )
    if name:
        return name
    art = pm.ld_article
    if art is not None:
        name = jsonld.as_text(art.get("publisher"))
        if name and not name.startswith("http"):
            return name
    org = jsonld.first_of_type(pm.ld_objects, {"newsmediaorganization", "organization", "website"})
    if org is not None:
        name = jsonld.as_text(org.get("name"))
        if name:
            return name
    return None


def section(pm: PageMeta) -> str | None:
    value = pm.first("article:section", "parsely-section", "section", "og:article:section")
    if value:
        return value
    art = pm.ld_article
    if art is not None:
        return jsonld.as_text(art.get("articleSection"))
    return None


# --------------------------------------------------------------------------- title

_TITLE_SEP = re.compile(r"\s+[|\-–—·•:~/*]\s+|\s*[|•·｜：ㅣ]\s*|:\s+")
_NEWS_LABEL = re.compile(
    r"^(?:[\w.]+\s){0,2}(?:news|nachrichten|haber|haberler|noticias|notizie|nieuws|nyheter|"
    r"actualités)$",
    re.I,
)
# A title suffix crediting the writer ("… | Site | by Jane Doe").
_CREDIT_TAIL = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+\w", re.I)


def _squash(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _is_site_part(part: str, site: str | None, host: str | None) -> bool:
    sq = _squash(part)
    if not sq:
        return False
    if site:
        ss = _squash(site)
        # A part naming the site, perhaps with a word around it ("BBC News" for "BBC"), but
        # not a headline that merely mentions it ("Kate Moss auf dem VOGUE-Cover").
        if ss and (
            sq == ss
            or (len(sq) >= 3 and sq in ss)
            or (ss in sq and (sq.startswith(ss) or sq.endswith(ss)) and len(sq) - len(ss) <= 10)
        ):
            return True
    if host:
        hs = _squash(host.removeprefix("www.").rsplit(".", 1)[0])
        near = bool(hs) and (sq.startswith(hs) or sq.endswith(hs)) and len(sq) - len(hs) <= 10
        if len(sq) >= 3 and (sq == hs or sq in _squash(host) or near):
            return True
    return False


def clean_title(title: str | None, site: str | None = None, url: str | None = None) -> str | None:
    """Remove ``" | Site"``/``"Site - "`` decorations from a page title."""
    title = norm_space(title)
    if not title:
        return None
    host = None
    if url:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
    for _ in range(3):
        seps = list(_TITLE_SEP.finditer(title))
        if not seps:
            break
        last, first = seps[-1], seps[0]
        tail, head = title[last.end() :], title[: first.start()]
        if (
            tail
            and (
                _is_site_part(tail, site, host)
                or _NEWS_LABEL.match(tail)
                or _CREDIT_TAIL.match(tail)
            )
            and last.start() > 0
        ):
            title = title[: last.start()].strip()
            continue
        if head and _is_site_part(head, site, host) and first.end() < len(title):
            title = title[first.end() :].strip()
            continue
        break
    return title or None


def _h1_texts(tree: HtmlElement) -> list[str]:
    out = []
    for h1 in tree.iter("h1"):
        text = text_of(h1)
        if 5 <= len(text) <= 400:
            out.append(text)
        if len(out) >= 3:
            break
    return out


# Where a page states its headline, in the order the automatic choice trusts them. An
# operator can pin one per site (SiteRule.title_source) where the automatic choice picks
# the wrong one: outlets differ in which of them carries the headline readers should see.
TITLE_SOURCES: dict[str, str] = {
    "og": "og:title",
    "jsonld": "JSON-LD headline",
    "twitter": "twitter:title",
    "meta": '<meta name="title">',
    "title": "<title>",
    "h1": "first <h1>",
}


# A "headline" longer than this is no headline (and would cost the cleaning regexes
# seconds on a hostile page): that source is treated as absent.
_MAX_RAW_TITLE = 2000


def _raw_titles(pm: PageMeta) -> dict[str, str | None]:
    found = {
        "og": pm.first("og:title"),
        "jsonld": jsonld.as_text((pm.ld_article or {}).get("headline")),
        "twitter": pm.first("twitter:title"),
        "meta": pm.first("title", "dc.title", "headline"),
        "title": pm.title_tag,
    }
    return {k: v if v is None or len(v) <= _MAX_RAW_TITLE else None for k, v in found.items()}


def title_variants(
    pm: PageMeta, tree: HtmlElement, site: str | None, url: str | None
) -> dict[str, str]:
    """Each source's headline (keys of TITLE_SOURCES), site suffixes and sections removed."""
    sect = section(pm)
    out = {
        key: cleaned
        for key, raw in _raw_titles(pm).items()
        if raw and (cleaned := _strip_section(clean_title(raw, site, url), sect))
    }
    h1s = _h1_texts(tree)
    if h1s:
        out["h1"] = h1s[0]
    return out


def page_titles(tree: HtmlElement, url: str | None = None) -> dict[str, str]:
    """:func:`title_variants` of a parsed page."""
    pm = read_page_meta(tree)
    return title_variants(pm, tree, site_name(pm), url)


def title(pm: PageMeta, tree: HtmlElement, site: str | None, url: str | None) -> str | None:
    candidates = list(_raw_titles(pm).values())
    raw = next((c for c in candidates if c), None)
    h1s = _h1_texts(tree)
    if raw is None:
        return h1s[0] if h1s else None
    sect = section(pm)
    cleaned = _strip_section(clean_title(raw, site, url), sect)
    others = [_strip_section(clean_title(c, site, url), sect) for c in candidates if c and c != raw]
    cleaned = _undecorated_variant(cleaned, [o for o in others if o])
    return _visible_variant(norm_space(raw), cleaned, h1s)


# A trailing part after a separator, unspaced hyphens and dashes included ("…커졌다-정치").
_SUFFIX_START = re.compile(r"\s*[-–—|ㅣ｜]\s*|\s+[·•:~/*]\s+")
# A leading kicker ends in a colon, a bar or a spaced dash ("Infant Abandonment Cases: …").
_KICKER_END = re.compile(r"(?::|\s[|\-–—])\s*$")


def _undecorated_variant(title: str | None, others: list[str]) -> str | None:
    """Another meta title that is this one minus a decoration wins.

    When the page's own meta sources (og:title, the JSON-LD headline, twitter:title,
    ``<title>``) disagree only by a trailing part ("…-정치" vs "…") or a leading kicker
    ("Vierschanzentournee | Headline" vs "Headline"), the bare headline is the title. The
    ``<h1>`` is not used here: pages often show the kicker as a line above a bare ``<h1>``.
    """
    if not title:
        return title
    for other in others:
        if 12 <= len(other) < len(title):
            if title.startswith(other) and _SUFFIX_START.match(title, len(other)):
                return other
            if title.endswith(other) and _KICKER_END.search(title[: -len(other)]):
                return other
    return title


def _strip_section(title: str | None, sect: str | None) -> str | None:
    """Drop a trailing section label ("…커졌다-정치" in section "정치")."""
    if not title or not sect or len(sect) >= len(title) // 2 or not title.endswith(sect):
        return title
    head = title[: -len(sect)].rstrip()
    if head and head[-1] in "-–—|/·:":
        return head[:-1].rstrip() or title
    return title


def _visible_variant(raw: str, cleaned: str | None, h1s: list[str]) -> str | None:
    """The visible ``<h1>`` wins when the meta title is that headline plus a suffix.

    Kicker prefixes ("Kicker: Headline") and quote styles are left as the meta title has
    them: on the dev set, outlets' own labels side with the meta title as often as not.
    """
    for h in h1s:
        if h != cleaned and raw.startswith(h) and _TITLE_SEP.match(raw, len(h)):
            return h
    return cleaned


# --------------------------------------------------------------------------- dates

_TZ_COLONLESS = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_date(value: Any) -> datetime | None:
    """Parse an ISO-like or free-form date; naive values are taken as UTC."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value")
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 80:
        return None
    dt: datetime | None = None
    iso = text.replace("Z", "+00:00").replace(" UTC", "+00:00")
    iso = _TZ_COLONLESS.sub(r"\1:\2", iso)
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        dt = None
    if dt is None and re.fullmatch(r"\d{10}(\d{3})?", text):
        stamp = int(text[:10])
        dt = datetime.fromtimestamp(stamp, tz=UTC)
    if dt is None:
        try:
            import warnings

            from dateutil import parser as dateparser

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dt = dateparser.parse(text, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return None
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=UTC)
    if not 1990 <= dt.year <= 2100:
        return None
    return dt


_PUB_META = (
    "article:published_time", "og:article:published_time", "article:published",
    "datepublished", "publishdate", "publish-date", "pubdate", "article.published",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date",
    "dcterms.created", "date", "article_date_original", "original-publish-date",
    "cxenseparse:recs:publishtime", "og:published_time", "published_time", "release_date",
    "datecreated", "created",
)  # fmt: skip
_MOD_META = (
    "article:modified_time", "og:updated_time", "article:modified", "datemodified",
    "last-modified", "dcterms.modified", "modified_time", "lastmod", "dc.date.modified",
)  # fmt: skip


def dates(
    pm: PageMeta, tree: HtmlElement, url: str | None
) -> tuple[datetime | None, datetime | None]:
    art = pm.ld_article or {}
    published = parse_date(art.get("datePublished")) or parse_date(art.get("dateCreated"))
    modified = parse_date(art.get("dateModified"))
    if published is None:
        for name in _PUB_META:
            for value in pm.meta.get(name, ()):
                published = parse_date(value)
                if published:
                    break
            if published:
                break
    if modified is None:
        for name in _MOD_META:
            for value in pm.meta.get(name, ()):
                modified = parse_date(value)
                if modified:
                    break
            if modified:
                break
    if published is None:
        for obj in pm.ld_objects:
            published = parse_date(obj.get("datePublished"))
            if published:
                break
    if published is None:
        published = _time_element(tree)
    if published is None:
        published = _htmldate(tree, url)
    return published, modified


def _time_element(tree: HtmlElement) -> datetime | None:
    for el in tree.iter("time"):
        value = el.get("datetime")
        if not value:
            continue
        marker = f"{el.get('itemprop') or ''} {el.get('pubdate') or ''} {klass(el)}".lower()
        if "modif" in marker or "update" in marker:
            continue
        parsed = parse_date(value)
        if parsed:
            return parsed
    for el in tree.xpath('//*[@itemprop="datePublished"]'):
        parsed = parse_date(el.get("content") or el.get("datetime") or text_of(el))
        if parsed:
            return parsed
    return None


def _htmldate(tree: HtmlElement, url: str | None) -> datetime | None:
    try:
        from htmldate import find_date

        found = find_date(
            tree, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d"
        )
    except Exception:  # htmldate is a best-effort fallback
        return None
    return parse_date(found) if found else None


# --------------------------------------------------------------------------- authors

AGENCIES = frozenset(
    {
        "reuters", "ap", "associated press", "the associated press", "afp", "agence france-presse",
        "agence france presse", "dpa", "dpa-afx", "epd", "kna", "apa", "sda", "sid", "ats",
        "ansa", "efe", "europa press", "anp", "belga", "tt", "ntb", "ritzau", "stt", "pap",
        "ctk", "čtk", "tass", "ria novosti", "interfax", "xinhua", "kyodo", "yonhap", "pti",
        "ians", "ani", "aap", "cp", "the canadian press", "bloomberg", "upi", "lusa", "ap/dpa",
        "dpa/afp", "afp/dpa", "reuters/dpa", "dts", "afx", "bang", "nexstar media wire",
        "anadolu ajansı", "anadolu agency", "ihlas haber ajansı", "demirören haber ajansı",
    }
)  # fmt: skip
_PREFIX = re.compile(
    r"^(?:(?:written|reported|posted|text|words|story|photos?|fotos?)\s+)?"
    r"(?:by|von|from|par|por|di|da|de|av|door|af|przez|autor(?:in|a)?|author|auteur|"
    r"texte|texto|testo|tekst|redakce|redaktion|reporter|journalist)\b\s*[:\-–]?\s*",
    re.I,
)
_SPLIT = re.compile(
    r"\s*(?:,|;|&|\+|/|\||\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\boch\b|\bja\b|"
    r"\ben\b|\bi\b|\bu\b|\bsowie\b|\bmit\b|\bwith\b|\bmed\b)\s*",
    re.I,
)
_NOT_NAME = re.compile(
    r"[@<>]|https?:|www\.|\.com\b|\d{2,}|\b(?:staff|editor|editors|redaktion|redacción|"
    r"newsroom|desk|team|updated|published|minutes?|min read|hours? ago|contributor|"
    r"correspondent|reporter|writer|columnist|opinion|news|online|digital|media|red|agenturen|"
    r"agencies|image|images|photo|photos|getty|istockphoto|shutterstock|inc|ltd|gmbh|llc|corp|"
    r"latest|posts|articles|profile|view|more|follow|nachrichten|noticias|notizie|nieuws|"
    r"nyheter|haberler|actualités|actualites|redacción|rédaction|redazione|redactie|min|"
    r"twitter|facebook|instagram|linkedin|whatsapp|telegram|share|teilen)\b",
    re.I,
)
_ROLE_SUFFIX = re.compile(
    r"\s*[,(\-–|]\s*(?:senior |chief |political |deputy |staff |foreign |associate |contributing )*"
    r"(?:correspondent|reporter|writer|editor|columnist|journalist|contributor|redakteur(?:in)?|"
    r"korrespondent(?:in)?|in [A-Z][a-z]+).*$",
    re.I,
)


_PARENS = re.compile(r"\s*\([^)]{0,40}\)")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_CODE = re.compile(r"<(script|style)\b[^<>]{0,200}>.*?</\1\s*>", re.I | re.S)
# A credit with a dateline place: "Associated Press in Valencia", "Shaun Walker in Kyiv".
_IN_PLACE = re.compile(r"^(?P<who>.+?)\s+in\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}$")
_CJK_ROLE = re.compile(r"\s*(?:기자|특파원|記者|特派員|编辑|記者)$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def _agency(name: str) -> bool:
    return name.lower().strip(" .()") in AGENCIES


def _outlet_keys(outlet: str) -> set[str]:
    """Squashed forms of an outlet name, the domain's TLD dropped ("dw.com" -> "dw")."""
    keys = {_squash(outlet)}
    host = outlet.strip().lower()
    if re.fullmatch(r"[\w.-]+\.[a-z]{2,}", host):
        keys.add(_squash(host.removeprefix("www.").rsplit(".", 1)[0]))
    return {k for k in keys if k}


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"\w+", name.lower()))


def _is_outlet(name: str, outlets: tuple[str, ...]) -> bool:
    """The outlet itself, however written: "DW.COM" / "Deutsche Welle", "LTO" / "Legal Tribune
    Online", "MDR THÜRINGEN" (outlet plus region), "VnExpress" / "Báo VnExpress"."""
    sq = _squash(name)
    words = name.split()
    if not sq or not words:
        return True
    first = _squash(words[0])
    for outlet in outlets:
        if len(sq) >= 2 and len(words) == 1 and _initials(outlet) == sq and len(outlet.split()) > 1:
            return True  # an acronym of the outlet's words
        for key in _outlet_keys(outlet):
            if sq == key or (key in sq and len(sq) - len(key) < 5):
                return True
            if len(sq) >= 4 and sq in key:
                return True
            if len(words) > 1 and (first == key or _initials(name) == key):
                return True
        # A word of the outlet's name and an initial: a CMS account named after the site
        # ("Ilanga D" on Ilanga News).
        if (
            len(words) > 1
            and len(first) >= 4
            and first in {_squash(w) for w in outlet.split()}
            and all(len(_squash(w)) <= 2 for w in words[1:])
        ):
            return True
    return False


def _entry_pieces(entry: str) -> list[str]:
    """One credit line split into de-prefixed name candidates ("Von A und B, Ort")."""
    # Markup written into the text ("&lt;b&gt;Ann&lt;/b&gt; Bee" in a meta tag) is not
    # part of a name: it would otherwise be split at its "/" into two false names.
    entry = norm_space(_TAG.sub(" ", _CODE.sub(" ", entry)))
    if not entry or len(entry) > 200 or entry.lower().startswith(("http:", "https:", "www.")):
        return []
    entry = _PARENS.sub(" ", entry)
    entry = _PREFIX.sub("", entry).strip()
    entry = _ROLE_SUFFIX.sub("", entry).strip()
    out = []
    for piece in _SPLIT.split(entry):
        name = _PREFIX.sub("", piece).strip(" .,:;-–—|()[]\"'“”")
        name = _CJK_ROLE.sub("", name).strip()
        if (placed := _IN_PLACE.match(name)) and (
            _agency(placed["who"]) or _full_name(placed["who"])
        ):
            name = placed["who"]
        if name and not _SLUG.match(name):
            out.append(name)
    return out


def _person_like(name: str) -> bool:
    words = name.split()
    return 0 < len(words) <= 5 and len(name) >= 2 and not _NOT_NAME.search(name)


def _entry_people(pieces: list[str], outlets: tuple[str, ...]) -> list[str]:
    """Person names of one credit line (outlets, agencies and non-names dropped)."""
    if pieces and _is_outlet(pieces[0], outlets) and all(len(p.split()) == 1 for p in pieces[1:]):
        return []  # "hessenschau.de, Frankfurt, Germany": the outlet and its address
    names = [p for p in pieces if not _agency(p) and not _is_outlet(p, outlets)]
    names = [p for p in names if _person_like(p)]
    return names


def _full_name(name: str) -> bool:
    """Looks like "Given Family": two to four capitalised words (caseless scripts pass)."""
    words = name.split()
    if not 2 <= len(words) <= 4 or ":" in name or any(ch.isdigit() for ch in name):
        return False
    if name.isupper():
        return False  # "CYRIL ZINGARO": picture agencies credit photographers in capitals
    return all(not w[0].isalpha() or w[0].isupper() or not w[0].islower() for w in words)


def _dedupe(names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)


def clean_author_names(
    raw: list[str],
    site: str | None = None,
    publisher: str | None = None,
    *,
    strict: bool = False,
) -> tuple[str, ...]:
    """Split, de-prefix and filter author credits into a tuple of person names.

    Outlets and publishers are dropped. News-agency credits are kept as written, after
    the people ("Jane Doe, dpa": the story carries agency copy, which readers and the
    outlets' own credits state); ``strict`` keeps full personal names only.
    """
    outlets = tuple(x for x in (site, publisher) if x and not x.startswith("http"))
    people: list[str] = []
    agencies: list[str] = []
    for entry in raw:
        pieces = _entry_pieces(entry)
        agencies.extend(p for p in pieces if _agency(p))
        people.extend(_entry_people(pieces, outlets))
    if strict:
        return _dedupe([p for p in people if _full_name(p)])
    return _dedupe(people + agencies if people else agencies[:1])


# JSON-LD author lists are read to this entry at most (a hostile page can list millions).
_MAX_LD_AUTHORS = 50


def _ld_author_names(value: Any, orgs: list[str]) -> list[str]:
    out: list[str] = []
    items = value[:_MAX_LD_AUTHORS] if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            if not item.startswith("http"):
                out.append(item)
        elif isinstance(item, dict):
            kinds = jsonld.types_of(item)
            name = jsonld.as_text(item.get("name"))
            if not name:
                given, family = item.get("givenName"), item.get("familyName")
                if isinstance(given, str) and isinstance(family, str):
                    name = f"{given} {family}"
            if not name:
                continue
            if kinds & {"organization", "newsmediaorganization", "corporation"}:
                orgs.append(name)
            else:
                out.append(name)
    return out


_BYLINE_XPATH = (
    '//a[contains(@href, "/author/") or contains(@href, "/autor/") or contains(@href, "/authors/") '
    'or contains(@href, "/autoren/") or contains(@href, "/journalist/")] | '
    '//*[@rel="author"] | //*[@itemprop="author"] | '
    '//*[contains(concat(" ", normalize-space(@class), " "), " byline ") or '
    'contains(@class, "author-name") or contains(@class, "byline__name") or '
    'contains(@class, "author__name") or contains(@class, "byline-name") or '
    'contains(@class, "article-author") or contains(@class, "authorName")]'
)

# Second look when the usual byline markup is absent: any element whose class names an
# author or byline ("authorname", "authors__list-item", "wp-block-…-authorline"), except
# author boxes' bios, pictures and descriptions, and bylines of comments and of teaser
# cards for other stories.
_BYLINE_LOOSE_XPATH = (
    "//body//*[(contains(@class, 'author') or contains(@class, 'autor') or "
    "contains(@class, 'byline')) and not(contains(@class, 'bio')) and "
    "not(contains(@class, 'avatar')) and not(contains(@class, 'image')) and "
    "not(contains(@class, 'img')) and not(contains(@class, 'photo')) and "
    "not(contains(@class, 'desc')) and not(contains(@class, 'pic'))]"
)


def publisher_name(pm: PageMeta) -> str | None:
    return jsonld.as_text((pm.ld_article or {}).get("publisher"))


def authors(pm: PageMeta, tree: HtmlElement, site: str | None) -> tuple[str, ...]:
    art = pm.ld_article or {}
    orgs: list[str] = []
    publisher = publisher_name(pm)
    raw = _ld_author_names(art.get("author"), orgs)
    if not raw and not orgs:
        raw = _ld_author_names(art.get("creator"), orgs)
    found = clean_author_names(raw, site, publisher)
    if found:
        # An agency listed as an Organization author beside the people is a co-credit
        # ("Paula Steiger" + {"@type": "Organization", "name": "SDA"}).
        if not any(_agency(name) for name in found):
            found = _dedupe([*found, *(norm_space(o) for o in orgs if _agency(o))])
        return found
    meta_raw = [
        v
        for v in pm.all("author", "article:author", "parsely-author", "sailthru.author",
                        "dc.creator", "byl", "cxenseparse:author", "og:article:author",
                        "articleauthor")
        if not v.startswith("http")
    ]  # fmt: skip
    found = clean_author_names(meta_raw, site, publisher)
    if found:
        return found
    found = clean_author_names(_byline_texts(tree, _BYLINE_XPATH), site, publisher)
    if found:
        return found
    # The loose markup also matches comment authors, teasers' credits and labels: take the
    # first element that credits full names, and nothing else.
    for text in _byline_texts(tree, _BYLINE_LOOSE_XPATH, 12):
        found = clean_author_names([text], site, publisher, strict=True)
        if found:
            return found
    found = clean_author_names(_labelled_credits(tree), site, publisher, strict=True)
    if found:
        return found
    found = _names_for_emails(pm, tree, site, publisher)
    if found:
        return found
    return clean_author_names(orgs, site, publisher) if orgs and not publisher else ()


def author_credit(pm: PageMeta) -> str | None:
    """The credit the page's author metadata gives when it names no person: its JSON-LD
    author (an Organization, or a name that is no person's), else ``<meta name="author">``.
    Never the site name or publisher by inference: only what the page calls its author."""
    orgs: list[str] = []
    names = _ld_author_names((pm.ld_article or {}).get("author"), orgs)
    metas = [v for v in pm.all("author", "article:author") if not v.startswith("http")]
    for candidate in (*orgs, *names, *metas):
        credit = norm_space(candidate)
        if credit and len(credit) <= 100:
            return credit
    return None


_CREDIT_LABEL = re.compile(
    r"^(?:autor(?:in)?(?:\s*/\s*autor(?:in)?)?|autoren|author|authors|auteur|autore|autora|"
    r"written by|text)\s*:?$",
    re.I,
)


def _labelled_credits(tree: HtmlElement) -> list[str]:
    """Fact lists that label the writer: ``<li><strong>Autorin/Autor</strong> Name</li>``."""
    out: list[str] = []
    for label in tree.xpath("//body//strong | //body//b | //body//dt | //body//th"):
        if not _CREDIT_LABEL.match(text_of(label)) or _in_teaser(label):
            continue
        value = label.getnext()
        text = text_of(value) if value is not None and label.tag in ("dt", "th") else None
        if text is None:
            text = norm_space(label.tail)
        if text and len(text) < 80:
            out.append(text)
        if len(out) >= 3:
            break
    return out


_EMAIL = re.compile(r"^([\w.+-]+)@[\w-]+(?:\.[\w-]+)+$")


def _names_for_emails(
    pm: PageMeta, tree: HtmlElement, site: str | None, publisher: str | None
) -> tuple[str, ...]:
    """Some CMSs put the writer's e-mail in ``<meta name="author">``
    ("d.kuckelkorn@…"): find the short text on the page naming that person."""
    for value in pm.all("author", "article:author", "dc.creator"):
        match = _EMAIL.match(value)
        if not match:
            continue
        parts = [x for x in re.split(r"[._+-]", match.group(1).lower()) if x]
        if not parts or len(parts[-1]) < 4:
            continue
        text = _name_on_page(tree, parts[-1], parts[0][0] if len(parts) > 1 else "")
        found = clean_author_names([text], site, publisher, strict=True) if text else ()
        if found:
            return found
    return ()


def _name_on_page(tree: HtmlElement, family: str, initial: str) -> str | None:
    """A short text node reading "Given Family" for this family name and initial."""
    for node in tree.xpath("//body//text()[string-length(normalize-space()) < 60]"):
        words = str(node).split()
        lower = [w.lower() for w in words]
        if 2 <= len(words) <= 4 and lower[-1] == family and lower[0].startswith(initial):
            return " ".join(words)
    return None


_TEASER = re.compile(r"card|teaser|related|recirc|promo|comment", re.I)


def _in_teaser(el: HtmlElement) -> bool:
    """Inside a teaser card, related-stories box or comment: another story's credit."""
    return any(_TEASER.search(a.get("class") or "") for a in el.iterancestors())


def _byline_texts(tree: HtmlElement, xpath: str, limit: int = 6) -> list[str]:
    out: list[str] = []
    elements = [e for e in tree.xpath(xpath) if not _in_teaser(e)]
    for el in elements[:limit]:
        name_el = el.find('.//*[@itemprop="name"]')
        text = name_el.get("content") or text_of(name_el) if name_el is not None else text_of(el)
        if text and len(text) < 120:
            out.append(text)
    return out


# --------------------------------------------------------------------------- urls


def canonical_url(pm: PageMeta, url: str | None) -> str | None:
    for candidate in (pm.links.get("canonical", []) + pm.meta.get("og:url", []))[:4]:
        absolute = absolutize(candidate, url)
        if absolute and (url is None or same_site(absolute, url)):
            return strip_tracking(absolute)
    if url and url.lower().startswith(("http://", "https://")):
        return strip_tracking(url)
    return None


def image(pm: PageMeta, url: str | None) -> str | None:
    value = pm.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
                     "twitter:image:src", "thumbnail")  # fmt: skip
    if not value and pm.ld_article is not None:
        value = jsonld.as_text(pm.ld_article.get("image")) or jsonld.as_text(
            pm.ld_article.get("thumbnailUrl")
        )
    if not value:
        links = pm.links.get("image_src")
        value = links[0] if links else None
    return absolutize(value, url)
