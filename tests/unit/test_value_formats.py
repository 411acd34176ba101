"""The value formats `/api/forms` publishes (JSON Schema per kind) say what the server
accepts: a client that validates with them sends values the server takes."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from server.registrations import validation
from server.registrations.forms import FORMS, KINDS, VALUE_FORMATS, FieldDef


def _field_of(kind: str) -> tuple[str, str, FieldDef, str | None]:
    """(type, set key, field, item field name) of the first field of ``kind``, at the top
    of a form or inside a group's items."""
    for form in FORMS:
        for field in form.fields:
            if field.kind == kind:
                return form.type, field.name, field, None
            for item in field.fields if field.kind == "group" else ():
                if item.kind == kind:
                    return form.type, f"{field.name}[i1]", item, item.name
    raise AssertionError(f"no field of kind {kind}")


def _server_accepts(kind: str, value: Any) -> bool:
    rtype, key, _, item = _field_of(kind)
    return validation.validate_set(rtype, key, value if item is None else {item: value}) == {}


def _schema_accepts(kind: str, value: Any) -> bool:
    return jsonschema_rs.validator_for(VALUE_FORMATS[kind]["schema"]).is_valid(value)


def test_every_kind_has_a_format_and_its_example_is_accepted() -> None:
    assert set(VALUE_FORMATS) == KINDS
    for kind in KINDS - {"group", "choice", "multichoice"}:
        example = VALUE_FORMATS[kind]["example"]
        assert _schema_accepts(kind, example), kind
        assert _server_accepts(kind, example), kind
    for kind in ("choice", "multichoice"):
        _, _, field, _ = _field_of(kind)
        code = field.choices[0].code
        value = code if kind == "choice" else [code]
        assert _schema_accepts(kind, value) and _server_accepts(kind, value), kind


BAD = {
    "location": [{"lat": 52.1, "lon": 5.1}, {"lat": 52.1, "lon": 5.1, "accuracy": 8, "x": 1},
                 {"lat": "52.1", "lon": 5.1, "accuracy": 8}, {"lat": 91, "lon": 5, "accuracy": 1}],
    "photo": [{"sha256": "A" * 64, "content_type": "image/jpeg"},
              {"sha256": "0" * 64, "content_type": "image/gif"}, {"sha256": "0" * 64}],
    "datetime": ["2026-11-24T09:30:00", "2026-11-24 09:30+01:00"],
    "time": ["24:00", "9:30", "09:30:00"],
    "date": ["24-11-2026", "2026-11-24T00:00"],
    "integer": ["5", True, 5.5],
    "boolean": ["true", 1],
}


def test_values_the_formats_refuse_the_server_refuses_too() -> None:
    for kind, values in BAD.items():
        for value in values:
            assert not _schema_accepts(kind, value), (kind, value)
            assert not _server_accepts(kind, value), (kind, value)


_numbers = st.one_of(st.integers(-200, 200), st.floats(-200, 200, allow_nan=False),
                     st.text(max_size=3), st.none(), st.booleans())
_locations = st.one_of(
    st.fixed_dictionaries({"lat": _numbers, "lon": _numbers, "accuracy": _numbers}),
    st.dictionaries(st.sampled_from(["lat", "lon", "accuracy", "alt"]), _numbers))
_photos = st.dictionaries(
    st.sampled_from(["sha256", "content_type", "size"]),
    st.one_of(st.sampled_from(["0" * 64, "f" * 64, "F" * 64, "image/png", "image/bmp"]),
              st.text(max_size=5)))
_times = st.from_regex(r"\A[0-9]{1,2}:[0-9]{1,2}(:[0-9]{2})?\Z")


@settings(max_examples=300, deadline=None)
@given(st.one_of(_locations.map(lambda v: ("location", v)),
                 _photos.map(lambda v: ("photo", v)),
                 _times.map(lambda v: ("time", v)),
                 _numbers.map(lambda v: ("integer", v)),
                 _numbers.map(lambda v: ("boolean", v))))
def test_format_and_server_agree_on_random_values(case: tuple[str, Any]) -> None:
    kind, value = case
    if value is None:
        assert _server_accepts(kind, value)  # null clears any field
        return
    if kind == "integer" and isinstance(value, float):
        return  # JSON Schema counts 1.0 as an integer; JSON integers carry no fraction
    if kind == "integer":
        _, _, field, _ = _field_of(kind)
        bounded = isinstance(value, int) and not isinstance(value, bool) and (
            (field.min is not None and value < field.min)
            or (field.max is not None and value > field.max))
        if bounded:
            return  # the field's own bounds, published on the field itself
    assert _schema_accepts(kind, value) == _server_accepts(kind, value), (kind, value)
