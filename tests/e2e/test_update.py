"""A new version of the app waits for "bijwerken", flushes the open draft and reopens it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import (
    login,
    new_registration,
    record_id_of,
    unlock,
    wait_service_worker,
    wait_synced,
)


def test_update_waits_for_bijwerken_and_reopens_the_draft_at_its_field(
        new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent2")
    wait_service_worker(page)
    # typed, not yet committed: the field still has the focus
    new_registration(page, "Verkeersongeval", "Straat", "Domplein", commit=False)
    record_id = record_id_of(page)

    sw = live_server.dist / "sw.js"
    original = sw.read_text()
    sw.write_text(original + "\n// versie 2\n")
    try:
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        expect(page.get_by_text("Er is een nieuwe versie van Wijkpost")).to_be_visible()
        page.wait_for_timeout(1000)
        assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!r.waiting)"), \
            "the new version waits for the officer"
        page.get_by_role("button", name="Bijwerken").click()
        unlock(page)  # the page reloaded under the new service worker
        expect(page.get_by_label("Straat", exact=True)).to_have_value("Domplein")
        expect(page.get_by_label("Straat", exact=True)).to_be_focused()
        assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !r.waiting)")
    finally:
        sw.write_text(original)
    wait_synced(page)
    record = next(r for r in live_server.registrations("agent2") if r["id"] == record_id)
    assert record["data"]["street"] == "Domplein"
