"""The web console in a real Chromium (Debian's /usr/bin/chromium driven by Playwright):
sign-in, the 5-second live refresh, acknowledging by click and by keyboard, inert alert
labels, a phone-sized viewport, and screenshots of every page.

Screenshots land in test-artifacts/screenshots/; to refresh the committed ones run
`WARROOM_SCREENSHOTS_DIR=docs/screenshots pytest tests/e2e/test_console_browser.py -k screenshots`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e import browser as web
from tests.e2e.conftest import Server, run_cli

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(web.missing() is not None, reason=str(web.missing()))]
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "warroom" / "config" / "example.yaml"
EMAIL, PASSWORD = "alice@example.com", "correct horse battery"
REFRESH_WAIT_MS = 12_000  # the list refreshes every 5 s; two periods and some slack


def expect(*args: Any, **kwargs: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@dataclass
class Console:
    server: Server
    token: str
    api: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def declare(self, title: str, severity: str = "SEV1", service: str | None = "checkout",
                **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"title": title, "severity": severity, **extra}
        if service:
            body["service"] = service
        response = self.api.post("/api/v1/incidents", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def status(self, ref: str) -> str:
        return str(self.api.get(f"/api/v1/incidents/{ref}").json()["status"])

    def integration(self, name: str, **extra: Any) -> str:
        response = self.api.post("/api/v1/integrations",
                                 json={"name": name, "format": "alertmanager", **extra})
        assert response.status_code in (200, 201), response.text
        return str(response.json()["key"])


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with web.chromium() as browser:
        yield browser


@pytest.fixture
def console(server_env: dict[str, str], tmp_path: Path) -> Iterator[Console]:
    """A server with the example configuration, a responder who signs in, an admin token."""
    env = {**server_env, "WARROOM_CONFIG": str(EXAMPLE)}
    run_cli("user", "create", EMAIL, "--role", "responder", "--password", PASSWORD,
            env=env, cwd=tmp_path)
    token = run_cli("token", "create", "--name", "alice", "--role", "admin",
                    env=env, cwd=tmp_path).stdout.strip().splitlines()[-1]
    server = Server(env, tmp_path).start()
    api = web.api_client(server.url, token)
    try:
        yield Console(server, token, api)
    finally:
        api.close()
        server.stop()


@pytest.fixture
def page(chromium: Browser, console: Console) -> Iterator[Page]:
    context = web.new_context(chromium, console.url)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(chromium: Browser, console: Console) -> Iterator[Page]:
    context = web.new_context(chromium, console.url, phone=True)
    yield context.new_page()
    context.close()


def test_live_list_and_acknowledge_by_click_and_key(page: Page, console: Console) -> None:
    web.sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    expect(page.locator("#incident-rows")).to_contain_text("No incidents match")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    first = console.declare("Checkout returns 502 for card payments")
    row = page.locator(f'tr[data-ref="{first["reference"]}"]')
    expect(row).to_be_visible(timeout=REFRESH_WAIT_MS)  # arrived by the 5 s refresh
    expect(row).to_contain_text("Checkout returns 502 for card payments")
    expect(row.locator(".status")).to_have_text("triggered")
    assert page.evaluate("window.__sameDocument") is True, "the list reloaded the page"

    row.get_by_role("link", name=first["reference"]).click()
    page.wait_for_url(f"**/incidents/{first['reference']}")
    expect(page.locator("#status")).to_have_text("triggered")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#status")).to_have_text("acknowledged")
    expect(page.get_by_role("status")).to_contain_text("is now acknowledged")
    assert console.status(first["reference"]) == "acknowledged"

    second = console.declare("Checkout latency above 2 s", severity="SEV2")
    page.goto(f"/incidents/{second['reference']}")
    expect(page.locator("#status")).to_have_text("triggered")
    page.keyboard.press("a")
    expect(page.locator("#status")).to_have_text("acknowledged")
    assert console.status(second["reference"]) == "acknowledged"


def test_alert_labels_are_shown_as_text(page: Page, console: Console) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:  # alert() from an injected script
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    script = "<script>window.__xss = 1; alert('label')</script>"
    img = '<img src="x-injected" onerror="window.__xss = 2; alert(\'annotation\')">'
    key = console.integration("prom")
    web.send_alerts(console.url, key, [{
        "labels": {"alertname": script, "severity": "critical", "instance": img},
        "annotations": {"summary": f"Summary {img} {script}"},
    }])
    web.wait_for("the alert is stored",
                 lambda: console.api.get("/api/v1/alerts").json()["total"] == 1)

    web.sign_in(page, EMAIL, PASSWORD)
    page.goto("/alerts")
    main = page.locator("main")
    expect(main.get_by_text(f"alertname={script}", exact=True)).to_be_visible()
    expect(main.get_by_text(f"instance={img}", exact=True)).to_be_visible()
    expect(main.get_by_text(f"Summary {img} {script}", exact=True)).to_be_visible()
    silence = page.get_by_role("button", name="Silence 2h")
    expect(silence).to_have_attribute("title", f"Silence {script} for 2 hours")

    def nothing_ran() -> None:
        assert dialogs == [], f"a script ran: {dialogs}"
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator("img, [onerror]").count() == 0
        injected = page.evaluate("Array.from(document.scripts)"
                                 ".filter(s => s.textContent.includes('__xss')).length")
        assert injected == 0
        assert not [url for url in requests if "x-injected" in url], requests

    nothing_ran()
    # The same text survives the round trip through the silence form.
    silence.click()
    page.wait_for_url("**/silences?**")
    expect(main.locator("table code").first).to_contain_text(script)
    nothing_ran()


def test_phone_viewport(phone: Page, console: Console) -> None:
    ref = console.declare("Checkout returns 502 for card payments")["reference"]
    visited = []
    phone.goto("/login")
    visited.append(("/login", web.unlabelled_fields(phone)))
    web.sign_in(phone, EMAIL, PASSWORD)
    for path in ("/", f"/incidents/{ref}", "/alerts", "/silences", "/oncall"):
        phone.goto(path)
        visited.append((path, web.unlabelled_fields(phone)))
    unlabelled = {path: fields for path, fields in visited if fields}
    assert unlabelled == {}, f"form fields without a label: {unlabelled}"

    phone.goto(f"/incidents/{ref}")
    acknowledge = phone.get_by_role("button", name="Acknowledge")
    expect(acknowledge).to_be_visible()
    expect(acknowledge).to_be_in_viewport()  # no scrolling needed to find it
    box = acknowledge.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert box["height"] >= 24, f"too small a touch target: {box}"
    acknowledge.tap()
    expect(phone.locator("#status")).to_have_text("acknowledged")
    assert console.status(ref) == "acknowledged"


def test_phone_pages_fit_the_width(phone: Page, console: Console) -> None:
    """Nothing scrolls sideways at 390 px."""
    ref = console.declare("Checkout returns 502 for card payments")["reference"]
    width = web.PHONE["viewport"]["width"]
    phone.goto("/login")
    too_wide = {"/login": phone.evaluate("document.documentElement.scrollWidth")}
    web.sign_in(phone, EMAIL, PASSWORD)
    for path in ("/", f"/incidents/{ref}", "/alerts", "/silences", "/oncall"):
        phone.goto(path)
        too_wide[path] = phone.evaluate("document.documentElement.scrollWidth")
    too_wide = {path: w for path, w in too_wide.items() if w > width}
    assert too_wide == {}, f"pages wider than {width} px: {too_wide}"


def _realistic_data(console: Console) -> str:
    """An outage like `warroom demo` plays, but left open: correlated alerts, pages,
    roles, a timeline; a second incident, an unrouted alert and a silence."""
    key = console.integration("prometheus", service="checkout")
    web.send_alerts(console.url, key, [
        {"labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical",
                    "pod": f"checkout-{i}", "namespace": "shop"},
         "annotations": {"summary": "5xx ratio above 20% on checkout"}} for i in (1, 2, 3)])

    def incident_of_alerts() -> str | None:
        page = console.api.get("/api/v1/alerts").json()
        ids = {a["incident_id"] for a in page["items"] if a["incident_id"]}
        return ids.pop() if len(ids) == 1 and page["total"] == 3 else None

    incident_id = web.wait_for("the alerts correlate into one incident", incident_of_alerts)
    ref = str(console.api.get(f"/api/v1/incidents/{incident_id}").json()["reference"])
    web.wait_for("the on-call is paged", lambda: [
        d for d in console.api.get(f"/api/v1/incidents/{incident_id}/deliveries").json()
        if d["status"] == "delivered"])
    for role, person in (("incident_commander", "alice"), ("tech_lead", "bob"),
                         ("comms_lead", "carol")):
        assert console.api.post(f"/api/v1/incidents/{incident_id}/roles",
                                json={"role": role, "person": person}).status_code == 200
    assert console.api.post(f"/api/v1/incidents/{incident_id}/acknowledge",
                            json={"note": "on it"}).status_code == 200
    for kind, summary in (
            ("investigation", "Errors started at the 14:02 deploy of checkout v2.31.0"),
            ("decision", "Roll back checkout to v2.30.4"),
            ("communication", "Status page: card payments degraded, fix in progress")):
        assert console.api.post(f"/api/v1/incidents/{incident_id}/timeline",
                                json={"type": kind, "summary": summary}).status_code == 201

    console.declare("Refund emails delayed by 20 minutes", severity="SEV3")
    silence = console.api.post("/api/v1/silences", json={
        "matchers": ['alertname="DiskSpaceLow"', 'instance="db-2:9100"'], "duration": "4h",
        "comment": "Volume resize scheduled for tonight"})
    assert silence.status_code == 201, silence.text
    other = console.integration("node-exporter")
    web.send_alerts(console.url, other, [
        {"labels": {"alertname": "DiskSpaceLow", "instance": "db-2:9100", "severity": "warning"},
         "annotations": {"summary": "/var/lib/postgresql is 91% full"}}])
    web.wait_for("all alerts stored",
                 lambda: console.api.get("/api/v1/alerts").json()["total"] == 4)
    return ref


def test_screenshots(chromium: Browser, console: Console) -> None:
    ref = _realistic_data(console)
    desktop = web.new_context(chromium, console.url)
    try:
        page = desktop.new_page()
        page.goto("/login")
        shots = [web.shoot(page, "login")]
        web.sign_in(page, EMAIL, PASSWORD)
        expect(page.locator(f'tr[data-ref="{ref}"]')).to_be_visible()
        shots.append(web.shoot(page, "incidents"))
        for name, path, ready in (
                ("incident", f"/incidents/{ref}", "Roll back checkout"),
                ("alerts", "/alerts", "DiskSpaceLow"),
                ("silences", "/silences", "Volume resize"),
                ("oncall", "/oncall", "primary")):
            page.goto(path)
            expect(page.locator("main")).to_contain_text(ready)
            shots.append(web.shoot(page, name))
    finally:
        desktop.close()
    mobile = web.new_context(chromium, console.url, phone=True)
    try:
        page = mobile.new_page()
        web.sign_in(page, EMAIL, PASSWORD)
        page.goto(f"/incidents/{ref}")
        expect(page.get_by_role("button", name="Investigating")).to_be_visible()
        shots.append(web.shoot(page, "incident-phone", full_page=False))
    finally:
        mobile.close()
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000, shot
