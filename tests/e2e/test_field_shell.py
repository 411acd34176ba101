"""The officer's app around the form: quick resync without hammering, lists that say what
a row is, Vergrendelen and the menu, a top bar whose controls never overlap, the dark theme,
44 px targets, axe on every screen, the storage advice, and no false data-loss warning on a
second device."""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.field_checks import push_as, small_targets
from tests.e2e.helpers import login, new_registration, unlock, wait_synced
from tests.e2e.test_accessibility_and_steps import AXE, serious_violations


def test_resync_within_seconds_of_the_server_answering_again(
        new_context, live_server: Server, record_property) -> None:
    context = new_context()
    page = context.new_page()
    login(page, "agent2")
    attempts: list[float] = []

    def refuse(route: Route) -> None:
        attempts.append(time.monotonic())
        route.abort("connectionrefused")

    # The server stops answering; the browser never goes offline.
    context.route("**/api/**", refuse)
    context.route("**/health", refuse)
    new_registration(page, "Plaats delict onderzoek", "Adres plaats delict", "Vinkenburgstraat 2")
    bar = page.locator(".syncbar")
    expect(bar.locator(".state")).to_have_text("Geen verbinding")
    expect(bar.get_by_test_id("pending-count")).to_have_text("1 registratie wacht")
    start = time.monotonic()
    page.wait_for_timeout(15000)
    window = [t for t in attempts if t >= start]
    record_property("requests_while_down_15s", len(window))
    print(f"\nrequests in 15 s while the server was away: {len(window)}")
    assert len(window) <= 7, "a probe every few seconds, not a sync storm"

    context.unroute("**/api/**", refuse)
    context.unroute("**/health", refuse)
    back = time.monotonic()
    expect(bar.get_by_test_id("pending-count")).to_have_text("alles verstuurd", timeout=10000)
    took = time.monotonic() - back
    record_property("resync_seconds", round(took, 2))
    print(f"synced {took:.1f} s after the server answered again")
    assert took < 5
    assert any(r["data"].get("scene_address") == "Vinkenburgstraat 2"
               for r in live_server.registrations("agent2"))


def test_returning_to_the_app_syncs(new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent2")
    page.get_by_role("link", name="Team", exact=True).click()
    record_id = str(uuid.uuid4())
    push_as(live_server, "agent1", record_id, "pdo", {"scene_address": "Zadelstraat 9"})
    # Hidden, then back: the app pulls at once (the next periodic round is 25-30 s away).
    page.evaluate("""() => {
      const set = (v) => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => v});
        document.dispatchEvent(new Event('visibilitychange'));
      };
      set('hidden'); set('visible');
    }""")
    expect(page.locator(".records").get_by_text("Zadelstraat 9")).to_be_visible(timeout=4000)


def _age_registration(server: Server, record_id: str, days: int) -> None:
    db = Path(server.env["DATABASE_URL"].removeprefix("sqlite:///"))
    old = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE registrations SET updated_at = ?, created_at = ? WHERE id = ?",
                     (old, old, record_id))


def test_lists_say_what_a_row_is_and_hide_abandoned_concepts(
        new_context, live_server: Server) -> None:
    fresh_id, old_id = str(uuid.uuid4()), str(uuid.uuid4())
    push_as(live_server, "agent1", fresh_id, "vor",
            {"outcome": "UMS", "street": "Neude", "place": "Utrecht"})
    push_as(live_server, "agent1", old_id, "pdo",
            {"offence_kind": "theft", "scene_address": "Oude Gracht 1"})
    _age_registration(live_server, old_id, 10)

    page = new_context().new_page()
    login(page, "agent2")
    page.get_by_role("link", name="Team", exact=True).click()
    rows = page.locator(".records li")
    fresh = rows.filter(has_text="Neude")
    expect(fresh).to_contain_text("VOR · Uitsluitend materiële schade")
    expect(fresh).to_contain_text("Neude, Utrecht")
    expect(rows.filter(has_text="Oude Gracht 1")).to_have_count(0)
    toggle = page.get_by_role("button", name="Verlaten concepten tonen (1)")
    toggle.click()
    old = rows.filter(has_text="Oude Gracht 1")
    expect(old).to_contain_text("PDO · Diefstal")

    # A just-submitted registration that has not synced yet sorts first, as the newest.
    page.context.route("**/api/sync/**", lambda route: route.abort("connectionrefused"))
    page.get_by_role("link", name="Lijst").click()
    new_registration(page, "Geweld tegen/door politieambtenaren", "Adres", "Jaarbeursplein 1")
    page.get_by_role("link", name="Lijst").click()
    first = page.locator(".records li").first
    expect(first).to_contain_text("Jaarbeursplein 1")
    expect(first).to_contain_text("Nog niet verstuurd")


