"""Turn the sample catalog into outlet websites: HTML pages, feeds and images.

Everything here is a pure function of (catalog, outlet, path, base URL, now):
no sockets, no clocks, no sleeping. The server decides *when* to answer;
this module decides *what*. Each outlet gets its own markup on purpose, because
real publishing systems differ and the extractor has to cope with all of them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import quote, urlsplit

from newsdesk.sample.catalog import (
    ADDITIONAL_REPORTING,
    COOKIE_BUTTON,
    RECENT_HEADING,
    RELATED_HEADING,
    SHARE_HEADING,
    SIGNUP_HEADING,
    SIGNUP_TEXT,
    SOURCE_LABEL,
    Article,
    BrokenItem,
    Catalog,
    Feed,
    Outlet,
    is_quote,
    is_subheading,
    strip_subheading,
)

HTML = "text/html; charset=utf-8"
SVG = "image/svg+xml"
TRACKING_QUERY = "utm_source=rss&utm_medium=feed"
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}

# The "timeout" fault adds this item to the first outlet's main feed. Its page
# is rendered normally, but the server waits SLOW_SECONDS before any header.
TIMEOUT_FAULT = "timeout"
SLOW_ITEM_PATH = "/slow/overnight-briefing"
SLOW_SECONDS = 5.0
SLOW_TITLE = "Overnight briefing: what happened while you slept"


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    # Seconds the server must wait before sending anything (the timeout fault).
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class Site:
    """Everything a page needs to know about where and when it is served."""

    catalog: Catalog
    outlet: Outlet
    base_url: str
    now: datetime
    faults: frozenset[str] = frozenset()

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def articles(self) -> list[Article]:
        """The outlet's articles, newest first."""
        items = self.catalog.articles_for(self.outlet.slug)
        return sorted(items, key=lambda a: (a.age_hours, a.slug))

    def section_name(self, key: str) -> str:
        return self.catalog.section(key).name

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.outlet.tz)

    @property
    def has_slow_item(self) -> bool:
        return TIMEOUT_FAULT in self.faults and self.outlet == self.catalog.outlets[0]


# --------------------------------------------------------------------------
# Routing


def render(
    catalog: Catalog,
    outlet_slug: str,
    path: str,
    base_url: str,
    now: datetime,
    faults: frozenset[str] = frozenset(),
) -> Response:
    """Answer a GET for ``path`` (query string ignored) on one outlet's site."""
    site = Site(catalog, catalog.outlet(outlet_slug), base_url, now, faults)
    clean = urlsplit(path).path or "/"
    response = _route(site, clean)
    return response if response is not None else _html(404, not_found_page(site))


def _route(site: Site, path: str) -> Response | None:
    if path == "/":
        return _html(200, home_page(site))
    if path == "/robots.txt":
        return Response(200, "text/plain; charset=utf-8", b"User-agent: *\nAllow: /\n")
    if path.startswith("/img/") and path.endswith(".svg"):
        name = path.removeprefix("/img/").removesuffix(".svg")
        return Response(200, SVG, svg_image(name).encode())
    for feed in site.outlet.feeds:
        if path == feed.path:
            return render_feed(site, feed)
    for section in site.outlet.sections:
        if path == site.outlet.section_page_path(section.key):
            return _html(200, section_page(site, section.key))
    for article in site.articles:
        if path == article.path:
            return _html(200, article_page(site, article))
    for broken in site.outlet.broken_items:
        if path == broken.path:
            return broken_page(site, broken)
    if site.has_slow_item and path == SLOW_ITEM_PATH:
        return Response(200, HTML, slow_page(site).encode(), SLOW_SECONDS)
    return None


def _html(status: int, text: str) -> Response:
    return Response(status, HTML, text.encode("utf-8"))


