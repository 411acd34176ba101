"""Steps the team leader's end-to-end tests share: logging in, finding a row in the review
queue, the accessibility checks, and registrations set up through the API."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.field_checks import small_targets
from tests.e2e.helpers import first_login
from tests.e2e.test_accessibility_and_steps import serious_violations
from tests.protocol.client import Device, new_id

# Whatever waits on a server round trip or a sync round gets this long: under load (a
# shared 2-core machine) a page may take well over Playwright's default five seconds.
SLOW = 20_000
ANOUK, BRAM, CARLA = "Agent Anouk de Vries", "Agent Bram Jansen", "Teamleider Carla Smit"
EMRE = "Agent Emre Yilmaz"

UTRECHT = {"lat": 52.0907, "lon": 5.1214, "accuracy": 8}


def login_leader(page: Page, username: str = "leider1") -> None:
    """A team leader's first login ends on the review queue, not on an officer's list."""
    first_login(page, username)
    expect(page.get_by_role("heading", name="Te beoordelen")).to_be_visible(timeout=SLOW)


def checked(page: Page, screen: str) -> None:
    """No serious axe finding and no control under 44 x 44 px at 360 px width."""
    violations = serious_violations(page)
    assert violations == [], f"{screen}: {violations}"
    small = small_targets(page)
    assert small == [], f"{screen}: {small}"


def in_queue(leader: Page, street: str) -> Locator:
    """The queue's row for ``street``. The device that submitted it may still be pushing
    (its sync bar can read "alles verstuurd" just before the round starts), so the queue
    is refreshed until the row is there."""
    leader.goto("/#/")
    row = leader.locator(".records li", has_text=street)
    for _ in range(8):
        try:
            expect(row).to_have_count(1, timeout=2500)
            return row
        except AssertionError:
            leader.get_by_role("button", name="Vernieuwen").click()
    expect(row).to_have_count(1, timeout=SLOW)
    return row


# -- set-up through the API (what the screens are then tested on) --------------------------


def device(server: Server, username: str, name: str) -> Device:
    phone = Device(server.url, username, PASSWORD, name)
    reply = phone.login()
    assert reply.status == 200, reply.body
    return phone


def accident(street: str, **extra: Any) -> dict[str, Any]:
    """A minor accident with every field a submission needs."""
    return {
        "occurred_at": "2026-11-24T09:30:00+01:00", "location": UTRECHT, "outcome": "UMS",
        "accident_kind": "7", "narrative": "Flankaanrijding op de kruising.",
        "parties[p1]": {"object_type": "1", "injury": "none", "licence_plate": "GZ-118-K"},
        "street": street, "place": "Utrecht", **extra,
    }


def crime_scene(address: str) -> dict[str, Any]:
    return {
        "offence_kind": "burglary_home", "scene_location": UTRECHT, "scene_address": address,
        "scene_description": "Achterdeur geforceerd.", "narrative": "Inbraak gemeld door bewoner.",
    }


def push_new(phone: Device, data: dict[str, Any], rtype: str = "vor",
             submitted: bool = True) -> str:
    """A new registration from ``phone``, submitted unless told otherwise; its id."""
    rid = new_id()
    [result] = phone.push(phone.op(rid, {**data, **({"status": "submitted"} if submitted else {})},
                                   rtype))
    assert result["status"] == "applied", result
    return rid


def push_edit(phone: Device, rid: str, set_: dict[str, Any], base_rev: int,
              rtype: str = "vor") -> dict[str, Any]:
    [result] = phone.push(phone.op(rid, set_, rtype, base_rev=base_rev))
    return result
