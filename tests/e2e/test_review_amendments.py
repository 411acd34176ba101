"""Amendments after approval, through the screens: the team leader finds the approved
registration, sees each amendment apart (who, which device, now → new), takes one into the
record and files the other as a note, each after a confirmation step; the detail shows
photos that enlarge and the place on a map with its accuracy circle."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import Server, serve
from tests.e2e.helpers import png_bytes
from tests.e2e.review_steps import (
    ANOUK,
    CARLA,
    SLOW,
    accident,
    checked,
    device,
    login_leader,
    push_edit,
    push_new,
)
from tests.e2e.test_accessibility_and_steps import AXE

NEW_NARRATIVE = "Later gehoord: de bestuurder van partij 1 reed door rood."


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()


@pytest.fixture(scope="module")
def amended(server: Server) -> dict[str, Any]:
    """An approved accident with a photo, then two later edits from the officer's phone:
    the street and the narrative, each kept as an amendment."""
    anouk = device(server, "agent1", "Telefoon Anouk")
    photo = png_bytes(64, 48)
    sha = hashlib.sha256(photo).hexdigest()
    upload = anouk.call("PUT", f"/api/attachments/{sha}", raw=photo, content_type="image/png")
    assert upload.status in (200, 201), upload.body
    rid = push_new(anouk, accident("Aanvulstraat", **{
        "photos[f1]": {"photo": {"sha256": sha, "content_type": "image/png"}}}))
    status, body = server.api("POST", f"/registrations/{rid}/review", server.token("leider1"),
                              {"decision": "approve", "comment": "", "rev": 1})
    assert status == 200 and body["status"] == "approved", body
    for change in ({"street": "Aanvullaan"}, {"narrative": NEW_NARRATIVE}):
        result = push_edit(anouk, rid, change, 2)
        assert result["status"] == "rejected" and result["amendment"], result
    return {"id": rid}


def tile(route: Route) -> None:
    route.fulfill(status=200, content_type="image/png", body=png_bytes(256, 256))


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
def test_amendments_taken_in_and_filed(new_context, live_server: Server,
                                       amended: dict[str, Any]) -> None:
    leader = new_context().new_page()
    leader.context.route("**/api/tiles/**", tile)
    login_leader(leader)
    expect(leader.get_by_test_id("queue-count")).to_have_text(
        "Er wacht niets op beoordeling.", timeout=SLOW)
    leader.get_by_role("button", name="Filters tonen").click()
    leader.get_by_label("Status", exact=True).select_option(label="Goedgekeurd")
    row = leader.locator(".records li", has_text="Aanvulstraat")
    expect(row).to_contain_text("2 aanvullingen", timeout=SLOW)
    row.get_by_role("link").click()

    section = leader.locator("section.amendments")
    expect(section.get_by_role("heading", name="Aanvullingen na goedkeuring")).to_be_visible(
        timeout=SLOW)
    street = section.locator("li.amendment", has_text="Straat")
    story = section.locator("li.amendment", has_text="Toedracht")
    for item in (street, story):
        expect(item).to_contain_text(f"Aanvulling van {ANOUK}")
        expect(item).to_contain_text("apparaat Telefoon Anouk")
        expect(item).to_contain_text("Open")
    expect(street).to_contain_text("nu: Aanvulstraat → Aanvullaan")

    # The photo enlarges on a tap; the map shows the place with its accuracy circle.
    leader.locator(".review-fields").get_by_role("button", name="Foto vergroten").click()
    dialog = leader.get_by_role("dialog", name="Foto")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Sluiten")).to_be_focused()
    dialog.get_by_role("button", name="Sluiten").click()
    expect(dialog).to_have_count(0)
    leader.get_by_role("button", name="Kaart tonen").click()
    expect(leader.locator(".review-map path.accuracy-circle")).to_be_attached(timeout=SLOW)
    expect(leader.locator(".review-map img.leaflet-tile-loaded").first).to_be_attached(
        timeout=SLOW)
    checked(leader, "detail with amendments and map")

    # Take the new street into the record, after the confirmation step.
    street.get_by_role("button", name="Overnemen in de registratie").click()
    expect(street.get_by_role("heading", name="Aanvulling overnemen?")).to_be_visible()
    checked(leader, "amendment confirmation")
    street.get_by_role("button", name="Ja, overnemen").click()
    expect(leader.get_by_text("De aanvulling is overgenomen in de registratie.")).to_be_visible(
        timeout=SLOW)
    expect(street).to_contain_text("Overgenomen")
    expect(street).to_contain_text(f"overgenomen door {CARLA}")
    expect(street.get_by_role("button")).to_have_count(0)
    expect(leader.locator(".review-fields")).to_contain_text("Aanvullaan")
    expect(leader.locator(".history")).to_contain_text("aanvulling overgenomen")

    # File the narrative as a note: cancelling first changes nothing.
    story.get_by_role("button", name="Bewaren als notitie").click()
    story.get_by_role("button", name="Annuleren").click()
    expect(story).to_contain_text("Open")
    story.get_by_role("button", name="Bewaren als notitie").click()
    expect(story.get_by_role("heading", name="Aanvulling als notitie bewaren?")).to_be_visible()
    story.get_by_role("button", name="Ja, als notitie bewaren").click()
    expect(story).to_contain_text("Bewaard als notitie", timeout=SLOW)
    expect(story).to_contain_text(f"als notitie bewaard door {CARLA}")
    expect(leader.locator(".review-fields")).not_to_contain_text(NEW_NARRATIVE)
    expect(leader.locator(".review-fields")).to_contain_text("Flankaanrijding op de kruising.")

    # What the server holds now.
    status, body = live_server.api("GET", f"/registrations/{amended['id']}",
                                   live_server.token("leider1"))
    assert status == 200
    assert body["data"]["street"] == "Aanvullaan"
    assert body["data"]["narrative"] == "Flankaanrijding op de kruising."
    assert sorted(a["status"] for a in body["amendments"]) == ["accepted", "filed"]