def test_vergrendelen_menu_sync_bar_and_storage_advice(new_context, live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent3")
    bar = page.locator(".syncbar")
    box = bar.bounding_box()
    assert box is not None and box["height"] <= 46, box  # one line when all is well
    expect(bar).to_contain_text("Online · alles verstuurd")

    page.get_by_role("button", name="Vergrendelen").click()
    expect(page.get_by_role("heading", name="Vergrendeld")).to_be_visible()
    unlock(page)
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()

    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    assert small_targets(page) == []
    page.get_by_role("link", name="Instellingen").click()
    expect(page.get_by_role("heading", name="Instellingen")).to_be_visible()
    advice = page.get_by_test_id("storage-advice")
    if page.evaluate("navigator.storage.persisted()"):
        expect(advice).to_have_count(0)
    else:
        expect(advice).to_contain_text("installeer Wijkpost als app")
    expect(page.get_by_text("Niet blijvend")).to_have_count(0)
    # Logging out has a screen of its own in the menu, not on this one.
    expect(page.get_by_role("heading", name="Uitloggen")).to_have_count(0)
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Uitloggen").click()
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()


TOP_BAR_JS = """() => [...document.querySelectorAll('.topbar a, .topbar button')]
  .filter((el) => el.getClientRects().length)
  .map((el) => {
    const r = el.getBoundingClientRect();
    return {name: el.textContent.trim(), left: r.left, right: r.right, top: r.top,
            bottom: r.bottom, overflow: el.scrollWidth > el.clientWidth + 1};
  })"""


def top_bar_problems(page: Page, width: int) -> list[str]:
    """Controls of the top bar under 44 x 44 px, outside the screen, whose text spills out
    of them, or whose boxes intersect."""
    boxes = page.evaluate(TOP_BAR_JS)
    problems = []
    for box in boxes:
        if box["right"] - box["left"] < 43.5 or box["bottom"] - box["top"] < 43.5:
            problems.append(f"{width}px: {box['name']} under 44 x 44 px")
        if box["left"] < 0 or box["right"] > width:
            problems.append(f"{width}px: {box['name']} outside the screen")
        if box["overflow"]:
            problems.append(f"{width}px: the text of {box['name']} spills out")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if (a["left"] < b["right"] and b["left"] < a["right"]
                    and a["top"] < b["bottom"] and b["top"] < a["bottom"]):
                problems.append(f"{width}px: {a['name']} overlaps {b['name']}")
    return problems


def test_top_bar_controls_never_overlap_from_360_px_up(new_context,
                                                       live_server: Server) -> None:
    page = new_context().new_page()
    login(page, "agent3")
    problems = []
    for width in (360, 375, 400, 460, 480, 560, 800):
        page.set_viewport_size({"width": width, "height": 740})
        expect(page.get_by_role("button", name="Vergrendelen")).to_be_visible()
        problems += top_bar_problems(page, width)
    assert problems == []
    # Narrow, the lock shows as its icon and keeps its name; wide, it says it in words.
    page.set_viewport_size({"width": 360, "height": 740})
    lock = page.get_by_role("button", name="Vergrendelen")
    assert lock.bounding_box()["width"] < 60
    # the lock is drawn, not a character: a device without an emoji font showed a box
    icon = lock.locator("svg.icon").bounding_box()
    assert icon is not None and icon["width"] >= 16 and icon["height"] >= 16
    page.set_viewport_size({"width": 800, "height": 740})
    assert lock.bounding_box()["width"] > 100
    page.set_viewport_size({"width": 360, "height": 740})
    lock.click()
    expect(page.get_by_role("heading", name="Vergrendeld")).to_be_visible()


def test_storage_advice_says_nothing_when_storage_is_kept(new_context, live_server: Server) -> None:
    context = new_context()
    context.add_init_script("navigator.storage.persisted = () => Promise.resolve(true);")
    page = context.new_page()
    login(page, "agent3")
    page.goto("/#/settings")
    expect(page.get_by_role("heading", name="Instellingen")).to_be_visible()
    expect(page.get_by_test_id("storage-advice")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Opslag")


def test_dark_theme_follows_the_system(new_context, live_server: Server) -> None:
    page = new_context(color_scheme="dark").new_page()
    login(page, "agent3")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in background.removeprefix("rgb(").rstrip(")").split(",")[:3]]
    assert max(channels) < 60, background
    light = new_context(color_scheme="light").new_page()
    light.goto("/")
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") != background


def _screens(page: Page) -> list[str]:
    """Walks every officer screen; returns axe's serious/critical findings and small targets."""
    found: list[str] = []

    def check(name: str) -> None:
        found.extend(f"{name}: {v}" for v in serious_violations(page))
        found.extend(f"{name}: small {t}" for t in small_targets(page))

    page.goto("/")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    check("login")
    page.get_by_label("Gebruikersnaam").fill("agent1")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_label("Herhaal de pincode")).to_be_visible()
    check("pin")
    page.get_by_label("Pincode (5 tot 12 cijfers)").fill("24681")
    page.get_by_label("Herhaal de pincode").fill("24681")
    page.get_by_role("button", name="Pincode instellen").click()
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()
    wait_synced(page)
    check("list")
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", name="Registraties van mijn team")).to_be_visible()
    check("team")
    page.get_by_role("link", name="Nieuw", exact=True).click()
    check("new")
    page.get_by_role("button", name="Verkeersongeval").click()
    page.get_by_role("button", name="+ Partij toevoegen").click()
    expect(page.locator("fieldset.item")).to_have_count(1)
    page.get_by_role("button", name="Indienen").click()
    expect(page.get_by_role("heading", name="Nog niet compleet")).to_be_visible()
    check("form")
    page.get_by_role("button", name="Menu").click()
    check("menu")
    for n, (link, heading) in enumerate((("Synchronisatie", "Synchronisatie"),
                                         ("Instellingen", "Instellingen"),
                                         ("Uitloggen", "Uitloggen"))):
        if n:  # the menu is open already for the first
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        check(heading.lower())
    page.get_by_role("button", name="Vergrendelen").click()
    expect(page.get_by_role("heading", name="Vergrendeld")).to_be_visible()
    check("locked")
    return found


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_screen_accessible_with_44px_targets(new_context, live_server: Server,
                                                   scheme: str) -> None:
    page = new_context(color_scheme=scheme).new_page()
    assert _screens(page) == []


