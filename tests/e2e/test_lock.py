"""Auto-lock after inactivity, unlocking with the PIN offline, and the wipe after ten wrong PINs."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.helpers import Offline, login, new_registration, unlock, wait_service_worker


def test_auto_lock_unlock_offline_and_ten_wrong_pins_wipe(new_context, live_server: Server) -> None:
    context = new_context()
    page = context.new_page()
    page.clock.install()
    login(page, "agent3")
    wait_service_worker(page)
    new_registration(page, "Plaats delict onderzoek", "Adres plaats delict", "Kerkstraat 5")
    Offline(context)

    page.clock.fast_forward("05:30")
    expect(page.get_by_role("heading", name="Vergrendeld")).to_be_visible()
    expect(page.get_by_text("Kerkstraat 5")).to_have_count(0)
    assert "Kerkstraat" not in page.content()
    unlock(page)
    expect(page.get_by_label("Adres plaats delict")).to_have_value("Kerkstraat 5")

    user_db = page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")
    assert any(name.startswith("wijkpost-user-") for name in user_db)

    page.reload()  # offline: the key is gone with the page; the PIN brings it back
    for attempt in range(1, 10):
        unlock(page, "99999")
        expect(page.get_by_text(f"Nog {10 - attempt} poging")).to_be_visible(timeout=20000)
    unlock(page, "99999")
    expect(page.get_by_text("Tien keer een verkeerde pincode")).to_be_visible(timeout=20000)
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    names = page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")
    assert not any(name.startswith("wijkpost-user-") for name in names)
