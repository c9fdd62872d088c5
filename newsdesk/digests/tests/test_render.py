from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from django.core.mail import BadHeaderError, EmailMessage

from newsdesk.digests.compose import compose_for_reader
from newsdesk.digests.render import digest_email, subject_topics
from newsdesk.digests.tests.helpers import make_article, make_reader, make_topic

pytestmark = pytest.mark.django_db
UTC = dt.UTC
END = dt.datetime(2026, 6, 2, 7, tzinfo=UTC)
START = END - dt.timedelta(days=1)


def parse(message: EmailMessage) -> email.message.EmailMessage:
    raw = message.message().as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_it_says_what_is_inside_in_the_subject() -> None:
    assert subject_topics(["A"]) == "A"
    assert subject_topics(["A", "B"]) == "A and B"
    assert subject_topics(["Valdorian politics", "Business", "Tech"]) == (
        "Valdorian politics, Business and 1 more"
    )


def test_it_builds_a_multipart_message_with_list_headers() -> None:
    topics = [make_topic("Valdorian politics"), make_topic("Business"), make_topic("Tech")]
    for i, topic in enumerate(topics):
        make_article(
            [topic], f"Story number {i} about {topic.name}", END - dt.timedelta(hours=i + 1)
        )
    reader = make_reader(topics=topics)
    digest = compose_for_reader(reader.pk, START, END)
    assert digest is not None
    parsed = parse(
        digest_email(digest, reader_id=reader.pk, reader_name="Ann", reader_email=reader.email)
    )
    assert (
        parsed["Subject"]
        == "Your Newsdesk digest: 3 stories on Valdorian politics, Business and 1 more"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [p.strip(" <>") for p in parsed["List-Unsubscribe"].split(",")]
    assert https.startswith("http") and "/unsubscribe/" in https
    assert mailto.startswith("mailto:unsubscribe@")
    assert parsed["List-Id"].endswith(">") and parsed["Message-ID"]
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert 'style="' in html and "<style>" not in html  # CSS inlined
    assert "max-width: 600px" in html


def test_it_folds_newlines_in_topic_and_reader_names_instead_of_crashing() -> None:
    evil = make_topic("Evil\r\nBcc: victim@example.com", slug="evil")
    make_article([evil], "A story", END - dt.timedelta(hours=1))
    reader = make_reader(name="Mallory\nCc: other@example.com", topics=[evil])
    # Django alone would refuse the raw names:
    with pytest.raises(BadHeaderError):
        EmailMessage(subject="x\nBcc: y", to=["a@example.com"]).message()
    digest = compose_for_reader(reader.pk, START, END)
    assert digest is not None
    parsed = parse(
        digest_email(
            digest, reader_id=reader.pk, reader_name=reader.name, reader_email=reader.email
        )
    )
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert parsed["Subject"] == "Your Newsdesk digest: 1 story on Evil Bcc: victim@example.com"
    assert parsed["To"].addresses[0].addr_spec == reader.email
    assert "\n" not in parsed["To"].addresses[0].display_name


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)//", "data:text/html,<b>x</b>"])
def test_it_links_no_source_whose_url_is_not_http(url: str) -> None:
    topic = make_topic("Tech")
    article = make_article([topic], "A story", END - dt.timedelta(hours=1))
    type(article).objects.filter(pk=article.pk).update(url=url)
    reader = make_reader(topics=[topic])
    digest = compose_for_reader(reader.pk, START, END)
    assert digest is not None
    parsed = parse(
        digest_email(digest, reader_id=reader.pk, reader_name="Ann", reader_email=reader.email)
    )
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert url.split(":")[0] + ":" not in html + text
    assert "A story" in html and "Read: http" in text
