"""The team leader's review queue: oldest waiting first, paged, filtered, searched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text, update

from server import audit
from server.extensions import db
from server.models import Registration
from tests.api.test_access import create, submitted
from tests.api.test_own_conflicts import clash
from tests.conftest import Api
from tests.samples import minor_accident


def backdate(record_id: str, day: int) -> None:
    db.session.execute(update(Registration).where(Registration.id == record_id).values(
        submitted_at=datetime(2026, 1, day, 8, tzinfo=UTC)))
    db.session.commit()


def pages(api: Api, **query: Any) -> list[list[str]]:
    found, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/registrations", query_string=params).get_json()
        found.append([r["id"] for r in body["items"]])
        cursor = body["cursor"]
        if not body["more"]:
            return found


def test_the_queue_lists_submitted_registrations_oldest_first_with_the_count(
        agent1: Api, agent2: Api, leider: Api) -> None:
    ids = [submitted(agent1) for _ in range(5)]
    for day, record_id in zip((5, 2, 9, 2, 1), ids, strict=True):
        backdate(record_id, day)
    create(agent1)  # a draft does not wait
    expected = [ids[4], *sorted([ids[1], ids[3]]), ids[0], ids[2]]
    got = pages(leider, order="waiting", limit=2)
    assert [len(p) for p in got] == [2, 2, 1]
    assert [i for p in got for i in p] == expected
    body = leider.get("/api/registrations", query_string={"order": "waiting"}).get_json()
    assert body["waiting_count"] == 5
    assert body["items"][0]["submitted_at"].startswith("2026-01-01")


def test_the_queue_filters_by_officer_and_open_conflict(agent1: Api, agent2: Api,
                                                        leider: Api) -> None:
    mine = submitted(agent1)
    theirs = submitted(agent2)
    conflicted, _ = clash(agent1, agent2)
    got = leider.get("/api/registrations", query_string={
        "order": "waiting", "created_by": "agent2"}).get_json()
    assert [r["id"] for r in got["items"]] == [theirs]
    got = leider.get("/api/registrations", query_string={"conflicts": "true"}).get_json()
    assert [r["id"] for r in got["items"]] == [conflicted]
    assert mine not in [r["id"] for r in got["items"]]


def test_search_finds_words_in_narrative_street_and_place_and_is_audited(
        agent1: Api, leider: Api) -> None:
    hit = create(agent1, {**minor_accident(), "street": "Lange Nieuwstraat"})
    other = create(agent1, {**minor_accident(), "street": "Markt"})
    got = leider.get("/api/registrations", query_string={"q": "nieuwSTRAAT"}).get_json()
    assert [r["id"] for r in got["items"]] == [hit]
    got = leider.get("/api/registrations", query_string={"q": "stoplicht markt"}).get_json()
    assert [r["id"] for r in got["items"]] == [other]
    got = leider.get("/api/registrations", query_string={"q": "50%_"}).get_json()
    assert got["items"] == []
    audit.chain_pending()  # read events wait in the pending store until chained
    details = [json.loads(d) if isinstance(d, str) else d for d in db.session.execute(text(
        "SELECT detail FROM audit_log WHERE action = 'read' ORDER BY id")).scalars()]
    searches = [d["search"] for d in details if d and "search" in d]
    assert searches == ["nieuwSTRAAT", "stoplicht markt", "50%_"]


def test_a_bad_order_or_search_is_a_clear_4xx(leider: Api) -> None:
    for query in ({"order": "oldest"}, {"q": ""}, {"q": "a\x00b"}, {"q": "x" * 201}):
        response = leider.get("/api/registrations", query_string=query)
        assert response.status_code in (400, 422), query
        assert response.get_json()["message"]


def test_the_queue_and_its_count_read_an_index_that_holds_no_drafts(
        agent1: Api, leider: Api) -> None:
    """A draft writes no entry to the queue's index (one entry less for each new
    registration a push makes), and the queue's page and count are still read through it."""
    waiting = submitted(agent1)
    create(agent1)  # a draft
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM registrations" in statement and "submitted_at" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        body = leider.get("/api/registrations", query_string={"order": "waiting"}).get_json()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert [r["id"] for r in body["items"]] == [waiting] and body["waiting_count"] == 1
    assert len(statements) == 2, statements  # the page and the count
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.connect() as connection:
        definition = connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_registrations_queue'" if sqlite
            else "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_registrations_queue'"
        )).scalar()
        if not sqlite:
            connection.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: it scans
        for statement, parameters in statements:
            # the plan's text is the last column on both (SQLite's detail, PostgreSQL's line)
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"{'EXPLAIN QUERY PLAN' if sqlite else 'EXPLAIN'} {statement}", parameters))
            assert "ix_registrations_queue" in plan, plan
    assert "WHERE" in definition and "submitted_at IS NOT NULL" in definition, definition
