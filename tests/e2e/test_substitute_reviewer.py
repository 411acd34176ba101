"""A beheerder names a substitute reviewer for a team without a teamleider, through the
beheer screens; that teamleider of another team then finds the team's registration in
their queue and approves it; removing the substitute ends their access."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, serve
from tests.e2e.helpers import login_beheerder
from tests.e2e.review_steps import (
    CARLA,
    EMRE,
    SLOW,
    accident,
    checked,
    device,
    in_queue,
    login_leader,
    push_new,
)
from tests.e2e.test_accessibility_and_steps import AXE


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()



def leader_reads(server: Server, record_id: str) -> int:
    status, _ = server.api("GET", f"/registrations/{record_id}", server.token("leider1"))
    return status


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
def test_substitute_named_on_screen_approves(new_context, live_server: Server) -> None:
    emre = device(live_server, "agent3", "Telefoon Emre")
    record_id = push_new(emre, accident("Noorderstraat"))
    assert leader_reads(live_server, record_id) == 404  # team Noord is not theirs

    admin = new_context().new_page()
    login_beheerder(admin)
    admin.get_by_role("link", name="Vervangend beoordelaars per team").click()
    expect(admin.get_by_role("heading", name="Vervangend beoordelaars")).to_be_visible()
    noord = admin.get_by_role("listitem", name="Team Noord", exact=True)
    expect(noord).to_contain_text("Teamleiders: geen", timeout=SLOW)
    expect(noord).to_contain_text("dit team heeft een vervangend beoordelaar nodig")
    centrum = admin.get_by_role("listitem", name="Team Centrum", exact=True)
    expect(centrum).to_contain_text(f"Teamleiders: {CARLA}")
    checked(admin, "substitutes")

    noord.get_by_label("Vervangend beoordelaar voor team Noord").select_option(
        label=f"{CARLA} (team Centrum)")
    noord.get_by_role("button", name="Opslaan").click()
    expect(noord.get_by_role("status")).to_have_text(
        f"{CARLA} beoordeelt nu ook voor team Noord.", timeout=SLOW)
    expect(admin.get_by_test_id("substitute-Noord")).to_have_text(
        f"Vervangend beoordelaar: {CARLA} (team Centrum)")
    checked(admin, "substitutes after saving")

    leader = new_context().new_page()
    login_leader(leader)
    row = in_queue(leader, "Noorderstraat")
    expect(row).to_contain_text(f"door {EMRE}")
    row.get_by_role("link").click()
    leader.get_by_role("button", name="Goedkeuren").click()
    leader.get_by_role("button", name="Ja, goedkeuren").click()
    expect(leader.get_by_text("De registratie is goedgekeurd.")).to_be_visible(timeout=SLOW)

    # Removing the substitute ends the access at once.
    noord.get_by_role("button", name="Vervanger verwijderen").click()
    expect(noord.get_by_role("status")).to_have_text(
        "Team Noord heeft geen vervangend beoordelaar meer.", timeout=SLOW)
    expect(admin.get_by_test_id("substitute-Noord")).to_have_text("Vervangend beoordelaar: geen")
    assert leader_reads(live_server, record_id) == 404
