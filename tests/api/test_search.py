"""The review list's full-text search (``q``) and area filter (``area``), on both databases."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text, update

from server import audit, create_app, narrowing, search
from server.cli import purge_expired
from server.extensions import db
from server.models import Registration
from tests.api.test_access import create, new_id
from tests.api.test_amendments import amended, decide
from tests.api.test_own_conflicts import clash, resolve
from tests.conftest import PG_URL, Api, _config
from tests.geo_samples import LAT, LON, box, feature, offset
from tests.samples import minor_accident


def found(api: Api, **query: Any) -> list[str]:
    response = api.get("/api/registrations", query_string=query)
    assert response.status_code == 200, response.get_json()
    return [r["id"] for r in response.get_json()["items"]]


def pages(api: Api, **query: Any) -> list[list[str]]:
    got, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = api.get("/api/registrations", query_string=params)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        got.append([r["id"] for r in body["items"]])
        cursor = body["cursor"]
        if not body["more"]:
            return got


def accident(narrative: str, north_m: float = 0, east_m: float = 0,
             **fields: Any) -> dict[str, Any]:
    lat, lon = offset(LAT, LON, north_m, east_m)
    return {**minor_accident(), "narrative": narrative,
            "location": {"lat": lat, "lon": lon, "accuracy": 5}, **fields}


@pytest.fixture(params=["from candidates", "walking the order"])
def cap(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways a SQLite page is read (server/narrowing.py): from the index's candidates
    when they are few, else walking the list's order testing each row. PostgreSQL's
    planner chooses by itself; the second round there runs the same queries again."""
    if request.param == "walking the order":
        monkeypatch.setattr(narrowing, "CAP", 1)
    yield request.param


# -- search --------------------------------------------------------------------------------

def test_words_match_as_prefixes_whatever_their_case_and_accents(agent1: Api,
                                                                leider: Api) -> None:
    jansen = create(agent1, accident("Betrokkene Jansen reed door rood.", street="Dorpsstraat"))
    muller = create(agent1, accident("Mevrouw Müller stak over bij Café Olé.", place="Utrecht"))
    create(agent1, accident("Niemand gewond."))
    assert found(leider, q="jans") == [jansen]
    assert found(leider, q="JANSEN") == [jansen]
    assert found(leider, q="muller") == [muller]
    assert found(leider, q="MÜLL") == [muller]
    assert found(leider, q="cafe ole") == [muller]
    assert found(leider, q="dorpsstr") == [jansen]  # street
    assert found(leider, q="utrecht") == [muller]  # place
    # the start of a word: not a piece from its middle
    assert found(leider, q="ansen") == []


def test_every_word_must_match_in_any_of_the_fields(agent1: Api, leider: Api) -> None:
    rood = create(agent1, accident("Jansen reed door rood.", street="Dorpsstraat"))
    groen = create(agent1, accident("Jansen reed door groen.", street="Markt"))
    assert sorted(found(leider, q="jansen")) == sorted([rood, groen])
    assert found(leider, q="jansen rood") == [rood]
    assert found(leider, q="rood jansen dorpsstraat") == [rood]
    assert found(leider, q="jansen markt") == [groen]
    assert found(leider, q="jansen blauw") == []
    assert found(leider, q="pietersen") == []


def test_punctuation_and_query_syntax_are_text_never_an_error(agent1: Api,
                                                              leider: Api) -> None:
    botsing = create(agent1, accident('Kop-staartbotsing; "Jansen-de Vries" (50 km/u).'))
    create(agent1, accident("Niemand gewond, geen NEARbij getuigen."))
    for q in ('"', '""', "'", "\\", "*", "**", "NEAR(", "NEAR(a b)", "a OR b", "NOT",
              "AND", "(", ")", ":", "^", "-", "+", "&", "|", "!", "<->", "{}", "%", "_",
              "%_", "jansen:*", "body:jansen", "a' & 'b", "x" * 200, "ŉ ʼ ‘", "€ ½",
              "日本", "\t", "a\nb"):
        response = leider.get("/api/registrations", query_string={"q": q})
        assert response.status_code == 200, (q, response.get_json())
        assert isinstance(response.get_json()["items"], list)
    assert found(leider, q="kop-staart") == [botsing]  # a phrase of its parts
    assert found(leider, q='"jansen-de"') == [botsing]
    assert found(leider, q="(jansen") == [botsing]
    assert found(leider, q="jansen*") == [botsing]
    assert found(leider, q="km/u 50") == [botsing]
    assert found(leider, q="NOT jansen") == []  # two words: "not" occurs nowhere
    assert found(leider, q="* -") == []  # no word to look for: nothing, not everything
    assert found(leider, q="vries de-jansen") == []  # a phrase keeps its order