# --------------------------------------------------------------------------
# Feeds


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, real article or deliberately broken one."""

    key: str
    title: str
    path: str
    summary: str
    label: str
    authors: list[str]
    published: datetime
    updated: datetime | None


def feed_items(site: Site, feed: Feed) -> list[FeedItem]:
    items = [_article_item(site, a) for a in site.articles]
    if feed.section_key is None:
        # Broken pages sit only in the main feed, like a real CMS glitch would.
        items += [_broken_item(site, b) for b in site.outlet.broken_items]
        if site.has_slow_item:
            items.append(_slow_item(site))
    else:
        wanted = site.outlet.section(feed.section_key).label
        items = [item for item in items if item.label == wanted]
    return sorted(items, key=lambda item: item.published, reverse=True)


def _article_item(site: Site, article: Article) -> FeedItem:
    return FeedItem(
        key=article.key,
        title=article.title,
        path=article.path,
        summary=article.summary,
        label=article.section_label,
        authors=article.author_names,
        published=site.local(article.published_at(site.now)),
        updated=_maybe_local(site, article.updated_at(site.now)),
    )


def _broken_item(site: Site, broken: BrokenItem) -> FeedItem:
    return FeedItem(
        key=f"{broken.outlet}/{broken.slug}",
        title=broken.title,
        path=broken.path,
        summary=broken.summary,
        label=site.outlet.section(broken.section_key).label,
        authors=[site.outlet.authors[0].name],
        published=site.local(broken.published_at(site.now)),
        updated=None,
    )


def _slow_item(site: Site) -> FeedItem:
    return FeedItem(
        key=f"{site.outlet.slug}/slow",
        title=SLOW_TITLE,
        path=SLOW_ITEM_PATH,
        summary="A round-up of overnight news.",
        label=site.outlet.sections[0].label,
        authors=[site.outlet.authors[0].name],
        published=site.local(site.now),
        updated=None,
    )


def _maybe_local(site: Site, moment: datetime | None) -> datetime | None:
    return site.local(moment) if moment else None


def item_link(site: Site, item: FeedItem, index: int) -> str:
    """Feed link for an item; some carry tracking parameters, as real feeds do."""
    url = site.url(item.path)
    mode = site.outlet.tracking_links
    tracked = mode == "all" or (mode == "some" and index % 3 == 1)
    return f"{url}?{TRACKING_QUERY}" if tracked else url


def item_guid(item: FeedItem) -> str:
    # Stable across restarts even though the port (and so the URL) changes.
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "newsdesk-sample:" + item.key))


def render_feed(site: Site, feed: Feed) -> Response:
    items = feed_items(site, feed)
    renderers = {"rss": rss_feed, "atom": atom_feed, "json": json_feed}
    text = renderers[feed.kind](site, feed, items)
    return Response(200, FEED_TYPES[feed.kind], text.encode("utf-8"))


def rss_feed(site: Site, feed: Feed, items: list[FeedItem]) -> str:
    outlet = site.outlet
    entries = "".join(_rss_item(site, item, i) for i, item in enumerate(items))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{escape(feed.title)}</title>\n"
        f"<link>{escape(site.url('/'))}</link>\n"
        f"<description>{escape(outlet.tagline)}</description>\n"
        "<language>en</language>\n"
        f"<lastBuildDate>{format_datetime(site.local(site.now))}</lastBuildDate>\n"
        f'<atom:link href="{escape(site.url(feed.path))}" rel="self" '
        'type="application/rss+xml"/>\n'
        f"{entries}</channel>\n</rss>\n"
    )


def _rss_item(site: Site, item: FeedItem, index: int) -> str:
    # Two RSS dialects: the Herald lists each author separately with an opaque
    # guid; the Post joins them in one creator and uses the URL as guid.
    if site.outlet.tracking_links == "all":
        guid = f'<guid isPermaLink="true">{escape(site.url(item.path))}</guid>'
        creators = f"<dc:creator>{escape(_join(item.authors))}</dc:creator>"
    else:
        guid = f'<guid isPermaLink="false">{item_guid(item)}</guid>'
        creators = "".join(f"<dc:creator>{escape(n)}</dc:creator>" for n in item.authors)
    return (
        "<item>\n"
        f"<title>{escape(item.title)}</title>\n"
        f"<link>{escape(item_link(site, item, index))}</link>\n"
        f"{guid}\n"
        f"<pubDate>{format_datetime(item.published)}</pubDate>\n"
        f"{creators}\n"
        f"<category>{escape(item.label)}</category>\n"
        f"<description>{escape(item.summary)}</description>\n"
        "</item>\n"
    )


def atom_feed(site: Site, feed: Feed, items: list[FeedItem]) -> str:
    entries = "".join(_atom_entry(site, item, i) for i, item in enumerate(items))
    updated = max((i.updated or i.published for i in items), default=site.local(site.now))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        f"<title>{escape(feed.title)}</title>\n"
        f"<subtitle>{escape(site.outlet.tagline)}</subtitle>\n"
        f'<link rel="alternate" type="text/html" href="{escape(site.url("/"))}"/>\n'
        f'<link rel="self" type="application/atom+xml" href="{escape(site.url(feed.path))}"/>\n'
        f"<id>urn:newsdesk-sample:{site.outlet.slug}</id>\n"
        f"<updated>{_iso(updated)}</updated>\n"
        f"{entries}</feed>\n"
    )


def _atom_entry(site: Site, item: FeedItem, index: int) -> str:
    authors = "".join(f"<author><name>{escape(n)}</name></author>" for n in item.authors)
    return (
        "<entry>\n"
        f"<title>{escape(item.title)}</title>\n"
        f'<link rel="alternate" type="text/html" href="{escape(item_link(site, item, index))}"/>\n'
        f"<id>{item_guid(item)}</id>\n"
        f"<published>{_iso(item.published)}</published>\n"
        f"<updated>{_iso(item.updated or item.published)}</updated>\n"
        f"{authors}\n"
        f'<category term="{escape(item.label)}" label="{escape(item.label)}"/>\n'
        f'<summary type="text">{escape(item.summary)}</summary>\n'
        "</entry>\n"
    )


def json_feed(site: Site, feed: Feed, items: list[FeedItem]) -> str:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "description": site.outlet.tagline,
        "home_page_url": site.url("/"),
        "feed_url": site.url(feed.path),
        "language": "en",
        "items": [_json_item(site, item, i) for i, item in enumerate(items)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_item(site: Site, item: FeedItem, index: int) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": item_guid(item),
        "url": item_link(site, item, index),
        "title": item.title,
        "summary": item.summary,
        "content_text": item.summary,
        "date_published": _iso(item.published),
        "authors": [{"name": n} for n in item.authors],
        "tags": [item.label],
    }
    if item.updated:
        entry["date_modified"] = _iso(item.updated)
    return entry


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------
# Shared page pieces. Each takes class names from the layout so the four
# outlets really do look like four different publishing systems.


@dataclass(frozen=True)
class Skin:
    """Class names and small structural choices of one outlet's templates."""

    body: str
    cookie: str
    header: str
    nav: str
    share: str
    signup: str
    author_box: str
    recent: str
    related: str
    footer: str
    teaser_list: str
    quotes_as_blockquote: bool
    absolute_links: bool


