"""The direct create path of ``apply_op`` against the general merge, on random ops.

``apply_op(None, op)`` builds a new record directly; ``_apply_general`` on an empty record
is the reference. They must give the same ``Outcome`` (and the same key order, which is
what gets stored), also for odd keys the direct path hands over to the general merge, and
records made by the direct path must merge later ops exactly as general-made ones do.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.hlc import HLC
from sync.merge import (
    _apply_general,
    _build_new,
    apply_op,
    check_op,
    new_record,
    resolve,
)
from sync.model import Op, Outcome, Record

AT = "2026-11-24T10:00:00+00:00"


class Rules:
    """Rejects the value 'INVALID'; on submit requires 'outcome' when ``strict``."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.calls = 0

    def validate_set(self, rtype: str, key: str, value: Any) -> dict[str, list[str]]:
        self.calls += 1
        return {key: ["ongeldig"]} if value == "INVALID" else {}

    def missing_required(self, rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
        if self.strict and not data.get("outcome"):
            return {"outcome": ["Verplicht veld"]}
        return {}


def snapshot(result: Any) -> str:
    """Everything about a result, key order included (it is stored as JSON)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    return json.dumps(result, default=repr)


def run(fn: Any, *args: Any) -> tuple[str, Any]:
    """The result of ``fn``, or the exception it raised (both paths must raise alike)."""
    try:
        return "ok", fn(*args)
    except Exception as exc:  # noqa: BLE001 - compared, not swallowed
        return "raised", (type(exc).__name__, str(exc))


def general_create(op: Op, rules: Rules) -> Outcome:
    return _apply_general(new_record(op), op, rules, AT)


# -- random create ops -----------------------------------------------------------------

GROUPS = ("parties", "witnesses", "street", "withdraw_reason", "status")
ITEM_IDS = st.sampled_from(["p1", "p2", "w1"]) | st.from_regex(r"[A-Za-z0-9_-]{1,8}",
                                                                 fullmatch=True)
TEXT = st.sampled_from(["a", "b", "UMS", "Oudegracht"]) | st.text(max_size=5)
PLAIN_SETS = st.dictionaries(
    st.one_of(
        st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True),
        st.sampled_from(["street", "narrative", "outcome"]),
        st.builds("{}[{}]".format, st.sampled_from(["parties", "witnesses"]), ITEM_IDS),
    ),
    st.none(), min_size=1, max_size=10,
).flatmap(lambda keys: st.fixed_dictionaries({
    key: (st.none() | st.dictionaries(st.sampled_from(["plate", "insurer", "name"]), TEXT,
                                      max_size=4)
          if "[" in key else st.none() | TEXT | st.integers(0, 9))
    for key in keys
}))
ODD_KEYS = st.one_of(
    # names of groups, server keys, status keys, paths that look like items but are not
    st.sampled_from(["street", "parties", "status", "withdraw_reason", "rev",
                     "parties[p1].plate", "A[b]", "g[i"]),
    st.builds(lambda group, item_id, newline: f"{group}[{item_id}]" + newline,
              st.sampled_from(GROUPS), ITEM_IDS, st.sampled_from(["", "", "\n"])),
)
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), TEXT,
    st.sampled_from(["INVALID", "submitted", "withdrawn", "draft", "  "]),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["plate", "name", "id", "removed"]), TEXT, max_size=3),
    st.sampled_from(["not an item", 5, []]),
)
ODD_SETS = st.dictionaries(ODD_KEYS, VALUES, max_size=6)


@st.composite
def create_sets(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly plain creates; one in four with odd keys and values (rejected, or raising)."""
    set_ = draw(ODD_SETS if draw(st.integers(0, 3)) == 0 else PLAIN_SETS)
    extra = draw(st.integers(0, 5))
    if extra == 1:
        set_["status"] = "submitted"
    elif extra == 2:
        set_["status"] = "withdrawn"
        set_["withdraw_reason"] = draw(st.sampled_from(["kapot", "dubbel"]))
    elif extra == 3:
        set_["withdraw_reason"] = draw(st.sampled_from(["kapot", "", 3]))
    return set_


def make_op(set_: dict[str, Any], op_id: str = "op-1", device: str = "A",
            base_rev: int = 0, hlc: HLC | None = None) -> Op:
    return Op(op_id=op_id, record_id="r1", type="vor", base_rev=base_rev, set=set_,
              hlc=hlc or HLC(1_700_000_000_000, 3, device), device=device,
              author=f"agent-{device}")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(create_sets(), st.booleans())
def test_create_gives_the_outcome_of_the_general_merge(
    set_: dict[str, Any], strict: bool
) -> None:
    op = make_op(set_)
    fast_rules, general_rules = Rules(strict), Rules(strict)
    fast = run(apply_op, None, op, fast_rules, AT)
    general = run(general_create, op, general_rules)
    assert fast == general
    assert snapshot(fast) == snapshot(general)
    # every key still goes through the rules, once
    assert fast_rules.calls == general_rules.calls
    # checked ahead (as the server does before its write lock): the same outcome
    ahead_rules = Rules(strict)
    ahead = run(check_op, op, ahead_rules)
    if ahead[0] == "ok":
        assert snapshot(run(apply_op, None, op, ahead_rules, AT, ahead[1])) == snapshot(fast)
        assert snapshot(run(_apply_general, new_record(op), op, ahead_rules, AT, ahead[1])
                        ) == snapshot(general)


def test_the_benchmark_accident_takes_the_direct_path() -> None:
    """The common create is built directly, not handed to the general merge."""
    set_ = {
        "occurred_at": "2026-11-24T09:30:00+01:00",
        "location": {"lat": 52.1, "lon": 5.12, "accuracy": 8},
        "street": "Oudegracht", "outcome": "UMS",
        "parties[p1]": {"object_type": "1", "licence_plate": "AB-123-C"},
        "parties[p2]": {"object_type": "1", "licence_plate": "XY-987-Z"},
        "witnesses[w1]": {"name": "J. de Getuige"},
        "status": "submitted",
    }
    op = make_op(set_)
    assert _build_new(op) is not None
    outcome = apply_op(None, op, Rules(strict=True), AT)
    assert outcome == general_create(op, Rules(strict=True))
    assert outcome.status == "applied" and outcome.status_change == "submitted"


# -- random histories of several devices -------------------------------------------------

# one to three keys of a few shared paths, so devices meet; status now and then
EDIT_SETS = st.dictionaries(
    st.sampled_from(["street", "narrative", "outcome", "parties[p1]", "parties[p2]",
                     "witnesses[w1]"] * 3 + ["status", "withdraw_reason"]),
    st.none(), min_size=1, max_size=3,
).flatmap(lambda keys: st.fixed_dictionaries({
    key: (st.sampled_from(["submitted", "withdrawn"]) if key == "status"
          else st.none() | st.dictionaries(st.sampled_from(["plate", "insurer", "name"]),
                                           st.sampled_from(["a", "b", "c"]),
                                           min_size=1, max_size=3)
          if "[" in key else st.sampled_from(["a", "b", "c", "UMS"]))
    for key in keys
}))
STEPS = st.lists(st.one_of(
    # (device, base_rev wish, hlc ms, keys): older bases make concurrent edits
    *[st.tuples(st.sampled_from("ABC"), st.integers(0, 6), st.integers(0, 5), sets)
      for sets in (EDIT_SETS, EDIT_SETS, EDIT_SETS, create_sets())],
    st.tuples(st.just("resolve"), st.integers(0, 3), st.sampled_from(["x", None])),
), min_size=1, max_size=16)


def replay(steps: list[tuple[Any, ...]], direct: bool) -> list[tuple[str, Any]]:
    """Outcomes of ``steps`` on one record; creates direct or through the general merge."""
    rules = Rules(strict=True)
    record: Record | None = None
    results: list[tuple[str, Any]] = []
    ticks = {"A": 0, "B": 0, "C": 0}
    for n, step in enumerate(steps):
        if step[0] == "resolve":
            if record is None or not record.conflicts:
                continue
            conflict = record.conflicts[step[1] % len(record.conflicts)]
            result = run(resolve, record, conflict["id"], step[2], record.rev, "leider", "L",
                         HLC(1_700_000_009_999, 0, "L"), AT)
            results.append(result)
            if result[0] == "ok":
                record = result[1][0]
            continue
        device, base_rev, ms, set_ = step
        ticks[device] += 1
        op = make_op(set_, f"{device}-{n}", device, min(base_rev, record.rev if record else 0),
                     HLC(1_700_000_000_000 + ms, ticks[device], device))
        before = copy.deepcopy(record)
        if record is None and not direct:
            result = run(general_create, op, rules)
        else:
            result = run(apply_op, record, op, rules, AT)
        assert snapshot(record) == snapshot(before), "apply_op changed its input"
        results.append(result)
        if result[0] == "ok" and result[1].record is not None:
            record = result[1].record
    return results


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_records_made_directly_merge_later_ops_like_general_ones(
    steps: list[tuple[Any, ...]],
) -> None:
    direct, general = replay(steps, direct=True), replay(steps, direct=False)
    assert [snapshot(r) for r in direct] == [snapshot(r) for r in general]
