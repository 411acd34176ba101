"""The team leader reviews in the app: return with a comment, the officer fixes and
resubmits, a conflict between two officers is settled, then approval. Two people, three
browser contexts (devices), all through the screens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server, serve
from tests.e2e.forms_steps import Steps, fill_minor_accident, start_vor, submit
from tests.e2e.helpers import Offline, login, record_id_of, sync_now, wait_synced
from tests.e2e.review_steps import (
    ANOUK,
    BRAM,
    CARLA,
    SLOW,
    checked,
    in_queue,
    login_leader,
)
from tests.e2e.test_accessibility_and_steps import AXE


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server of this module's own: what other modules registered stays out of its
    queues, searches and briefings."""
    yield from serve()


COMMENT = "Het kenteken van partij 2 klopt niet, controleer het graag."


def edit(page: Page, label: str, value: str, was: str | None = None) -> None:
    """Types into a field; with ``was``, first waits until the form shows the stored value
    (typing into a form that is still loading would be overwritten by the load)."""
    field = page.get_by_label(label, exact=True)
    if was is not None:
        expect(field).to_have_value(was, timeout=SLOW)
    field.fill(value)
    field.blur()


def open_in_queue(leader: Page, street: str) -> None:
    in_queue(leader, street).get_by_role("link").click()
    expect(leader.get_by_role("heading", name="Beslissing")).to_be_visible(timeout=SLOW)


def synced_until(page: Page, locator: Locator, text: str) -> None:
    """Syncs until ``locator`` shows ``text``: a round already running when the button is
    pressed may have pulled before the change was made, so one more round may be needed."""
    for _ in range(3):
        sync_now(page)
        wait_synced(page)
        try:
            expect(locator).to_contain_text(text, timeout=SLOW / 2)
            return
        except AssertionError:
            continue
    expect(locator).to_contain_text(text, timeout=SLOW)


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
def test_return_resubmit_settle_conflict_approve(new_context, live_server: Server) -> None:
    officer = new_context().new_page()
    officer.context.route("**/api/geocode/**", lambda route: route.abort())
    login(officer, "agent1")
    start_vor(officer, Steps())
    fill_minor_accident(officer, Steps(), ("GZ-118-K", "4-KLT-27"), "Kop-staartbotsing.")
    edit(officer, "Straat", "Oudegracht")
    record_id = record_id_of(officer)
    submit(officer, Steps())
    wait_synced(officer)

    leader = new_context().new_page()
    login_leader(leader)
    row = in_queue(leader, "Oudegracht")
    expect(leader.get_by_test_id("queue-count")).to_have_text("1 wacht op beoordeling")
    expect(row).to_contain_text("VOR · Uitsluitend materiële schade")
    expect(row).to_contain_text(f"door {ANOUK}")  # the display name, not the username
    expect(row).to_contain_text("wacht")
    checked(leader, "queue")

    row.get_by_role("link").click()
    expect(leader.get_by_role("heading", name="Verkeersongeval")).to_be_visible(timeout=SLOW)
    details = leader.locator(".review-fields")
    expect(details).to_contain_text("Personenauto")  # a code list in Dutch, not its code
    expect(details).to_contain_text("Flank")
    expect(details).to_contain_text("4-KLT-27")
    history = leader.locator(".history")
    expect(history).to_contain_text("Straat")
    expect(history).to_contain_text("Partijen 2: Kenteken")
    expect(history).to_contain_text(ANOUK)
    expect(history).not_to_contain_text("agent1")
    checked(leader, "detail")

    leader.get_by_role("button", name="Terugsturen").click()
    expect(leader.get_by_role("heading", name="Registratie terugsturen?")).to_be_visible()
    leader.get_by_role("button", name="Ja, terugsturen").click()  # no comment yet
    expect(leader.get_by_role("alert")).to_contain_text("Geef een toelichting")
    checked(leader, "decision")
    leader.get_by_label("Toelichting voor de agent (verplicht)").fill(COMMENT)
    leader.get_by_role("button", name="Ja, terugsturen").click()
    expect(leader.get_by_text("De registratie is teruggestuurd naar de agent.")).to_be_visible(
        timeout=SLOW)
    expect(leader.locator(".note.returned")).to_contain_text(f"Toelichting van {CARLA}")

    # The officer's device shows it on top, with the comment, after the next sync.
    officer.goto("/#/")
    first = officer.locator(".records li").first
    synced_until(officer, first, "Teruggestuurd")
    expect(first).to_contain_text(COMMENT)
    first.get_by_role("link").click()
    expect(officer.locator(".note.returned")).to_contain_text(COMMENT, timeout=SLOW)
    party2 = officer.locator("fieldset.item", has=officer.get_by_text("Partij 2", exact=True))
    edit_locator = party2.get_by_label("Kenteken", exact=True)
    expect(edit_locator).to_have_value("4-KLT-27", timeout=SLOW)
    edit_locator.fill("4-KLT-28")
    edit_locator.blur()
    submit(officer, Steps())
    wait_synced(officer)
    expect(officer.locator(".records li", has_text="Oudegracht")).not_to_contain_text(
        COMMENT, timeout=SLOW)

    # A colleague and the officer change the street at the same time: a conflict.
    colleague = new_context().new_page()
    login(colleague, "agent2")
    colleague.goto(f"/#/r/{record_id}")
    expect(colleague.get_by_label("Straat", exact=True)).to_have_value("Oudegracht", timeout=SLOW)
    cut = Offline(colleague.context)
    edit(colleague, "Straat", "Vredenburg")
    officer.goto(f"/#/r/{record_id}")
    edit(officer, "Straat", "Neude", was="Oudegracht")
    sync_now(officer)
    wait_synced(officer)
    cut.end()
    sync_now(colleague)
    wait_synced(colleague)

    open_in_queue(leader, "Neude")
    approve = leader.get_by_role("button", name="Goedkeuren")
    expect(approve).to_be_disabled()
    expect(leader.locator("#approve-why")).to_contain_text("open conflict")
    leader.get_by_role("link", name="Conflict oplossen: Straat").click()
    expect(leader.get_by_role("heading", name="Conflict: Straat")).to_be_visible(timeout=SLOW)
    values = leader.locator(".conflict-value")
    expect(values.filter(has_text="Neude")).to_contain_text(ANOUK)
    expect(values.filter(has_text="Vredenburg")).to_contain_text(BRAM)
    expect(values.filter(has_text="Vredenburg")).not_to_contain_text("agent2")
    checked(leader, "conflict")
    values.filter(has_text="Neude").click()
    leader.get_by_role("button", name="Deze waarde vastleggen").click()
    expect(leader.get_by_text(f"Opgelost door {CARLA}")).to_be_visible(timeout=SLOW)

    leader.get_by_role("link", name="Naar de registratie", exact=True).click()
    approve = leader.get_by_role("button", name="Goedkeuren")
    expect(approve).to_be_enabled(timeout=SLOW)
    approve.click()
    leader.get_by_role("button", name="Ja, goedkeuren").click()
    expect(leader.get_by_text("De registratie is goedgekeurd.")).to_be_visible(timeout=SLOW)
    leader.goto("/#/")
    expect(leader.get_by_test_id("queue-count")).to_have_text(
        "Er wacht niets op beoordeling.", timeout=SLOW)

    officer.goto("/#/")
    synced_until(officer, officer.locator(".records li", has_text="Neude"), "Goedgekeurd")