SKINS = {
    "herald": Skin(
        body="herald",
        cookie="cc-banner",
        header="masthead",
        nav="primary-nav",
        share="share-tools",
        signup="newsletter-promo",
        author_box="author-profile",
        recent="recent-posts",
        related="related-stories",
        footer="site-footer",
        teaser_list="story-list",
        quotes_as_blockquote=False,
        absolute_links=True,
    ),
    "courier": Skin(
        body="cr-page",
        cookie="consent-overlay",
        header="cr-top",
        nav="cr-menu",
        share="cr-social",
        signup="nl-box",
        author_box="contributors",
        recent="cr-latest",
        related="cr-more",
        footer="cr-bottom",
        teaser_list="cr-teasers",
        quotes_as_blockquote=True,
        absolute_links=False,
    ),
    "ledger": Skin(
        body="single single-post",
        cookie="gdpr-notice",
        header="site-header",
        nav="main-navigation",
        share="sharedaddy sd-sharing",
        signup="wp-block-newsletter",
        author_box="author-bio",
        recent="widget widget_recent_entries",
        related="jp-relatedposts",
        footer="colophon",
        teaser_list="post-list",
        quotes_as_blockquote=True,
        absolute_links=False,
    ),
    "post": Skin(
        body="node-type-article",
        cookie="eu-cookie-compliance",
        header="header",
        nav="menu-main",
        share="service-links",
        signup="block-signup",
        author_box="field-author-bio",
        recent="block-recent",
        related="block-related",
        footer="footer",
        teaser_list="view-content",
        quotes_as_blockquote=False,
        absolute_links=False,
    ),
}


