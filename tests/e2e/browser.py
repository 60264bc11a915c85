"""Helpers for the browser tests: Debian's Chromium driven by Playwright (never a
downloaded browser), loopback only, bounded waits, and screenshots as artefacts.

Playwright is imported lazily so that importing this module never fails; the tests
call `missing()` and skip with its reason.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 10_000  # every Playwright action and expectation
NAVIGATION_TIMEOUT_MS = 15_000
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                         "is_mobile": True, "has_touch": True}
SCREENSHOTS_ENV = "WARROOM_SCREENSHOTS_DIR"

# Every form control a person fills in, and the JS that lists those without a label.
FIELDS = "input:not([type=hidden]), select, textarea"
_UNLABELLED_JS = """(selector) => Array.from(document.querySelectorAll(selector)).filter((el) => {
  if ((el.getAttribute("aria-label") || "").trim()) return false;
  if (el.getAttribute("aria-labelledby")) return false;
  if (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) return false;
  if (el.closest("label")) return false;
  return true;
}).map((el) => el.outerHTML.slice(0, 120))"""


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium with a throw-away profile (Playwright's temporary user data dir)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True, timeout=NAVIGATION_TIMEOUT_MS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, base_url: str, *, phone: bool = False) -> BrowserContext:
    """A fresh context (no cookies, no storage) that may only reach the loopback server."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"browser tests talk to 127.0.0.1 only, not {base_url}")
    context = browser.new_context(base_url=base_url, **(PHONE if phone else DESKTOP))
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(base_url + "/"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_loopback)
    return context


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/", timeout=NAVIGATION_TIMEOUT_MS)


def unlabelled_fields(page: Page) -> list[str]:
    """Form controls with neither a <label for>, a wrapping <label> nor an aria label."""
    return list(page.evaluate(_UNLABELLED_JS, FIELDS))


def screenshot_dir() -> Path:
    """$WARROOM_SCREENSHOTS_DIR (relative to the repository) or test-artifacts/screenshots."""
    configured = os.environ.get(SCREENSHOTS_ENV)
    directory = (REPO / configured) if configured else REPO / "test-artifacts" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def shoot(page: Page, name: str, *, full_page: bool = True) -> Path:
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def wait_for(what: str, check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting ({timeout:.0f}s): {what}")


def api_client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def send_alerts(base_url: str, key: str, alerts: list[dict[str, Any]]) -> None:
    sent = httpx.post(f"{base_url}/api/v2/alerts", json=alerts, timeout=10,
                      headers={"Authorization": f"Bearer {key}"})
    assert sent.status_code == 200, sent.text
