"""GET /api/export: who gets which export, the files' contents, filters, streaming, audit."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server import audit
from server.cli import make_user
from server.exports import bron
from server.extensions import db
from server.models import AuditEntry
from server.registrations.forms import VOR
from tests.conftest import PASSWORD, Api, login, make_app
from tests.samples import minor_accident

BRON_MD = Path(__file__).resolve().parents[2] / "docs" / "BRON.md"


def new_id() -> str:
    return str(uuid.uuid4())


def push(api: Api, fields: dict[str, Any], rtype: str = "vor") -> str:
    record_id = new_id()
    [result] = api.push(api.op(record_id, fields, rtype=rtype))
    assert result["status"] == "applied", result
    return record_id


def sensitive_accident() -> dict[str, Any]:
    """An accident whose party carries every value the reduced BRON must leave out."""
    return {
        **minor_accident(),
        "occurred_at": "2026-11-21T23:45:00+01:00",  # a Saturday
        "report_number": "PL0900-2026112199",
        "street": "Oudegracht", "house_number": "77b", "municipality": "Utrecht",
        "hectometre": 23.4, "built_up_area": "BI", "speed_limit": "50", "light": "2",
        "weather": ["R", "H"], "particulars": ["290", "100", "160", "140", "110", "330"],
        "road_situation": "5", "road_condition_other": "Oliespoor",
        "dead_count": 0, "hospital_count": 1, "injured_count": 2,
        "report_drawn_up": True,
        "parties[p1]": {
            "object_type": "1", "licence_plate": "ZZ-999-Q", "vehicle_nationality": "NL",
            "date_of_birth": "1987-06-05", "nationality": "Nederlandse", "sex": "V",
            "alcohol": "J", "breath_test": True, "drugs_medication": True,
            "licence_valid": True, "licence_categories": ["B", "A1"], "insured": False,
            "vehicle_lights": "BR", "passengers": 2, "manoeuvre": "6", "start_position": "1",
            "hit_and_run": True, "name": "Jansen",
        },
        "parties[p2]": {"object_type": "64", "licence_plate": "QQ-111-X"},
        "parties[p3]": {"object_type": "83", "object_type_other": "Bloembak"},
    }


def read_zip(response: Any) -> dict[str, list[list[str]]]:
    assert response.status_code == 200, response.get_data()[:300]
    files = {}
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert sorted(archive.namelist()) == ["ongevallen.csv", "partijen.csv"]
        for name in archive.namelist():
            raw = archive.read(name).decode()
            assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
            files[name] = list(csv.reader(io.StringIO(raw, newline="")))
    return files


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data()[:300]
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def export_audits() -> list[dict[str, Any]]:
    db.session.rollback()
    audit.chain_pending()  # exports are audited as reads: durable first, chained after
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
    ).scalars().all()
    return [json.loads(e.detail or "{}") for e in entries]


# -- access --------------------------------------------------------------------------------

def test_an_agent_cannot_export(agent1: Api) -> None:
    for fmt in ("csv", "json", "bron"):
        response = agent1.get(f"/api/export?format={fmt}")
        assert response.status_code == 403
    assert export_audits() == []


def test_a_beheerder_gets_only_the_reduced_bron(agent1: Api, beheerder: Api) -> None:
    push(agent1, sensitive_accident())
    for fmt in ("csv", "json"):
        response = beheerder.get(f"/api/export?format={fmt}")
        assert response.status_code == 403
        assert "bron" in response.get_json()["message"].lower()
    response = beheerder.get("/api/export?format=bron")
    assert "beperkt" in response.headers["Content-Disposition"]
    files = read_zip(response)
    raw = "\n".join(",".join(r) for rows in files.values() for r in rows)
    # none of the values the reduced BRON leaves out appear anywhere in it
    for value in ("ZZ-999-Q", "QQ-111-X", "19870605", "1987", "77b", "Nederlandse",
                  "Jansen", "PL0900", "Oliespoor", "Bloembak", "20261121", "2345"):
        assert value not in raw, value
    [accident] = as_dicts(files["ongevallen.csv"])
    parties = as_dicts(files["partijen.csv"])
    assert len(parties) == 3
    for column in bron.REDUCED_BLANK_ONGEVALLEN:
        assert accident[column] == "", column
    for party in parties:
        for column in bron.REDUCED_BLANK_PARTIJEN:
            assert party[column] == "", column
    # what statistics need stays: year, outcome, kind, place, object types
    assert accident["JAAR_VKL"] == "2026" and accident["AP3_CODE"] == "UMS"
    assert accident["GME_NAAM"] == "Utrecht" and accident["X_COORD"]
    assert [p["OTE_ID"] for p in parties] == ["1", "64", "83"]


def test_the_full_bron_holds_what_the_reduced_one_leaves_out(agent1: Api,
                                                            leider: Api) -> None:
    push(agent1, sensitive_accident())
    response = leider.get("/api/export?format=bron")
    assert "volledig" in response.headers["Content-Disposition"]
    files = read_zip(response)
    [accident] = as_dicts(files["ongevallen.csv"])
    first = as_dicts(files["partijen.csv"])[0]
    assert accident["HUISNUMMER"] == "77b" and accident["REGNUMMER"] == "PL0900-2026112199"
    assert (first["GEBDAT"], first["GEBJAAR"], first["LEEFTIJD"]) == ("19870605", "1987", "39")
    assert (first["ART8"], first["BLAASTEST"], first["MEDICGEBR"]) == ("J", "J", "J")


def test_a_teamleider_of_another_team_never_sees_this_teams_rows(
        client: FlaskClient, agent1: Api, agent3: Api, leider: Api) -> None:
    make_user("leider2", "teamleider", PASSWORD, "Noord")
    db.session.commit()
    other = login(client, "leider2", "laptop Noord")
    mine = push(agent1, minor_accident())
    theirs = push(agent3, minor_accident())
    for fmt in ("csv", "json"):
        body = other.get(f"/api/export?format={fmt}").get_data().decode("utf-8-sig")
        assert theirs in body and mine not in body
    ids = [row["Id"] for row in read_csv(leider.get("/api/export?format=csv"))]
    assert ids == [mine]
    noord = read_zip(other.get("/api/export?format=bron"))
    assert len(noord["ongevallen.csv"]) == 2  # header and their one accident


# -- the files -----------------------------------------------------------------------------

def test_csv_has_one_readable_row_per_registration(agent1: Api, leider: Api) -> None:
    first = push(agent1, {**minor_accident(), "weather": ["R", "M"], "light": "2"})
    second = push(agent1, {"offence_kind": "burglary_home", "narrative": "Raam geforceerd",
                           "persons[a]": {"role": "reporter", "name": "K. de Vries"}},
                  rtype="pdo")
    response = leider.get("/api/export?format=csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="wijkpost-export-alle-\d{4}-\d\d-\d\d\.csv"',
                        response.headers["Content-Disposition"])
    rows = read_csv(response)
    assert [r["Id"] for r in rows] == [first, second]
    accident, burglary = rows
    assert accident["Type"] == "Verkeersongeval" and accident["Status"] == "Concept"
    assert accident["Aard ongeval"] == "Kop/staart"
    assert accident["Afloop"] == "Uitsluitend materiële schade"
    assert accident["Weersgesteldheid"] == "Regen; Mist"
    assert accident["Datum en tijd ongeval / Datum en tijd"] == "2026-11-24 09:30"
    assert accident["Locatie breedtegraad"] == "52,0907"
    assert accident["Partijen (aantal)"] == "2"
    parties = json.loads(accident["Partijen"])
    assert parties[0]["Soort verkeersdeelnemer of object"] == "Personenauto"
    assert parties[1]["Kenteken"] == "XY-987-Z"
    assert burglary["Soort delict"] == "Inbraak woning"
    assert burglary["Betrokken personen (aantal)"] == "1"
    assert accident["Soort delict"] == "" and burglary["Aard ongeval"] == ""


def test_json_is_one_array_of_registrations(agent1: Api, leider: Api) -> None:
    rid = push(agent1, minor_accident())
    response = leider.get("/api/export?format=json&type=vor")
    assert response.headers["Cache-Control"] == "no-store"
    assert "wijkpost-export-vor-" in response.headers["Content-Disposition"]
    [item] = json.loads(response.get_data())
    assert item["id"] == rid and item["type"] == "vor" and item["created_by"] == "agent1"
    assert item["data"]["outcome"] == "UMS" and len(item["data"]["parties"]) == 2
    assert item["location"]["rd_x"] == pytest.approx(136_000, abs=2_000)
    assert json.loads(leider.get("/api/export?format=json&type=pdo").get_data()) == []


def test_bron_one_party_row_per_party_in_the_bron_file_format(agent1: Api,
                                                             leider: Api) -> None:
    first = push(agent1, sensitive_accident())
    push(agent1, minor_accident())
    response = leider.get("/api/export?format=bron")
    files = read_zip(response)
    raw = zipfile.ZipFile(io.BytesIO(response.get_data())).read("ongevallen.csv").decode()
    assert raw.startswith('"VKL_NUMMER","REGNUMMER","PVOPGEM","DATUM_VKL",')
    accidents = as_dicts(files["ongevallen.csv"])
    parties = as_dicts(files["partijen.csv"])
    assert len(accidents) == 2 and len(parties) == 3 + 2
    for accident in accidents:
        mine = [p for p in parties if p["VKL_NUMMER"] == accident["VKL_NUMMER"]]
        assert [p["NUMMER"] for p in mine] == [str(n) for n in range(1, len(mine) + 1)]
        assert accident["ANTL_PTJ"] == str(len(mine))
    assert len({p["PTJ_ID"] for p in parties}) == len(parties)
    accident = accidents[0]
    # text quoted, numbers and dates not: the line as written
    line = raw.split("\r\n")[1]
    assert line.startswith(f'{accident["VKL_NUMMER"]},"PL0900-2026112199","J",20261121,"ZA",11,')
    assert (accident["DAG_CODE"], accident["DAGTYPE"], accident["TIJDSTIP"],
            accident["UUR"]) == ("ZA", "ZA-ZO", "2345", "23")
    assert (accident["WGD_CODE_1"], accident["WGD_CODE_2"]) == ("R", "H")
    assert (accident["BZD_ID_VM1"], accident["BZD_ID_VM2"], accident["BZD_ID_VM3"]) == (
        "100", "110", "140")  # lowest three of VML; 160 does not fit
    assert (accident["BZD_ID_IF1"], accident["BZD_ID_TA1"]) == ("290", "330")
    assert accident["HECTOMETER"] == "234" and accident["ANTL_SLA"] == "3"
    assert accident["AOL_ID"] == "8" and accident["WSE_ID"] == "5"
    detail = leider.get(f"/api/registrations/{first}").get_json()
    assert accident["X_COORD"] == f"{detail['location']['rd_x']:.3f}"
    assert accident["Y_COORD"] == f"{detail['location']['rd_y']:.3f}"
    first_party = parties[0]
    assert first_party["RIJBEWCAT"] == "A1,B" and first_party["VTGVERZ"] == "N"
    assert first_party["DOORRIJDER"] == "J" and first_party["VTGVERL"] == "BR"
    assert first_party["NTT_CODE_V"] == "" and first_party["NTT_CODE_B"] == ""
    # the second party left its lights open: BRON's own "unknown"
    assert parties[1]["VTGVERL"] == "XX"
    # the accident number is the registration's, the same in every export
    again = as_dicts(read_zip(leider.get("/api/export?format=bron"))["ongevallen.csv"])
    assert [a["VKL_NUMMER"] for a in again] == [a["VKL_NUMMER"] for a in accidents]


def test_every_coded_bron_column_holds_only_listed_codes(agent1: Api, leider: Api) -> None:
    push(agent1, sensitive_accident())
    push(agent1, {**minor_accident(), "weather": ["O"], "road_surface": "5",
                  "road_lighting": "3", "road_condition": "2", "built_up_area": "BU"})
    push(agent1, {"parties[x]": {"object_type": "95"}})  # a draft: most fields open
    files = read_zip(leider.get("/api/export?format=bron"))
    checked = 0
    for name in ("ongevallen.csv", "partijen.csv"):
        for row in as_dicts(files[name]):
            for column, codes in bron.CODES.items():
                if column not in row or row[column] == "":
                    continue
                values = row[column].split(",") if column == "RIJBEWCAT" else [row[column]]
                assert set(values) <= codes, (column, row[column])
                checked += 1
    assert checked > 40
    draft = as_dicts(files["ongevallen.csv"])[2]
    assert (draft["AOL_ID"], draft["WGD_CODE_1"], draft["AP3_CODE"]) == ("0", "O", "")


def test_every_vor_code_maps_to_its_bron_column() -> None:
    party_fields = next(f for f in VOR.fields if f.name == "parties").fields
    mapped = 0
    for field in (*VOR.fields, *party_fields):
        if not field.choices or not field.bron:
            continue
        column = {"BZD_ID_VM1": None}.get(field.bron, field.bron)
        for choice in field.choices:
            if column is None:  # particulars spread over VM/IF/TA by code
                assert choice.code in bron.BZD_VML | bron.BZD_IFR | bron.BZD_TAD
            else:
                assert choice.code in bron.CODES[column], (field.name, choice.code)
            mapped += 1
    assert mapped > 100
    # a VOR field with codes but no BRON column is one BRON has no place for
    unmapped = {f.name for f in (*VOR.fields, *party_fields) if f.choices and not f.bron}
    assert unmapped == {"injury"}


def _bron_md_code_lists() -> dict[str, set[str]]:
    """The code column of every code-list table in BRON.md, by the kenmerken its heading
    names."""
    lists: dict[str, set[str]] = {}
    heading: list[str] = []
    in_table = False
    for text in BRON_MD.read_text().splitlines():
        if text.startswith("### "):
            heading = re.findall(r"\b([A-Z][A-Z0-9_]{2,})\b", text.split("—")[0])
            in_table = False
        elif text.startswith("| Code |"):
            in_table = True
        elif text.startswith("| PVE_CODE |"):  # a table headed by its own column
            heading, in_table = ["PVE_CODE"], True
        elif in_table and text.startswith("| `") or in_table and re.match(r"\| \d", text):
            code = text.split("|")[1].strip().strip("`")
            for column in heading:
                lists.setdefault(column, set()).add(code)
        elif not text.startswith("|"):
            in_table = False
        # J/N style lists in the field tables: "| `VTGVERZ` | ... | `J` = Ja, `N` = Nee |"
        field = re.match(r"\| `([A-Z0-9_]+)` \|.*\| ((?:`[A-Z-]+` = [^|]*?)+)\|$", text)
        if field:
            lists[field[1]] = set(re.findall(r"`([A-Z-]+)` =", field[2]))
    return lists


def test_the_code_table_is_bron_md() -> None:
    listed = _bron_md_code_lists()
    compared = 0
    for column, codes in bron.CODES.items():
        base = re.sub(r"\d$", "", column) if column.startswith("BZD_ID_") else column
        if base.startswith("BZD_ID_"):
            kind = {"BZD_ID_VM": "VML", "BZD_ID_IF": "IFR", "BZD_ID_TA": "TAD"}[base]
            section = BRON_MD.read_text().split("### 3.12")[1].split("###")[0]
            assert codes == set(re.findall(rf"^\| (\d+) \| {kind} \|", section, re.M))
        elif column in ("DAG_CODE", "MND_NUMMER"):
            continue  # §4 lists these in prose (the day codes are checked below)
        elif not codes:
            assert column not in listed, column  # BRON.md found no list for it
            continue
        else:
            key = column if column in listed else column.rstrip("12")
            assert key in listed, column
            assert codes == listed[key], column
        compared += 1
    assert compared >= 35
    # §4's day codes (the last table row naming DAG_CODE)
    day_row = BRON_MD.read_text().split("| `DAG_CODE` |")[-1].split("\n")[0]
    assert bron.CODES["DAG_CODE"] == set(re.findall(r"`([A-Z]{2})`", day_row))


def test_formula_cells_are_escaped_in_every_csv(agent1: Api, leider: Api) -> None:
    push(agent1, {**minor_accident(), "street": "=HYPERLINK(\"http://x\")",
                  "report_number": "-2+3", "road_situation_other": "@SUM(A1)",
                  "narrative": "\tverborgen",
                  "parties[p1]": {"object_type": "83", "object_type_other": "+31 6 1234"}})
    [row] = read_csv(leider.get("/api/export?format=csv"))
    assert row["Straat"] == "'=HYPERLINK(\"http://x\")"
    assert row["Registratienummer politie"] == "'-2+3"
    assert row["Toedracht (relaas) / Relaas"] == "'\tverborgen"
    assert json.loads(row["Partijen"])[0]["Anders, namelijk"] == "+31 6 1234"  # in JSON
    files = read_zip(leider.get("/api/export?format=bron"))
    [accident] = as_dicts(files["ongevallen.csv"])
    assert accident["REGNUMMER"] == "'-2+3" and accident["WSE_AN"] == "'@SUM(A1)"
    assert as_dicts(files["partijen.csv"])[0]["OTE_AN"] == "'+31 6 1234"
    for name, rows in files.items():
        for row_cells in rows:
            assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in row_cells), name


def test_from_and_to_are_moments_in_their_own_time_zone(agent1: Api, leider: Api) -> None:
    rid = push(agent1, minor_accident())
    created = datetime.fromisoformat(
        leider.get(f"/api/registrations/{rid}").get_json()["created_at"])
    # one second after the creation, written in a zone five hours behind UTC
    after = (created + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-5)))
    stamp = after.isoformat().replace("+", "%2B")

    def ids(query: str) -> list[str]:
        return [r["Id"] for r in read_csv(leider.get(f"/api/export?format=csv{query}"))]

    assert ids(f"&from={stamp}") == [] and ids(f"&to={stamp}") == [rid]


def test_odd_dates_in_a_registration_do_not_break_an_export(agent1: Api,
                                                            leider: Api) -> None:
    push(agent1, {**minor_accident(), "occurred_at": "0001-01-01T00:00:00+14:00",
                  "parties[p1]": {"object_type": "1", "date_of_birth": "9999-12-31"}})
    [row] = read_csv(leider.get("/api/export?format=csv"))
    assert row["Datum en tijd ongeval / Datum en tijd"] == "0001-01-01T00:00:00+14:00"
    files = read_zip(leider.get("/api/export?format=bron"))
    [accident] = as_dicts(files["ongevallen.csv"])
    assert accident["DATUM_VKL"] == "" and accident["JAAR_VKL"] == ""
    assert as_dicts(files["partijen.csv"])[0]["LEEFTIJD"] == ""


# -- filters, validation, audit ------------------------------------------------------------

def test_filters_and_withdrawn_only_when_asked(agent1: Api, leider: Api) -> None:
    draft = push(agent1, minor_accident())
    submitted = push(agent1, {**minor_accident(), "status": "submitted"})
    withdrawn = push(agent1, {"street": "Dorpsstraat"})
    [result] = agent1.push(agent1.op(withdrawn, {"status": "withdrawn",
                                                 "withdraw_reason": "dubbel"}, base_rev=1))
    assert result["status"] == "applied", result
    pdo = push(agent1, {"offence_kind": "theft"}, rtype="pdo")

    def ids(query: str) -> list[str]:
        return [r["Id"] for r in read_csv(leider.get(f"/api/export?format=csv{query}"))]

    assert ids("") == [draft, submitted, pdo]
    assert ids("&status=withdrawn") == [withdrawn]
    assert ids("&status=submitted,draft") == [draft, submitted, pdo]
    assert ids("&status=submitted") == [submitted]
    assert ids("&type=pdo") == [pdo]
    today = leider.get("/api/export?format=json").headers["Content-Disposition"][-16:-6]
    assert ids(f"&from={today}&to={today}") == [draft, submitted, pdo]
    assert ids("&to=2020-01-01") == []
    assert ids("&from=2999-01-01T00:00:00Z") == []
    # BRON takes accidents only
    files = read_zip(leider.get("/api/export?format=bron&status=submitted"))
    assert len(files["ongevallen.csv"]) == 2


@pytest.mark.parametrize("query, field", [
    ("", "format"), ("format=xml", "format"), ("format=csv&type=xyz", "type"),
    ("format=bron&type=pdo", "type"), ("format=csv&status=klaar", "status"),
    ("format=csv&status=", "status"), ("format=csv&from=2026-13-01", "from"),
    ("format=csv&from=24-11-2026", "from"), ("format=csv&to=2026-11-24T09:30", "to"),
    ("format=csv&from=2026-11-25&to=2026-11-24", "to"),
    ("format=csv&to=9999-12-31", "to"), ("format=csv&from=0001-01-01T00:00:00%2B14:00", "from"),
])
def test_bad_parameters_are_422_with_field_errors(leider: Api, query: str,
                                                  field: str) -> None:
    response = leider.get(f"/api/export?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert field in body["errors"]["query"] and body["message"] == "Ongeldige invoer"
    assert export_audits() == []


def test_every_export_is_audited_with_filter_and_row_count(agent1: Api, leider: Api,
                                                          beheerder: Api) -> None:
    push(agent1, minor_accident())
    push(agent1, {**minor_accident(), "status": "submitted"})
    leider.get("/api/export?format=csv&status=draft,submitted&from=2026-01-01").get_data()
    leider.get("/api/export?format=json&type=pdo").get_data()
    beheerder.get("/api/export?format=bron").get_data()
    csv_audit, json_audit, bron_audit = export_audits()
    assert csv_audit["format"] == "csv" and csv_audit["rows"] == 2
    assert csv_audit["filter"]["statuses"] == ["draft", "submitted"]
    # the Dutch day's start, in UTC as stored
    assert csv_audit["filter"]["from"] == "2025-12-31T23:00:00+00:00"
    assert csv_audit["filter"]["team"] is not None
    assert json_audit["rows"] == 0 and json_audit["filter"]["types"] == ["pdo"]
    assert bron_audit == {**bron_audit, "format": "bron", "variant": "beperkt", "rows": 2}
    assert bron_audit["filter"]["team"] is None


def test_the_export_streams_from_its_snapshot_while_pushes_go_on(agent1: Api,
                                                                 leider: Api) -> None:
    before = [push(agent1, minor_accident()) for _ in range(3)]
    response = leider.client.get("/api/export?format=csv", headers=leider.headers(),
                                 buffered=False)
    assert response.is_streamed and response.headers["X-Export-Rows"] == "3"
    # while the download is open, an officer's push goes through (no lock held) ...
    later = push(agent1, minor_accident())
    body = b"".join(response.iter_encoded()).decode("utf-8-sig")
    response.close()
    # ... and the file holds what was there when it began, as the audit row says
    assert all(rid in body for rid in before) and later not in body
    assert export_audits()[-1]["rows"] == 3


def test_a_head_request_is_refused_and_not_audited(leider: Api) -> None:
    assert leider.client.head("/api/export?format=csv",
                              headers=leider.headers()).status_code == 405
    assert export_audits() == []


def test_exports_are_rate_limited_per_user(tmp_path: Any, template_db: str) -> None:
    app = make_app(tmp_path, template_db, RATELIMIT_ENABLED=True,
                   EXPORT_RATE_PER_USER="2 per minute")
    with app.app_context():
        make_user("leider1", "teamleider", PASSWORD, "Centrum")
        make_user("leider2", "teamleider", PASSWORD, "Noord")
        db.session.commit()
        client = app.test_client()
        first, second = login(client, "leider1"), login(client, "leider2")
        codes = [first.get("/api/export?format=json").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert second.get("/api/export?format=json").status_code == 200
        assert len(export_audits()) == 3
        db.session.remove()
        db.engine.dispose()
