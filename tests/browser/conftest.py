"""Browser tests: the real app over real HTTP, driven in Debian's Chromium by Playwright.

* ``live_url`` (core.testing): the test ``app`` (a fresh migrated SQLite file with the
  Jinan tree) served by werkzeug on 127.0.0.1 and a free port, in a background thread.
* ``page``: a Chromium page (locale zh-CN, 1280x800). A JavaScript ``dialog`` or an
  uncaught page error fails the test, unless the test expects the dialog with
  ``browser_events.expect_dialog()`` or is marked ``allow_browser_events``.
* ``sign_in``: fills in the login form as a user would.
* ``shot``: ``shot(page, "name")`` saves ``docs/screenshots/name.png`` (the guide's pictures).
* ``no_reload``: ``with no_reload(page): ...`` checks that htmx updated the page in place.
* ``settle``: ``settle(page)`` waits until htmx has processed what it swapped in; call it
  before touching swapped-in content outside ``no_reload`` (which settles on exit).

Playwright only drives the system's Chromium (``/usr/bin/chromium``); it never downloads a
browser. Without Chromium or the Playwright package, these tests are skipped on a
developer's machine and fail under CI (``CI`` set), where .ci/run installs Chromium: a
browser suite that silently did not run must not pass.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.testing import TEST_PASSWORD

CHROMIUM = os.environ.get("QUANHUI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT_MS = 10_000


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_browser_events: do not fail the test for unexpected JS dialogs or page errors"
    )


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a ``browser`` test (``-m "not browser"`` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --- the browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def _chromium():
    """One Chromium per test session (per xdist worker); each test gets a new context."""
    missing = pytest.fail if os.environ.get("CI") else pytest.skip
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        missing("the Playwright package is not installed (pip install -e '.[test]')")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing(f"no Chromium at {CHROMIUM} (Debian package 'chromium')")
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    yield browser
    browser.close()
    playwright.stop()


class BrowserEvents:
    """What the page did that a user would notice although no test step asked for it."""

    def __init__(self) -> None:
        self.unexpected: list[str] = []
        self._expecting: tuple[list[str], bool] | None = None

    def on_dialog(self, dialog) -> None:
        if self._expecting is not None:
            seen, accept = self._expecting
            seen.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        else:
            self.unexpected.append(f"unexpected {dialog.type} dialog: {dialog.message!r}")
            dialog.dismiss()

    def on_page_error(self, error) -> None:
        self.unexpected.append(f"uncaught JavaScript error: {error}")

    @contextlib.contextmanager
    def expect_dialog(self, *, accept: bool = True) -> Iterator[list[str]]:
        """Answer the dialogs that the block opens (OK, or Cancel if ``accept=False``);
        yields the list of their messages. At least one must open."""
        seen: list[str] = []
        self._expecting = (seen, accept)
        try:
            yield seen
        finally:
            self._expecting = None
        assert seen, "expected a confirmation dialog, none opened"


@pytest.fixture
def browser_events() -> BrowserEvents:
    return BrowserEvents()


@pytest.fixture
def page(_chromium, browser_events):
    """A fresh page in a fresh browser context (no cookies), zh-CN, 1280x800."""
    context = _chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", browser_events.on_dialog)
    page.on("pageerror", browser_events.on_page_error)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when the page misbehaved behind its back."""
    result = yield
    events = item.funcargs.get("browser_events")
    if events is not None and events.unexpected and item.get_closest_marker("allow_browser_events") is None:
        raise AssertionError("the page did something no step expected:\n  " + "\n  ".join(events.unexpected))
    return result


# --- helpers for the tests --------------------------------------------------------------


@pytest.fixture
def sign_in(live_url) -> Callable:
    """``sign_in(page, "lixia-admin")``: log in through the login form and wait for the dashboard."""
    from playwright.sync_api import expect

    def sign_in(page, username: str, password: str = TEST_PASSWORD) -> None:
        page.goto(f"{live_url}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r" · 工作台$"))

    return sign_in


@pytest.fixture
def shot() -> Callable:
    """``shot(page, "login")`` saves the whole page as ``docs/screenshots/login.png``."""

    def shot(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        return path

    return shot


#: Classes htmx puts on elements while a request, swap or settle is under way. New content
#: carries ``htmx-added`` until htmx has processed it (its hx-* attributes work only then),
#: about 20 ms after it appears: a click in that window would submit a form natively.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def wait_for_htmx(page) -> None:
    """Wait until htmx has finished every request and processed what it swapped in."""
    from playwright.sync_api import expect

    expect(page.locator(HTMX_BUSY)).to_have_count(0)


@pytest.fixture
def settle() -> Callable:
    """``settle(page)``: wait until htmx is done, before the next step touches what it swapped in."""
    return wait_for_htmx


def mark_window(page) -> None:
    """Leave a marker on ``window``; it survives htmx swaps and is lost on any full page load."""
    page.evaluate("window.__quanhuiNoReload = true")


def window_marked(page) -> bool:
    return page.evaluate("window.__quanhuiNoReload === true")


@pytest.fixture
def no_reload() -> Callable:
    """``with no_reload(page): ...`` asserts that the block did not load a new page."""

    @contextlib.contextmanager
    def no_reload(page):
        mark_window(page)
        yield
        wait_for_htmx(page)
        assert window_marked(page), "the page was reloaded; htmx should have updated it in place"

    return no_reload
