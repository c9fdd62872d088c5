"""``newsdesk fetch URL [--json]``: fetch one URL through the guarded client.

Shows what Newsdesk itself would get (final URL, address, status, size, validators)
or why it refused; exits non-zero on a refusal or error.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.lib.http import FetchError, HttpClient, describe
from newsdesk.sources.http_policy import policy_from_settings


class Command(BaseCommand):
    help = "Fetch a URL through Newsdesk's guarded HTTP client and describe the outcome."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="http or https URL to fetch")
        parser.add_argument("--json", action="store_true", help="print a JSON object")
        parser.add_argument("--etag", default=None, help="send If-None-Match")
        parser.add_argument("--last-modified", default=None, help="send If-Modified-Since")

    def handle(self, *args: Any, **options: Any) -> None:
        with HttpClient(policy_from_settings()) as client:
            try:
                result = client.fetch(
                    options["url"], etag=options["etag"], last_modified=options["last_modified"]
                )
                outcome = describe(result)
            except FetchError as exc:
                outcome = describe(exc)
        if options["json"]:
            self.stdout.write(json.dumps(outcome, indent=2))
        else:
            self.stdout.write("\n".join(_human(outcome)))
        if not outcome["ok"]:
            raise CommandError(f"{outcome['kind']}: {outcome['reason']}")


def _human(outcome: dict[str, Any]) -> list[str]:
    if not outcome["ok"]:
        verb = "Refused" if outcome["outcome"] == "refused" else "Failed"
        return [f"{verb} ({outcome['kind']}): {outcome['reason']}", f"URL: {outcome['url']}"]
    address = outcome["address"]
    lines = [
        f"HTTP {outcome['status']} from {outcome['url']}",
        f"Address: {address['ip']} port {address['port']}",
        f"Body: {outcome['bytes']} bytes, {outcome['content_type'] or 'no content type'}"
        + (f" ({outcome['charset']})" if outcome["charset"] else ""),
        f"Elapsed: {outcome['elapsed']:.3f} s",
    ]
    lines += [f"Redirected to: {url}" for url in outcome["redirects"]]
    for label, key in (("ETag", "etag"), ("Last-Modified", "last_modified")):
        if outcome[key]:
            lines.append(f"{label}: {outcome[key]}")
    if outcome["retry_after"] is not None:
        lines.append(f"Retry-After: {outcome['retry_after']:.0f} s")
    return lines