def test_the_index_follows_every_change_of_the_text(agent1: Api, leider: Api) -> None:
    record_id = new_id()
    [first] = agent1.push(agent1.op(record_id, accident("Fiets van Pietersen gestolen.",
                                                        street="Dorpsstraat")))
    assert found(leider, q="pieters") == [record_id]
    [second] = agent1.push(agent1.op(record_id, {"narrative": "Scooter van De Graaf."},
                                     base_rev=first["rev"]))
    assert second["status"] == "applied", second
    assert found(leider, q="pieters") == []
    assert found(leider, q="graaf scooter") == [record_id]
    # a change of another field leaves the text found
    [third] = agent1.push(agent1.op(record_id, {"outcome": "LET"}, base_rev=second["rev"]))
    assert third["status"] == "applied", third
    assert found(leider, q="graaf dorpsstraat") == [record_id]
    agent1.push(agent1.op(record_id, {"street": "Markt"}, base_rev=third["rev"]))
    assert found(leider, q="dorpsstraat") == []
    assert found(leider, q="graaf markt") == [record_id]


def test_a_resolved_conflict_is_searched_by_the_value_chosen(agent1: Api, agent2: Api,
                                                            leider: Api) -> None:
    record_id, result = clash(agent1, agent2)  # street: "Markt" against "Plein"
    held = leider.get(f"/api/registrations/{record_id}").get_json()["data"]["street"]
    assert found(leider, q=held) == [record_id]
    response = resolve(leider, record_id, result, "Stationsplein")
    assert response.status_code == 200, response.get_json()
    assert found(leider, q=held) == []
    assert found(leider, q="stationspl") == [record_id]


def test_an_accepted_amendment_is_found_and_an_open_one_is_not(agent1: Api,
                                                               leider: Api) -> None:
    record_id, amendment, rev = amended(agent1, leider, "Aangevuld: getuige Verbeek gehoord.")
    assert found(leider, q="verbeek") == []  # only the data is searched
    assert found(leider, q="stoplicht") == [record_id]
    response = decide(leider, record_id, amendment, "accept", rev)
    assert response.status_code == 200, response.get_json()
    assert found(leider, q="verbeek") == [record_id]
    assert found(leider, q="stoplicht") == []


def _catch_up() -> int:
    """The search index job's run (SQLite: brings the index up to the change log; on
    PostgreSQL the triggers keep it and the job does nothing)."""
    return search.index_pending()


def _indexed(record_id: str) -> int:
    table = "registration_search" if PG_URL else "registration_search_rows"
    return db.session.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id"),
                              {"id": record_id}).scalar_one()


def test_purge_takes_a_registration_out_of_the_index(app: Flask, agent1: Api,
                                                     leider: Api) -> None:
    now = datetime(2040, 1, 1, tzinfo=UTC)
    expired = create(agent1, accident("Verlopen melding Hendriks."))
    kept = create(agent1, accident("Bewaarde melding Hendriks."))
    _catch_up()
    assert _indexed(expired) == 1
    cutoff = now - timedelta(days=app.config["RETENTION_DAYS_REGISTRATIONS"])
    db.session.execute(update(Registration).where(Registration.id == expired)
                       .values(updated_at=cutoff - timedelta(days=1)))
    db.session.execute(update(Registration).where(Registration.id == kept)
                       .values(updated_at=now))
    db.session.commit()
    assert purge_expired(now=now) == 1
    # before the job (SQLite: the index still holds its text) and after it
    assert found(leider, q="hendriks") == [kept]
    assert found(leider, q="verlopen") == []
    _catch_up()
    assert _indexed(expired) == 0
    assert found(leider, q="hendriks") == [kept]
    assert found(leider, q="verlopen") == []


def test_another_teams_registrations_are_never_found(agent1: Api, agent3: Api,
                                                     leider: Api) -> None:
    centrum = create(agent1, accident("Aanrijding met Bakker."))
    noord = create(agent3, accident("Aanrijding met Bakker."))
    assert found(leider, q="bakker") == [centrum]
    assert found(agent3, q="bakker") == [noord]
    assert found(leider, q="bakker", team=agent3.login["user"]["team"]["id"]) == []


