"""An officer registers an accident with no connection at all, and it arrives exactly once."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.e2e.conftest import Server
from tests.e2e.forms_steps import Steps, fill_minor_accident, start_vor, submit
from tests.e2e.helpers import (
    Offline,
    login,
    png_bytes,
    raw_storage,
    sync_now,
    unlock,
    wait_service_worker,
    wait_synced,
)

PLATES = ("XK-482-B", "73-TRN-4")
NARRATIVE = "Partij 2 sloeg linksaf op de Biltstraat en raakte de flank van partij 1."


def test_offline_vor_with_photo_survives_restart_and_syncs_once(
        new_context, live_server: Server) -> None:
    context = new_context()
    page = context.new_page()
    login(page, "agent1")
    wait_service_worker(page)

    # Offline for real: the server is down and every request of the browser is aborted.
    live_server.stop()
    offline = Offline(context)
    page.reload()
    unlock(page)
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()
    expect(page.locator(".syncbar .state")).to_have_text("Geen verbinding")

    steps = Steps()
    start_vor(page, steps)
    context.set_geolocation({"latitude": 52.0931, "longitude": 5.1302, "accuracy": 45})
    fill_minor_accident(page, steps, PLATES, NARRATIVE)
    expect(page.get_by_text("de locatie is onnauwkeurig (± 45 m")).to_be_visible()
    page.locator("#f-photos").set_input_files(
        files=[{"name": "schade.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(page.locator(".gallery img")).to_be_visible()
    submit(page, steps)

    # Close the page and open the app again, still offline.
    page.close()
    page = context.new_page()
    page.goto("/")
    unlock(page)
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()
    page.get_by_label("Zoeken").fill(PLATES[1])
    item = page.locator(".records li")
    expect(item).to_have_count(1)
    expect(item.get_by_text("Nog niet verstuurd")).to_be_visible()
    expect(item.get_by_text("Ingediend")).to_be_visible()
    # The officer sees one registration waiting; the outbox holds one op per committed field.
    expect(page.get_by_test_id("pending-count")).to_have_text("1 registratie wacht")
    databases, caches = raw_storage(page)
    outbox = [s for s in databases
              if s["db"].startswith("wijkpost-user-") and s["store"] == "outbox"]
    assert len(outbox[0]["rows"]) >= 8

    # Nothing readable without the key: not in IndexedDB, not in Cache Storage.
    dump = json.dumps(databases)
    for secret in (*PLATES, NARRATIVE, "Biltstraat", "52.093", "5.1302"):
        assert secret not in dump, f"{secret!r} is readable in IndexedDB"
    for store in databases:
        for row in store["rows"]:
            assert not json.dumps(row).startswith('{"bytes": "ffd8ff'), "a photo is stored in clear"
    assert '"bytes": "ffd8ff' not in dump and "JFIF" not in dump, "a JPEG is stored in clear"
    for entry in caches:
        assert "/api/" not in entry["url"] or entry["url"].endswith("/api/forms"), entry["url"]
        for secret in (*PLATES, NARRATIVE):
            assert secret not in entry["body"]
    assert offline.attempts, "the app did try to reach the server while offline"

    # Back online: it syncs, and the server holds exactly one copy, with the photo.
    live_server.start()
    offline.end()
    sync_now(page)
    wait_synced(page)
    expect(item.get_by_text("Nog niet verstuurd")).to_have_count(0)
    mine = [r for r in live_server.registrations("agent1")
            if any(p.get("licence_plate") == PLATES[0] for p in r["data"].get("parties", []))]
    assert len(mine) == 1
    record = mine[0]
    assert record["status"] == "submitted"
    assert record["data"]["outcome"] == "UMS"
    assert record["data"]["location"]["accuracy"] == 45
    assert sorted(p["licence_plate"] for p in record["data"]["parties"]) == sorted(PLATES)
    photos = [p for p in record["data"]["photos"] if not p.get("removed")]
    assert len(photos) == 1 and photos[0]["photo"]["content_type"] == "image/jpeg"
    status, _ = live_server.api("GET", f"/attachments/{photos[0]['photo']['sha256']}",
                                live_server.token("agent1"))
    assert status == 200
