"""The BRON export: a VOR registration as one ``ongevallen`` row and one ``partijen`` row
per party, in the file layout and with only the codes of BRON.md.

``CODES`` is BRON.md's code lists as a table (the tests compare it with BRON.md's text).
Every coded column is written through ``_code``, which lets through only a code of that
column's list: a value without a BRON equivalent becomes empty, or the list's own
"unknown" code where BRON.md has one (``UNKNOWN``). A column whose list BRON.md has not
found (nationalities, age classes, ...) has an empty list and so stays empty.

The reduced variant (a beheerder's) blanks what the public BRON blanks since the AVG
(BRON.md §2 and §5) and, beyond that, what DESIGN.md §3 names or what could carry personal
data: the house number, the police registration number (a key into the police file) and
the free-text ``_AN`` fields an officer types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from server.exports.cells import escape_formula

NL = ZoneInfo("Europe/Amsterdam")


def _range(*codes: int) -> frozenset[str]:
    return frozenset(str(c) for c in codes)


BZD_VML = _range(100, 110, 120, 130, 140, 150, 160, 170, 180)
BZD_IFR = _range(200, 210, 220, 230, 240, 250, 260, 270, 280, 290)
BZD_TAD = _range(300, 310, 320, 330)
_WGD = frozenset("DRMSHO")
_UITGPOS = _range(*range(1, 9))
_NONE: frozenset[str] = frozenset()  # BRON.md found no list: the column stays empty

# Coded columns → the codes BRON.md lists for them (§2–§6).
CODES: dict[str, frozenset[str]] = {
    # ongevallen
    "PVOPGEM": frozenset({"J"}),
    "DAG_CODE": frozenset({"MA", "DI", "WO", "DO", "VR", "ZA", "ZO"}),
    "MND_NUMMER": _range(*range(1, 13)),
    "DDL_ID": _NONE,
    "AP3_CODE": frozenset({"DOD", "LET", "UMS"}),
    "AP4_CODE": _NONE,
    "AP5_CODE": _NONE,
    "MNE_CODE": _NONE,
    "AOL_ID": _range(*range(10)),
    "NIVEAUKOP": frozenset({"E", "K", "S", "G"}),
    "WSE_ID": _range(*range(1, 9)),
    "BEBKOM": frozenset({"BI", "BU"}),
    "MAXSNELHD": _range(15, 30, 50, 60, 70, 80, 90, 100, 120, 130),
    "WVL_ID": _range(1, 2, 3),
    "WVG_ID": _range(*range(1, 8)),
    "WDK_ID": _range(1, 2, 3),
    "LGD_ID": _range(1, 2, 3),
    "ZAD_ID": _NONE,
    "WGD_CODE_1": _WGD,
    "WGD_CODE_2": _WGD,
    **{f"BZD_ID_VM{i}": BZD_VML for i in (1, 2, 3)},
    **{f"BZD_ID_IF{i}": BZD_IFR for i in (1, 2, 3)},
    **{f"BZD_ID_TA{i}": BZD_TAD for i in (1, 2, 3)},
    "PVE_CODE": frozenset({"DR", "FL", "FR", "GL", "GR", "LB", "NB", "NH", "OV", "UT",
                           "ZH", "ZL"}),
    "DAGTYPE": frozenset({"MA-VR", "ZA-ZO"}),
    # partijen
    "DOORRIJDER": frozenset({"J"}),
    "OTE_ID": _range(1, 11, 21, 22, 23, 24, 31, 41, 51, 61, 62, 63, 64, 65, 66, 71, 81, 82,
                     83, 84, 85, 91, 95),
    "NTT_CODE_V": _NONE,
    "VTGVERZ": frozenset({"J", "N"}),
    "SCHADE": frozenset({"J", "N"}),
    "GETRAANH": frozenset({"J"}),
    "GEVSTOF": frozenset({"J"}),
    "VTGVERL": frozenset({"BR", "NB", "NA", "XX"}),
    "LKE_ID": _NONE,
    "NTT_CODE_B": _NONE,
    "GESLACHT": frozenset({"M", "V"}),
    "BLAASTEST": frozenset({"J", "N"}),
    "ART8": frozenset({"J", "W", "G"}),
    "MEDICGEBR": frozenset({"J"}),
    "RIJBEWGEL": frozenset({"J"}),
    "RIJBEWCAT": frozenset({"A1", "A2", "B", "C", "D", "E", "F", "X"}),  # comma list
    "RIJBEWBEG": frozenset({"J", "N"}),
    "BROMFCERT": frozenset({"J", "N"}),
    "UITGPOS1": _UITGPOS,
    "UITGPOS2": _UITGPOS,
    "VOORGBEW": _range(*range(1, 12)),
    "AGT_TYPE": frozenset({"V", "A"}),
    "AGT_ID_1": _NONE,
    "AGT_ID_2": _NONE,
    "BWG_ID_1": _NONE,
    "BWG_ID_2": _NONE,
    **{f"TDT_ID_{i}": _NONE for i in (1, 2, 3)},
}

# The list's own "unknown" code, written when the registration leaves the field open.
UNKNOWN = {"AOL_ID": "0", "WGD_CODE_1": "O", "VTGVERL": "XX"}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # "N" numeric, "T" text (quoted), "D" date yyyymmdd (unquoted)


def _columns(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec.split())


# File order as BRON.md §2; X_COORD/Y_COORD (from puntlocaties in BRON) close the row.
ONGEVALLEN = _columns("""
    VKL_NUMMER:N REGNUMMER:T PVOPGEM:T DATUM_VKL:D DAG_CODE:T MND_NUMMER:N JAAR_VKL:N
    TIJDSTIP:T UUR:T DDL_ID:N AP3_CODE:T AP4_CODE:T AP5_CODE:T ANTL_SLA:N ANTL_DOD:N
    ANTL_GZH:N ANTL_SEH:N ANTL_GOV:N ANTL_PTJ:N ANTL_TDT:N MNE_CODE:T AOL_ID:N NIVEAUKOP:T
    WSE_ID:N WSE_AN:T BEBKOM:T MAXSNELHD:N WVL_ID:N WVG_ID:N WVG_AN:T WDK_ID:N WDK_AN:T
    LGD_ID:N ZAD_ID:N WGD_CODE_1:T WGD_CODE_2:T BZD_ID_VM1:N BZD_ID_VM2:N BZD_ID_VM3:N
    BZD_VM_AN:T BZD_ID_IF1:N BZD_ID_IF2:N BZD_ID_IF3:N BZD_IF_AN:T BZD_ID_TA1:N BZD_ID_TA2:N
    BZD_ID_TA3:N BZD_TA_AN:T JTE_ID:N WVK_ID:N HECTOMETER:N FK_VELD5:T HUISNUMMER:T GME_ID:N
    GME_NAAM:T PVE_CODE:T PVE_NAAM:T KDD_NAAM:T PLT_NAAM:T DIENSTCODE:T DIENSTNAAM:T
    DISTRCODE:T DISTRNAAM:T DAGTYPE:T X_COORD:N Y_COORD:N