def skin_of(site: Site) -> Skin:
    return SKINS[site.outlet.layout]


def href(site: Site, path: str) -> str:
    return escape(site.url(path) if skin_of(site).absolute_links else path)


def section_href(site: Site, key: str) -> str:
    return href(site, site.outlet.section_page_path(key))


def head(site: Site, title: str, extra: str = "") -> str:
    outlet = site.outlet
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="alternate" type="{FEED_TYPES[outlet.feeds[0].kind].split(";")[0]}" '
        f'title="{escape(outlet.feeds[0].title)}" '
        f'href="{escape(site.url(outlet.feeds[0].path))}">\n'
        f'<link rel="stylesheet" href="/static/{outlet.layout}.css">\n'
        f"{extra}</head>\n"
    )


def cookie_banner(site: Site) -> str:
    cls = skin_of(site).cookie
    return (
        f'<div class="{cls}" role="dialog" aria-label="Cookie consent">'
        f"<p>{escape(site.outlet.cookie_text)}</p>"
        f'<button type="button" class="{cls}__accept">{COOKIE_BUTTON}</button>'
        f'<button type="button" class="{cls}__settings">Manage settings</button></div>\n'
    )


def site_header(site: Site) -> str:
    skin = skin_of(site)
    links = "".join(
        f'<li><a href="{section_href(site, s.key)}">{escape(s.label)}</a></li>'
        for s in site.outlet.sections
    )
    return (
        f'<header class="{skin.header}"><a class="logo" href="{href(site, "/")}">'
        f"{escape(site.outlet.name)}</a>"
        f'<p class="tagline">{escape(site.outlet.tagline)}</p>'
        f'<nav class="{skin.nav}"><ul><li><a href="{href(site, "/")}">Home</a></li>{links}'
        '<li><a href="/subscribe">Subscribe</a></li></ul></nav></header>\n'
    )


def share_bar(site: Site, article: Article) -> str:
    url = quote(site.url(article.path), safe="")
    title = quote(article.title, safe="")
    targets = [
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
        ("X", f"https://x.com/intent/post?url={url}&text={title}"),
        ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={url}"),
        ("Email", f"mailto:?subject={title}&body={url}"),
    ]
    links = "".join(
        f'<li><a class="share-{name.lower()}" href="{escape(link)}">{name}</a></li>'
        for name, link in targets
    )
    return f'<div class="{skin_of(site).share}"><h4>{SHARE_HEADING}</h4><ul>{links}</ul></div>\n'


