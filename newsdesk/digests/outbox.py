"""The embedded default email backend: each message becomes an .eml file in OUTBOX_DIR.

Files are named ``<UTC date>T<time>-<recipient>-<random>.eml`` so a newcomer can open
the folder and see who got what when. Each file is written under a temporary name and
renamed, so a reader of the folder never sees half a message.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(recipient: str) -> str:
    return _UNSAFE.sub("_", recipient.replace("@", "_at_"))[:80] or "unknown"


class OutboxBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.directory = Path(kwargs.get("outbox_dir") or settings.OUTBOX_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            try:
                self._write(message)
            except OSError:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _write(self, message: EmailMessage) -> Path:
        stamp = timezone.now().strftime("%Y-%m-%dT%H%M%S")
        recipient = safe_name(message.recipients()[0] if message.recipients() else "")
        path = self.directory / f"{stamp}-{recipient}-{secrets.token_hex(3)}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(message.message().as_bytes())
        os.replace(temporary, path)
        return path
