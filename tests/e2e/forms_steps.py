"""Filling in a minor accident (UMS, two cars, no injury), counting the officer's steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page, expect


@dataclass
class Steps:
    """Counts what the officer does: each tap, each typed field, each pick from a list."""

    taps: int = 0
    inputs: int = 0
    log: list[str] = field(default_factory=list)

    def tap(self, locator: Locator, what: str) -> None:
        locator.click()
        self.taps += 1
        self.log.append(f"tik: {what}")

    def type(self, locator: Locator, text: str, what: str) -> None:
        locator.fill(text)
        locator.blur()  # the officer's next tap moves focus on; that commits the field
        self.inputs += 1
        self.log.append(f"invoer: {what}")

    def pick(self, locator: Locator, label: str, what: str) -> None:
        locator.select_option(label=label)
        self.inputs += 1
        self.log.append(f"keuze: {what}")

    @property
    def total(self) -> int:
        return self.taps + self.inputs


def start_vor(page: Page, steps: Steps) -> None:
    steps.tap(page.get_by_role("link", name="+ Nieuwe registratie"), "nieuwe registratie")
    steps.tap(page.get_by_role("button", name="Verkeersongeval"), "verkeersongeval")
    expect(page.get_by_role("heading", name="Verkeersongeval")).to_be_visible()


def add_party(page: Page, steps: Steps, number: int, plate: str) -> None:
    steps.tap(page.get_by_role("button", name="+ Partij toevoegen"), f"partij {number} toevoegen")
    party = page.locator("fieldset.item", has=page.get_by_text(f"Partij {number}", exact=True))
    expect(party).to_be_visible()
    steps.pick(party.get_by_label("Soort verkeersdeelnemer of object"), "Personenauto",
               f"partij {number}: personenauto")
    steps.type(party.get_by_label("Kenteken", exact=True), plate, f"partij {number}: kenteken")


def fill_minor_accident(page: Page, steps: Steps, plates: tuple[str, str], narrative: str) -> None:
    """Everything after 'new VOR' up to (not including) submitting."""
    steps.tap(page.get_by_role("button", name="Gebruik mijn locatie"), "gebruik mijn locatie")
    expect(page.get_by_text("nauwkeurigheid")).to_be_visible()
    steps.tap(page.get_by_label("Uitsluitend materiële schade"), "afloop UMS")
    steps.pick(page.get_by_label("Aard ongeval"), "Flank", "aard ongeval")
    add_party(page, steps, 1, plates[0])
    add_party(page, steps, 2, plates[1])
    steps.type(page.get_by_label("Toedracht (relaas)"), narrative, "toedracht")


def submit(page: Page, steps: Steps) -> None:
    """"Indienen", then the confirmation step; the app returns to the list and says so."""
    steps.tap(page.get_by_role("button", name="Indienen"), "indienen")
    steps.tap(page.get_by_role("dialog").get_by_role("button", name="Ja, indienen"),
              "bevestigen")
    expect(page.get_by_text("Ingediend voor beoordeling")).to_be_visible()
