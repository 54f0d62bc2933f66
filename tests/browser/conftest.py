"""Browser tests: the client in Debian's headless Chromium, driven by Playwright against the live server.

Chromium comes from Debian (``apt-get install chromium``; ``make test`` installs it when it is
missing). Playwright's own browser download is not used. Without ``/usr/bin/chromium`` these tests
fail; they never skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from flows import DESKTOP

expect.set_options(timeout=10_000)  # a loaded 2-core CI machine is slower than a laptop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def pytest_collection_modifyitems(items):
    # A page closed while Werkzeug streams it a static file leaves the file to the garbage collector
    # (the dev server's doing, not the client's); that must not fail a browser test.
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(
                r"ignore:Exception ignored in.*_io\.(FileIO|BufferedReader):pytest.PytestUnraisableExceptionWarning"))
            item.add_marker(pytest.mark.filterwarnings(r"ignore:unclosed file.*/static/:ResourceWarning"))


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Run `make test` (it installs "
                    "chromium with apt-get) or `apt-get install -y --no-install-recommends chromium`.", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """Pages, one browser context each (one person each), with every console error, page error and
    dialog recorded. The test fails at teardown if any appeared."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.contexts = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed: list[str] = []

    def page(self, viewport: dict | None = None, label: str = "page") -> Page:
        context = self.browser.new_context(viewport=viewport or DESKTOP)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page, label)
        return page

    def watch(self, page: Page, label: str) -> None:
        def on_console(message):
            if message.type == "error":
                self.errors.append(f"[{label}] console: {message.text}")

        def on_dialog(dialog):
            self.dialogs.append(f"[{label}] {dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"[{label}] page error: {error}"))
        page.on("dialog", on_dialog)

    def allow(self, fragment: str) -> None:
        """Expect console errors containing ``fragment`` (e.g. a connection deliberately cut)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def watched(browser):
    watched = Watched(browser)
    yield watched
    watched.close()
    assert not watched.dialogs, f"dialogs were raised: {watched.dialogs}"
    assert not watched.unexpected(), "console errors:\n" + "\n".join(watched.unexpected())
