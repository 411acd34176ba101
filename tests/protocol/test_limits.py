"""PROTOCOL.md §3 and §6.3: the limits a server advertises, and how it refuses past them."""

from __future__ import annotations

import contextlib
import http.client
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from tests.protocol.client import Device, new_id

Devices = Callable[..., Device]


def _send_early_answered(device: Device, payload: bytes) -> tuple[int, Any]:
    """POST a push whose answer may come before the body is sent: the server refuses a
    body over its cap unread and may close the connection while the client still writes."""
    url = urllib.parse.urlsplit(device.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", "/api/sync/push")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(payload)))
    conn.putheader("Authorization", f"Bearer {device.token}")
    conn.endheaders()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        conn.send(payload)  # the answer may already be on its way
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return response.status, answer


def _limits(forms: dict[str, Any]) -> dict[str, int]:
    limits = forms["limits"]
    assert set(limits) >= {"max_ops_per_push", "max_push_bytes", "max_group_items",
                           "max_conflict_values",
                           "max_record_bytes"}
    return limits


def test_a_group_holds_at_most_the_advertised_items(devices: Devices,
                                                    forms: dict[str, Any]) -> None:
    phone = devices("agent1")
    most = _limits(forms)["max_group_items"]
    rid = new_id()
    full = {f"witnesses[w{i}]": {"name": f"Getuige {i}"} for i in range(most)}
    [filled] = phone.push(phone.op(rid, full))
    assert filled["status"] == "applied"
    [over] = phone.push(phone.op(rid, {"witnesses[extra]": {"name": "Eén te veel"}},
                                 base_rev=0))
    assert over["status"] == "rejected" and over["reason"] == "too_many_items"
    assert over["rev"] == filled["rev"]  # nothing changed
    # a removal leaves a tombstone, which still counts: the entry stays refused
    phone.push(phone.op(rid, {"witnesses[w0]": None}, base_rev=0))
    [still] = phone.push(phone.op(rid, {"witnesses[extra2]": {"name": "Nog één"}},
                                  base_rev=0))
    assert still["status"] == "rejected" and still["reason"] == "too_many_items"


def test_a_record_larger_than_advertised_is_refused(devices: Devices,
                                                    forms: dict[str, Any]) -> None:
    phone = devices("agent1")
    most = _limits(forms)["max_record_bytes"]
    vor = next(f for f in forms["forms"] if f["type"] == "vor")
    texts = [(f["name"], f["max_length"]) for f in vor["fields"]
             if f["kind"] in ("text", "textarea")]
    if sum(length for _, length in texts) <= most:
        pytest.skip("this server's record limit is above what a VOR's text fields hold")
    rid = new_id()
    phone.push(phone.op(rid, {"street": "Dorpsstraat"}))
    size, results = 0, []
    for name, length in sorted(texts, key=lambda t: -t[1]):
        [result] = phone.push(phone.op(rid, {name: "x" * length}, base_rev=0))
        results.append(result)
        size += length
        if result["status"] == "rejected":
            break
    assert results[-1]["status"] == "rejected", "the limit was never reached"
    assert results[-1]["reason"] == "record_too_large"
    assert size > most


def test_a_full_conflict_refuses_one_more_device_until_it_is_settled(
        devices: Devices, forms: dict[str, Any]) -> None:
    most = _limits(forms)["max_conflict_values"]
    crew = [devices("agent1"), devices("agent2"), devices("leider1"),
            devices("agent1", "klok"), devices("agent2", "pull")]
    if len(crew) <= most:
        pytest.skip(f"this server allows {most} values: more devices than the suite logs in")
    first, others = crew[0], crew[1:most + 1]
    rid = new_id()
    first.push(first.op(rid, {"street": "Begin"}))
    for i, device in enumerate(others):
        [result] = device.push(device.op(rid, {"street": f"Straat {i}"}, base_rev=1))
        assert result["status"] in ("applied", "conflict"), result
    # the creator's device is one more device in a conflict that holds `most` values
    op = first.op(rid, {"street": "Nog een"}, base_rev=1)
    [full] = first.push(op)
    assert full["status"] == "rejected" and full["reason"] == "conflict_full"
    leader = devices("leider1")
    detail = leader.call("GET", f"/api/registrations/{rid}").body
    [conflict] = [c for c in detail["conflicts"] if c["status"] == "open"]
    assert len(conflict["values"]) == most
    settled = leader.call("POST", f"/api/registrations/{rid}/conflicts/{conflict['id']}/resolve",
                          {"value": "Straat 0", "rev": detail["rev"]})
    assert settled.status == 200
    [again] = first.push(op)  # not remembered: the same op goes through now
    assert again["status"] in ("applied", "merged", "conflict")


def test_a_push_over_the_advertised_bytes_is_413_and_applies_nothing(
        devices: Devices, forms: dict[str, Any]) -> None:
    phone = devices("agent1")
    cap = _limits(forms)["max_push_bytes"]
    kept, lost = new_id(), new_id()
    body = {"schema_version": 1, "device_id": phone.device_id, "ops": [
        phone.op(kept, {"street": "Oudegracht"}),
        phone.op(lost, {"narrative": "x" * cap})]}
    status, answer = _send_early_answered(phone, json.dumps(body).encode())
    assert status == 413 and answer["error"] == "too_large"
    assert {kept, lost}.isdisjoint(change["id"] for change in phone.pull())
    # the same ops in smaller batches: the small one goes through
    [result] = phone.push(body["ops"][0])
    assert result["status"] == "applied"