def signup_box(site: Site, section_key: str) -> str:
    name = escape(site.section_name(section_key))
    return (
        f'<div class="{skin_of(site).signup}">'
        f"<h3>{SIGNUP_HEADING.format(section=name)}</h3>"
        f"<p>{SIGNUP_TEXT.format(section=name)}</p>"
        '<form action="/newsletter/subscribe" method="post">'
        '<label for="nl-email">Email address</label>'
        '<input id="nl-email" type="email" name="email" placeholder="you@example.com">'
        f'<input type="hidden" name="list" value="{escape(section_key)}">'
        '<button type="submit">Sign up</button></form></div>\n'
    )


def author_box(site: Site, article: Article) -> str:
    cards = "".join(
        f'<div class="author-card"><h4 class="author-name">{escape(a.name)}</h4>'
        f'<p class="author-description">{escape(a.bio)}</p></div>'
        for a in article.authors
    )
    return f'<aside class="{skin_of(site).author_box}">{cards}</aside>\n'


def teaser_links(site: Site, articles: Iterable[Article], cls: str, heading: str) -> str:
    items = "".join(
        f'<li><a href="{href(site, a.path)}">{escape(a.title)}</a>'
        f'<span class="snippet">{escape(a.lead)}</span></li>'
        for a in articles
    )
    return f'<section class="{cls}"><h3>{heading}</h3><ul>{items}</ul></section>\n'


def recent_posts(site: Site, article: Article) -> str:
    others = [a for a in site.articles if a != article][:5]
    return teaser_links(site, others, skin_of(site).recent, RECENT_HEADING)


def related_articles(site: Site, article: Article) -> str:
    others = [a for a in site.articles if a != article]
    same = [a for a in others if a.section_key == article.section_key]
    # Thin sections are topped up with other stories, as real widgets do.
    picks = (same + [a for a in others if a not in same])[:3]
    return teaser_links(site, picks, skin_of(site).related, RELATED_HEADING)


def source_line(site: Site, article: Article) -> str:
    url = escape(site.url(article.path))
    return f'<p class="source-link">{SOURCE_LABEL}: <a href="{url}">{url}</a></p>\n'


def site_footer(site: Site) -> str:
    year = site.local(site.now).year
    return (
        f'<footer class="{skin_of(site).footer}">'
        f"<p>&copy; {year} {escape(site.outlet.footer_text)}</p>"
        '<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy</a></li>'
        '<li><a href="/contact">Contact</a></li></ul></footer>\n'
    )


def figure(site: Site, article: Article) -> str:
    if not article.image:
        return ""
    caption = escape(article.image_caption or article.title)
    return (
        f'<figure class="article-image"><img src="{escape(article.image)}" alt="{caption}" '
        f'width="640" height="360"><figcaption>{caption}</figcaption></figure>\n'
    )


def time_element(site: Site, moment: datetime, cls: str = "published") -> str:
    local = site.local(moment)
    label = local.strftime("%d %B %Y, %H:%M").lstrip("0")
    return f'<time class="{cls}" datetime="{_iso(local)}">{label}</time>'


def byline(site: Site, article: Article) -> str:
    names = [
        f'<a rel="author" href="/author/{a.key}">{escape(a.name)}</a>' for a in article.authors
    ]
    return "By " + _join(names)


def body_blocks(site: Site, article: Article) -> list[str]:
    """The article body as HTML blocks, one per paragraph or subheading."""
    blockquotes = skin_of(site).quotes_as_blockquote
    blocks = []
    for paragraph in article.paragraphs:
        text = escape(strip_subheading(paragraph), quote=False)
        if is_subheading(paragraph):
            blocks.append(f"<h2>{text}</h2>")
        elif blockquotes and is_quote(paragraph):
            blocks.append(f"<blockquote><p>{text}</p></blockquote>")
        else:
            blocks.append(f"<p>{text}</p>")
    if article.additional_reporting:
        line = ADDITIONAL_REPORTING.format(name=escape(article.additional_reporting))
        blocks.append(f'<p class="additional-reporting"><em>{line}</em></p>')
    return blocks


# --------------------------------------------------------------------------
# Article pages


