"""The merge engine on plain data: the subtle cases of the protocol, by name."""

from __future__ import annotations

from typing import Any

import pytest

from sync.hlc import HLC
from sync.merge import NotAllowed, StaleRevision, apply_op, resolve, review
from sync.model import Op, Record

AT = "2026-11-24T10:00:00+00:00"


class Rules:
    """Accepts everything but a value 'INVALID'; requires 'outcome' on submit."""

    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]:
        return {key: ["ongeldig"]} if value == "INVALID" else {}

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
        return {} if data.get("outcome") else {"outcome": ["Verplicht veld"]}


RULES = Rules()


class Device:
    def __init__(self, name: str) -> None:
        self.name = name
        self.ms = 1000
        self.n = 0

    def op(self, set_: dict[str, Any], base_rev: int, ms: int | None = None) -> Op:
        self.n += 1
        self.ms = ms if ms is not None else self.ms + 1
        return Op(op_id=f"{self.name}-{self.n}", record_id="r1", type="vor",
                  base_rev=base_rev, set=set_, hlc=HLC(self.ms, 0, self.name),
                  device=self.name, author=self.name)


def run(record: Record | None, op: Op) -> tuple[str, Record]:
    outcome = apply_op(record, op, RULES, AT)
    assert outcome.status != "rejected", outcome.errors
    assert outcome.record is not None
    return outcome.status, outcome.record


@pytest.fixture
def base() -> Record:
    a = Device("A")
    _, record = run(None, a.op({"street": "Dorpsstraat", "narrative": "begin"}, 0))
    return record


def test_new_record_is_applied_as_draft_at_rev_1() -> None:
    status, record = run(None, Device("A").op({"street": "Kerkstraat"}, 0))
    assert (status, record.status, record.rev, record.data) == (
        "applied", "draft", 1, {"street": "Kerkstraat"})


def test_edit_of_other_field_from_old_rev_is_merged(base: Record) -> None:
    _, r2 = run(base, Device("B").op({"street": "Markt"}, 1))
    status, r3 = run(r2, Device("C").op({"narrative": "aangevuld"}, 1))
    assert status == "merged"
    assert r3.data == {"street": "Markt", "narrative": "aangevuld"}
    assert r3.conflicts == []


def test_edit_of_same_field_from_old_rev_is_conflict(base: Record) -> None:
    _, r2 = run(base, Device("B").op({"street": "Markt"}, 1, ms=5000))
    status, r3 = run(r2, Device("C").op({"street": "Plein"}, 1, ms=4000))
    assert status == "conflict"
    # data keeps the highest HLC: B's Markt (5000) over C's Plein (4000)
    assert r3.data["street"] == "Markt"
    [conflict] = r3.conflicts
    assert conflict["field"] == "street" and conflict["status"] == "open"
    assert sorted(v["value"] for v in conflict["values"]) == ["Markt", "Plein"]


def test_device_own_successive_edits_are_not_a_conflict(base: Record) -> None:
    b = Device("B")
    status1, r2 = run(base, b.op({"street": "Markt"}, 1))
    status2, r3 = run(r2, b.op({"street": "Markt 2"}, 1))
    assert (status1, status2) == ("applied", "applied")
    assert r3.data["street"] == "Markt 2" and r3.conflicts == []


def test_own_edit_never_hides_another_device_change(base: Record) -> None:
    """B edits, C edits the same field, then B's second edit from the same old base."""
    b, c = Device("B"), Device("C")
    _, r2 = run(base, c.op({"street": "Plein"}, 1, ms=2000))
    _, r3 = run(r2, b.op({"narrative": "x"}, 1, ms=2500))
    status, r4 = run(r3, b.op({"street": "Markt"}, 1, ms=3000))
    assert status == "conflict"
    values = {v["value"] for v in r4.conflicts[0]["values"]}
    assert values == {"Plein", "Markt"}


def test_edit_after_merged_result_does_not_overwrite_other_device(base: Record) -> None:
    """After a merged result with a bare rev, the device's next op keeps its old base."""
    b, c = Device("B"), Device("C")
    _, r2 = run(base, b.op({"street": "Markt"}, 1, ms=2000))
    status, r3 = run(r2, c.op({"narrative": "n1"}, 1, ms=2100))
    assert status == "merged"
    # C did not take the record from the result, so its base stays 1; it now edits street.
    status, r4 = run(r3, c.op({"street": "Plein"}, 1, ms=2200))
    assert status == "conflict"
    assert {v["value"] for v in r4.conflicts[0]["values"]} == {"Markt", "Plein"}


def test_three_concurrent_values_of_one_field_share_one_conflict(base: Record) -> None:
    _, r2 = run(base, Device("B").op({"street": "Markt"}, 1, ms=2000))
    _, r3 = run(r2, Device("C").op({"street": "Plein"}, 1, ms=3000))
    status, r4 = run(r3, Device("D").op({"street": "Laan"}, 1, ms=2500))
    assert status == "conflict"
    assert len(r4.conflicts) == 1
    assert sorted(v["value"] for v in r4.conflicts[0]["values"]) == ["Laan", "Markt", "Plein"]
    assert r4.data["street"] == "Plein"  # highest HLC


def test_items_added_concurrently_by_two_devices_both_survive(base: Record) -> None:
    _, r2 = run(base, Device("B").op({"parties[p1]": {"plate": "AB-12-CD"}}, 1))
    status, r3 = run(r2, Device("C").op({"parties[p2]": {"plate": "XY-99-ZZ"}}, 1))
    assert status == "merged"
    assert [p["id"] for p in r3.data["parties"]] == ["p1", "p2"]


