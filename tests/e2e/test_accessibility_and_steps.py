"""axe-core on the main screens, and how few steps a minor accident takes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, Server
from tests.e2e.forms_steps import Steps, fill_minor_accident, start_vor, submit
from tests.e2e.helpers import login, wait_synced

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page: Page) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(Path(AXE).read_text())
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag',
                  values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    })""")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run 'npm ci'")
def test_no_serious_accessibility_violations(new_context, live_server: Server) -> None:
    page = new_context().new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    assert serious_violations(page) == [], "login"

    login(page, "agent2")
    assert serious_violations(page) == [], "list"

    page.get_by_role("link", name="+ Nieuwe registratie").click()
    page.get_by_role("button", name="Verkeersongeval").click()
    page.get_by_role("button", name="+ Partij toevoegen").click()
    expect(page.locator("fieldset.item")).to_have_count(1)
    page.get_by_role("button", name="Indienen").click()  # shows the error summary too
    expect(page.get_by_role("heading", name="Nog niet compleet")).to_be_visible()
    assert serious_violations(page) == [], "form"

    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Synchronisatie").click()
    expect(page.get_by_role("heading", name="Synchronisatie")).to_be_visible()
    assert serious_violations(page) == [], "sync status"


def test_minor_accident_takes_few_steps(new_context, live_server: Server,
                                        record_property) -> None:
    page = new_context().new_page()
    login(page, "agent1")
    steps = Steps()
    start_vor(page, steps)
    fill_minor_accident(page, steps, ("GZ-118-K", "4-KLT-27"),
                        "Kop-staartbotsing bij het stoplicht.")
    submit(page, steps)
    wait_synced(page)
    record_property("minor_accident_taps", steps.taps)
    record_property("minor_accident_inputs", steps.inputs)
    print(f"\nKleine aanrijding (UMS, twee auto's): {steps.taps} tikken + {steps.inputs} "
          f"invoervelden = {steps.total} stappen:\n  " + "\n  ".join(steps.log))
    assert steps.total <= 15  # the confirmation step included