def test_own_registration_cannot_be_approved(new_context, live_server: Server) -> None:
    leader = new_context().new_page()
    leader.context.route("**/api/geocode/**", lambda route: route.abort())
    login_leader(leader)
    leader.get_by_role("link", name="Mijn registraties").click()
    start_vor(leader, Steps())
    fill_minor_accident(leader, Steps(), ("XX-11-YY", "ZZ-22-AA"), "Eigen aanrijding.")
    edit(leader, "Straat", "Mariaplaats")
    submit(leader, Steps())
    wait_synced(leader)

    row = in_queue(leader, "Mariaplaats")
    expect(row).to_contain_text(CARLA)
    leader.get_by_role("button", name="Filters tonen").click()
    leader.get_by_label("Soort").select_option(label="PDO")
    expect(leader.get_by_test_id("queue-shown")).to_have_text(
        "Geen registraties met dit filter.", timeout=SLOW)
    expect(row).to_have_count(0)
    leader.get_by_label("Soort").select_option(label="VOR")
    expect(row).to_have_count(1, timeout=SLOW)
    leader.get_by_text("Alleen met open conflict").click()
    expect(leader.get_by_test_id("queue-shown")).to_have_text(
        "Geen registraties met dit filter.", timeout=SLOW)
    leader.get_by_role("button", name="Filters wissen").click()

    open_in_queue(leader, "Mariaplaats")
    expect(leader.get_by_role("button", name="Goedkeuren")).to_be_disabled()
    expect(leader.locator("#approve-why")).to_contain_text("eigen registratie")
    expect(leader.get_by_role("button", name="Terugsturen")).to_be_enabled()