def article_meta(site: Site, article: Article) -> str:
    outlet = site.outlet
    url = escape(site.url(article.path))
    image = escape(site.url(article.image or f"/img/{outlet.slug}-logo.svg"))
    tags = [
        f'<link rel="canonical" href="{url}">',
        f'<meta name="description" content="{escape(article.summary)}">',
        f'<meta name="author" content="{escape(", ".join(article.author_names))}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{escape(article.title)}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:image" content="{image}">',
        f'<meta property="og:site_name" content="{escape(outlet.name)}">',
        f'<meta property="og:description" content="{escape(article.summary)}">',
        f'<meta property="article:published_time" content="{_published(site, article)}">',
        f'<meta property="article:section" content="{escape(article.section_label)}">',
    ]
    updated = article.updated_at(site.now)
    if updated:
        tags.append(
            f'<meta property="article:modified_time" content="{_iso(site.local(updated))}">'
        )
    if outlet.json_ld:
        tags.append(json_ld(site, article))
    return "\n".join(tags) + "\n"


def _published(site: Site, article: Article) -> str:
    return _iso(site.local(article.published_at(site.now)))


def json_ld(site: Site, article: Article) -> str:
    updated = article.updated_at(site.now)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "articleSection": article.section_label,
        "author": [{"@type": "Person", "name": n} for n in article.author_names],
        "datePublished": _published(site, article),
        "dateModified": _iso(site.local(updated)) if updated else _published(site, article),
        "mainEntityOfPage": site.url(article.path),
        "image": [site.url(article.image or f"/img/{site.outlet.slug}-logo.svg")],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": site.outlet.name,
            "logo": {"@type": "ImageObject", "url": site.url(f"/img/{site.outlet.slug}-logo.svg")},
        },
    }
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def article_page(site: Site, article: Article) -> str:
    layouts = {
        "herald": _herald_article,
        "courier": _courier_article,
        "ledger": _ledger_article,
        "post": _post_article,
    }
    inner = layouts[site.outlet.layout](site, article)
    title = f"{article.title} | {site.outlet.name}"
    return (
        head(site, title, article_meta(site, article))
        + f'<body class="{skin_of(site).body}">\n'
        + inner
        + "</body>\n</html>\n"
    )


def _dates(site: Site, article: Article) -> str:
    text = time_element(site, article.published_at(site.now))
    updated = article.updated_at(site.now)
    if updated:
        text += ' <span class="updated">Updated ' + time_element(site, updated, "modified")
        text += "</span>"
    return text


def _herald_article(site: Site, article: Article) -> str:
    # Broadsheet layout: body in its own div, furniture after it and in a sidebar.
    body = "\n".join(body_blocks(site, article))
    return (
        cookie_banner(site)
        + site_header(site)
        + '<main id="content" class="layout-two-col">\n<article class="story">\n'
        + '<header class="story-header">'
        + f'<p class="kicker"><a href="{section_href(site, article.section_key)}">'
        + f"{escape(article.section_label)}</a></p>"
        + f'<h1 class="headline">{escape(article.title)}</h1>'
        + f'<div class="byline">{byline(site, article)} {_dates(site, article)}</div></header>\n'
        + figure(site, article)
        + f'<div class="story-body">\n{body}\n</div>\n'
        + share_bar(site, article)
        + author_box(site, article)
        + source_line(site, article)
        + "</article>\n"
        + '<aside class="sidebar">\n'
        + signup_box(site, article.section_key)
        + recent_posts(site, article)
        + related_articles(site, article)
        + "</aside>\n</main>\n"
        + site_footer(site)
    )


