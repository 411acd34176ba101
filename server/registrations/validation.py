"""Validation of registration data, generated from the definitions in ``forms.py``.

Every field kind is one check function, built once at import from a field's definition
(its bounds, length, codes): it takes a non-null value and returns ``None`` when the value
is valid, else the list of Dutch messages. That function is the only definition of what
is valid. ``validate_set``, which runs for every key of every pushed op, calls it directly:
no marshmallow and no exception on the valid path. The marshmallow fields of the record
schemas (``validate_record``, group items, the docs) are thin wrappers around the same
functions.

Values are stored exactly as the device sent them, so nothing here coerces: an integer
must be a JSON integer (not ``"5"``, not ``true``), a code must be the code string, and so
on. Required fields are checked only at submit (``missing_required``), so a partial draft
syncs.

Error maps use the keys an op uses: ``outcome``, ``parties[<item id>]``,
``parties[<item id>].object_type``. Every message is Dutch: officers see them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields

from server.registrations.forms import FORMS, FieldDef, FormDef

ITEM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PHOTO_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_ACCURACY_M = 100_000
# The engine keeps these in ``data`` although no form lists them (a status op sets them).
WITHDRAW_REASON_MAX_LENGTH = 1000

# Text refuses C0 controls other than tab/newline/CR, DEL, and lone surrogates: PostgreSQL's
# jsonb refuses \u0000 and unpaired surrogates cannot be encoded, so either would become a
# 500. _has_bad_chars finds them with bytes.translate, as a regex search took 3 µs on a
# 600-character narrative.
_CONTROL_BYTES = bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])
_NON_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOCATION_KEYS = frozenset({"lat", "lon", "accuracy"})
_PHOTO_KEYS = frozenset({"sha256", "content_type"})

UNKNOWN_TYPE = "Onbekend registratietype"
UNKNOWN_FIELD = "Onbekend veld"
REQUIRED = "Verplicht veld"
LIST_PER_ITEM = "Een lijst wordt per item gezet"
BAD_ITEM_ID = "Ongeldig item-id: 1 tot 64 tekens uit A-Z, a-z, 0-9, _ en -"
ITEM_NOT_OBJECT = "Een item moet een object zijn, of null om het te verwijderen"
ID_IN_ITEM = "Het id van een item staat in de sleutel, niet in het item"


# -- field kinds: one check function each --------------------------------------------------

# A check takes a non-null value (null clears a field, so callers skip it) and returns
# None when it is valid, else its messages. It tests the kind (JSON type and shape) before
# bounds, length or codes, and reports only the first failure.
Check = Callable[[Any], list[str] | None]

NOT_TEXT = "Moet tekst zijn"
BAD_CHARS = "Bevat ongeldige tekens (stuurtekens)"
NOT_INTEGER = "Moet een geheel getal zijn"
NOT_NUMBER = "Moet een getal zijn"
NOT_BOOLEAN = "Moet ja of nee zijn (true of false)"
NOT_DATE = "Moet een datum zijn als JJJJ-MM-DD"
NOT_TIME = "Moet een tijd zijn als UU:MM"
NOT_DATETIME = ("Moet een datum en tijd zijn als JJJJ-MM-DDTUU:MM met tijdzone "
                "(bijvoorbeeld 2026-11-24T09:30+01:00 of …Z)")
NOT_CODE = "Moet een code zijn"
NOT_CODES = "Moet een lijst met codes zijn"
DUPLICATE_CODE = "Elke code mag maar één keer voorkomen"
NOT_LOCATION = "Moet een locatie zijn met precies lat, lon en accuracy"
BAD_LAT = "lat moet een getal van -90 tot 90 zijn"
BAD_LON = "lon moet een getal van -180 tot 180 zijn"
BAD_ACCURACY = f"accuracy moet een getal van 0 tot {MAX_ACCURACY_M} (meter) zijn"
NOT_PHOTO = "Moet een foto zijn met precies sha256 en content_type"
BAD_SHA256 = "sha256 moet 64 hexadecimale tekens (kleine letters) zijn"
BAD_CONTENT_TYPE = "content_type moet " + ", ".join(PHOTO_CONTENT_TYPES) + " zijn"


def _is_integer(value: Any) -> bool:
    # bool is an int subclass, but JSON true is not a number.
    return type(value) is int


def _is_number(value: Any) -> bool:
    # isfinite would overflow on a huge int (JSON allows them), and ints are finite anyway.
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _has_bad_chars(text: str) -> bool:
    """The full test; ``_text_check`` tries a quicker one on short values first."""
    try:
        encoded = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return True
    # In UTF-8 a control character is its own byte; other characters use bytes >= 0x80.
    return bool(encoded.translate(None, _NON_CONTROL_BYTES))


def _text_check(max_length: int | None) -> Check:
    def check(value: Any) -> list[str] | None:
        if not isinstance(value, str):
            return [NOT_TEXT]
        # Refused characters are all Unicode "Other", so a printable text has none. That
        # is the quickest test of a short value (most are), but it looks up every
        # character in the Unicode database, so beyond ~100 characters translate() in
        # _has_bad_chars is quicker.
        if not (len(value) <= 100 and value.isprintable()) and _has_bad_chars(value):
            return [BAD_CHARS]
        if max_length is not None and len(value) > max_length:
            return [f"Maximaal {max_length} tekens"]
        return None

    return check


def _range_message(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"Moet van {low} tot en met {high} zijn"
    if low is not None:
        return f"Moet minstens {low} zijn"
    return f"Mag hoogstens {high} zijn"


def _numeric_check(is_kind: Callable[[Any], bool], not_kind: str,
                   low: float | None, high: float | None) -> Check:
    def check(value: Any) -> list[str] | None:
        if not is_kind(value):
            return [not_kind]
        if (low is not None and value < low) or (high is not None and value > high):
            return [_range_message(low, high)]
        return None

    return check


def _check_boolean(value: Any) -> list[str] | None:
    return None if type(value) is bool else [NOT_BOOLEAN]


def _parses(value: Any, pattern: re.Pattern[str], parse: Callable[[str], object]) -> bool:
    # The pattern fixes the one accepted spelling (fromisoformat alone would also take
    # 20261124 and 2026-W48-1); parsing then refuses dates like 2026-02-30.
    if not isinstance(value, str) or not pattern.fullmatch(value):
        return False
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _check_date(value: Any) -> list[str] | None:
    return None if _parses(value, _DATE, date.fromisoformat) else [NOT_DATE]


def _check_time(value: Any) -> list[str] | None:
    return None if isinstance(value, str) and _TIME.fullmatch(value) else [NOT_TIME]


def _check_datetime(value: Any) -> list[str] | None:
    # An offset is required: a time without one is ambiguous around DST changes.
    return None if _parses(value, _DATETIME, datetime.fromisoformat) else [NOT_DATETIME]


def _unknown_code(codes: tuple[str, ...]) -> str:
    return "Onbekende code; kies uit: " + ", ".join(codes)


def _choice_check(codes: tuple[str, ...]) -> Check:
    known = frozenset(codes)

    def check(value: Any) -> list[str] | None:
        if not isinstance(value, str):
            return [NOT_CODE]
        return None if value in known else [_unknown_code(codes)]

    return check


def _multichoice_check(codes: tuple[str, ...], max_items: int | None) -> Check:
    known = frozenset(codes)

    def check(value: Any) -> list[str] | None:
        if not isinstance(value, list):
            return [NOT_CODES]
        for code in value:
            if not isinstance(code, str) or code not in known:
                return [_unknown_code(codes)]
        if len(set(value)) != len(value):
            return [DUPLICATE_CODE]
        if max_items is not None and len(value) > max_items:
            return [f"Hoogstens {max_items} keuzes"]
        return None

    return check


def _check_location(value: Any) -> list[str] | None:
    if not isinstance(value, dict) or value.keys() != _LOCATION_KEYS:
        return [NOT_LOCATION]
    lat, lon, accuracy = value["lat"], value["lon"], value["accuracy"]
    if not _is_number(lat) or not -90 <= lat <= 90:
        return [BAD_LAT]
    if not _is_number(lon) or not -180 <= lon <= 180:
        return [BAD_LON]
    if not _is_number(accuracy) or not 0 <= accuracy <= MAX_ACCURACY_M:
        return [BAD_ACCURACY]
    return None


def _check_photo(value: Any) -> list[str] | None:
    if not isinstance(value, dict) or value.keys() != _PHOTO_KEYS:
        return [NOT_PHOTO]
    sha = value["sha256"]
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        return [BAD_SHA256]
    if value["content_type"] not in PHOTO_CONTENT_TYPES:
        return [BAD_CONTENT_TYPE]
    return None


_FIXED_CHECKS: dict[str, Check] = {
    "boolean": _check_boolean, "date": _check_date, "time": _check_time,
    "datetime": _check_datetime, "location": _check_location, "photo": _check_photo,
}


def _check(defn: FieldDef) -> Check:
    """The check of one non-group field, with the parameters of its definition."""
    codes = tuple(c.code for c in defn.choices)
    match defn.kind:
        case "text" | "textarea":
            return _text_check(defn.max_length)
        case "integer":
            return _numeric_check(_is_integer, NOT_INTEGER, defn.min, defn.max)
        case "number":
            return _numeric_check(_is_number, NOT_NUMBER, defn.min, defn.max)
        case "choice":
            return _choice_check(codes)
        case "multichoice":
            return _multichoice_check(codes, int(defn.max) if defn.max is not None else None)
    return _FIXED_CHECKS[defn.kind]


# -- marshmallow fields for the record schemas ---------------------------------------------


class _Checked(fields.Field):
    """A nullable field whose whole validation is one check; it never coerces."""

    def __init__(self, check: Check) -> None:
        super().__init__(allow_none=True)
        self.check = check

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        messages = self.check(value)
        if messages:
            raise ValidationError(messages)
        return value


# One class per kind so that schema readers (such as the OpenAPI docs) can tell them apart.
class Text(_Checked):
    """A string without control characters, up to a maximum length."""


class Integer(_Checked):
    """A JSON integer (not a bool), optionally within bounds."""


class Number(_Checked):
    """A finite JSON number (not a bool), optionally within bounds."""


class Boolean(_Checked):
    """JSON true or false."""


class Date(_Checked):
    """A date as YYYY-MM-DD."""


class Time(_Checked):
    """A time as HH:MM."""


class DateTime(_Checked):
    """A date and time as YYYY-MM-DDTHH:MM[:SS[.ffffff]] with an offset or Z."""


class Choice(_Checked):
    """One code of a list."""


class MultiChoice(_Checked):
    """A list of distinct codes of a list, optionally at most so many."""


class Location(_Checked):
    """{lat, lon, accuracy} in WGS84 degrees and metres."""


class Photo(_Checked):
    """An uploaded attachment's {sha256, content_type}."""


