"""Two devices of one team edit the same registration offline; a push answer gets lost."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Server, serve
from tests.e2e.helpers import (
    Offline,
    login,
    new_registration,
    record_id_of,
    sync_now,
    unlock,
    wait_synced,
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server of this module's own: what other modules registered stays out of its
    queues, searches and briefings."""
    yield from serve()


def new_vor_with_street(page: Page, street: str) -> str:
    new_registration(page, "Verkeersongeval", "Straat", street)
    expect(page.locator(".record-meta")).to_be_visible()
    return record_id_of(page)


def edit(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.blur()


def test_same_field_is_a_conflict_other_fields_merge(new_context, live_server: Server) -> None:
    device_a = new_context().new_page()
    device_b = new_context().new_page()
    login(device_a, "agent1")
    record_id = new_vor_with_street(device_a, "Oudegracht")
    wait_synced(device_a)
    login(device_b, "agent2")
    device_b.get_by_role("link", name="Team").click()
    device_b.get_by_label("Zoeken").fill("Oudegracht")
    expect(device_b.locator(".records li")).to_have_count(1)

    offline_a = Offline(device_a.context)
    offline_b = Offline(device_b.context)
    device_b.goto(f"/#/r/{record_id}")
    # A changes the street and the house number; B the street (same field) and the place.
    edit(device_a, "Straat", "Neude")
    edit(device_a, "Huisnummer", "11")
    edit(device_b, "Straat", "Vredenburg")
    edit(device_b, "Plaats", "Utrecht")
    expect(device_a.get_by_test_id("pending-count")).to_have_text("1 registratie wacht")

    offline_a.end()
    sync_now(device_a)
    wait_synced(device_a)
    offline_b.end()
    sync_now(device_b)
    wait_synced(device_b)
    sync_now(device_a)
    wait_synced(device_a)

    for page in (device_a, device_b):
        page.reload()  # the key lived in the page: unlock with the PIN again
        unlock(page)
        expect(page.get_by_label("Huisnummer", exact=True)).to_have_value("11")
        expect(page.get_by_label("Plaats", exact=True)).to_have_value("Utrecht")
        expect(page.locator(".badge.conflict")).to_be_visible()
        expect(page.locator(".conflict-note")).to_contain_text("Neude")
        expect(page.locator(".conflict-note")).to_contain_text("Vredenburg")
    street_a = device_a.get_by_label("Straat", exact=True).input_value()
    street_b = device_b.get_by_label("Straat", exact=True).input_value()
    assert street_a == street_b and street_a in ("Neude", "Vredenburg")


def test_lost_push_response_is_retried_as_duplicate(new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent1")
    pushes: list[dict] = []

    def lose_first_answer(route: Route) -> None:
        response = route.fetch()  # the server processes the push...
        body = response.json()
        pushes.append(body)
        if len(pushes) == 1:
            route.abort("connectionreset")  # ...but the answer never arrives
        else:
            route.fulfill(response=response)

    page.context.route("**/api/sync/push", lose_first_answer)
    record_id = new_vor_with_street(page, "Lange Nieuwstraat")
    for _ in range(80):  # the client retries by itself, with backoff
        if len(pushes) >= 2:
            break
        page.wait_for_timeout(500)
    wait_synced(page)
    page.context.unroute("**/api/sync/push", lose_first_answer)

    assert len(pushes) >= 2
    first = {r["op_id"]: r["status"] for r in pushes[0]["results"]}
    retried = {r["op_id"]: r["status"] for r in pushes[1]["results"]}
    assert set(first) <= set(retried), "the retry resends the same op ids"
    assert all(retried[op] == "duplicate" for op in first), json.dumps(pushes[1])
    # Ids are time-ordered (UUIDv7), so the server's indexes take new rows at one end.
    ids = [r[k] for r in pushes[0]["results"] for k in ("op_id", "record_id")]
    assert all(uuid.UUID(i).version == 7 for i in ids), ids
    copies = [r for r in live_server.registrations("agent1") if r["id"] == record_id]
    assert len(copies) == 1
    assert copies[0]["data"]["street"] == "Lange Nieuwstraat"
