"""Run a command against PostgreSQL, or explain why it cannot.

Usage: with_postgres.py COMMAND...  Sets DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/test; NEWSDESK_TEST_POSTGRES_URL overrides) and runs
COMMAND. When no server answers, exits 0 with a clear message, except under CI=true,
where the PostgreSQL run is required and an unreachable server fails the build.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"


def reachable(url: str) -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def main(argv: list[str]) -> int:
    url = os.environ.get("NEWSDESK_TEST_POSTGRES_URL", DEFAULT_URL)
    problem = reachable(url)
    if problem is not None:
        where = f"PostgreSQL at {url} is not reachable ({problem})"
        if os.environ.get("CI", "").lower() == "true":
            print(f"FAIL: {where}; the PostgreSQL test run is required in CI.", file=sys.stderr)
            return 1
        print(f"SKIPPED the PostgreSQL test run: {where}.", file=sys.stderr)
        return 0
    env = {**os.environ, "DATABASE_URL": url}
    print(f"Running the database tests on PostgreSQL ({url})", flush=True)
    return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