_FIELD_CLASSES: dict[str, type[_Checked]] = {
    "text": Text, "textarea": Text, "integer": Integer, "number": Number,
    "boolean": Boolean, "date": Date, "time": Time, "datetime": DateTime,
    "choice": Choice, "multichoice": MultiChoice, "location": Location, "photo": Photo,
}


def _field(defn: FieldDef) -> _Checked:
    return _FIELD_CLASSES[defn.kind](_check(defn))


class Group(fields.Field):
    """A whole list of items, as stored; used only for whole records.

    Errors are a dict of key suffixes (``""`` for the list itself, ``[<id>]`` or
    ``[<id>].<field>``) that ``_flatten`` joins to the group's name.
    """

    default_error_messages = {"null": "Moet een lijst met items zijn"}

    def __init__(self, item_schema: Schema, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item_schema = item_schema

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError({"": ["Moet een lijst met items zijn"]})
        errors: dict[str, list[str]] = {}
        seen: set[str] = set()
        for position, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                errors.setdefault("", []).append(f"Item {position} moet een object zijn")
                continue
            item_id = item.get("id")
            if not isinstance(item_id, str) or not ITEM_ID.fullmatch(item_id):
                errors.setdefault("", []).append(f"Item {position}: {BAD_ITEM_ID}")
                continue
            if item_id in seen:
                errors.setdefault("", []).append(f"Item-id {item_id} komt dubbel voor")
                continue
            seen.add(item_id)
            if item.get("removed") is True:
                if item.keys() != {"id", "removed"}:
                    errors[f"[{item_id}]"] = ["Een verwijderd item heeft alleen id en removed"]
                continue
            body = {k: v for k, v in item.items() if k != "id"}
            for name, messages in self.item_schema.validate(body).items():
                errors[f"[{item_id}].{name}"] = _as_list(messages)
        if errors:
            raise ValidationError(errors)
        return value


# -- generating the schemas ----------------------------------------------------------------


class _BaseSchema(Schema):
    error_messages = {"type": "Moet een object zijn", "unknown": UNKNOWN_FIELD}


@dataclass(frozen=True, slots=True)
class _GroupRules:
    min: int
    fields: dict[str, Check]
    required: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _TypeRules:
    schema: Schema
    scalars: dict[str, Check]
    groups: dict[str, _GroupRules]
    # Fields to check at submit, in form order: (name, None) or (name, group rules).
    submit_checks: tuple[tuple[str, _GroupRules | None], ...]


def _schema_name(*parts: str) -> str:
    return "".join(p.title().replace("_", "") for p in parts) + "Schema"


def _build(form: FormDef) -> _TypeRules:
    # validate_set calls the very check functions that the schemas' fields run.
    declared: dict[str, fields.Field] = {}
    scalars: dict[str, Check] = {}
    group_rules: dict[str, _GroupRules] = {}
    checks: list[tuple[str, _GroupRules | None]] = []
    for defn in form.fields:
        if defn.kind != "group":
            field = _field(defn)
            declared[defn.name] = field
            scalars[defn.name] = field.check
            if defn.required:
                checks.append((defn.name, None))
            continue
        item_fields = {f.name: _field(f) for f in defn.fields}
        item_schema = _BaseSchema.from_dict(
            item_fields, name=_schema_name(form.type, defn.name, "item"),
        )()
        rules = _GroupRules(
            min=int(defn.min or 0),
            fields={name: f.check for name, f in item_fields.items()},
            required=tuple(f.name for f in defn.fields if f.required),
        )
        group_rules[defn.name] = rules
        declared[defn.name] = Group(item_schema)
        if rules.min or rules.required:
            checks.append((defn.name, rules))
    declared["withdraw_reason"] = Text(_text_check(WITHDRAW_REASON_MAX_LENGTH))
    schema = _BaseSchema.from_dict(declared, name=_schema_name(form.type, "record"))()
    return _TypeRules(schema, scalars, group_rules, tuple(checks))


_RULES: dict[str, _TypeRules] = {form.type: _build(form) for form in FORMS}


# -- public API ----------------------------------------------------------------------------


def registration_types() -> tuple[str, ...]:
    return tuple(_RULES)


def group_fields(rtype: str) -> set[str]:
    """Names of the group (list) fields of ``rtype``; empty for an unknown type."""
    rules = _RULES.get(rtype)
    return set(rules.groups) if rules else set()


def scalar_fields(rtype: str) -> set[str]:
    """Names of the non-group fields of ``rtype``; empty for an unknown type."""
    rules = _RULES.get(rtype)
    return set(rules.scalars) if rules else set()


def validate_set(rtype: str, key: str, value: object) -> dict[str, list[str]]:
    """Errors of setting ``key`` to ``value`` in one op's ``set``; ``{}`` when valid.

    ``key`` is a scalar field (``None`` clears it) or ``group[<item id>]`` with ``None``
    (remove the item) or a dict of some of the item's fields (only those are checked).
    """
    return validate_keys(rtype, {key: value}, frozenset())


def validate_keys(rtype: str, op_set: dict[str, Any], skip: frozenset[str]
                  ) -> dict[str, list[str]]:
    """``validate_set`` of every key of ``op_set`` not in ``skip``, merged: one call per
    op (the push checks every key of every op). ``skip`` holds keys that are no field of
    any form (the engine's own: status, server keys), so only non-field keys look at it."""
    rules = _RULES.get(rtype)
    if rules is None:
        return {"type": [UNKNOWN_TYPE]}
    scalars = rules.scalars
    errors: dict[str, list[str]] = {}
    for key, value in op_set.items():
        check = scalars.get(key)
        if check is None:
            if key not in skip:
                errors.update(_validate_item_set(rules, key, value))
        elif value is not None and (messages := check(value)):
            errors[key] = messages
    return errors


def _validate_item_set(rules: _TypeRules, key: str, value: object) -> dict[str, list[str]]:
    if key in rules.groups:
        return {key: [LIST_PER_ITEM]}
    name, bracket, rest = key.partition("[") if isinstance(key, str) else ("", "", "")
    group = rules.groups.get(name) if bracket and rest.endswith("]") else None
    if group is None:
        return {key: [UNKNOWN_FIELD]}
    if not ITEM_ID.fullmatch(rest[:-1]):
        return {key: [BAD_ITEM_ID]}
    if value is None:
        return {}
    if not isinstance(value, dict):
        return {key: [ITEM_NOT_OBJECT]}
    checks = group.fields
    errors: dict[str, list[str]] = {}
    for field_name, inner in value.items():
        check = checks.get(field_name)
        if check is None:
            errors[f"{key}.{field_name}"] = [ID_IN_ITEM if field_name == "id" else UNKNOWN_FIELD]
        elif inner is not None and (messages := check(inner)):
            errors[f"{key}.{field_name}"] = messages
    return errors


def missing_required(rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
    """What a submit still lacks: required fields, too few items, required item fields.

    ``data`` is the stored shape; removed items (``{"id", "removed": true}``) do not count.
    """
    rules = _RULES.get(rtype)
    if rules is None:
        return {"type": [UNKNOWN_TYPE]}
    errors: dict[str, list[str]] = {}
    for name, group in rules.submit_checks:
        if group is None:
            if _is_empty(data.get(name)):
                errors[name] = [REQUIRED]
            continue
        raw = data.get(name)
        items = [
            item for item in (raw if isinstance(raw, list) else [])
            if isinstance(item, dict) and not item.get("removed")
        ]
        if len(items) < group.min:
            errors[name] = [f"Voeg er minstens {group.min} toe"]
        for item in items:
            for field_name in group.required:
                if _is_empty(item.get(field_name)):
                    errors[f"{name}[{item.get('id')}].{field_name}"] = [REQUIRED]
    return errors


def validate_record(rtype: str, data: dict[str, Any]) -> dict[str, list[str]]:
    """Type errors in a whole stored ``data`` dict (required-ness is not checked)."""
    rules = _RULES.get(rtype)
    if rules is None:
        return {"type": [UNKNOWN_TYPE]}
    if not isinstance(data, dict):
        return {"data": ["Moet een object zijn"]}
    return _flatten(rules.schema.validate(data))


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def _as_list(messages: Any) -> list[str]:
    if isinstance(messages, list):
        return [str(m) for m in messages]
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _as_list(v)]
    return [str(messages)]


def _flatten(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Schema errors to op keys: a group's suffix dict is joined to the group's name."""
    flat: dict[str, list[str]] = {}
    for name, value in errors.items():
        if isinstance(value, dict):
            for suffix, messages in value.items():
                flat[f"{name}{suffix}"] = _as_list(messages)
        else:
            flat[name] = _as_list(value)
    return flat
