"""API tokens: how a reader's own programs reach ``/api/me``.

Only a SHA-256 of each token is stored. The token is printed once when it is made
(``newsdesk apitoken create``); a copy of the database cannot be used to call the API.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    reader = models.ForeignKey(
        "accounts.Reader", on_delete=models.CASCADE, related_name="api_tokens"
    )
    # Hex SHA-256 of the token. Unique, so a request's token is found by one indexed
    # lookup of its hash (api/tokens.py) and never compared character by character.
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.reader_id})"
