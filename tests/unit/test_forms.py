"""The form definitions (GET /api/forms) and the validation generated from them."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.registrations.forms import FORMS_SCHEMA_VERSION, KINDS, forms_document
from server.registrations.validation import (
    LIST_PER_ITEM,
    MAX_ACCURACY_M,
    PHOTO_CONTENT_TYPES,
    group_fields,
    missing_required,
    registration_types,
    scalar_fields,
    validate_record,
    validate_set,
)
from tests.samples import minor_accident

DOCUMENT = forms_document()
FORMS = {form["type"]: form for form in DOCUMENT["forms"]}
SHA = hashlib.sha256(b"foto").hexdigest()
SNAKE = re.compile(r"[a-z][a-z0-9_]*")


def field_of(rtype: str, name: str) -> dict[str, Any]:
    return next(f for f in FORMS[rtype]["fields"] if f["name"] == name)


def codes(field: dict[str, Any]) -> list[str]:
    return [c["code"] for c in field["choices"]]


def all_fields() -> list[tuple[str, dict[str, Any]]]:
    """Every field of every form and of every group item, with where it sits."""
    found = []
    for form in DOCUMENT["forms"]:
        for field in form["fields"]:
            found.append((form["type"], field))
            found.extend((form["type"], sub) for sub in field.get("fields", []))
    return found


# -- the forms document --------------------------------------------------------------------


def test_document_has_the_api_shape_and_is_json() -> None:
    assert DOCUMENT["schema_version"] == FORMS_SCHEMA_VERSION == 1
    assert [(f["type"], f["label"]) for f in DOCUMENT["forms"]] == [
        ("vor", "Verkeersongeval"),
        ("pdo", "Plaats delict onderzoek"),
        ("gtpa", "Geweld tegen/door politieambtenaren"),
    ]
    assert json.loads(json.dumps(DOCUMENT)) == DOCUMENT
    assert set(registration_types()) == set(FORMS)


def test_callers_cannot_change_the_served_document() -> None:
    forms_document()["forms"][0]["fields"].clear()
    assert forms_document() == DOCUMENT


@pytest.mark.parametrize(("rtype", "field"), all_fields(),
                         ids=lambda x: x if isinstance(x, str) else x["name"])
def test_every_field_is_fully_described(rtype: str, field: dict[str, Any]) -> None:
    assert SNAKE.fullmatch(field["name"])
    assert isinstance(field["label"], str) and field["label"].strip()
    assert field["kind"] in KINDS
    assert isinstance(field["required"], bool)
    if field["kind"] in ("choice", "multichoice"):
        assert field["choices"], "a choice needs codes"
        assert len(set(codes(field))) == len(codes(field)), "codes must be unique"
        assert all(isinstance(c["code"], str) and c["label"].strip() for c in field["choices"])
    else:
        assert "choices" not in field
    if field["kind"] in ("text", "textarea"):
        assert field["max_length"] > 0
    if field["kind"] == "group":
        assert field["fields"] and isinstance(field["min"], int) and field["min"] >= 0
        assert field["required"] == (field["min"] > 0)
        assert all(sub["kind"] != "group" for sub in field["fields"]), "groups do not nest"
        assert "id" not in [sub["name"] for sub in field["fields"]], "id is implicit"


@pytest.mark.parametrize("rtype", ["vor", "pdo", "gtpa"])
def test_field_names_are_unique_per_level_and_match_the_validators(rtype: str) -> None:
    fields = FORMS[rtype]["fields"]
    names = [f["name"] for f in fields]
    assert len(names) == len(set(names))
    for group in (f for f in fields if f["kind"] == "group"):
        sub = [s["name"] for s in group["fields"]]
        assert len(sub) == len(set(sub))
    assert group_fields(rtype) == {f["name"] for f in fields if f["kind"] == "group"}
    assert scalar_fields(rtype) == {f["name"] for f in fields if f["kind"] != "group"}
    assert {"narrative"} <= scalar_fields(rtype)
    assert field_of(rtype, "narrative")["required"]


def test_vor_codes_follow_bron() -> None:
    outcome = field_of("vor", "outcome")
    assert codes(outcome) == ["UMS", "LET", "DOD"] and outcome["required"]
    assert outcome["bron"] == "AP3_CODE"
    assert outcome["choices"][0]["label"] == "Uitsluitend materiële schade"
    kind = field_of("vor", "accident_kind")
    assert codes(kind) == [str(n) for n in range(10)] and kind["bron"] == "AOL_ID"
    assert codes(field_of("vor", "built_up_area")) == ["BI", "BU"]
    assert field_of("vor", "weather")["max"] == 2
    parties = field_of("vor", "parties")
    assert parties["min"] == 1
    object_type = next(f for f in parties["fields"] if f["name"] == "object_type")
    assert object_type["required"] and "71" in codes(object_type)  # 71 = voetganger


# -- validate_set: accepted values ---------------------------------------------------------

GOOD = [
    ("vor", "occurred_at", "2026-11-24T09:30:00+01:00"),
    ("vor", "occurred_at", "2026-11-24T08:30:00.123Z"),
    ("vor", "occurred_at", "2026-11-24T09:30-05:00"),
    ("vor", "police_arrival", "23:59"),
    ("vor", "location", {"lat": 52.0907, "lon": 5.1214, "accuracy": 8}),
    ("vor", "location", {"lat": -90, "lon": 180, "accuracy": 0}),
    ("vor", "street", "Dorpsstraat"),
    ("vor", "street", "x" * 200),
    ("vor", "narrative", "Regel één\nRegel twee\tmet tab — en één é"),
    ("vor", "outcome", "UMS"),
    ("vor", "accident_kind", "0"),
    ("vor", "speed_limit", "50"),
    ("vor", "weather", ["R", "H"]),
    ("vor", "weather", []),
    ("vor", "particulars", ["100", "270", "330"]),
    ("vor", "report_drawn_up", False),
    ("vor", "dead_count", 0),
    ("vor", "hectometre", 23.4),
    ("vor", "hectometre", 12),
    ("vor", "sketch", {"sha256": SHA, "content_type": "image/webp"}),
    ("pdo", "offence_kind", "burglary_home"),
    ("pdo", "scene_location", {"lat": 51.44, "lon": 5.47, "accuracy": 100000}),
    ("gtpa", "direction", "by"),
    ("gtpa", "force_kinds", ["pepper_spray", "handcuffs"]),
]


@pytest.mark.parametrize(("rtype", "key", "value"), GOOD)
def test_valid_values_are_accepted(rtype: str, key: str, value: Any) -> None:
    assert validate_set(rtype, key, value) == {}


@pytest.mark.parametrize(("rtype", "key"), [("vor", "outcome"), ("vor", "location"),
                                            ("pdo", "narrative"), ("gtpa", "force_kinds")])
def test_none_clears_any_scalar_even_a_required_one(rtype: str, key: str) -> None:
    assert validate_set(rtype, key, None) == {}


def test_the_minor_accident_ops_validate() -> None:
    for key, value in minor_accident().items():
        assert validate_set("vor", key, value) == {}, key


# -- validate_set: refused values, with a Dutch message on the right key -------------------

BAD = [
    # integer
    ("dead_count", "3", "geheel getal"),
    ("dead_count", True, "geheel getal"),
    ("dead_count", 1.0, "geheel getal"),
    ("dead_count", -1, "van 0 tot en met 999"),
    ("dead_count", 1000, "van 0 tot en met 999"),
    # number
    ("hectometre", "23,4", "getal"),
    ("hectometre", False, "getal"),
    ("hectometre", float("nan"), "getal"),
    ("hectometre", float("inf"), "getal"),
    ("hectometre", 1000, "van 0 tot en met 999.9"),
    ("hectometre", 10**400, "van 0 tot en met 999.9"),
    # boolean
    ("report_drawn_up", "ja", "ja of nee"),
    ("report_drawn_up", 1, "ja of nee"),
    # choice
    ("outcome", "XYZ", "Onbekende code"),
    ("outcome", "ums", "Onbekende code"),
    ("accident_kind", 6, "code"),
    ("accident_kind", ["6"], "code"),
    # multichoice
    ("weather", "D", "lijst met codes"),
    ("weather", ["D", "Q"], "Onbekende code"),
    ("weather", ["D", 1], "Onbekende code"),
    ("weather", ["D", "D"], "één keer"),
    ("weather", ["D", "R", "M"], "Hoogstens 2"),
    # datetime
    ("occurred_at", "2026-11-24T09:30:00", "tijdzone"),
    ("occurred_at", "2026-11-24 09:30:00+01:00", "tijdzone"),
    ("occurred_at", "20261124T093000+0100", "tijdzone"),
    ("occurred_at", "2026-02-30T09:30:00+01:00", "tijdzone"),
    ("occurred_at", "24-11-2026 09:30", "tijdzone"),
    ("occurred_at", 1764000000, "tijdzone"),
    # time
    ("police_arrival", "9:30", "UU:MM"),
    ("police_arrival", "24:00", "UU:MM"),
    ("police_arrival", "09:30:00", "UU:MM"),
    ("police_arrival", "09:30\n", "UU:MM"),
    # text
    ("street", 12, "tekst"),
    ("street", "x" * 201, "Maximaal 200 tekens"),
    ("narrative", "x" * 10_001, "Maximaal 10000 tekens"),
    ("street", "a\x00b", "ongeldige tekens"),
    ("street", "a\ud800b", "ongeldige tekens"),
    # location
    ("location", [52.1, 5.1], "lat, lon en accuracy"),
    ("location", {"lat": 52.1, "lon": 5.1}, "lat, lon en accuracy"),
    ("location", {"lat": 52.1, "lon": 5.1, "accuracy": 5, "alt": 3}, "lat, lon en accuracy"),
    ("location", {"lat": 90.5, "lon": 5.1, "accuracy": 5}, "lat moet"),
    ("location", {"lat": "52.1", "lon": 5.1, "accuracy": 5}, "lat moet"),
    ("location", {"lat": True, "lon": 5.1, "accuracy": 5}, "lat moet"),
    ("location", {"lat": 10**400, "lon": 5.1, "accuracy": 5}, "lat moet"),
    ("location", {"lat": 52.1, "lon": -180.5, "accuracy": 5}, "lon moet"),
    ("location", {"lat": 52.1, "lon": 5.1, "accuracy": -1}, "accuracy moet"),
    ("location", {"lat": 52.1, "lon": 5.1, "accuracy": MAX_ACCURACY_M + 1}, "accuracy moet"),
    # photo
    ("sketch", SHA, "sha256 en content_type"),
    ("sketch", {"sha256": SHA}, "sha256 en content_type"),
    ("sketch", {"sha256": SHA.upper(), "content_type": "image/png"}, "hexadecimale"),
    ("sketch", {"sha256": SHA[:63], "content_type": "image/png"}, "hexadecimale"),
    ("sketch", {"sha256": SHA, "content_type": "image/gif"}, "content_type moet"),
    ("sketch", {"sha256": SHA, "content_type": "image/png", "name": "x"}, "sha256 en"),
]


@pytest.mark.parametrize(("key", "value", "fragment"), BAD)
def test_invalid_value_gets_a_dutch_error_on_its_key(key: str, value: Any,
                                                     fragment: str) -> None:
    errors = validate_set("vor", key, value)
    assert list(errors) == [key]
    [message] = errors[key]
    assert fragment in message


def test_unknown_type_and_unknown_field_are_errors() -> None:
    assert validate_set("xyz", "narrative", "x") == {"type": ["Onbekend registratietype"]}
    assert validate_set("vor", "onbekend_veld", "x") == {"onbekend_veld": ["Onbekend veld"]}
    # a PDO field is not a VOR field
    assert list(validate_set("vor", "scene_description", "x")) == ["scene_description"]


def test_a_list_is_never_set_whole() -> None:
    for value in ([{"id": "a", "object_type": "1"}], [], None):
        assert validate_set("vor", "parties", value) == {"parties": [LIST_PER_ITEM]}


# -- validate_set: group items -------------------------------------------------------------


def test_group_item_set_partial_and_remove() -> None:
    assert validate_set("vor", "parties[p1]", {"object_type": "1"}) == {}
    # partial: only the given fields are checked; required-ness waits for submit
    assert validate_set("vor", "parties[p1]", {"licence_plate": "AB-123-C"}) == {}
    assert validate_set("vor", "parties[p1]", {}) == {}
    assert validate_set("vor", "parties[p1]", {"object_type": None}) == {}
    assert validate_set("vor", "parties[p1]", None) == {}
    assert validate_set("vor", "parties[3f2a-B_9]", {"injury": "none"}) == {}
    assert validate_set("pdo", "traces[t1]", {"kind": "dna", "photo": {
        "sha256": SHA, "content_type": "image/jpeg"}}) == {}


def test_group_item_errors_name_the_item_field() -> None:
    errors = validate_set("vor", "parties[p1]", {
        "object_type": "99", "licence_plate": "AB-123-C", "passengers": "2",
        "date_of_birth": "24-11-1990", "licence_categories": ["B", "B"],
    })
    assert set(errors) == {"parties[p1].object_type", "parties[p1].passengers",
                           "parties[p1].date_of_birth", "parties[p1].licence_categories"}
    assert "Onbekende code" in errors["parties[p1].object_type"][0]
    assert "JJJJ-MM-DD" in errors["parties[p1].date_of_birth"][0]


@pytest.mark.parametrize(("key", "value", "error_key", "fragment"), [
    ("parties[p1]", {"id": "p1"}, "parties[p1].id", "in de sleutel"),
    ("parties[p1]", {"removed": True}, "parties[p1].removed", "Onbekend veld"),
    ("parties[p1]", {"plate": "AB"}, "parties[p1].plate", "Onbekend veld"),
    ("parties[p1]", "AB-123-C", "parties[p1]", "object"),
    ("parties[p1]", [{"object_type": "1"}], "parties[p1]", "object"),
    ("parties[]", {}, "parties[]", "item-id"),
    ("parties[a b]", {}, "parties[a b]", "item-id"),
    ("parties[a.b]", {}, "parties[a.b]", "item-id"),
    ("parties[" + "x" * 65 + "]", {}, "parties[" + "x" * 65 + "]", "item-id"),
    ("outcome[x]", {}, "outcome[x]", "Onbekend veld"),
    ("traces[t1]", {}, "traces[t1]", "Onbekend veld"),  # a PDO group on a VOR
])
def test_bad_group_item_sets(key: str, value: Any, error_key: str, fragment: str) -> None:
    errors = validate_set("vor", key, value)
    assert list(errors) == [error_key]
    assert fragment in errors[error_key][0]


def test_item_date_must_be_iso() -> None:
    key = "persons[x]"
    assert validate_set("pdo", key, {"date_of_birth": "1990-02-28"}) == {}
    for bad in ("28-02-1990", "19900228", "1990-02-30", "1990-W09-3", 19900228):
        assert list(validate_set("pdo", key, {"date_of_birth": bad})) == [f"{key}.date_of_birth"]


# -- missing_required ----------------------------------------------------------------------


def stored(set_: dict[str, Any]) -> dict[str, Any]:
    """The data a record holds after those ops (items as lists with ids)."""
    data: dict[str, Any] = {}
    for key, value in set_.items():
        if "[" in key:
            group, item_id = key[:-1].split("[")
            data.setdefault(group, []).append({"id": item_id, **value})
        else:
            data[key] = value
    return data


def test_a_partial_draft_lacks_the_required_fields() -> None:
    missing = missing_required("vor", {"street": "Dorpsstraat"})
    assert set(missing) == {"occurred_at", "location", "outcome", "accident_kind",
                            "narrative", "parties"}
    assert missing["outcome"] == ["Verplicht veld"]
    assert "minstens 1" in missing["parties"][0]


def test_a_complete_minor_accident_can_be_submitted() -> None:
    data = stored(minor_accident())
    assert validate_record("vor", data) == {}
    assert missing_required("vor", data) == {}


def test_required_item_fields_are_checked_per_item() -> None:
    data = stored(minor_accident())
    data["parties"].append({"id": "p3", "licence_plate": "ZZ-00-ZZ"})
    assert missing_required("vor", data) == {"parties[p3].object_type": ["Verplicht veld"]}


def test_removed_items_do_not_count() -> None:
    data = stored(minor_accident())
    data["parties"] = [{"id": "p1", "removed": True}, {"id": "p2", "removed": True}]
    assert list(missing_required("vor", data)) == ["parties"]
    # a removed item's missing fields are not asked for either
    data["parties"].append({"id": "p3", "object_type": "64"})
    assert missing_required("vor", data) == {}


@pytest.mark.parametrize("empty", ["", "   \n", None])
def test_blank_text_is_missing(empty: str | None) -> None:
    data = {**stored(minor_accident()), "narrative": empty}
    assert list(missing_required("vor", data)) == ["narrative"]


def test_gtpa_needs_force_kinds_and_an_officer() -> None:
    data = {
        "direction": "against", "occurred_at": "2026-11-24T23:10:00+01:00",
        "location": {"lat": 52.37, "lon": 4.89, "accuracy": 15},
        "force_kinds": [], "narrative": "Verdachte sloeg collega bij aanhouding.",
    }
    assert set(missing_required("gtpa", data)) == {"force_kinds", "officers_involved"}
    data["force_kinds"] = ["physical"]
    data["officers_involved"] = [{"id": "o1", "name": "J. de Vries", "injury": "light"}]
    assert validate_record("gtpa", data) == {}
    assert missing_required("gtpa", data) == {}


def test_pdo_requires_scene_and_offence() -> None:
    assert set(missing_required("pdo", {})) == {
        "offence_kind", "scene_location", "scene_description", "narrative"}


# -- validate_record -----------------------------------------------------------------------


def test_validate_record_reports_op_keys() -> None:
    data = {
        "outcome": "X",
        "bogus": 1,
        "parties": [
            {"id": "p1", "object_type": "99"},
            {"id": "p2", "removed": True},
            {"id": "p2", "object_type": "1"},
            "geen item",
            {"id": "p4", "removed": True, "object_type": "1"},
        ],
    }
    errors = validate_record("vor", data)
    assert set(errors) == {"outcome", "bogus", "parties[p1].object_type", "parties",
                           "parties[p4]"}
    assert errors["bogus"] == ["Onbekend veld"]
    assert any("dubbel" in m for m in errors["parties"])
    assert validate_record("vor", {"parties": {"p1": {}}}) == {
        "parties": ["Moet een lijst met items zijn"]}
    assert validate_record("xyz", {}) == {"type": ["Onbekend registratietype"]}


def test_withdraw_reason_kept_by_the_engine_is_part_of_a_record() -> None:
    assert validate_record("pdo", {"withdraw_reason": "Dubbel geregistreerd"}) == {}
    assert list(validate_set("pdo", "withdraw_reason", "x")) == ["withdraw_reason"]


# -- property: whatever a field's own description allows is valid -------------------------

ITEM_IDS = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# Any Unicode text but control characters and lone surrogates (tab and newline allowed).
TEXT_CHARS = st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from("\t\n\r")


def value_for(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the /api/forms description of ``field`` says are valid."""
    kind = field["kind"]
    if kind in ("text", "textarea"):
        return st.text(TEXT_CHARS, max_size=field["max_length"])
    if kind == "integer":
        return st.integers(field.get("min"), field.get("max"))
    if kind == "number":
        return st.floats(field.get("min"), field.get("max"), allow_nan=False,
                         allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "date":
        return st.dates().map(date.isoformat)
    if kind == "time":
        return st.times().map(lambda t: t.strftime("%H:%M"))
    if kind == "datetime":
        return st.datetimes(timezones=OFFSETS).map(datetime.isoformat)
    if kind == "choice":
        return st.sampled_from(codes(field))
    if kind == "multichoice":
        return st.lists(st.sampled_from(codes(field)), unique=True,
                        max_size=field.get("max", len(field["choices"])))
    if kind == "location":
        return st.fixed_dictionaries({
            "lat": st.floats(-90, 90), "lon": st.floats(-180, 180),
            "accuracy": st.floats(0, MAX_ACCURACY_M) | st.integers(0, MAX_ACCURACY_M),
        })
    if kind == "photo":
        return st.fixed_dictionaries({
            "sha256": st.binary().map(lambda b: hashlib.sha256(b).hexdigest()),
            "content_type": st.sampled_from(PHOTO_CONTENT_TYPES),
        })
    assert kind == "group"
    return st.fixed_dictionaries({}, optional={
        sub["name"]: value_for(sub) for sub in field["fields"]})


TOP_FIELDS = [(rtype, f) for rtype, form in FORMS.items() for f in form["fields"]]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_value_a_field_describes_is_accepted(data: st.DataObject) -> None:
    rtype, field = data.draw(st.sampled_from(TOP_FIELDS), label="field")
    value = data.draw(value_for(field), label="value")
    key = field["name"]
    if field["kind"] == "group":
        key = f"{key}[{data.draw(ITEM_IDS, label='item id')}]"
    assert validate_set(rtype, key, value) == {}


@st.composite
def records(draw: st.DrawFn, rtype: str) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in FORMS[rtype]["fields"]:
        if not draw(st.booleans()):
            continue
        if field["kind"] != "group":
            record[field["name"]] = draw(value_for(field))
            continue
        ids = draw(st.lists(ITEM_IDS, unique=True, max_size=3))
        record[field["name"]] = [
            {"id": item_id, "removed": True} if draw(st.booleans())
            else {"id": item_id, **draw(value_for(field))}
            for item_id in ids
        ]
    return record


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(FORMS)).flatmap(lambda t: st.tuples(st.just(t), records(t))))
def test_any_record_the_forms_describe_is_valid(case: tuple[str, dict[str, Any]]) -> None:
    rtype, record = case
    assert validate_record(rtype, record) == {}