def _courier_article(site: Site, article: Article) -> str:
    # Tabloid-ish layout: meta above the title, furniture stacked under the
    # body, and the consent overlay injected at the end of the document.
    body = "\n".join(body_blocks(site, article))
    return (
        site_header(site)
        + '<div class="page"><div class="art-wrap">\n'
        + f'<div class="art-meta"><span class="art-section">{escape(article.section_label)}</span> '
        + f"{_dates(site, article)}</div>\n"
        + f'<h1 class="art-title">{escape(article.title)}</h1>\n'
        + f'<p class="art-byline">{byline(site, article)}</p>\n'
        + figure(site, article)
        + f'<section class="art-content" itemprop="articleBody">\n{body}\n</section>\n'
        + signup_box(site, article.section_key)
        + share_bar(site, article)
        + author_box(site, article)
        + f'<div class="art-source">{source_line(site, article)}</div>'
        + "</div>\n"
        + '<div class="cr-rail">'
        + recent_posts(site, article)
        + related_articles(site, article)
        + "</div></div>\n"
        + site_footer(site)
        + cookie_banner(site)
    )


def _ledger_article(site: Site, article: Article) -> str:
    # Blog-engine layout: the share bar and the sign-up box are injected
    # between body paragraphs, inside the content container, as plugins do.
    blocks = body_blocks(site, article)
    cut = min(2, len(blocks))
    content = (
        "\n".join(blocks[:cut])
        + "\n"
        + share_bar(site, article)
        + signup_box(site, article.section_key)
        + "\n".join(blocks[cut:])
        + "\n"
        + source_line(site, article)
    )
    return (
        cookie_banner(site)
        + '<div id="page" class="site">\n'
        + site_header(site)
        + '<div id="primary" class="content-area"><main id="main" class="site-main">\n'
        + '<article class="post type-post status-publish hentry">\n'
        + '<header class="entry-header">'
        + f'<span class="cat-links">{escape(article.section_label)}</span>'
        + f'<h1 class="entry-title">{escape(article.title)}</h1>'
        + f'<div class="entry-meta">{byline(site, article)} &middot; {_dates(site, article)}</div>'
        + "</header>\n"
        + figure(site, article)
        + f'<div class="entry-content">\n{content}</div>\n'
        + author_box(site, article)
        + related_articles(site, article)
        + "</article>\n</main></div>\n"
        + '<aside id="secondary" class="widget-area">'
        + recent_posts(site, article)
        + "</aside>\n</div>\n"
        + site_footer(site)
    )


def _post_article(site: Site, article: Article) -> str:
    # Old community-CMS layout: nested node divs, author bio and related
    # links inside the node, recent posts in a sidebar block region.
    body = "\n".join(body_blocks(site, article))
    return (
        '<div id="wrapper">\n'
        + cookie_banner(site)
        + site_header(site)
        + '<div id="main"><div id="content-column">\n'
        + f'<div class="node node-article" id="node-{_node_id(article)}">\n'
        + f'<h1 class="title">{escape(article.title)}</h1>\n'
        + f'<div class="submitted">{byline(site, article)} in '
        + f'<a href="{section_href(site, article.section_key)}">'
        + f"{escape(article.section_label)}</a> &mdash; {_dates(site, article)}</div>\n"
        + figure(site, article)
        + f'<div class="field field-name-body"><div class="field-item">\n{body}\n</div></div>\n'
        + author_box(site, article)
        + share_bar(site, article)
        + related_articles(site, article)
        + source_line(site, article)
        + "</div>\n</div>\n"
        + '<div id="sidebar-right">'
        + signup_box(site, article.section_key)
        + recent_posts(site, article)
        + "</div></div>\n"
        + site_footer(site)
        + "</div>\n"
    )


# --------------------------------------------------------------------------
# Listing pages


def _node_id(article: Article) -> int:
    # A stable fake database id; hash() is salted per process.
    return 10000 + int(hashlib.sha1(article.slug.encode()).hexdigest()[:6], 16) % 90000


