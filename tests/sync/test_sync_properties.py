"""Properties of sync over the real API: random schedules of several offline devices.

Devices edit shared records offline, push in random batches (some duplicated, some with
the reply lost so they are retried), and pull at random moments. After a final round in
which everyone pushes and pulls, the properties of the protocol must hold:

* convergence: every device holds exactly the server's records;
* no value is lost: every value pushed is in the record, its history or a conflict;
* a duplicated op changes nothing.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.cli import make_user
from server.extensions import db
from server.models import Registration, Revision
from tests.conftest import PASSWORD, Api, login, make_app

DEVICES = 3
RECORDS = 2
SCALARS = ("street", "narrative")
PARTIES = ("p1", "p2")


class Replica:
    """A device following sync/PROTOCOL.md: bases, an outbox, a cursor."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.base: dict[str, dict[str, Any]] = {}
        self.outbox: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.sent: list[dict[str, Any]] = []

    def edit(self, record_id: str, key: str, value: Any) -> None:
        base_rev = self.base[record_id]["rev"] if record_id in self.base else 0
        self.outbox.append(self.api.op(record_id, {key: value}, base_rev=base_rev))

    def push(self, count: int, lose_reply: bool, duplicate: bool,
             reorder: bool = False) -> None:
        batch = self.outbox[:count]
        if not batch:
            return
        if reorder:
            batch = batch[::-1]  # a client that sends its queue out of order
        if duplicate:
            batch = batch + batch[:1]
        results = self.api.push(*batch)
        self.sent += batch
        if lose_reply:
            return  # the ops stay in the outbox and are sent again later
        answered = {r["op_id"] for r in results}
        self.outbox = [op for op in self.outbox if op["op_id"] not in answered]
        for result in results:
            record = result.get("record")
            if record and record["rev"] > self.base.get(record["id"], {"rev": 0})["rev"]:
                self.base[record["id"]] = record

    def pull(self) -> None:
        body = self.api.pull_all(self.cursor, limit=2)
        for change in body["changes"]:
            held = self.base.get(change["id"])
            if change["op"] == "upsert" and (held is None or change["rev"] > held["rev"]):
                self.base[change["id"]] = change["record"]
        self.cursor = body["cursor"]


edit = st.tuples(
    st.just("edit"), st.integers(0, DEVICES - 1), st.integers(0, RECORDS - 1),
    st.sampled_from(SCALARS + tuple(f"parties[{p}]" for p in PARTIES)),
    st.one_of(st.text(alphabet="abcxyz", min_size=1, max_size=4), st.none()),
)
push = st.tuples(st.just("push"), st.integers(0, DEVICES - 1), st.integers(1, 4),
                 st.booleans(), st.booleans(), st.booleans())
pull = st.tuples(st.just("pull"), st.integers(0, DEVICES - 1))
schedule = st.lists(st.one_of(edit, push, pull), min_size=1, max_size=25)


def _value_for(key: str, value: str | None) -> Any:
    if key.startswith("parties["):
        return None if value is None else {"licence_plate": value}
    return value if value is not None else "leeg"


def _run(actions: list[tuple[Any, ...]], template_db: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp, template_db)
        with app.app_context():
            for index in range(DEVICES):
                make_user(f"agent{index}", "agent", PASSWORD, "Centrum")
            db.session.commit()
            client = app.test_client()
            replicas = [Replica(login(client, f"agent{i}", f"toestel {i}"))
                        for i in range(DEVICES)]
            record_ids = [str(uuid.uuid4()) for _ in range(RECORDS)]
            # device 0 creates the records, and everyone starts from them
            for record_id in record_ids:
                replicas[0].edit(record_id, "street", "start")
            replicas[0].push(RECORDS, False, False)
            for replica in replicas:
                replica.pull()

            for action in actions:
                replica = replicas[action[1]]
                if action[0] == "edit":
                    _, _, rec, key, value = action
                    replica.edit(record_ids[rec], key, _value_for(key, value))
                elif action[0] == "push":
                    replica.push(action[2], action[3], action[4], action[5])
                else:
                    replica.pull()

            for replica in replicas:
                while replica.outbox:
                    replica.push(100, False, False)
            for replica in replicas:
                replica.pull()
            _check(replicas)
            db.session.remove()
            db.engine.dispose()


def _check(replicas: list[Replica]) -> None:
    rows = {r.id: r for r in db.session.execute(select(Registration)).scalars()}
    for replica in replicas:
        held = {rid: (r["rev"], r["status"], r["data"], r["conflicts"])
                for rid, r in replica.base.items()}
        server = {rid: (r.rev, r.status, r.data, r.conflicts) for rid, r in rows.items()}
        assert held == server, "a replica did not converge on the server state"

    history: dict[str, list[dict[str, Any]]] = {}
    for revision in db.session.execute(select(Revision)).scalars():
        history.setdefault(revision.registration_id, []).append(revision.set)
    for replica in replicas:
        for op in replica.sent:
            [(key, value)] = op["set"].items()
            row = rows[op["record_id"]]
            assert _survives(key, value, row, history.get(row.id, [])), (key, value)

    # a duplicated op changes nothing
    some = replicas[0]
    if some.sent:
        before = {r.id: r.rev for r in rows.values()}
        results = some.api.push(*some.sent[:3])
        assert {r["status"] for r in results} <= {"duplicate"}
        db.session.expire_all()
        after = {r.id: r.rev for r in db.session.execute(select(Registration)).scalars()}
        assert before == after


def _survives(key: str, value: Any, row: Registration, history: list[dict[str, Any]]) -> bool:
    if any(key in revision and revision[key] == value for revision in history):
        return True
    if value is None and "[" in key:  # removing an item that was already a tombstone
        group, item_id = key[:-1].split("[")
        if any(item["id"] == item_id and item.get("removed")
               for item in row.data.get(group, [])):
            return True
    if isinstance(value, dict):
        # an item edit: each field in a revision or a conflict on that item field
        return all(
            any(key in rev and isinstance(rev[key], dict) and rev[key].get(name) == v
                for rev in history)
            or _in_conflict(row, f"{key}.{name}", v) or _in_conflict(row, key, value)
            for name, v in value.items()
        )
    return _in_conflict(row, key, value)


def _in_conflict(row: Registration, field: str, value: Any) -> bool:
    return any(c["field"] == field and any(v["value"] == value for v in c["values"])
               for c in row.conflicts)


@settings(max_examples=int(os.environ.get("WIJKPOST_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(actions=schedule)
def test_random_offline_schedules_converge_and_lose_nothing(actions: list[tuple[Any, ...]],
                                                            template_db: str) -> None:
    _run(actions, template_db)