def test_search_terms_are_audited_as_typed(agent1: Api, leider: Api) -> None:
    hit = create(agent1, accident("Aanrijding met Visser."))
    assert found(leider, q="Visser") == [hit]
    assert found(leider, q='NEAR("') == []
    audit.chain_pending()  # read events wait in the pending store until chained
    rows = db.session.execute(text(
        "SELECT entity_ids, detail FROM audit_log WHERE action = 'read' ORDER BY id")).all()
    searches = [(json.loads(ids) if isinstance(ids, str) else ids,
                 json.loads(d) if isinstance(d, str) else d) for ids, d in rows]
    searches = [(ids, d["search"]) for ids, d in searches if d and "search" in d]
    assert searches == [([hit], "Visser"), ([], 'NEAR("')]


def test_search_pages_in_both_orders(cap: str, agent1: Api, leider: Api) -> None:
    matching = [create(agent1, accident(f"Melding {n} over De Groot.", status="submitted"))
                for n in range(7)]
    for n in range(4):
        create(agent1, accident(f"Melding {n} over iemand anders.", status="submitted"))
    newest = pages(leider, q="groot", limit=2)
    assert [len(p) for p in newest] == [2, 2, 2, 1]
    assert [i for p in newest for i in p] == list(reversed(matching))
    waiting = pages(leider, q="melding groot", order="waiting", limit=3)
    assert [len(p) for p in waiting] == [3, 3, 1]
    assert [i for p in waiting for i in p] == matching


# -- area ----------------------------------------------------------------------------------

def _area(beheerder: Api, geometry: dict[str, Any], team: Any = "Centrum",
          kind: str = "wijk") -> int:
    response = beheerder.post("/api/areas", json=feature(geometry, f"Gebied {kind}", kind,
                                                         team))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _with_hole() -> dict[str, Any]:
    """A square of 1 km around the Domtoren with a hole of 200 m in its middle."""
    outer = box(-500, -500, 500, 500)["coordinates"][0]
    hole = box(-100, -100, 100, 100)["coordinates"][0]
    return {"type": "Polygon", "coordinates": [outer, list(reversed(hole))]}


def test_area_keeps_registrations_whose_location_lies_inside(
        beheerder: Api, agent1: Api, leider: Api) -> None:
    area = _area(beheerder, _with_hole())
    inside = create(agent1, accident("Binnen.", 300, 300))
    near_edge = create(agent1, accident("Net binnen de rand.", 499, 0))
    create(agent1, accident("Net buiten de rand.", 501, 0))
    create(agent1, accident("In het gat.", 0, 0))  # inside the box, not the shape
    create(agent1, accident("Ver weg.", 3000, 3000))
    create(agent1, {"narrative": "Zonder plaats."})
    assert sorted(found(leider, area=area)) == sorted([inside, near_edge])
    assert found(leider, area=area, q="rand") == [near_edge]
    assert found(leider, area=area, q="gat") == []


def test_an_area_must_be_one_the_caller_sees(beheerder: Api, agent1: Api,
                                             leider: Api) -> None:
    noord = _area(beheerder, box(-500, -500, 500, 500), team="Noord")
    teamless = _area(beheerder, box(-500, -500, 500, 500), team=None, kind="attention")
    here = create(agent1, accident("Hier."))
    assert found(leider, area=teamless) == [here]
    assert found(agent1, area=teamless) == [here]
    # a team the caller does not read narrows to no team at all
    assert found(leider, area=teamless, q="hier", team=agent1.login["user"]["team"]["id"] + 1) == []
    for area in (noord, 2**31 - 1):  # another team's, and one that does not exist
        response = leider.get("/api/registrations", query_string={"area": area})
        assert response.status_code == 422, response.get_json()
        body = response.get_json()
        assert body["error"] == "unknown_area"
        assert body["message"] == "Gebied niet gevonden"
        assert body["errors"] == {"area": ["Gebied niet gevonden"]}
    for bad in ("0", "-3", "abc", "1.5", str(2**31), ""):
        response = leider.get("/api/registrations", query_string={"area": bad})
        assert response.status_code == 422, (bad, response.get_json())
        assert response.get_json()["errors"]["query"]["area"] in (
            ["Gebied niet gevonden"], ["Een gebied-id is een geheel getal"])


