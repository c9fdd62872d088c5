"""``{% follow_topic author as topic %}``: the topic a follow button on an author or source
page posts to (see accounts/followable.py); no query and nothing created by a page view."""

from __future__ import annotations

from django import template

from newsdesk.accounts.followable import followable
from newsdesk.articles.models import Author
from newsdesk.sources.models import Outlet
from newsdesk.topics.models import Topic

register = template.Library()


@register.simple_tag
def follow_topic(target: Author | Outlet) -> Topic:
    return followable(target)
