from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from newsdesk.accounts.models import Reader
from newsdesk.api.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_creates_a_token_and_prints_it_once(client: Client, reader: Reader) -> None:
    out, err = run("create", "ANN@example.com", "--name", "laptop script")
    token = out.strip()
    assert "shown once" in err
    row = ApiToken.objects.get()
    assert row.reader == reader and row.name == "laptop script"
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "ann@example.com"
    listing, _ = run("list", "ann@example.com")
    assert "laptop script" in listing and token not in listing


def test_it_refuses_an_unknown_email(db: None) -> None:
    with pytest.raises(CommandError, match="No reader"):
        run("create", "nobody@example.com")
    assert not ApiToken.objects.exists()


def test_it_revokes_a_token(reader: Reader, token: str) -> None:
    row = ApiToken.objects.get()
    out, _ = run("revoke", str(row.pk))
    assert "revoked" in out
    assert not ApiToken.objects.exists()
    with pytest.raises(CommandError):
        run("revoke", str(row.pk))