def test_area_and_search_page_together(cap: str, beheerder: Api, agent1: Api,
                                       leider: Api) -> None:
    area = _area(beheerder, box(-500, -500, 500, 500))
    inside = [create(agent1, accident(f"Melding {n} bij Dekker.", 10 * n, 0,
                                      status="submitted")) for n in range(5)]
    create(agent1, accident("Melding bij Dekker, buiten.", 900, 0, status="submitted"))
    nameless = create(agent1, accident("Melding zonder naam, binnen.", 0, 50,
                                       status="submitted"))
    got = pages(leider, area=area, q="dekker", order="waiting", limit=2)
    assert [len(p) for p in got] == [2, 2, 1]
    assert [i for p in got for i in p] == inside
    got = pages(leider, area=area, limit=4)
    assert [len(p) for p in got] == [4, 2]
    assert [i for p in got for i in p] == [nameless, *reversed(inside)]


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL without PostGIS: its own polygon type")
def test_area_without_postgis_tests_the_shape_exactly(app: Flask, beheerder: Api,
                                                      agent1: Api, leider: Api) -> None:
    area = _area(beheerder, _with_hole())
    inside = create(agent1, accident("Binnen.", 300, 300))
    create(agent1, accident("In het gat.", 0, 0))
    create(agent1, accident("Buiten.", 700, 0))
    app.extensions["wijkpost_spatial"] = "bbox"  # as spatial.backend() finds without PostGIS
    assert found(leider, area=area) == [inside]


