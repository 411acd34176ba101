"""Bounded work in the engine: items per group, values per conflict, size of a record.

Each bound refuses the op that would cross it with ``rejected`` and a machine ``reason``;
the record it was applied to stays exactly as it was.
"""

from __future__ import annotations

import copy
from typing import Any

from sync.hlc import HLC
from sync.merge import apply_op
from sync.model import Limits, Op, Record

AT = "2026-11-24T10:00:00+00:00"


class Rules:
    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]:
        return {}

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
        return {}


RULES = Rules()


def op(device: str, set_: dict[str, Any], base_rev: int, ms: int, n: int = 0) -> Op:
    return Op(op_id=f"{device}-{ms}-{n}", record_id="r1", type="vor", base_rev=base_rev,
              set=set_, hlc=HLC(ms, 0, device), device=device, author=f"agent-{device}")


def applied(record: Record | None, an_op: Op, limits: Limits | None = None) -> Record:
    outcome = apply_op(record, an_op, RULES, AT) if limits is None else apply_op(
        record, an_op, RULES, AT, limits=limits)
    assert outcome.status != "rejected", outcome.errors
    assert outcome.record is not None
    return outcome.record


def refused(record: Record, an_op: Op, reason: str, limits: Limits | None = None
            ) -> dict[str, list[str]]:
    before = copy.deepcopy(record)
    outcome = apply_op(record, an_op, RULES, AT) if limits is None else apply_op(
        record, an_op, RULES, AT, limits=limits)
    assert (outcome.status, outcome.reason) == ("rejected", reason), outcome
    assert outcome.record is None and record == before
    return outcome.errors


def test_a_group_holds_at_most_200_items_tombstones_included() -> None:
    record = applied(None, op("A", {f"parties[p{i}]": {"plate": str(i)}
                                    for i in range(150)}, 0, 1000))
    # removing items leaves tombstones: they still count
    record = applied(record, op("A", {f"parties[p{i}]": None for i in range(50)}, 1, 1001))
    record = applied(record, op("A", {f"parties[q{i}]": {"plate": "x"} for i in range(50)},
                                2, 1002))
    assert len(record.data["parties"]) == 200
    errors = refused(record, op("A", {"parties[extra]": {"plate": "y"}}, 3, 1003),
                     "too_many_items")
    assert errors == {"parties": ["Een lijst mag hoogstens 200 items hebben (verwijderde "
                                  "meegeteld)"]}
    # a removal of an item never seen would add a tombstone: refused as well
    refused(record, op("A", {"parties[nooit]": None}, 3, 1004), "too_many_items")
    # editing an existing item, or another group, is still fine
    edited = applied(record, op("A", {"parties[q1]": {"plate": "z"},
                                      "witnesses[w1]": {"name": "Jan"}}, 3, 1005))
    assert edited.rev == 4


def test_a_create_with_too_many_items_is_refused() -> None:
    outcome = apply_op(None, op("A", {f"parties[p{i}]": {"plate": "x"} for i in range(201)},
                                0, 1000), RULES, AT)
    assert (outcome.status, outcome.reason) == ("rejected", "too_many_items")


def test_a_devices_repeated_values_do_not_grow_a_conflict() -> None:
    record = applied(None, op("A", {"street": "Begin"}, 0, 1000))
    record = applied(record, op("B", {"street": "B-0"}, 1, 2000))
    # C has not seen B's value: every one of its edits is concurrent with it
    for n in range(5):
        outcome = apply_op(record, op("C", {"street": f"C-{n}"}, 1, 3000 + n), RULES, AT)
        assert outcome.status == "conflict"
        record = outcome.record
    [conflict] = record.conflicts
    by_device = {v["device"]: v["value"] for v in conflict["values"]}
    assert len(conflict["values"]) == 2
    assert by_device == {"B": "B-0", "C": "C-4"}  # C's newest took its older values' place
    assert record.data["street"] == "C-4"


def test_an_older_value_of_a_device_does_not_replace_its_newer_one() -> None:
    record = applied(None, op("A", {"street": "Begin"}, 0, 1000))
    record = applied(record, op("B", {"street": "B"}, 1, 2000))
    record = applied(record, op("C", {"street": "C-new"}, 1, 5000))
    # an op C made earlier arrives late (sent out of order): it joins nothing
    outcome = apply_op(record, op("C", {"street": "C-old"}, 1, 4000), RULES, AT)
    values = {(v["device"], v["value"]) for v in outcome.record.conflicts[0]["values"]}
    assert values == {("B", "B"), ("C", "C-new")}
    assert outcome.lost == ["street"]


def test_the_17th_device_gets_conflict_full() -> None:
    record = applied(None, op("A", {"street": "Begin"}, 0, 1000))
    for n in range(16):
        outcome = apply_op(record, op(f"D{n}", {"street": f"v{n}"}, 1, 2000 + n), RULES, AT)
        assert outcome.status in ("applied", "conflict"), outcome.errors
        record = outcome.record
    assert len(record.conflicts[0]["values"]) == 16
    errors = refused(record, op("D16", {"street": "v16", "narrative": "x"}, 1, 3000),
                     "conflict_full")
    assert list(errors) == ["street"] and "teamleider" in errors["street"][0]
    # a device already in the conflict still replaces its own value
    outcome = apply_op(record, op("D3", {"street": "v3-nieuw"}, 1, 3001), RULES, AT)
    assert outcome.status == "conflict"
    assert len(outcome.record.conflicts[0]["values"]) == 16
    assert "v3-nieuw" in {v["value"] for v in outcome.record.conflicts[0]["values"]}


def test_a_record_over_256_kb_is_refused() -> None:
    record = applied(None, op("A", {"narrative": "a" * 200_000}, 0, 1000))
    errors = refused(record, op("A", {"street": "b" * 70_000}, 1, 1001), "record_too_large")
    assert errors == {"data": ["De registratie wordt te groot: hoogstens 256 KB aan "
                               "gegevens"]}
    # replacing the big text by a small one is fine, and then there is room again
    record = applied(record, op("A", {"narrative": "kort"}, 1, 1002))
    record = applied(record, op("A", {"street": "b" * 70_000}, 2, 1003))
    assert len(record.data["street"]) == 70_000
    outcome = apply_op(None, op("A", {"narrative": "x" * 262_144}, 0, 1000), RULES, AT)
    assert outcome.reason == "record_too_large"


def test_limits_are_configurable() -> None:
    small = Limits(max_group_items=2, max_conflict_values=2, max_record_bytes=100)
    record = applied(None, op("A", {"parties[a]": {"n": 1}, "street": "s"}, 0, 1000), small)
    refused(record, op("A", {"parties[b]": {"n": 2}, "parties[c]": {"n": 3}}, 1, 1001),
            "too_many_items", small)
    refused(record, op("A", {"narrative": "x" * 100}, 1, 1002), "record_too_large", small)
    record = applied(record, op("B", {"street": "B"}, 1, 2000), small)
    record = applied(record, op("C", {"street": "C"}, 1, 3000), small)
    refused(record, op("D", {"street": "D"}, 1, 4000), "conflict_full", small)
