"""The fast ``validate_set`` says exactly what the marshmallow fields say.

``validate_set`` calls each field's precompiled check directly (it is the hot path of the
sync push); the record schemas reach the same checks through marshmallow's
``Field.deserialize``. The reference here takes the marshmallow path the way
``validate_set`` used to, so the two must agree on every value, valid or not.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields

from server.registrations.forms import FORMS, FieldDef
from server.registrations.validation import (
    _RULES,
    BAD_ITEM_ID,
    ID_IN_ITEM,
    ITEM_ID,
    ITEM_NOT_OBJECT,
    LIST_PER_ITEM,
    MAX_ACCURACY_M,
    PHOTO_CONTENT_TYPES,
    UNKNOWN_FIELD,
    UNKNOWN_TYPE,
    _field,
    validate_set,
)

SHA = hashlib.sha256(b"foto").hexdigest()

# -- the reference: marshmallow fields, with validate_set's key rules -----------------------


def schema_field(rtype: str, group: str | None, name: str) -> fields.Field:
    schema_fields = _RULES[rtype].schema.fields
    if group is None:
        return schema_fields[name]
    return schema_fields[group].item_schema.fields[name]  # type: ignore[attr-defined]


def deserialize_errors(field: fields.Field, value: Any) -> list[str] | None:
    try:
        field.deserialize(value)
    except ValidationError as err:
        assert isinstance(err.messages, list)
        return [str(m) for m in err.messages]
    return None


def reference_set(rtype: str, key: str, value: Any) -> dict[str, list[str]]:
    rules = _RULES.get(rtype)
    if rules is None:
        return {"type": [UNKNOWN_TYPE]}
    if key in rules.scalars:
        messages = deserialize_errors(schema_field(rtype, None, key), value)
        return {key: messages} if messages else {}
    if key in rules.groups:
        return {key: [LIST_PER_ITEM]}
    match = re.fullmatch(r"([a-z][a-z0-9_]*)\[(.*)\]", key, re.DOTALL)
    if match is None or match.group(1) not in rules.groups:
        return {key: [UNKNOWN_FIELD]}
    group, item_id = match.groups()
    if not ITEM_ID.fullmatch(item_id):
        return {key: [BAD_ITEM_ID]}
    if value is None:
        return {}
    if not isinstance(value, dict):
        return {key: [ITEM_NOT_OBJECT]}
    errors: dict[str, list[str]] = {}
    for name, inner in value.items():
        if name not in rules.groups[group].fields:
            errors[f"{key}.{name}"] = [ID_IN_ITEM if name == "id" else UNKNOWN_FIELD]
        elif messages := deserialize_errors(schema_field(rtype, group, name), inner):
            errors[f"{key}.{name}"] = messages
    return errors


# -- JSON-ish values, valid and not ---------------------------------------------------------

# Any code point, control characters and lone surrogates included.
ANY_CHAR = st.characters(exclude_categories=())
ODD_CHARS = st.sampled_from(["\x00", "\x08", "\t", "\n", "\x0b", "\r", "\x1f", " ", "~",
                             "\x7f", "\x80", "\x85", "é", "\u2028", "\ud800", "\udfff",
                             "\U0001f600"])
TEXTS = st.text(ANY_CHAR, max_size=30) | st.text(ODD_CHARS | st.just("a"), max_size=300)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
TIMEISH = (
    st.dates().map(str)
    | st.datetimes(timezones=OFFSETS).map(lambda d: d.isoformat())
    | st.datetimes().map(lambda d: d.isoformat(timespec="minutes"))
    | st.times().map(lambda t: t.isoformat(timespec="minutes"))
    | st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True)
    | st.from_regex(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", fullmatch=True)
    | st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?"
                    r"(Z|[+-][0-9]{2}:?[0-9]{2})?", fullmatch=True)
)
INTS = st.integers() | st.sampled_from([0, -1, 1, 90, 91, 180, 181, 999, 1000,
                                        MAX_ACCURACY_M, MAX_ACCURACY_M + 1,
                                        10**400, -(10**400)])
FLOATS = st.floats() | st.sampled_from([0.0, -0.0, -0.1, 999.9, 999.90001, 89.99, 90.01,
                                        float("nan"), float("inf"), float("-inf")])
NUMBERISH = INTS | FLOATS | st.booleans() | st.sampled_from(["1", "1.5", None])
ATOMS = st.none() | st.booleans() | INTS | FLOATS | TEXTS | TIMEISH
JSONISH = st.recursive(
    ATOMS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["lat", "lon", "accuracy", "sha256", "content_type",
                                       "id", "x"]), inner, max_size=4),
    max_leaves=8,
)
LOCATIONISH = st.fixed_dictionaries(
    {"lat": NUMBERISH, "lon": NUMBERISH, "accuracy": NUMBERISH},
    optional={"alt": NUMBERISH},
)
SHAISH = st.sampled_from([SHA, SHA.upper(), SHA[:63], SHA + "0", 64 * "g"]) | JSONISH
PHOTOISH = st.fixed_dictionaries(
    {"sha256": SHAISH,
     "content_type": st.sampled_from([*PHOTO_CONTENT_TYPES, "image/gif", "IMAGE/PNG"]) | ATOMS},
    optional={"name": ATOMS},
)


def values_for(defn: FieldDef) -> st.SearchStrategy[Any]:
    """Any JSON, and values near what ``defn`` allows, on both sides of each of its rules."""
    near: list[st.SearchStrategy[Any]] = [JSONISH]
    if defn.kind in ("text", "textarea"):
        assert defn.max_length is not None
        lengths = st.sampled_from([defn.max_length - 1, defn.max_length, defn.max_length + 1])
        near += [TEXTS, st.tuples(lengths, ODD_CHARS).map(lambda n_c: "a" * n_c[0] + n_c[1])]
    elif defn.kind in ("integer", "number"):
        bounds = [b for b in (defn.min, defn.max) if b is not None]
        near += [NUMBERISH, st.sampled_from(bounds).flatmap(
            lambda b: st.sampled_from([b, b - 1, b + 1, b - 0.5, b + 0.5, float(b)]))]
    elif defn.kind in ("choice", "multichoice"):
        codes = [c.code for c in defn.choices]
        code = st.sampled_from(codes)
        near += [code, code.map(str.lower), code.map(lambda c: c + " "),
                 st.lists(code, max_size=len(codes) + 1), st.lists(code | ATOMS, max_size=3)]
    elif defn.kind in ("date", "time", "datetime"):
        near += [TIMEISH]
    elif defn.kind == "location":
        near += [LOCATIONISH]
    elif defn.kind == "photo":
        near += [PHOTOISH]
    return st.one_of(near)


# -- every field of every form: the fast path agrees with marshmallow ----------------------


FIELDS = [
    (form.type, defn.name if defn.kind == "group" else None, sub)
    for form in FORMS for defn in form.fields
    for sub in (defn.fields if defn.kind == "group" else (defn,))
]


@pytest.mark.parametrize(("rtype", "group", "defn"), FIELDS,
                         ids=[f"{t}.{g + '.' if g else ''}{d.name}" for t, g, d in FIELDS])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_field_agrees_with_its_marshmallow_field(
    rtype: str, group: str | None, defn: FieldDef, data: st.DataObject,
) -> None:
    value = data.draw(values_for(defn), label="value")
    if group is None:
        key, set_value = defn.name, value
    else:
        key, set_value = f"{group}[p1]", {defn.name: value}
    expected = reference_set(rtype, key, set_value)
    assert validate_set(rtype, key, set_value) == expected
    if value is not None:
        # Not vacuous: the field itself is reached and gives the same messages.
        messages = deserialize_errors(schema_field(rtype, group, defn.name), value)
        error_key = key if group is None else f"{key}.{defn.name}"
        assert expected.get(error_key) == messages


def test_validate_set_runs_the_checks_the_schemas_run() -> None:
    for rtype, rules in _RULES.items():
        for name, check in rules.scalars.items():
            assert schema_field(rtype, None, name).check is check  # type: ignore[attr-defined]
        for group, group_rules in rules.groups.items():
            for name, check in group_rules.fields.items():
                field = schema_field(rtype, group, name)
                assert field.check is check  # type: ignore[attr-defined]


# -- keys: unknown fields, lists, item ids, items that are not objects ----------------------

RTYPES = sorted(_RULES)
NAMES = sorted({defn.name for form in FORMS for defn in form.fields} | {"id", "removed"})
ITEM_IDS = (st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
            | st.text(ANY_CHAR, max_size=66) | st.sampled_from(["", "a b", "a.b", "[x]"]))
KEYS = (
    st.sampled_from([*NAMES, "withdraw_reason", "onbekend_veld", "Parties"])
    | st.tuples(st.sampled_from(NAMES), ITEM_IDS, st.sampled_from(["]", "", "]x", "]\n"]))
    .map(lambda parts: f"{parts[0]}[{parts[1]}{parts[2]}")
)


@st.composite
def item_values(draw: st.DrawFn, rtype: str) -> Any:
    """None, something that is not an object, or some item fields (and strangers)."""
    subs = [d for form in FORMS if form.type == rtype for g in form.fields for d in g.fields]
    if not subs or not draw(st.booleans()):
        return draw(JSONISH)
    chosen = draw(st.lists(st.sampled_from(subs), max_size=4, unique_by=lambda d: d.name))
    item = {d.name: draw(values_for(d)) for d in chosen}
    item.update(draw(st.dictionaries(st.sampled_from(["id", "removed", "plate"]), ATOMS,
                                     max_size=2)))
    return item


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_key_agrees_with_the_reference(data: st.DataObject) -> None:
    rtype = data.draw(st.sampled_from([*RTYPES, "xyz"]), label="rtype")
    key = data.draw(KEYS, label="key")
    value = data.draw(item_values(rtype) if "[" in key else JSONISH, label="value")
    assert validate_set(rtype, key, value) == reference_set(rtype, key, value)


@pytest.mark.parametrize(("rtype", "key", "value", "expected"), [
    ("xyz", "narrative", "x", {"type": [UNKNOWN_TYPE]}),
    ("vor", "onbekend_veld", "x", {"onbekend_veld": [UNKNOWN_FIELD]}),
    ("vor", "scene_description", "x", {"scene_description": [UNKNOWN_FIELD]}),
    ("vor", "withdraw_reason", "x", {"withdraw_reason": [UNKNOWN_FIELD]}),
    ("vor", "outcome", None, {}),
    ("vor", "parties", None, {"parties": [LIST_PER_ITEM]}),
    ("vor", "parties[p1]", None, {}),
    ("vor", "parties[p1]", "AB-123-C", {"parties[p1]": [ITEM_NOT_OBJECT]}),
    ("vor", "parties[p1]", [], {"parties[p1]": [ITEM_NOT_OBJECT]}),
    ("vor", "parties[a b]", {}, {"parties[a b]": [BAD_ITEM_ID]}),
    ("vor", "parties[" + "x" * 65 + "]", None, {"parties[" + "x" * 65 + "]": [BAD_ITEM_ID]}),
    ("vor", "parties[p1]x", {}, {"parties[p1]x": [UNKNOWN_FIELD]}),
    ("vor", "parties[p1]\n", {}, {"parties[p1]\n": [UNKNOWN_FIELD]}),
    ("vor", "outcome[x]", {}, {"outcome[x]": [UNKNOWN_FIELD]}),
    ("vor", "traces[t1]", {}, {"traces[t1]": [UNKNOWN_FIELD]}),
    ("vor", "parties[p1]", {"id": "p1", "removed": True, "object_type": None}, {
        "parties[p1].id": [ID_IN_ITEM], "parties[p1].removed": [UNKNOWN_FIELD]}),
])
def test_key_rules(rtype: str, key: str, value: Any, expected: dict[str, list[str]]) -> None:
    assert validate_set(rtype, key, value) == expected == reference_set(rtype, key, value)


# -- the messages themselves, word for word -------------------------------------------------

OBJECT_TYPES = ("1, 11, 21, 22, 23, 24, 31, 41, 51, 61, 62, 63, 64, 65, 66, 71, 81, 82, 83, "
                "84, 85, 91, 95")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("street", 12, "Moet tekst zijn"),
    ("street", "a\x00b", "Bevat ongeldige tekens (stuurtekens)"),
    ("street", "x\x00" * 150, "Bevat ongeldige tekens (stuurtekens)"),
    ("narrative", "x" * 500 + "\ud800", "Bevat ongeldige tekens (stuurtekens)"),
    ("street", "x" * 201, "Maximaal 200 tekens"),
    ("dead_count", "3", "Moet een geheel getal zijn"),
    ("dead_count", 1000, "Moet van 0 tot en met 999 zijn"),
    ("hectometre", float("nan"), "Moet een getal zijn"),
    ("hectometre", 10**400, "Moet van 0 tot en met 999.9 zijn"),
    ("report_drawn_up", 1, "Moet ja of nee zijn (true of false)"),
    ("police_arrival", "24:00", "Moet een tijd zijn als UU:MM"),
    ("occurred_at", "2026-02-30T09:30+01:00",
     "Moet een datum en tijd zijn als JJJJ-MM-DDTUU:MM met tijdzone "
     "(bijvoorbeeld 2026-11-24T09:30+01:00 of …Z)"),
    ("outcome", 6, "Moet een code zijn"),
    ("outcome", "ums", "Onbekende code; kies uit: UMS, LET, DOD"),
    ("weather", "D", "Moet een lijst met codes zijn"),
    ("weather", ["D", 1], "Onbekende code; kies uit: D, R, M, S, H, O"),
    ("weather", ["D", "D"], "Elke code mag maar één keer voorkomen"),
    ("weather", ["D", "R", "M"], "Hoogstens 2 keuzes"),
    ("location", [1, 2], "Moet een locatie zijn met precies lat, lon en accuracy"),
    ("location", {"lat": 91, "lon": 0, "accuracy": 0}, "lat moet een getal van -90 tot 90 zijn"),
    ("location", {"lat": 0, "lon": 181, "accuracy": 0},
     "lon moet een getal van -180 tot 180 zijn"),
    ("location", {"lat": 0, "lon": 0, "accuracy": -1},
     "accuracy moet een getal van 0 tot 100000 (meter) zijn"),
    ("sketch", SHA, "Moet een foto zijn met precies sha256 en content_type"),
    ("sketch", {"sha256": SHA.upper(), "content_type": "image/png"},
     "sha256 moet 64 hexadecimale tekens (kleine letters) zijn"),
    ("sketch", {"sha256": SHA, "content_type": "image/gif"},
     "content_type moet image/jpeg, image/png, image/webp zijn"),
])
def test_messages_word_for_word(key: str, value: Any, message: str) -> None:
    assert validate_set("vor", key, value) == {key: [message]}


def test_item_messages_word_for_word() -> None:
    assert validate_set("vor", "parties[p1]", {
        "object_type": "99", "date_of_birth": "1990-02-30", "passengers": -1,
        "licence_categories": ["B", "B"],
    }) == {
        "parties[p1].object_type": [f"Onbekende code; kies uit: {OBJECT_TYPES}"],
        "parties[p1].date_of_birth": ["Moet een datum zijn als JJJJ-MM-DD"],
        "parties[p1].passengers": ["Moet van 0 tot en met 999 zijn"],
        "parties[p1].licence_categories": ["Elke code mag maar één keer voorkomen"],
    }


@pytest.mark.parametrize(("low", "high", "value", "message"), [
    (5, None, 4, "Moet minstens 5 zijn"),
    (None, 2.5, 3, "Mag hoogstens 2.5 zijn"),
])
def test_one_sided_ranges(low: float | None, high: float | None, value: int,
                          message: str) -> None:
    field = _field(FieldDef("n", "N", "number", min=low, max=high))
    assert field.check(value) == [message]
    assert deserialize_errors(field, value) == [message]
    assert field.check(low if low is not None else high) is None


# -- control characters: the one definition, as a regex ------------------------------------

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@settings(max_examples=500, deadline=None)
@given(st.text(ANY_CHAR, max_size=300) | st.text(ODD_CHARS | st.just("é"), max_size=300))
def test_refused_characters_are_c0_controls_del_and_surrogates(text: str) -> None:
    refused = validate_set("vor", "narrative", text) == {
        "narrative": ["Bevat ongeldige tekens (stuurtekens)"]}
    assert refused == bool(CONTROL.search(text))
