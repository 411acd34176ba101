"""The export bodies as generators of bytes, produced chunk by chunk from a snapshot."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import orjson

from server.exports import bron
from server.exports.cells import FORMULA_START
from server.exports.readable import Table
from server.exports.source import Row, Snapshot
from server.models import iso

# A chunk of output is sent once it holds about this much (and at the end).
FLUSH_BYTES = 256 * 1024


def readable_csv(snapshot: Snapshot, types: tuple[str, ...]) -> Iterator[bytes]:
    """One row per registration, for a Dutch spreadsheet: UTF-8 with a byte order mark (so
    Excel reads it as UTF-8), ``;`` between cells (Dutch Excel's list separator, since the
    comma is its decimal sign), CRLF, every cell safe from formula injection."""
    table = Table(types)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(table.header)
    for chunk in snapshot.chunks():
        # escape_formula inlined: it runs for every cell of every row
        writer.writerows([("'" + cell) if cell[:1] in FORMULA_START else cell
                          for cell in table.cells(row)] for row in chunk)
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _json_row(row: Row) -> bytes:
    # JSON columns go in as the text they were stored as, without parsing them.
    return orjson.dumps({
        "id": row.id, "type": row.type, "status": row.status, "rev": row.rev,
        "created_by": row.created_by, "created_by_name": row.created_by_name,
        "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        "submitted_at": iso(row.submitted_at),
        "location": None if row.lat is None else {
            "lat": row.lat, "lon": row.lon, "accuracy": row.accuracy,
            "rd_x": row.rd_x, "rd_y": row.rd_y},
        "data": orjson.Fragment(row.data), "conflicts": orjson.Fragment(row.conflicts),
        "amendments": orjson.Fragment(row.amendments),
        "review": orjson.Fragment(row.review) if row.review else None,
    })


def json_array(snapshot: Snapshot) -> Iterator[bytes]:
    """A JSON array, one registration per line: it stays one JSON document (a cut-off
    download does not parse, so it cannot pass for a complete one), and a reader can still
    take it line by line."""
    first = True
    for chunk in snapshot.chunks():
        parts = [(b"[\n" if first and i == 0 else b",\n") + _json_row(row)
                 for i, row in enumerate(chunk)]
        first = False
        yield b"".join(parts)
    yield b"\n]\n" if not first else b"[]\n"


class _Sink(io.RawIOBase):
    """A write-only, unseekable file whose bytes are taken out as they come: ``zipfile``
    writes to it in streaming mode (local headers with data descriptors)."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self.size += len(chunk)
        return len(chunk)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def bron_zip(snapshot: Snapshot, reduced: bool) -> Iterator[bytes]:
    """A ZIP of ``ongevallen.csv`` and ``partijen.csv`` (BRON.md's file format).

    A ZIP holds one member after the other, so the registrations are read twice from the
    same snapshot: accidents first, then their parties. Buffering the parties instead would
    put personal data in a temporary file, or all of it in memory."""
    blank_accidents = bron.REDUCED_BLANK_ONGEVALLEN if reduced else frozenset()
    blank_parties = bron.REDUCED_BLANK_PARTIJEN if reduced else frozenset()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, columns in (("ongevallen.csv", bron.ONGEVALLEN),
                              ("partijen.csv", bron.PARTIJEN)):
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(bron.header(columns).encode())
                for chunk in snapshot.chunks():
                    if columns is bron.ONGEVALLEN:
                        text = bron.lines(columns, (
                            bron.accident_row(_number(row), _data(row), row.rd_x, row.rd_y)
                            for row in chunk), blank_accidents)
                    else:
                        text = bron.lines(columns, (
                            party for row in chunk
                            for party in bron.party_rows(_number(row), _data(row))),
                            blank_parties)
                    member.write(text.encode())
                    if sink.size >= FLUSH_BYTES:
                        yield sink.take()
    yield sink.take()


def _data(row: Row) -> dict[str, Any]:
    data = orjson.loads(row.data)
    return data if isinstance(data, dict) else {}


def _number(row: Row) -> int:
    if row.number is None:
        raise RuntimeError(f"registratie {row.id} heeft geen eerste revisie")
    return row.number
