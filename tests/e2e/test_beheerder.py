"""A beheerder sees no registration screens and cannot start a registration (need-to-know):
a plain start screen saying what they can do, and no sync of registrations at all."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import login_beheerder


def test_beheerder_gets_the_beheer_start_screen_and_no_registration_screens(
        new_context: Any) -> None:
    page = new_context().new_page()
    sync_calls: list[str] = []
    page.on("request", lambda r: sync_calls.append(r.url)
            if "/api/sync/" in r.url or "/api/attachments/" in r.url else None)
    login_beheerder(page)
    expect(page.get_by_text("apparaten", exact=False).first).to_be_visible()
    for absent in ("+ Nieuwe registratie", "Nieuw", "Lijst", "Team"):
        expect(page.get_by_role("link", name=absent, exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Mijn registraties")).to_have_count(0)

    # typing the address of a new PDO, or of the "new" screen, does not start one
    for address in (f"/#/r/{uuid.uuid4()}?new=pdo", "/#/new", "/#/team", "/#/sync"):
        page.goto(address)
        expect(page.get_by_role("heading", name="Beheer")).to_be_visible()
        expect(page.get_by_role("button", name="Plaats delict onderzoek")).to_have_count(0)
        # no registration form (the beheer screen has its own area and notice forms)
        expect(page.locator("form.form input, form.form textarea")).to_have_count(0)
    page.wait_for_timeout(1000)  # time for a sync round to start, if one would
    assert sync_calls == []

    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_label("Gebruikersnaam")).to_be_visible()
