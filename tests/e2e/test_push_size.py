"""A server with a small body cap: the outbox still arrives whole, in smaller pushes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, _ensure_built
from tests.e2e.helpers import Offline, login, new_registration, sync_now, wait_synced

CAP = 6000  # bytes; one op with a 2,000-character account fits, three do not


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _ensure_built()
    srv = Server(str(tmp_path_factory.mktemp("push-size")),
                     env={"WIJKPOST_PUSH_MAX_BYTES": str(CAP)})
    srv.start()
    yield srv
    srv.stop()
    srv.log.close()


def registration(page: Page, street: str, account: str) -> None:
    new_registration(page, "Verkeersongeval", "Straat", street)
    field = page.get_by_label("Toedracht (relaas)")
    field.fill(account)
    field.blur()
    page.evaluate("location.hash = '#/'")
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()


def test_batches_over_the_cap_are_cut_and_one_op_over_it_is_kept_aside(
        new_context, live_server: Server) -> None:
    context = new_context()
    page = context.new_page()
    login(page, "agent1")
    offline = Offline(context)
    for n in range(3):
        registration(page, f"Lange Nieuwstraat {n}", f"Relaas {n}: " + "a" * 2000)
    expect(page.get_by_test_id("pending-count")).to_have_text("3 registraties wachten")
    offline.end()
    sync_now(page)
    wait_synced(page)
    stored = {r["data"].get("street"): r["data"].get("narrative", "")
              for r in live_server.registrations("agent1")}
    for n in range(3):
        assert stored[f"Lange Nieuwstraat {n}"].startswith(f"Relaas {n}: aaa")

    # One op alone over the cap can never go through: kept aside with the reason, and the
    # rest of the outbox still goes.
    offline = Offline(context)
    registration(page, "Korte Jansstraat", "b" * 9000)
    registration(page, "Achter Sint Pieter", "Kort relaas")
    offline.end()
    sync_now(page)
    page.goto("/#/sync")
    expect(page.get_by_role("heading", name="Geweigerde wijzigingen (1)")).to_be_visible(
        timeout=20000)
    expect(page.get_by_text("groter dan de server aanneemt")).to_be_visible()
    streets = {r["data"].get("street") for r in live_server.registrations("agent1")}
    assert "Achter Sint Pieter" in streets
