"""Engine rules as PROTOCOL.md states them: what a rejected op, a repeated status, a
removed item and a lost value leave behind."""

from __future__ import annotations

from typing import Any

import pytest

from sync.hlc import HLC
from sync.merge import apply_op, review
from sync.model import Op, Record

AT = "2026-11-24T10:00:00+00:00"


class Rules:
    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]:
        return {}

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
        return {} if data.get("outcome") else {"outcome": ["Verplicht veld"]}


RULES = Rules()
_ticks = iter(range(10**6))


def op(set_: dict[str, Any], base_rev: int, device: str = "A", ms: int | None = None) -> Op:
    n = next(_ticks)
    return Op(op_id=f"{device}-{n}", record_id="r1", type="vor", base_rev=base_rev, set=set_,
              hlc=HLC(ms if ms is not None else 1000 + n, 0, device), device=device,
              author=f"agent-{device}")


def run(record: Record | None, an_op: Op) -> Record:
    outcome = apply_op(record, an_op, RULES, AT)
    assert outcome.status != "rejected", outcome.errors
    assert outcome.record is not None
    return outcome.record


def withdrawn() -> Record:
    return run(None, op({"street": "Markt", "status": "withdrawn",
                         "withdraw_reason": "dubbel"}, 0))


def submitted() -> Record:
    return run(None, op({"street": "Markt", "outcome": "UMS", "status": "submitted"}, 0))


def approved() -> Record:
    record = submitted()
    return review(record, "approve", "", record.rev, "leider", "L", AT)


@pytest.mark.parametrize("set_", [{"narrative": "later"},
                                  {"status": "submitted"},
                                  {"withdraw_reason": "toch anders"},
                                  {"status": "withdrawn", "narrative": "x"}])
def test_a_withdrawn_record_refuses_edits_and_stores_nothing(set_: dict[str, Any]) -> None:
    record = withdrawn()
    outcome = apply_op(record, op(set_, record.rev), RULES, AT)
    assert outcome.status == "rejected" and outcome.record is None
    assert outcome.amendment is None
    [message] = outcome.errors["status"]
    assert "ingetrokken" in message and "bewaard" not in message


def test_only_an_edit_of_an_approved_record_is_kept_as_amendment() -> None:
    record = approved()
    edit = apply_op(record, op({"narrative": "later"}, record.rev), RULES, AT)
    assert edit.status == "rejected" and edit.amendment is not None
    assert edit.errors == {"status": [
        "De registratie is goedgekeurd; de wijziging is bewaard als aanvulling"]}
    status_only = apply_op(record, op({"status": "submitted"}, record.rev), RULES, AT)
    assert status_only.status == "rejected" and status_only.amendment is None
    [message] = status_only.errors["status"]
    assert "goedgekeurd" in message and "bewaard" not in message


@pytest.mark.parametrize("make, status", [(withdrawn, "withdrawn"), (submitted, "submitted")])
def test_setting_the_current_status_again_changes_nothing(make: Any, status: str) -> None:
    record = make()
    outcome = apply_op(record, op({"status": status}, record.rev), RULES, AT)
    assert outcome.status == "applied"
    assert outcome.record == record and outcome.record.rev == record.rev
    assert outcome.changes == {} and outcome.status_change is None


def test_the_current_status_with_data_merges_the_data() -> None:
    record = submitted()
    outcome = apply_op(record, op({"status": "submitted", "narrative": "aangevuld"},
                                  record.rev), RULES, AT)
    assert outcome.status == "applied" and outcome.status_change is None
    assert outcome.record.rev == record.rev + 1
    assert outcome.changes == {"narrative": "aangevuld"}


def test_a_tombstone_keeps_the_items_last_fields_and_an_edit_revives_them() -> None:
    record = run(None, op({"parties[p1]": {"plate": "AB", "insurer": "X"}}, 0))
    record = run(record, op({"parties[p1]": None}, 1))
    assert record.data["parties"] == [{"id": "p1", "removed": True, "plate": "AB",
                                       "insurer": "X"}]
    revived = run(record, op({"parties[p1]": {"plate": "CD"}}, 2))
    assert revived.data["parties"] == [{"id": "p1", "plate": "CD", "insurer": "X"}]


def test_a_concurrent_older_edit_does_not_revive_a_removed_item() -> None:
    record = run(None, op({"parties[p1]": {"plate": "AB"}}, 0))
    record = run(record, op({"parties[p1]": None}, 1, device="B", ms=5000))
    outcome = apply_op(record, op({"parties[p1]": {"plate": "CD"}}, 1, device="C", ms=4000),
                       RULES, AT)
    assert outcome.status == "conflict" and outcome.lost == ["parties[p1]"]
    assert outcome.record.data["parties"] == [{"id": "p1", "removed": True, "plate": "AB"}]


def test_lost_lists_the_paths_that_lost_on_hlc() -> None:
    record = run(None, op({"street": "a", "parties[p1]": {"plate": "AB"}}, 0))
    record = run(record, op({"street": "b", "parties[p1]": {"plate": "CD"}}, 1, "B", 9000))
    outcome = apply_op(record, op({"street": "c", "narrative": "n",
                                   "parties[p1]": {"plate": "EF", "insurer": "Y"}},
                                  1, "C", 8000), RULES, AT)
    assert outcome.status == "conflict"
    assert outcome.lost == ["street", "parties[p1].plate"]