def _listing(site: Site, title: str, heading: str, articles: list[Article]) -> str:
    skin = skin_of(site)
    items = "".join(
        f'<li class="teaser"><h2><a href="{href(site, a.path)}">{escape(a.title)}</a></h2>'
        f'<p class="teaser-text">{escape(a.summary)}</p>'
        f'<p class="teaser-meta">{escape(a.byline)} &middot; '
        f"{time_element(site, a.published_at(site.now))}</p></li>"
        for a in articles
    )
    return (
        head(site, title)
        + f'<body class="{skin.body} listing">\n'
        + cookie_banner(site)
        + site_header(site)
        + f'<main><h1 class="listing-title">{escape(heading)}</h1>'
        + f'<ul class="{skin.teaser_list}">{items}</ul></main>\n'
        + site_footer(site)
        + "</body>\n</html>\n"
    )


def home_page(site: Site) -> str:
    return _listing(
        site, f"{site.outlet.name}: {site.outlet.tagline}", "Latest news", site.articles
    )


def section_page(site: Site, key: str) -> str:
    label = site.outlet.section(key).label
    articles = [a for a in site.articles if a.section_key == key]
    return _listing(site, f"{label} | {site.outlet.name}", label, articles)


def not_found_page(site: Site) -> str:
    return (
        head(site, f"Page not found | {site.outlet.name}")
        + "<body><h1>Page not found</h1><p>Sorry, we could not find that page.</p></body></html>\n"
    )


def slow_page(site: Site) -> str:
    return (
        head(site, f"{SLOW_TITLE} | {site.outlet.name}")
        + f"<body><h1>{SLOW_TITLE}</h1><p>Nothing much happened overnight.</p></body></html>\n"
    )


# --------------------------------------------------------------------------
# Deliberately broken pages


def broken_page(site: Site, broken: BrokenItem) -> Response:
    if broken.kind == "http-500":
        body = (
            b"<html><body><h1>500 Internal Server Error</h1><p>upstream timed out</p></body></html>"
        )
        return Response(500, HTML, body)
    return Response(200, HTML, malformed_html(site, broken))


def malformed_html(site: Site, broken: BrokenItem) -> bytes:
    """A page as a crashed CMS might emit it: bad bytes, then cut off mid-tag."""
    start = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(broken.title)} | {escape(site.outlet.name)}</title></head>"
        f'<body><div class="story"><h1>{escape(broken.title)}</h1>'
        f"<p>{escape(broken.summary)} The operator said passengers "
    ).encode()
    # \xff\xfe is a stray byte-order mark, \xc3\x28 an invalid UTF-8 pair and
    # \x00 a NUL; the page then stops in the middle of an attribute.
    cut_link = f'ails <a href="{broken.path[: len(broken.path) // 2]}'.encode()
    return start + b"\xff\xfe would be \xc3\x28 informed\x00 by text</p><p>Further det" + cut_link


# --------------------------------------------------------------------------
# Images


def svg_image(name: str) -> str:
    """A small deterministic illustration, different for each name."""
    digest = hashlib.sha256(name.encode()).digest()
    sky = _colour(80 + digest[0] % 120, 120 + digest[1] % 100, 160 + digest[2] % 90)
    land = _colour(40 + digest[3] % 80, 90 + digest[4] % 100, 50 + digest[5] % 60)
    sun_x = 80 + digest[6] % 480
    hill = 180 + digest[7] % 80
    label = escape(name.replace("-", " "))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360">'
        f'<rect width="640" height="360" fill="{sky}"/>'
        f'<circle cx="{sun_x}" cy="80" r="36" fill="#f6e27a"/>'
        f'<path d="M0 {hill} Q160 {hill - 70} 320 {hill} T640 {hill} V360 H0 Z" fill="{land}"/>'
        '<text x="20" y="340" font-family="sans-serif" font-size="18" fill="#ffffff">'
        f"{label}</text>"
        "</svg>\n"
    )


def _colour(red: int, green: int, blue: int) -> str:
    return f"#{red:02x}{green:02x}{blue:02x}"
