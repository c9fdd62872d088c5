"""Shared helpers of the API tests."""

from __future__ import annotations

from typing import Any

from django.test import Client


def get(client: Client, url: str, status: int = 200) -> Any:
    """GET ``url``, check the status, return the JSON body."""
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()