""")

# File order as BRON.md §5.
PARTIJEN = _columns("""
    PTJ_ID:N VKL_NUMMER:N NUMMER:N DOORRIJDER:T OTE_ID:N OTE_AN:T NTT_CODE_V:T VTGVERZ:T
    SCHADE:T GETRAANH:T GEVSTOF:T VTGVERL:T ANTL_PAS:N GEBDAT:D GEBJAAR:N LEEFTIJD:N LKE_ID:N
    NTT_CODE_B:T GESLACHT:T BLAASTEST:T ART8:T MEDICGEBR:T RIJBEWGEL:T RIJBEWCAT:T
    RIJBEWBEG:T BROMFCERT:T UITGPOS1:N UITGPOS2:N UITGPOS_AN:T VOORGBEW:N AGT_TYPE:T
    AGT_ID_1:N AGT_ID_2:N BWG_ID_1:N BWG_ID_2:N BWG_AN:T TDT_ID_1:N TDT_ID_2:N TDT_ID_3:N
    TDT_AN:T
""")

# Blank in the public BRON since the AVG (BRON.md §2, §5) ...
PUBLIC_BLANK_ONGEVALLEN = frozenset({
    "DATUM_VKL", "DAG_CODE", "MND_NUMMER", "TIJDSTIP", "UUR", "DDL_ID", "AP4_CODE",
    "AP5_CODE", "ANTL_SLA", "ANTL_DOD", "ANTL_GZH", "ANTL_SEH", "ANTL_GOV", "ANTL_TDT",
    "MNE_CODE",
})
PUBLIC_BLANK_PARTIJEN = frozenset({
    "DOORRIJDER", "NTT_CODE_V", "VTGVERZ", "SCHADE", "GETRAANH", "GEVSTOF", "VTGVERL",
    "ANTL_PAS", "GEBDAT", "GEBJAAR", "LEEFTIJD", "LKE_ID", "NTT_CODE_B", "GESLACHT",
    "BLAASTEST", "ART8", "MEDICGEBR", "RIJBEWGEL", "RIJBEWCAT", "RIJBEWBEG", "BROMFCERT",
    "TDT_ID_1", "TDT_ID_2", "TDT_ID_3",
})
# ... and in ours also the house number (DESIGN.md §3), the police registration number and
# every free-text field (an officer may type a name or a plate into "anders, namelijk").
REDUCED_BLANK_ONGEVALLEN = PUBLIC_BLANK_ONGEVALLEN | {
    "HUISNUMMER", "REGNUMMER", "WSE_AN", "WVG_AN", "WDK_AN", "BZD_VM_AN", "BZD_IF_AN",
    "BZD_TA_AN",
}
REDUCED_BLANK_PARTIJEN = PUBLIC_BLANK_PARTIJEN | {"OTE_AN", "UITGPOS_AN", "BWG_AN", "TDT_AN"}

_DAYS = ("MA", "DI", "WO", "DO", "VR", "ZA", "ZO")
# A party's number within its accident, in PTJ_ID = VKL_NUMMER * this + NUMMER (a group
# holds at most 200 items, DESIGN.md §8).
PARTY_FACTOR = 1000


# -- reading values defensively (data is validated on the way in, but a BRON file must
#    never break on one odd value) ----------------------------------------------------------

def _code(column: str, value: Any) -> str:
    """``value`` if it is a code of ``column``'s BRON list, else the list's unknown code or ''."""
    if isinstance(value, str) and value in CODES[column]:
        return value
    return UNKNOWN.get(column, "") if value is None else ""


def _yes(value: Any) -> str:
    """A J-only BRON flag: J when true; BRON has no code for "no"."""
    return "J" if value is True else ""


def _yes_no(value: Any) -> str:
    return {True: "J", False: "N"}.get(value, "") if isinstance(value, bool) else ""


def _count(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value <= 999 else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _local(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(NL) if moment.tzinfo else None
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 near a day's edge
        return None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def items(value: Any) -> list[dict[str, Any]]:
    """The live items of a group, in their order (removed ones are tombstones)."""
    if not isinstance(value, list):
        return []
    return [i for i in value if isinstance(i, dict) and not i.get("removed")]


def _particulars(value: Any) -> dict[str, Any]:
    """Bijzonderheden by type, up to three each, lowest code first (BRON.md §3.12)."""
    codes = sorted({c for c in value if isinstance(c, str)} if isinstance(value, list) else (),
                   key=lambda c: int(c) if c.isdigit() else 0)
    out: dict[str, Any] = {}
    for prefix, allowed in (("VM", BZD_VML), ("IF", BZD_IFR), ("TA", BZD_TAD)):
        for index, code in enumerate([c for c in codes if c in allowed][:3], start=1):
            out[f"BZD_ID_{prefix}{index}"] = code
    return out


def _hectometre(value: Any) -> int | None:
    # The sign reads in kilometres with one decimal (23,4); BRON's Num(4) holds it in
    # hectometres (234), which is what the form's 0–999.9 range fills exactly.
    if type(value) in (int, float) and 0 <= value <= 999.9:
        return round(value * 10)
    return None


def _licence_categories(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    return ",".join(sorted({c for c in value if isinstance(c, str)
                            and c in CODES["RIJBEWCAT"]}))


def _age(born: date, on: date) -> int | None:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years if 0 <= years <= 130 else None


# -- one registration → rows -------------------------------------------------------------

def accident_row(number: int, data: dict[str, Any], rd_x: float | None,
                 rd_y: float | None) -> dict[str, Any]:
    """The ``ongevallen`` values of a VOR registration (full variant; columns left out
    are empty)."""
    at = _local(data.get("occurred_at"))
    counts = [_count(data.get(k)) for k in ("dead_count", "hospital_count",
                                            "emergency_count", "injured_count")]
    weather = data.get("weather") if isinstance(data.get("weather"), list) else []
    row: dict[str, Any] = {
        "VKL_NUMMER": number,
        "REGNUMMER": _text(data.get("report_number")),
        "PVOPGEM": _yes(data.get("report_drawn_up")),
        "AP3_CODE": _code("AP3_CODE", data.get("outcome")),
        "ANTL_SLA": sum(c for c in counts if c is not None)
        if any(c is not None for c in counts) else None,
        "ANTL_DOD": counts[0], "ANTL_GZH": counts[1], "ANTL_SEH": counts[2],
        "ANTL_GOV": counts[3],
        "ANTL_PTJ": len(items(data.get("parties"))),
        "AOL_ID": _code("AOL_ID", data.get("accident_kind")),
        "WSE_ID": _code("WSE_ID", data.get("road_situation")),
        "WSE_AN": _text(data.get("road_situation_other")),
        "BEBKOM": _code("BEBKOM", data.get("built_up_area")),
        "MAXSNELHD": _code("MAXSNELHD", data.get("speed_limit")),
        "WVL_ID": _code("WVL_ID", data.get("road_lighting")),
        "WVG_ID": _code("WVG_ID", data.get("road_surface")),
        "WVG_AN": _text(data.get("road_surface_other")),
        "WDK_ID": _code("WDK_ID", data.get("road_condition")),
        "WDK_AN": _text(data.get("road_condition_other")),
        "LGD_ID": _code("LGD_ID", data.get("light")),
        "WGD_CODE_1": _code("WGD_CODE_1", weather[0] if weather else None),
        "WGD_CODE_2": _code("WGD_CODE_2", weather[1]) if len(weather) > 1 else "",
        **_particulars(data.get("particulars")),
        "HECTOMETER": _hectometre(data.get("hectometre")),
        "HUISNUMMER": _text(data.get("house_number")),
        "GME_NAAM": _text(data.get("municipality")),
        "X_COORD": rd_x, "Y_COORD": rd_y,
    }
    if at is not None:
        row.update({
            "DATUM_VKL": at.strftime("%Y%m%d"), "DAG_CODE": _DAYS[at.weekday()],
            "MND_NUMMER": at.month, "JAAR_VKL": at.year, "TIJDSTIP": at.strftime("%H%M"),
            "UUR": at.strftime("%H"), "DAGTYPE": "ZA-ZO" if at.weekday() >= 5 else "MA-VR",
        })
    return row


def party_rows(number: int, data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``partijen`` values of a VOR registration's parties, numbered 1, 2, ... in
    their order."""
    at = _local(data.get("occurred_at"))
    for index, party in enumerate(items(data.get("parties")), start=1):
        born = _date(party.get("date_of_birth"))
        row: dict[str, Any] = {
            "PTJ_ID": number * PARTY_FACTOR + index, "VKL_NUMMER": number, "NUMMER": index,
            "DOORRIJDER": _yes(party.get("hit_and_run")),
            "OTE_ID": _code("OTE_ID", party.get("object_type")),
            "OTE_AN": _text(party.get("object_type_other")),
            # NTT_CODE_V / NTT_CODE_B: BRON.md has no list of nationality codes: empty.
            "VTGVERZ": _yes_no(party.get("insured")),
            "SCHADE": _yes_no(party.get("damage")),
            "GETRAANH": _yes(party.get("trailer")),
            "GEVSTOF": _yes(party.get("dangerous_goods")),
            "VTGVERL": _code("VTGVERL", party.get("vehicle_lights")),
            "ANTL_PAS": _count(party.get("passengers")),
            "GESLACHT": _code("GESLACHT", party.get("sex")),
            "BLAASTEST": _yes_no(party.get("breath_test")),
            "ART8": _code("ART8", party.get("alcohol")),
            "MEDICGEBR": _yes(party.get("drugs_medication")),
            "RIJBEWGEL": _yes(party.get("licence_valid")),
            "RIJBEWCAT": _licence_categories(party.get("licence_categories")),
            "RIJBEWBEG": _yes_no(party.get("beginner_licence")),
            "UITGPOS1": _code("UITGPOS1", party.get("start_position")),
            "VOORGBEW": _code("VOORGBEW", party.get("manoeuvre")),
        }
        if born is not None:
            row.update(GEBDAT=born.strftime("%Y%m%d"), GEBJAAR=born.year,
                       LEEFTIJD=_age(born, at.date()) if at is not None else None)
        yield row


