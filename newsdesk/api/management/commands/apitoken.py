"""``newsdesk apitoken create EMAIL [--name N]`` and friends: a reader's API tokens.

The token is printed once, on create; only its hash is kept.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from newsdesk.accounts.models import Reader
from newsdesk.api import tokens
from newsdesk.api.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke a reader's API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token and print it once")
        create.add_argument("email")
        create.add_argument("--name", default="", help="a label, e.g. the program using it")
        listing = actions.add_parser("list", help="a reader's tokens (never the secrets)")
        listing.add_argument("email")
        revoke = actions.add_parser("revoke", help="delete a token by its id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self.create(find_reader(options["email"]), options["name"])
        elif action == "list":
            self.list(find_reader(options["email"]))
        else:
            self.revoke(options["token_id"])

    def create(self, reader: Reader, name: str) -> None:
        row, token = tokens.issue(reader, name[:100])
        self.stdout.write(token)
        self.stderr.write(f"Token {row.pk} for {reader.email}: shown once, store it now.")

    def list(self, reader: Reader) -> None:
        for row in reader.api_tokens.order_by("created", "id"):
            used = row.last_used.isoformat() if row.last_used else "never used"
            self.stdout.write(f"{row.pk}\t{row.name or '-'}\t{row.created.isoformat()}\t{used}")

    def revoke(self, token_id: int) -> None:
        deleted, _ = ApiToken.objects.filter(pk=token_id).delete()
        if not deleted:
            raise CommandError(f"No token {token_id}.")
        self.stdout.write(f"Token {token_id} revoked.")


def find_reader(email: str) -> Reader:
    reader = Reader.objects.filter(email__iexact=email.strip()).first()
    if reader is None:
        raise CommandError(f"No reader with the email {email!r}.")
    return reader
