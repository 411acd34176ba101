"""Steps the end-to-end tests share: logging in, going offline honestly, reading raw storage."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e.conftest import PASSWORD, PIN


def first_login(page: Page, username: str, pin: str = PIN) -> None:
    """First online login on a fresh device, then setting the PIN; each role's screen
    follows (see the callers)."""
    page.goto("/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_label("Pincode (5 tot 12 cijfers)").fill(pin)
    page.get_by_label("Herhaal de pincode").fill(pin)
    page.get_by_role("button", name="Pincode instellen").click()


def login(page: Page, username: str, pin: str = PIN) -> None:
    """An officer's first login; ends on the list screen, synced."""
    first_login(page, username, pin)
    expect(page.get_by_role("heading", name="Mijn registraties")).to_be_visible()
    wait_synced(page)


def login_beheerder(page: Page, timeout: float = 20_000) -> None:
    """A beheerder's first login ends on the beheer screen."""
    first_login(page, "beheer1")
    expect(page.get_by_role("heading", name="Beheer", exact=True)).to_be_visible(
        timeout=timeout)


def unlock(page: Page, pin: str = PIN) -> None:
    page.get_by_label("Pincode", exact=True).fill(pin)
    page.get_by_role("button", name="Ontgrendelen").click()


def wait_synced(page: Page, timeout: float = 20000) -> None:
    """Until a sync round ended with nothing pending and no error."""
    bar = page.locator(".syncbar")
    expect(bar.get_by_test_id("pending-count")).to_have_text(
        "alles verstuurd", timeout=timeout)
    expect(bar).not_to_have_class("failing", timeout=timeout)
    expect(bar.locator(".state")).to_have_text("Online", timeout=timeout)


def sync_now(page: Page) -> None:
    page.locator(".syncbar").get_by_role("button", name="Nu synchroniseren").click()


def new_registration(page: Page, form: str, label: str, value: str,
                     commit: bool = True) -> Any:
    """Start a registration of ``form`` and type ``value`` into the field ``label``.

    With ``commit`` the field loses the focus, which cuts the op; returns the field.
    """
    page.get_by_role("link", name="+ Nieuwe registratie").click()
    page.get_by_role("button", name=form).click()
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    if commit:
        field.blur()
    return field


def record_id_of(page: Page) -> str:
    return page.url.split("#/r/")[1].split("?")[0]


def wait_service_worker(page: Page) -> None:
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.ready.then(r => !!r.active)")


class Offline:
    """Cuts a context off from the server, service-worker requests included, and counts
    every attempt to reach it (which fails: the route aborts it)."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.attempts: list[str] = []
        context.set_offline(True)
        context.route("**/*", self._abort)

    def _abort(self, route: Route) -> None:
        self.attempts.append(route.request.url)
        route.abort("internetdisconnected")

    def end(self) -> None:
        self.context.unroute("**/*", self._abort)
        self.context.set_offline(False)


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    """A small but real PNG (a colour gradient), as a camera stand-in."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 120))
                            for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


RAW_JS = (Path(__file__).parent / "raw_storage.js").read_text()


def raw_storage(page: Page) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    databases = page.evaluate(f"(() => {{ {RAW_JS}; return readIndexedDb(); }})()")
    caches = page.evaluate(f"(() => {{ {RAW_JS}; return readCaches(); }})()")
    return databases, caches
