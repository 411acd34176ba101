"""Checks of the officer's screens at 360 px that several field tests share."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Every control is scrolled to the top and to the bottom of the screen in turn; what
# elementFromPoint finds at its centre must be the control itself (or its own label).
OVERLAPS_JS = """() => {
  const out = [];
  const controls = [...document.querySelectorAll(
    'main button, main input:not([type=hidden]), main select, main textarea, main a[href]')];
  for (const el of controls) {
    const target = el.type === 'file' ? document.querySelector(`label[for="${el.id}"]`) : el;
    if (!target) continue;
    for (const block of ['start', 'end']) {
      target.scrollIntoView({block});
      const r = target.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      const label = target.closest('label');
      const ok = hit && (hit === target || target.contains(hit) || (label && label.contains(hit)));
      const under = hit ? hit.outerHTML.slice(0, 80) : 'nothing';
      if (!ok) out.push(`${target.outerHTML.slice(0, 80)} (${block}) under ${under}`);
    }
  }
  return out;
}"""

# Interactive elements smaller than 44 x 44 px; a radio or checkbox counts as its label, a
# hidden file input as its label; links inside running text and the map attribution excepted.
SMALL_TARGETS_JS = """() => {
  const out = [];
  const all = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]');
  for (const el of all) {
    if (el.closest('.leaflet-control-attribution')) continue;
    let t = el;
    if (el.matches('input[type=radio], input[type=checkbox]')) t = el.closest('label') || el;
    if (el.matches('input[type=file]')) t = document.querySelector(`label[for="${el.id}"]`) || el;
    const r = t.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    const p = el.parentElement;
    const inText = el.tagName === 'A' && p && p.matches('p, li, dd')
      && p.textContent.trim() !== el.textContent.trim();
    if (inText) continue;
    if (r.width < 43.5 || r.height < 43.5) {
      out.push(`${Math.round(r.width)}x${Math.round(r.height)} ${t.outerHTML.slice(0, 90)}`);
    }
  }
  return out;
}"""


def overlapped_controls(page: Page) -> list[str]:
    result: list[str] = page.evaluate(OVERLAPS_JS)
    page.evaluate("window.scrollTo(0, 0)")
    return result


def small_targets(page: Page) -> list[str]:
    result: list[str] = page.evaluate(SMALL_TARGETS_JS)
    return result


def push_as(server: Any, username: str, record_id: str, type_: str,
            set_: dict[str, Any]) -> dict[str, Any]:
    """One op pushed straight to the server as another device of ``username``."""
    import time
    import uuid

    status, body = server.api("POST", "/auth/login", body={
        "username": username, "password": "wijkpost-demo", "device_name": "e2e-collega"})
    assert status == 200, body
    device = body["device_id"]
    op = {"op_id": str(uuid.uuid4()), "record_id": record_id, "type": type_, "base_rev": 0,
          "set": set_, "hlc": f"{int(time.time() * 1000)}-0-{device}"}
    status, reply = server.api("POST", "/sync/push", body["token"], {
        "schema_version": 1, "device_id": device, "ops": [op]})
    assert status == 200, reply
    assert reply["results"][0]["status"] == "applied", reply
    return reply
