"""A registration as one row of readable cells: Dutch headers, code lists as their labels.

Groups (parties, witnesses, traces, ...) become two cells each: how many items, and the
items as JSON with the same readable labels. One row per registration keeps the export a
single CSV that a spreadsheet opens and filters by registration; per-item columns would be
unbounded (up to 200 items of 30 fields), and a second file per group would make it a ZIP.
Party rows for analysis are what the BRON export's ``partijen.csv`` is for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from server.exports.bron import items
from server.exports.source import Row
from server.models import aware
from server.registrations.forms import FORMS_BY_TYPE, FieldDef

NL = ZoneInfo("Europe/Amsterdam")
STATUS_LABELS = {"draft": "Concept", "submitted": "Ingediend", "returned": "Teruggestuurd",
                 "approved": "Goedgekeurd", "withdrawn": "Ingetrokken"}
Cell = str


def _number(value: Any) -> str:
    # Dutch spreadsheets read a decimal comma ("52,0907"); "52.0907" would be 520907 there.
    return str(value).replace(".", ",") if type(value) in (int, float) else _plain(value)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _moment(value: Any) -> str:
    """An ISO datetime as Dutch local time, ``2026-11-24 09:30`` (a spreadsheet reads it)."""
    if isinstance(value, datetime):
        return aware(value).astimezone(NL).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo:
                return moment.astimezone(NL).strftime("%Y-%m-%d %H:%M")
        except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 at a day's edge
            return value
    return _plain(value)


def _formatter(field: FieldDef) -> Callable[[Any], Any]:
    """The readable value of one (non-group, non-location) field."""
    if field.kind in ("choice", "multichoice"):
        labels = {c.code: c.label for c in field.choices}
        if field.kind == "choice":
            return lambda v: labels.get(v, v) if isinstance(v, str) else _plain(v)
        return lambda v: "; ".join(labels.get(c, str(c)) for c in v) \
            if isinstance(v, list) else _plain(v)
    if field.kind == "boolean":
        return lambda v: {True: "Ja", False: "Nee"}.get(v, "") if isinstance(v, bool) \
            else _plain(v)
    if field.kind == "datetime":
        return _moment
    if field.kind in ("integer", "number"):
        return _number
    if field.kind == "photo":
        return lambda v: _plain(v.get("sha256")) if isinstance(v, dict) else _plain(v)
    return _plain


class Table:
    """The columns of an export of the given registration types, and each row's cells."""

    def __init__(self, types: tuple[str, ...]) -> None:
        fields: dict[str, list[FieldDef]] = {}  # by name: the same name in several forms
        for rtype in types:
            for field in FORMS_BY_TYPE[rtype].fields:
                fields.setdefault(field.name, []).append(field)
        self.header: list[str] = [
            "Id", "Type", "Status", "Aangemaakt door", "Aangemaakt op", "Bijgewerkt op",
            "Ingediend op", "Open conflicten", "Opmerking teamleider", "RD x", "RD y",
        ]
        # Per type, the (first column, cells) of its own fields: a row fills only those, so
        # an accident does not pay for the columns of the other forms.
        self._plans: dict[str, list[tuple[int, Callable[[dict[str, Any]], list[Cell]]]]] = {
            rtype: [] for rtype in types}
        for name, defs in fields.items():
            label = " / ".join(dict.fromkeys(d.label for d in defs))
            position = len(self.header)
            cells = self._add(name, label, defs[0])
            for rtype in types:
                if any(f is d for f in FORMS_BY_TYPE[rtype].fields for d in defs):
                    self._plans[rtype].append((position, cells))

    def _add(self, name: str, label: str,
             field: FieldDef) -> Callable[[dict[str, Any]], list[Cell]]:
        if field.kind == "location":
            self.header += [f"{label} breedtegraad", f"{label} lengtegraad",
                            f"{label} nauwkeurigheid (m)"]

            def location(data: dict[str, Any]) -> list[Cell]:
                value = data.get(name)
                if not isinstance(value, dict):
                    return ["", "", ""]
                return [_number(value.get(k)) for k in ("lat", "lon", "accuracy")]

            return location
        if field.kind == "group":
            self.header += [f"{label} (aantal)", label]
            subfields = [(f.name, f.label, _formatter(f)) for f in field.fields]

            def group(data: dict[str, Any]) -> list[Cell]:
                live = items(data.get(name))
                if not live:
                    return ["0", ""]
                readable = [{sub_label: fmt(item[sub]) for sub, sub_label, fmt in subfields
                             if item.get(sub) is not None} for item in live]
                return [str(len(live)), orjson.dumps(readable).decode()]

            return group
        self.header.append(label)
        fmt = _formatter(field)
        return lambda data: ["" if data.get(name) is None else fmt(data[name])]

    def cells(self, row: Row) -> list[Cell]:
        data = orjson.loads(row.data)
        if not isinstance(data, dict):
            data = {}
        review = orjson.loads(row.review) if row.review else None
        out = [
            row.id, FORMS_BY_TYPE[row.type].label if row.type in FORMS_BY_TYPE else row.type,
            STATUS_LABELS.get(row.status, row.status), row.created_by_name or row.created_by,
            _moment(row.created_at), _moment(row.updated_at), _moment(row.submitted_at),
            str(row.open_conflicts),
            review.get("comment", "") if isinstance(review, dict) else "",
            _number(row.rd_x), _number(row.rd_y),
        ]
        out += [""] * (len(self.header) - len(out))
        for position, cells in self._plans.get(row.type, ()):
            values = cells(data)
            out[position:position + len(values)] = values
        return out
