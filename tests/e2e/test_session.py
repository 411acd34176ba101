"""A refused token: token_expired keeps everything and asks for a login; device_revoked wipes."""

from __future__ import annotations

import json

from playwright.sync_api import Route, expect

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.helpers import login, new_registration, record_id_of, sync_now, wait_synced


def test_expired_token_keeps_local_work_and_a_login_resumes_sync(
        new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent1")

    def expired(route: Route) -> None:
        route.fulfill(status=401, content_type="application/json", body=json.dumps(
            {"error": "token_expired", "message": "Uw sessie is verlopen; log opnieuw in"}))

    page.context.route("**/api/sync/**", expired)
    new_registration(page, "Verkeersongeval", "Straat", "Mariaplaats")
    expect(page.get_by_text(
        "Uw sessie is verlopen; wijzigingen blijven op dit apparaat bewaard")).to_be_visible()
    record_id = record_id_of(page)
    page.context.unroute("**/api/sync/**", expired)

    page.get_by_role("link", name="Opnieuw inloggen").click()
    expect(page.get_by_label("Gebruikersnaam")).to_have_value("agent1")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    wait_synced(page)
    page.goto(f"/#/r/{record_id}")
    expect(page.get_by_label("Straat", exact=True)).to_have_value("Mariaplaats")
    assert any(r["id"] == record_id for r in live_server.registrations("agent1"))


def test_revoked_device_is_wiped(new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent3")
    new_registration(page, "Plaats delict onderzoek", "Adres plaats delict", "Stationsplein 1")
    wait_synced(page)

    admin = live_server.token("beheer1")
    _, body = live_server.api("GET", "/devices", admin)
    device = max((d for d in body["devices"] if d["user"] == "agent3" and not d["revoked"]),
                 key=lambda d: d["last_login_at"])
    status, _ = live_server.api("POST", f"/devices/{device['id']}/revoke", admin)
    assert status == 200

    sync_now(page)
    expect(page.get_by_text("Dit apparaat is ingetrokken door de beheerder")).to_be_visible()
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    names = page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")
    assert not any(name.startswith("wijkpost-user-") for name in names)
