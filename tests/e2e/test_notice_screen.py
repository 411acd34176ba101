"""A notice on the device: a tap on its push notification opens the app on that notice
(the service worker's notificationclick, emulated in the worker), the notice screen shows
it from the pulled store by URL (offline too), and a notice that ended leaves the device."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serve
from tests.e2e.helpers import Offline, login, sync_now, wait_service_worker, wait_synced
from tests.geo_samples import LAT, LON, offset
from tests.live_server import Server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()


def point_notice(live_server: Server, title: str, until: timedelta) -> dict[str, Any]:
    """A notice on a point inside team Centrum's demo wijk (the binnenstad)."""
    lat, lon = offset(LAT, LON, 60, -40)
    status, body = live_server.api("POST", "/notices", live_server.token("beheer1"), {
        "title": title, "body": "Twee personen bellen aan.\nVraag naar legitimatie.",
        "point": {"lat": lat, "lon": lon}, "radius_m": 250, "priority": 1,
        "valid_until": (datetime.now(UTC) + until).isoformat()})
    assert status == 201, body
    return body


def poll(page: Page, script: str, arg: Any = None, timeout_s: float = 10) -> Any:
    """The first truthy value of an async ``script`` (wait_for_function does not await a
    promise a predicate returns)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        assert time.monotonic() < deadline, f"never true: {script}"
        page.wait_for_timeout(100)


def registration_id(context: Any, page: Page, origin: str) -> tuple[Any, str]:
    cdp = context.new_cdp_session(page)
    found: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: found.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    return cdp, next(r for r in found if r["scopeURL"].startswith(origin))["registrationId"]


def test_a_tap_on_the_notification_opens_the_notice(new_context: Any,
                                                    live_server: Server) -> None:
    title = f"Babbeltrucs {uuid.uuid4().hex[:6]}"
    notice = point_notice(live_server, title, timedelta(days=1))
    nid = str(notice["id"])
    context = new_context(permissions=["geolocation", "notifications"])
    page = context.new_page()
    login(page, "agent1")
    wait_service_worker(page)
    sync_now(page)
    wait_synced(page)

    origin = live_server.url.rstrip("/")
    cdp, registration = registration_id(context, page, origin)
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": registration,
        "data": json.dumps({"notice_id": notice["id"], "title": title, "priority": 1,
                            "url": f"/#/notices/{nid}"})})
    shown = poll(page, """tag => navigator.serviceWorker.ready
        .then(r => r.getNotifications({tag})).then(n => n.length === 1 && n[0].data)""",
                 f"notice-{nid}")
    assert shown == {"url": f"/#/notices/{nid}", "notice_id": nid}

    # The tap, emulated inside the service worker: its notificationclick handler runs.
    [worker] = [w for w in context.service_workers if w.url.startswith(origin)]
    worker.evaluate("""tag => self.registration.getNotifications({tag}).then(([n]) =>
        self.dispatchEvent(new NotificationEvent('notificationclick', {notification: n})))""",
                    f"notice-{nid}")
    expect(page).to_have_url(f"{origin}/#/notices/{nid}")
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    detail = page.get_by_test_id("notice-detail")
    expect(detail).to_contain_text("Twee personen bellen aan.")
    expect(detail).to_contain_text("Vraag naar legitimatie.")
    expect(detail).to_contain_text("Geldig · van ")
    expect(detail).to_contain_text("Binnen 250 m van een punt")
    expect(page.get_by_text("prioriteit Hoog")).to_be_visible()
    # the tap closed the notification
    poll(page, """tag => navigator.serviceWorker.ready
        .then(r => r.getNotifications({tag})).then(n => n.length === 0)""", f"notice-{nid}")

    # A push with a bad id leads to the briefing, never to an address from the payload.
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": registration,
        "data": json.dumps({"notice_id": "../../evil", "title": "Vreemd", "priority": 3,
                            "url": "https://example.org/"})})
    bad = poll(page, """() => navigator.serviceWorker.ready
        .then(r => r.getNotifications({tag: 'notice-../../evil'}))
        .then(n => n.length === 1 && n[0].data.url)""")
    assert bad == "/#/briefing"


def test_the_notice_screen_shows_it_by_url_offline_and_an_ended_one_leaves(
        new_context: Any, live_server: Server) -> None:
    title = f"Kort bericht {uuid.uuid4().hex[:6]}"
    short = point_notice(live_server, title, timedelta(seconds=6))
    context = new_context()
    page = context.new_page()
    login(page, "agent1")
    sync_now(page)
    wait_synced(page)

    offline = Offline(context)
    page.goto(f"/#/notices/{short['id']}")
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_test_id("notice-detail")).to_contain_text("Twee personen bellen aan.")
    page.goto("/#/notices/999999")
    expect(page.get_by_test_id("notice-missing")).to_contain_text("staat niet op dit apparaat")
    offline.end()

    # Expired: the server's retract job logs its removal, the next pull takes it off.
    deadline = time.monotonic() + 45
    page.goto(f"/#/notices/{short['id']}")
    missing = page.get_by_test_id("notice-missing")
    while not missing.is_visible():
        assert time.monotonic() < deadline, "the expired notice stayed on the device"
        page.wait_for_timeout(2000)
        sync_now(page)
        wait_synced(page)
    expect(page.get_by_role("heading", name=title)).to_have_count(0)
