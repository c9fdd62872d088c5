"""Browser tests: Playwright driving the distribution's Chromium against a live server.

The browser is Debian's ``chromium`` package (scripts/install_browser.sh), never one
downloaded by ``playwright install``. Outside CI a missing browser (or missing playwright)
skips these tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytest_django import live_server_helper

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, ViewportSize

CHROMIUM = os.environ.get("NEWSDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[4] / "artifacts" / "screenshots"
PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
# Console messages that mean something tried to run script or inline style.
BLOCKED = ("Refused to execute", "Refused to run", "Refused to evaluate", "Refused to apply")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(f"{reason} (run scripts/install_browser.sh; under CI=true this fails)")


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[live_server_helper.LiveServer]:
    """pytest-django's live server, on 127.0.0.1 rather than "localhost"."""
    server = live_server_helper.LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Generator[Browser]:
    """Chromium for this package's tests. Package scope, not session: Playwright's event
    loop runs in this thread until it stops, and the ORM refuses to run beside it, so it
    must be gone before the tests that come after this package."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True, scope="package")
def orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread, and Django's ORM refuses
    to run beside one. These tests use the ORM only between browser calls, so the check is
    lifted while this package's tests run (package scope: until after the last test's
    database flush), and only then."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@dataclass
class Watched:
    """A page with everything that would show script running on it."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def goto(self, url: str) -> Page:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, (url, response)
        return self.page

    def executed(self) -> list[str]:
        """What ran that should not have, on the page shown now."""
        flag = self.page.evaluate("typeof window.__xss === 'undefined' ? null : window.__xss")
        found = [*self.dialogs, *self.errors, *self.blocked]
        return found + ([f"window.__xss = {flag!r}"] if flag is not None else [])


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Watched]]:
    contexts: list[Any] = []

    def open_(viewport: ViewportSize = DESKTOP, bypass_csp: bool = False) -> Watched:
        context = browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
        contexts.append(context)
        watched = Watched(context.new_page())

        def on_dialog(dialog: Dialog) -> None:
            watched.dialogs.append(f"dialog {dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and message.text.startswith(BLOCKED):
                watched.blocked.append(message.text)

        watched.page.on("dialog", on_dialog)
        watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
        watched.page.on("console", on_console)
        return watched

    yield open_
    for context in contexts:
        context.close()
