"""PROTOCOL.md §3 (clock rules): adoption, the clamp, and a device's own order."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.protocol.client import Device, hlc_key, new_id

Devices = Callable[..., Device]
BOUND_MS = 60_000


def _history_stamps(device: Device, rid: str) -> list[str]:
    detail = device.call("GET", f"/api/registrations/{rid}").body
    return [h["hlc"] for h in detail["history"] if h.get("hlc")]


def test_a_stamp_within_the_bound_is_kept_and_adopted(devices: Devices) -> None:
    phone = devices("agent1", "klok")
    rid = new_id()
    stamp = phone.stamp(ahead_ms=30_000)
    reply = phone.push_raw([phone.op(rid, {"street": "a"}, hlc=stamp)])
    assert reply.status == 200 and reply.body["results"][0]["status"] == "applied"
    assert hlc_key(reply.body["hlc"])[:2] > hlc_key(stamp)[:2]
    assert _history_stamps(phone, rid) == [stamp]


def test_a_stamp_too_far_ahead_is_clamped_and_never_goes_backwards(devices: Devices) -> None:
    phone = devices("agent1", "klok")
    rid = new_id()
    near = phone.stamp(ahead_ms=59_000)
    far = phone.stamp(ahead_ms=110_000)
    before = int(time.time() * 1000)
    reply = phone.push_raw([phone.op(rid, {"street": "a"}, hlc=near),
                            phone.op(rid, {"street": "b"}, base_rev=0, hlc=far)])
    after = int(time.time() * 1000)
    assert [r["status"] for r in reply.body["results"]] == ["applied", "applied"]
    first, second = (hlc_key(s) for s in _history_stamps(phone, rid))
    assert first == hlc_key(near)
    # clamped to the server's time plus the bound, so it still sorts after the device's
    # previous stamp and the server's clock never runs further ahead than the bound
    assert second > first
    assert before + BOUND_MS <= second[0] <= after + BOUND_MS
    assert hlc_key(reply.body["hlc"])[0] <= after + BOUND_MS + 1