def test_second_device_gets_no_false_data_loss_warning(new_context, live_server: Server) -> None:
    phone = new_context().new_page()
    login(phone, "agent3")
    new_registration(phone, "Plaats delict onderzoek", "Adres plaats delict", "Ganzenmarkt 3")
    wait_synced(phone)
    chromebook = new_context(viewport={"width": 1366, "height": 768}).new_page()
    login(chromebook, "agent3")
    expect(chromebook.get_by_role("alert")).to_have_count(0)
    assert "gewist" not in chromebook.locator("body").inner_text()

    # A store this browser really held, then lost: that is worth a warning.
    user_db = phone.evaluate(
        "indexedDB.databases()"
        ".then(d => d.map(x => x.name).find(n => n.startsWith('wijkpost-user-')))")
    phone.evaluate(f"new Promise(ok => {{ const r = indexedDB.deleteDatabase('{user_db}'); "
                   "r.onsuccess = r.onerror = r.onblocked = () => ok(); })")
    phone.reload()
    phone.get_by_label("Gebruikersnaam").fill("agent3")
    phone.get_by_label("Wachtwoord").fill(PASSWORD)
    phone.get_by_role("button", name="Inloggen").click()
    expect(phone.get_by_text("Dit apparaat had eerder gegevens van u")).to_be_visible()
