"""Bounce reports by email (RFC 3464 DSN, RFC 5965 ARF) and the processbounces command."""

from __future__ import annotations

import io
import mailbox
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from newsdesk.digests.bounces import parse_report
from newsdesk.digests.models import EmailEvent, Suppression
from newsdesk.digests.suppress import Kind

DATA = Path(__file__).parent / "data" / "dsn"


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_it_reads_a_postfix_hard_bounce() -> None:
    (outcome,) = parse_report(raw("postfix-user-unknown.eml"))
    assert outcome.email == "gone.reader@mail.example"
    assert outcome.kind == Kind.BOUNCE and outcome.status == "5.1.1"
    assert "User unknown in virtual mailbox table" in outcome.diagnostic  # unfolded
    assert outcome.message_id == "<digest.0f3a9c1d2b4e5f60.42@newsdesk.localhost>"
    assert outcome.source == "dsn"


def test_it_reads_a_delay_warning_as_temporary() -> None:
    (outcome,) = parse_report(raw("exim-delayed.eml"))
    assert (outcome.email, outcome.kind, outcome.status) == (
        "busy.reader@slow.example",
        Kind.SOFT_BOUNCE,
        "4.2.2",
    )
    assert outcome.message_id == "<digest.aa11bb22cc33dd44.77@newsdesk.localhost>"


def test_it_reads_every_recipient_and_treats_a_full_mailbox_as_temporary() -> None:
    unknown, full = parse_report(raw("two-recipients.eml"))
    assert (unknown.email, unknown.kind) == ("no.such.desk@corp.example", Kind.BOUNCE)
    # 5.2.2 "mailbox full" is a failure today but not a dead address.
    assert (full.email, full.kind, full.status) == ("full.inbox@corp.example", Kind.SOFT_BOUNCE,
                                                    "5.2.2")  # fmt: skip
    assert unknown.message_id == "<alert.5c5c5c5c.9@newsdesk.localhost>"


def test_it_reads_an_abuse_report_as_a_complaint() -> None:
    (outcome,) = parse_report(raw("arf-complaint.eml"))
    assert (outcome.email, outcome.kind) == ("annoyed@mailprovider.example", Kind.COMPLAINT)
    assert outcome.message_id == "<digest.99887766aabbccdd.1201@newsdesk.localhost>"
    assert outcome.source == "arf"


RELAYED = b"""From: MAILER-DAEMON@relay.newsdesk.example
To: digest@newsdesk.localhost
Subject: Successful Mail Delivery Report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message was successfully delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.newsdesk.example

Final-Recipient: rfc822; ann@example.com
Action: relayed
Status: 2.0.0

--b--
"""


@pytest.mark.django_db
def test_it_reads_success_notices_but_records_nothing(tmp_path: Path) -> None:
    (outcome,) = parse_report(RELAYED)
    assert (outcome.email, outcome.kind) == ("ann@example.com", Kind.DELIVERED)
    (tmp_path / "ok.eml").write_bytes(RELAYED)
    call_command("processbounces", str(tmp_path / "ok.eml"), stdout=io.StringIO())
    assert not EmailEvent.objects.exists() and not Suppression.objects.exists()


def test_it_ignores_mail_that_is_not_a_report() -> None:
    assert parse_report(raw("vacation-reply.eml")) == []
    assert parse_report(b"not an email at all") == []


@pytest.mark.django_db
def test_it_processes_files_and_stdin(monkeypatch: Any) -> None:
    out = io.StringIO()
    call_command(
        "processbounces",
        str(DATA / "postfix-user-unknown.eml"),
        str(DATA / "exim-delayed.eml"),
        str(DATA / "vacation-reply.eml"),
        stdout=out,
    )
    assert "2 reports, 2 events, 1 addresses suppressed" in out.getvalue()
    assert list(Suppression.objects.values_list("email", "reason", "source")) == [
        ("gone.reader@mail.example", "hard_bounce", "dsn")
    ]
    assert EmailEvent.objects.get(email="busy.reader@slow.example").kind == Kind.SOFT_BOUNCE

    stdin = io.TextIOWrapper(io.BytesIO(raw("arf-complaint.eml")))
    monkeypatch.setattr("sys.stdin", stdin)
    call_command("processbounces", "-", stdout=io.StringIO())
    assert Suppression.objects.get(email="annoyed@mailprovider.example").reason == "complaint"


@pytest.mark.django_db
def test_it_processes_a_maildir_once(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for name in ("two-recipients.eml", "vacation-reply.eml"):
        box.add(raw(name))
    out = io.StringIO()
    call_command("processbounces", "--maildir", str(tmp_path / "bounces"), stdout=out)
    assert "1 reports, 2 events, 1 addresses suppressed" in out.getvalue()
    assert list(Suppression.objects.values_list("email", flat=True)) == [
        "no.such.desk@corp.example"
    ]
    assert not list((tmp_path / "bounces" / "new").iterdir())  # moved to cur/, seen
    out = io.StringIO()
    call_command("processbounces", "--maildir", str(tmp_path / "bounces"), stdout=out)
    assert "0 reports" in out.getvalue() and EmailEvent.objects.count() == 2


@pytest.mark.django_db
def test_a_hostile_report_does_not_stop_the_maildir_run(tmp_path: Path) -> None:
    # Anyone can send the bounce mailbox a "report": one naming a 300-character address,
    # or with a NUL in its diagnostic, must not stop the run (and so block the mailbox).
    postfix = raw("postfix-user-unknown.eml")
    long_address = postfix.replace(b"gone.reader@mail.example", b"x" * 300 + b"@mail.example")
    nul_diagnostic = postfix.replace(b"User unknown in", b"User\x00unknown in")
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for message in (long_address, nul_diagnostic, raw("two-recipients.eml")):
        box.add(message)
    out = io.StringIO()
    call_command("processbounces", "--maildir", str(tmp_path / "bounces"), stdout=out)
    assert "3 reports, 3 events, 2 addresses suppressed" in out.getvalue()
    assert sorted(Suppression.objects.values_list("email", flat=True)) == [
        "gone.reader@mail.example",
        "no.such.desk@corp.example",
    ]
    assert "\x00" not in EmailEvent.objects.get(email="gone.reader@mail.example").diagnostic
    assert not list((tmp_path / "bounces" / "new").iterdir())


def test_it_refuses_a_folder_that_is_not_a_maildir(tmp_path: Path) -> None:
    shutil.copy(DATA / "arf-complaint.eml", tmp_path)
    with pytest.raises(CommandError, match="not a maildir"):
        call_command("processbounces", "--maildir", str(tmp_path))
