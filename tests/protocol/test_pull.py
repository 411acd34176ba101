"""PROTOCOL.md §5 (pull): paging without repeats, collapsing, cursor rules."""

from __future__ import annotations

from collections.abc import Callable

from tests.protocol.client import Device, new_id
from tests.protocol.helpers import assert_error

Devices = Callable[..., Device]


def test_pages_follow_each_other_without_repeats(devices: Devices) -> None:
    phone, colleague = devices("agent1"), devices("agent2", "pull")
    colleague.pull()  # up to date first
    made = [new_id() for _ in range(7)]
    phone.push(*[phone.op(rid, {"street": f"Straat {i}"}) for i, rid in enumerate(made)])
    seen: list[str] = []
    cursor = colleague.cursor
    while True:
        reply = colleague.pull_page(cursor, limit=3)
        assert reply.status == 200
        body = reply.body
        assert set(body) >= {"changes", "cursor", "more", "remaining", "hlc",
                             "schema_version"}
        assert len(body["changes"]) <= 3
        for change in body["changes"]:
            assert set(change) == {"entity", "id", "op", "rev", "record"}
        seen += [c["id"] for c in body["changes"]]
        cursor = body["cursor"]
        if not body["more"]:
            assert body["remaining"] == 0
            break
        assert body["remaining"] >= 1
    assert len(seen) == len(set(seen))
    assert set(made) <= set(seen)


def test_a_record_changed_often_comes_once_at_its_latest_rev(devices: Devices) -> None:
    phone, colleague = devices("agent1"), devices("agent2", "pull")
    colleague.pull()
    rid = new_id()
    phone.push(phone.op(rid, {"street": "a"}))
    phone.push(phone.op(rid, {"street": "b"}, base_rev=0))
    phone.push(phone.op(rid, {"street": "c"}, base_rev=0))
    changes = [c for c in colleague.pull() if c["id"] == rid]
    assert len(changes) == 1
    assert changes[0]["op"] == "upsert" and changes[0]["rev"] == 3
    assert changes[0]["record"]["data"]["street"] == "c"
    assert "history" not in changes[0]["record"]


def test_a_retried_page_may_repeat_and_is_ignored_by_rev(devices: Devices) -> None:
    phone, colleague = devices("agent1"), devices("agent2", "pull")
    colleague.pull()
    rid = new_id()
    phone.push(phone.op(rid, {"street": "a"}))
    before = colleague.cursor
    first = colleague.pull_page(before).body
    again = colleague.pull_page(before).body
    assert [c["id"] for c in first["changes"]] == [c["id"] for c in again["changes"]]
    assert first["cursor"] == again["cursor"]


def test_cursor_rules(devices: Devices) -> None:
    colleague = devices("agent2", "pull")
    colleague.pull()
    assert_error(colleague.pull_page("geen-cursor"), 400, "invalid_cursor")
    # a well-formed cursor past the end is accepted: nothing more to send
    seq, _, scope = colleague.cursor.partition(".")
    ahead = colleague.pull_page(f"{int(seq) + 1000}.{scope}")
    assert ahead.status == 200 and ahead.body["changes"] == [] and ahead.body["more"] is False
    assert_error(colleague.pull_page(None, limit=0), 422)


def test_another_team_sees_nothing_of_this_team(devices: Devices) -> None:
    phone, elsewhere = devices("agent1"), devices("agent3")
    elsewhere.pull()
    rid = new_id()
    phone.push(phone.op(rid, {"street": "Geheim"}))
    assert rid not in {c["id"] for c in elsewhere.pull()}


def test_a_beheerder_does_not_pull(devices: Devices) -> None:
    assert_error(devices("beheer1").pull_page(None), 403)