def test_item_fields_edited_by_two_devices_merge_per_field(base: Record) -> None:
    _, r2 = run(base, Device("A").op({"parties[p1]": {"plate": "AB", "insurer": "X"}}, 1))
    _, r3 = run(r2, Device("B").op({"parties[p1]": {"plate": "CD"}}, 2))
    status, r4 = run(r3, Device("C").op({"parties[p1]": {"insurer": "Y"}}, 2))
    assert status == "merged"
    assert r4.data["parties"] == [{"id": "p1", "plate": "CD", "insurer": "Y"}]


def test_item_removal_leaves_tombstone(base: Record) -> None:
    a = Device("A")
    _, r2 = run(base, a.op({"parties[p1]": {"plate": "AB"}}, 1))
    _, r3 = run(r2, a.op({"parties[p1]": None}, 2))
    # the tombstone keeps the item's last fields
    assert r3.data["parties"] == [{"id": "p1", "removed": True, "plate": "AB"}]


def test_item_removal_against_concurrent_edit_is_conflict_newest_wins(base: Record) -> None:
    _, r2 = run(base, Device("A").op({"parties[p1]": {"plate": "AB", "insurer": "X"}}, 1))
    _, r3 = run(r2, Device("B").op({"parties[p1]": {"plate": "CD"}}, 2, ms=5000))
    status, r4 = run(r3, Device("C").op({"parties[p1]": None}, 2, ms=4000))
    assert status == "conflict"
    assert r4.data["parties"][0] == {"id": "p1", "plate": "CD", "insurer": "X"}
    assert r4.conflicts[0]["field"] == "parties[p1]"
    # the other order: removal first, an older edit loses, a newer edit revives the item
    _, r5 = run(r2, Device("C").op({"parties[p1]": None}, 2, ms=4000))
    status, r6 = run(r5, Device("B").op({"parties[p1]": {"plate": "CD"}}, 2, ms=5000))
    assert status == "conflict"
    assert r6.data["parties"][0] == {"id": "p1", "plate": "CD", "insurer": "X"}


def test_partial_draft_syncs_and_submit_checks_required(base: Record) -> None:
    outcome = apply_op(base, Device("A").op({"status": "submitted"}, 1), RULES, AT)
    assert outcome.status == "rejected" and "outcome" in outcome.errors
    status, r2 = run(base, Device("A").op({"outcome": "UMS", "status": "submitted"}, 1))
    assert (status, r2.status) == ("applied", "submitted")


def test_edit_of_approved_record_is_kept_as_amendment(base: Record) -> None:
    _, r2 = run(base, Device("A").op({"outcome": "UMS", "status": "submitted"}, 1))
    r3 = review(r2, "approve", "", 2, "leider", "L", AT)
    outcome = apply_op(r3, Device("A").op({"narrative": "later"}, 3), RULES, AT)
    assert outcome.status == "rejected"
    assert outcome.amendment is not None and outcome.amendment["set"] == {"narrative": "later"}


def test_status_transition_not_allowed_is_rejected(base: Record) -> None:
    outcome = apply_op(base, Device("A").op({"status": "approved"}, 1), RULES, AT)
    assert outcome.status == "rejected" and "status" in outcome.errors


def test_base_rev_from_the_future_is_rejected(base: Record) -> None:
    outcome = apply_op(base, Device("A").op({"street": "x"}, 7), RULES, AT)
    assert outcome.status == "rejected" and "base_rev" in outcome.errors


def test_invalid_value_rejects_whole_op(base: Record) -> None:
    outcome = apply_op(base, Device("A").op({"street": "ok", "narrative": "INVALID"}, 1),
                       RULES, AT)
    assert outcome.status == "rejected" and outcome.record is None
    assert outcome.errors == {"narrative": ["ongeldig"]}


def test_server_keys_cannot_be_set(base: Record) -> None:
    outcome = apply_op(base, Device("A").op({"team": 9, "rev": 99}, 1), RULES, AT)
    assert set(outcome.errors) == {"team", "rev"}


def test_review_on_stale_rev_raises(base: Record) -> None:
    _, r2 = run(base, Device("A").op({"outcome": "UMS", "status": "submitted"}, 1))
    with pytest.raises(StaleRevision):
        review(r2, "approve", "", 1, "leider", "L", AT)
    with pytest.raises(NotAllowed):
        review(base, "approve", "", 1, "leider", "L", AT)


def test_resolve_sets_value_and_closes_conflict(base: Record) -> None:
    _, r2 = run(base, Device("B").op({"street": "Markt"}, 1, ms=2000))
    _, r3 = run(r2, Device("C").op({"street": "Plein"}, 1, ms=3000))
    conflict_id = r3.conflicts[0]["id"]
    r4, change = resolve(r3, conflict_id, "Markt", r3.rev, "leider", "L", HLC(9000, 0, "L"), AT)
    assert r4.data["street"] == "Markt" and change == {"street": "Markt"}
    assert r4.conflicts[0]["status"] == "resolved"
    assert r4.rev == r3.rev + 1


def test_apply_op_never_modifies_its_input(base: Record) -> None:
    import copy

    before = copy.deepcopy(base)
    run(base, Device("B").op({"street": "Markt", "parties[p9]": {"plate": "Z"}}, 1))
    assert base == before