def test_the_migration_indexes_registrations_already_there(tmp_path: Any,
                                                           template_db: str) -> None:
    url = PG_URL or f"sqlite:///{os.path.join(str(tmp_path), 'old.db')}"
    app = create_app(_config(str(tmp_path), url))
    rid = "0192f0e4-5b6a-7c00-8000-000000000009"
    with app.app_context():
        if PG_URL:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade(revision="0008r")
        for statement in (
            "INSERT INTO teams (id, name, created_at) VALUES (1, 'Centrum', '2026-01-01')",
            "INSERT INTO users (id, username, display_name, password_hash, role, team_id, "
            "active, created_at) VALUES (1, 'a', '', 'x', 'agent', 1, true, '2026-01-01')",
            "INSERT INTO registrations (id, type, status, rev, team_id, created_by_id, data, "
            "meta, conflicts, amendments, open_conflicts, created_at, updated_at) VALUES "
            f"('{rid}', 'vor', 'draft', 1, 1, 1, "
            "'{\"narrative\": \"Getuige Smit\", \"street\": \"Lange Nieuwstraat\"}', "
            "'{}', '[]', '[]', 0, '2026-01-01', '2026-01-01')",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        if PG_URL:
            hits = db.session.execute(text(
                "SELECT id FROM registration_search WHERE search @@ "
                "to_tsquery('simple', 'smit:* & lange:*')")).scalars().all()
        else:
            hits = db.session.execute(text(
                "SELECT s.id FROM registration_search JOIN registration_search_rows s "
                "ON s.key = registration_search.rowid WHERE registration_search MATCH "
                "'smit* AND lange*'")).scalars().all()
        assert hits == [rid]
        db.session.remove()
        db.engine.dispose()


def test_search_index_command_rebuilds_the_index(app: Flask, agent1: Api, leider: Api) -> None:
    record_id = create(agent1, accident("Aanrijding met Brouwer."))
    _catch_up()  # else a search tests the fresh registration without the index
    table = "registration_search" if PG_URL else "registration_search_rows"
    db.session.execute(text(f"DELETE FROM {table}"))  # an index lost, say
    db.session.commit()
    assert found(leider, q="brouwer") == []
    result = app.test_cli_runner().invoke(args=["search-index"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Zoekindex: 1 registraties")
    assert found(leider, q="brouwer") == [record_id]
    assert found(leider, q="aanrijding brouw") == [record_id]


# -- SQLite: the index follows the change log (server/search.py: index_pending) --------------

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL indexes in its triggers")


def _search_rows() -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.session.execute(text(
        "SELECT key, id, body FROM registration_search_rows ORDER BY key")).all()]


def _fts_ids(match: str) -> list[str]:
    """What FTS5 alone finds (no direct test of fresh registrations)."""
    return sorted(db.session.execute(text(
        "SELECT s.id FROM registration_search JOIN registration_search_rows s "
        "ON s.key = registration_search.rowid WHERE registration_search MATCH :m"),
        {"m": match}).scalars())


def _position() -> int:
    return db.session.execute(text(
        "SELECT value FROM counters WHERE name = :n"), {"n": search.POSITION}).scalar_one()


def _last_seq() -> int:
    return db.session.execute(text("SELECT max(seq) FROM changes")).scalar_one()


@sqlite_only
def test_the_job_puts_fresh_registrations_into_fts5(agent1: Api, leider: Api) -> None:
    jansen = create(agent1, accident("Betrokkene Jansen reed door rood.", street="Markt"))
    smit = create(agent1, accident("Getuige Smit.", place="Utrecht"))
    assert _fts_ids("jansen") == []  # not indexed yet, found all the same
    assert found(leider, q="jans rood") == [jansen]
    assert _catch_up() == 2
    assert _position() == _last_seq()
    bodies = {rid: body for _, rid, body in _search_rows()}
    assert bodies == {jansen: "Betrokkene Jansen reed door rood. Markt ",
                      smit: "Getuige Smit.  Utrecht"}
    assert _fts_ids("jansen") == [jansen]
    assert _fts_ids("utrecht") == [smit]
    assert found(leider, q="jans rood") == [jansen]
    assert found(leider, q="smit utr") == [smit]
    assert _catch_up() == 0  # nothing new: nothing written


@sqlite_only
def test_an_edit_after_indexing_is_found_by_its_new_words_before_and_after_the_job(
        agent1: Api, leider: Api) -> None:
    record_id = new_id()
    [first] = agent1.push(agent1.op(record_id, accident("Fiets van Pietersen gestolen.")))
    other = create(agent1, accident("Fiets van Bakker gestolen."))
    _catch_up()
    [second] = agent1.push(agent1.op(record_id, {"narrative": "Scooter van De Graaf."},
                                     base_rev=first["rev"]))
    assert second["status"] == "applied", second
    assert _fts_ids("pietersen") == [record_id]  # the index still holds the old text
    for _ in range(2):  # before the job, then after it
        assert found(leider, q="pietersen") == []
        assert found(leider, q="graaf scooter") == [record_id]
        assert sorted(found(leider, q="van")) == sorted([record_id, other])
        assert found(leider, q="fiets") == [other]
        _catch_up()
    assert _fts_ids("pietersen") == []
    assert _fts_ids("graaf") == [record_id]


@sqlite_only
def test_a_push_does_no_full_text_work(agent1: Api, leider: Api) -> None:
    record_id = new_id()
    [first] = agent1.push(agent1.op(record_id, accident("Fiets van Pietersen gestolen.")))
    _catch_up()
    before = _search_rows()
    fts_before = db.session.execute(text(
        "SELECT count(*) FROM registration_search_docsize")).scalar_one()
    fresh = create(agent1, accident("Aanrijding met Brouwer."))
    [second] = agent1.push(agent1.op(record_id, {"narrative": "Scooter van De Graaf."},
                                     base_rev=first["rev"]))
    assert second["status"] == "applied", second
    assert _search_rows() == before
    assert db.session.execute(text(
        "SELECT count(*) FROM registration_search_docsize")).scalar_one() == fts_before
    assert found(leider, q="brouwer") == [fresh]
    assert found(leider, q="graaf") == [record_id]
    assert _catch_up() == 2


@sqlite_only
def test_concurrent_job_runs_index_every_change_once(app: Flask, agent1: Api,
                                                     leider: Api) -> None:
    ids = [create(agent1, accident(f"Melding nummer {n} van Visser.")) for n in range(23)]
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                counts.append(search.index_pending(batch=3))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  (reported by the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.rollback()  # a fresh snapshot
    assert sum(counts) == len(ids)  # each batch taken by one run only
    assert sorted(i for _, i, _ in _search_rows()) == sorted(ids)
    assert _fts_ids("visser") == sorted(ids)
    assert _position() == _last_seq()
    assert sorted(found(leider, q="visser")) == sorted(ids)
    assert found(leider, q="nummer 17") == [ids[17]]


@sqlite_only
def test_rebuild_sets_the_position_to_the_end_of_the_change_log(app: Flask, agent1: Api,
                                                                leider: Api) -> None:
    record_id = create(agent1, accident("Aanrijding met Brouwer."))
    result = app.test_cli_runner().invoke(args=["search-index"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert _position() == _last_seq()
    assert _fts_ids("brouwer") == [record_id]
    assert _catch_up() == 0


def test_run_jobs_runs_the_search_index_job(app: Flask, agent1: Api, leider: Api) -> None:
    record_id = create(agent1, accident("Aanrijding met Brouwer."))
    result = app.test_cli_runner().invoke(args=["run-jobs"])
    assert result.exit_code == 0, result.output
    expected = 0 if PG_URL else 1
    assert f"search-index: {expected} registraties bijgewerkt in de zoekindex" in result.output
    assert _indexed(record_id) == 1
    assert found(leider, q="brouwer") == [record_id]
