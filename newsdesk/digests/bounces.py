"""Read bounce and complaint reports that come back by email.

Two standard formats, both ``multipart/report`` parsed with the email package:

- RFC 3464 delivery status notifications (``report-type=delivery-status``): one
  ``message/delivery-status`` part holding a per-message block and one block per
  recipient (Final-Recipient, Action, Status, Diagnostic-Code). RFC 6533's
  ``message/global-delivery-status`` is read the same way.
- RFC 5965 abuse reports (``report-type=feedback-report``, the ARF mailbox providers send
  when a reader presses "spam"): a ``message/feedback-report`` part with Feedback-Type
  and Original-Rcpt-To.

Each recipient becomes a suppress.Outcome; ``suppress.record`` decides what it means
(RFC 3463: 5.x.x permanent, 4.x.x temporary). Anything else (auto-replies, vacation
notices, mail that merely quotes a bounce) yields nothing.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
from collections.abc import Iterator
from email.message import Message
from email.parser import HeaderParser

from newsdesk.digests.suppress import Kind, Outcome, enhanced_status, is_permanent

SOURCE_DSN = "dsn"
SOURCE_ARF = "arf"
_STATUS_PARTS = {"message/delivery-status", "message/global-delivery-status"}


def parse_report(raw: bytes) -> list[Outcome]:
    """Every outcome a raw report message carries; [] when it is not a report."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    outcomes: list[Outcome] = []
    for part in message.walk():
        if part.get_content_type() in _STATUS_PARTS:
            outcomes += _delivery_status(part, original_message_id(message))
        elif part.get_content_type() == "message/feedback-report":
            outcome = _feedback(part, message)
            if outcome is not None:
                outcomes.append(outcome)
    return outcomes


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a delivery-status part, whichever way the parser left them."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = part.get_payload(decode=True) or b""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    chunks = str(text).replace("\r\n", "\n").split("\n\n")
    return [HeaderParser().parsestr(chunk) for chunk in chunks if chunk.strip()]


def _address(value: str | None) -> str:
    """ "rfc822; ann@example.com" -> "ann@example.com" (RFC 3464 address-type; address)."""
    if not value:
        return ""
    kind, _, address = str(value).partition(";")
    address = (address if _ else kind).strip().strip("<>").strip()
    return address if "@" in address else ""


def _delivery_status(part: Message, message_id: str) -> list[Outcome]:
    outcomes = []
    for block in _blocks(part)[1:]:  # the first block is about the message, not a recipient
        recipient = _address(block.get("Final-Recipient")) or _address(
            block.get("Original-Recipient")
        )
        if not recipient:
            continue
        action = str(block.get("Action", "")).strip().lower()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        status = enhanced_status(str(block.get("Status", ""))) or enhanced_status(diagnostic)
        outcomes.append(
            Outcome(
                email=recipient,
                kind=_kind(action, status, diagnostic),
                status=status,
                diagnostic=diagnostic.partition(";")[2].strip() or diagnostic,
                message_id=message_id,
                source=SOURCE_DSN,
            )
        )
    return outcomes


def _kind(action: str, status: str, diagnostic: str) -> str:
    if action in {"delivered", "relayed", "expanded"}:
        return Kind.DELIVERED
    if action == "delayed":
        return Kind.SOFT_BOUNCE
    code = int(status[0]) * 100 if status else _reply_code(diagnostic)
    if action == "failed" and is_permanent(code, status):
        return Kind.BOUNCE
    return Kind.SOFT_BOUNCE


def _reply_code(diagnostic: str) -> int:
    for word in diagnostic.replace(";", " ").split():
        if len(word) == 3 and word.isdigit():
            return int(word)
    return 0


def _feedback(part: Message, report: Message) -> Outcome | None:
    fields = _blocks(part)
    if not fields:
        return None
    block = fields[0]
    recipient = _address(block.get("Original-Rcpt-To"))
    original = _original(report)
    if not recipient and original is not None:
        recipient = email.utils.parseaddr(str(original.get("To", "")))[1]
    if not recipient:
        return None
    feedback_type = str(block.get("Feedback-Type", "abuse")).strip().lower()
    return Outcome(
        email=recipient,
        kind=Kind.COMPLAINT if feedback_type in {"abuse", "fraud", "virus"} else Kind.OTHER,
        diagnostic=f"Feedback-Type: {feedback_type}; {block.get('User-Agent', '')}".strip("; "),
        message_id=original_message_id(report),
        source=SOURCE_ARF,
    )


def _original(report: Message) -> Message | None:
    """The returned original message (or just its headers), if the report carries it."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind in {"message/rfc822", "message/global"}:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind in {"text/rfc822-headers", "text/global-headers"}:
            raw = part.get_payload(decode=True) or b""
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            return HeaderParser().parsestr(text)
    return None


def original_message_id(report: Message) -> str:
    original = _original(report)
    return str(original.get("Message-ID", "")).strip() if original is not None else ""


def iter_maildir(directory: str, include_seen: bool = False) -> Iterator[tuple[str, bytes]]:
    """(key, raw bytes) of the maildir's new messages (and seen ones when asked)."""
    box = mailbox.Maildir(directory, factory=None, create=False)
    for key in box.iterkeys():
        message = box.get_message(key)
        if message.get_subdir() == "cur" and not include_seen:
            continue
        yield key, box.get_bytes(key)


def mark_seen(directory: str, key: str) -> None:
    """Move a processed message from new/ to cur/ with the Seen flag (Maildir convention)."""
    box = mailbox.Maildir(directory, factory=None, create=False)
    message = box.get_message(key)
    message.set_subdir("cur")
    message.add_flag("S")
    box[key] = message