# -- the file format (BRON.md §1) --------------------------------------------------------

def _text_cell(value: Any) -> str:
    if value is None or value == "":
        return '""'
    # One record per line, trailing spaces removed, and no formula for a spreadsheet.
    text = str(value).replace("\r", " ").replace("\n", " ").replace("\t", " ").rstrip()
    return '"' + escape_formula(text).replace('"', '""') + '"'


def _number_cell(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"  # RD metres, Num(9,3)
    return str(int(value))  # codes like "06" never occur; int() drops leading zeros anyway


def _date_cell(value: Any) -> str:
    return value or ""


def _blank_text(_value: Any) -> str:
    return '""'


def _blank(_value: Any) -> str:
    return ""


_CELLS = {"T": _text_cell, "N": _number_cell, "D": _date_cell}


def header(columns: tuple[Column, ...]) -> str:
    return ",".join(f'"{c.name}"' for c in columns) + "\r\n"


@lru_cache(maxsize=8)
def _plan(columns: tuple[Column, ...], blank: frozenset[str]
          ) -> tuple[tuple[str, Callable[[Any], str]], ...]:
    """Per column, the function that writes its cell (a blanked one writes it empty)."""
    return tuple(
        (c.name, (_blank_text if c.kind == "T" else _blank) if c.name in blank
         else _CELLS[c.kind])
        for c in columns)


def lines(columns: tuple[Column, ...], rows: Iterable[dict[str, Any]],
          blank: frozenset[str]) -> str:
    """The CSV lines of ``rows`` in BRON's format: text quoted, numbers and dates bare."""
    plan = _plan(columns, blank)
    return "".join(",".join([cell(row.get(name)) for name, cell in plan]) + "\r\n"
                   for row in rows)
