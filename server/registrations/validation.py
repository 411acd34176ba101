"""Validation of registration data, generated from the definitions in ``forms.py``.

Every form gets one marshmallow Schema for a whole ``data`` dict and one per group item;
their field objects are built once at import and reused, because ``validate_set`` runs for
every key of every pushed op. Values are stored exactly as the device sent them, so the
fields here never coerce: an integer must be a JSON integer (not ``"5"``, not ``true``), a
code must be the code string, and so on. Required fields are checked only at submit
(``missing_required``), so a partial draft syncs.

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

from marshmallow import Schema, ValidationError, fields, validate

from server.registrations.forms import FORMS, FieldDef, FormDef

ITEM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PHOTO_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_ACCURACY_M = 100_000
# The engine keeps these in ``data`` although no form lists them (a status op sets them).
WITHDRAW_REASON_MAX_LENGTH = 1000

_ITEM_KEY = re.compile(r"([a-z][a-z0-9_]*)\[(.*)\]", re.DOTALL)
# C0 controls other than tab/newline/CR, DEL, and lone surrogates: PostgreSQL's jsonb
# refuses \u0000 and unpaired surrogates cannot be encoded, so either would become a 500.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
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


# -- field kinds ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    # bool is an int subclass, but JSON true is not a number; isfinite would overflow on
    # a huge int (JSON allows them), and ints are finite anyway.
    return type(value) is int or (type(value) is float and math.isfinite(value))


class _Strict(fields.Field):
    """A field that accepts only the JSON type its kind stores, without coercion."""

    default_error_messages = {
        "required": REQUIRED,
        "null": "Mag niet leeg zijn",
        "validator_failed": "Ongeldige waarde",
    }


class Text(_Strict):
    default_error_messages = {
        "invalid": "Moet tekst zijn",
        "chars": "Bevat ongeldige tekens (stuurtekens)",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if _BAD_CHARS.search(value):
            raise self.make_error("chars")
        return value


class Integer(_Strict):
    default_error_messages = {"invalid": "Moet een geheel getal zijn"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if type(value) is not int:
            raise self.make_error("invalid")
        return value


class Number(_Strict):
    default_error_messages = {"invalid": "Moet een getal zijn"}

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> int | float:
        if not _is_number(value):
            raise self.make_error("invalid")
        return value


class Boolean(_Strict):
    default_error_messages = {"invalid": "Moet ja of nee zijn (true of false)"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if type(value) is not bool:
            raise self.make_error("invalid")
        return value


class Date(_Strict):
    default_error_messages = {"invalid": "Moet een datum zijn als JJJJ-MM-DD"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        # fromisoformat alone would also take 20261124 and 2026-W48-1.
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class Time(_Strict):
    default_error_messages = {"invalid": "Moet een tijd zijn als UU:MM"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not _TIME.fullmatch(value):
            raise self.make_error("invalid")
        return value


class DateTime(_Strict):
    default_error_messages = {
        "invalid": "Moet een datum en tijd zijn als JJJJ-MM-DDTUU:MM met tijdzone "
                   "(bijvoorbeeld 2026-11-24T09:30+01:00 of …Z)",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> datetime:
        # An offset is required: a time without one is ambiguous around DST changes.
        if not isinstance(value, str) or not _DATETIME.fullmatch(value):
            raise self.make_error("invalid")
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class Choice(_Strict):
    default_error_messages = {"invalid": "Moet een code zijn"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


class MultiChoice(_Strict):
    default_error_messages = {
        "invalid": "Moet een lijst met codes zijn",
        "unknown": "Onbekende code; kies uit: {choices}",
        "duplicate": "Elke code mag maar één keer voorkomen",
        "too_many": "Hoogstens {max} keuzes",
    }

    def __init__(self, codes: tuple[str, ...], max_items: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.codes = frozenset(codes)
        self.choices_text = ", ".join(codes)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> list[str]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        for code in value:
            if not isinstance(code, str) or code not in self.codes:
                raise self.make_error("unknown", choices=self.choices_text)
        if len(set(value)) != len(value):
            raise self.make_error("duplicate")
        if self.max_items is not None and len(value) > self.max_items:
            raise self.make_error("too_many", max=self.max_items)
        return value


class Location(_Strict):
    default_error_messages = {
        "invalid": "Moet een locatie zijn met precies lat, lon en accuracy",
        "lat": "lat moet een getal van -90 tot 90 zijn",
        "lon": "lon moet een getal van -180 tot 180 zijn",
        "accuracy": f"accuracy moet een getal van 0 tot {MAX_ACCURACY_M} (meter) zijn",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or value.keys() != _LOCATION_KEYS:
            raise self.make_error("invalid")
        lat, lon, accuracy = value["lat"], value["lon"], value["accuracy"]
        if not _is_number(lat) or not -90 <= lat <= 90:
            raise self.make_error("lat")
        if not _is_number(lon) or not -180 <= lon <= 180:
            raise self.make_error("lon")
        if not _is_number(accuracy) or not 0 <= accuracy <= MAX_ACCURACY_M:
            raise self.make_error("accuracy")
        return value


class Photo(_Strict):
    default_error_messages = {
        "invalid": "Moet een foto zijn met precies sha256 en content_type",
        "sha256": "sha256 moet 64 hexadecimale tekens (kleine letters) zijn",
        "content_type": "content_type moet " + ", ".join(PHOTO_CONTENT_TYPES) + " zijn",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or value.keys() != _PHOTO_KEYS:
            raise self.make_error("invalid")
        sha = value["sha256"]
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise self.make_error("sha256")
        if value["content_type"] not in PHOTO_CONTENT_TYPES:
            raise self.make_error("content_type")
        return value


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


def _range(low: float | None, high: float | None) -> validate.Range:
    if low is not None and high is not None:
        message = f"Moet van {low} tot en met {high} zijn"
    elif low is not None:
        message = f"Moet minstens {low} zijn"
    else:
        message = f"Mag hoogstens {high} zijn"
    return validate.Range(min=low, max=high, error=message)


def _field(defn: FieldDef) -> fields.Field:
    """The marshmallow field of one scalar field (None clears it, so it is allowed)."""
    kind = defn.kind
    validators: list[Callable[[Any], Any]] = []
    if kind in ("integer", "number") and (defn.min is not None or defn.max is not None):
        validators.append(_range(defn.min, defn.max))
    if kind in ("text", "textarea"):
        validators.append(validate.Length(max=defn.max_length, error="Maximaal {max} tekens"))
        return Text(validate=validators, allow_none=True)
    if kind == "choice":
        codes = tuple(c.code for c in defn.choices)
        validators.append(validate.OneOf(codes, error="Onbekende code; kies uit: {choices}"))
        return Choice(validate=validators, allow_none=True)
    if kind == "multichoice":
        return MultiChoice(tuple(c.code for c in defn.choices),
                           int(defn.max) if defn.max is not None else None, allow_none=True)
    simple: dict[str, type[_Strict]] = {
        "integer": Integer, "number": Number, "boolean": Boolean, "date": Date,
        "time": Time, "datetime": DateTime, "location": Location, "photo": Photo,
    }
    return simple[kind](validate=validators, allow_none=True)


class _BaseSchema(Schema):
    error_messages = {"type": "Moet een object zijn", "unknown": UNKNOWN_FIELD}


@dataclass(frozen=True, slots=True)
class _GroupRules:
    min: int
    fields: dict[str, fields.Field]
    required: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _TypeRules:
    schema: Schema
    scalars: dict[str, fields.Field]
    groups: dict[str, _GroupRules]
    # Fields to check at submit, in form order: (name, None) or (name, group rules).
    submit_checks: tuple[tuple[str, _GroupRules | None], ...]


def _schema_name(*parts: str) -> str:
    return "".join(p.title().replace("_", "") for p in parts) + "Schema"


def _build(form: FormDef) -> _TypeRules:
    declared: dict[str, fields.Field] = {}
    group_rules: dict[str, _GroupRules] = {}
    checks: list[tuple[str, _GroupRules | None]] = []
    for defn in form.fields:
        if defn.kind != "group":
            declared[defn.name] = _field(defn)
            if defn.required:
                checks.append((defn.name, None))
            continue
        item_schema = _BaseSchema.from_dict(
            {f.name: _field(f) for f in defn.fields},
            name=_schema_name(form.type, defn.name, "item"),
        )()
        rules = _GroupRules(
            min=int(defn.min or 0),
            fields=dict(item_schema.fields),
            required=tuple(f.name for f in defn.fields if f.required),
        )
        group_rules[defn.name] = rules
        declared[defn.name] = Group(item_schema)
        if rules.min or rules.required:
            checks.append((defn.name, rules))
    declared["withdraw_reason"] = Text(
        validate=validate.Length(max=WITHDRAW_REASON_MAX_LENGTH, error="Maximaal {max} tekens"),
        allow_none=True,
    )
    schema = _BaseSchema.from_dict(declared, name=_schema_name(form.type, "record"))()
    scalars = {
        name: field for name, field in schema.fields.items()
        if name not in group_rules and name != "withdraw_reason"
    }
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
    rules = _RULES.get(rtype)
    if rules is None:
        return {"type": [UNKNOWN_TYPE]}
    field = rules.scalars.get(key)
    if field is not None:
        if value is None:
            return {}
        try:
            field.deserialize(value)
        except ValidationError as err:
            return {key: _as_list(err.messages)}
        return {}
    return _validate_item_set(rules, key, value)


def _validate_item_set(rules: _TypeRules, key: str, value: object) -> dict[str, list[str]]:
    if key in rules.groups:
        return {key: [LIST_PER_ITEM]}
    match = _ITEM_KEY.fullmatch(key) if isinstance(key, str) else None
    group = rules.groups.get(match.group(1)) if match else None
    if match is None or group is None:
        return {key: [UNKNOWN_FIELD]}
    if not ITEM_ID.fullmatch(match.group(2)):
        return {key: [BAD_ITEM_ID]}
    if value is None:
        return {}
    if not isinstance(value, dict):
        return {key: [ITEM_NOT_OBJECT]}
    errors: dict[str, list[str]] = {}
    for name, inner in value.items():
        field = group.fields.get(name)
        if field is None:
            errors[f"{key}.{name}"] = [ID_IN_ITEM if name == "id" else UNKNOWN_FIELD]
        elif inner is not None:
            try:
                field.deserialize(inner)
            except ValidationError as err:
                errors[f"{key}.{name}"] = _as_list(err.messages)
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
