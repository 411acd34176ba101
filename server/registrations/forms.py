"""The registration types and their fields: the single source of truth.

``GET /api/forms`` serves ``forms_document()`` so that the PWA renders and validates forms
from the same definitions the server validates with (``validation.py`` generates its
marshmallow schemas from them). Field names are English snake_case; every label, help
text and choice label is Dutch, as the officers see it.

Conventions (also what the PWA relies on):

* ``required`` is checked only when a registration is submitted; a draft may miss anything.
* ``text`` and ``textarea`` carry ``max_length`` (200 and 10,000 unless set otherwise).
* ``integer`` and ``number`` may carry ``min`` / ``max`` (inclusive bounds).
* ``choice`` and ``multichoice`` carry ``choices`` ``[{code, label}]``; codes are strings
  (BRON codes where BRON has a list, so "6" rather than 6). A multichoice value is a list
  of distinct codes; its ``max`` is the largest number of codes it may hold.
* ``location`` is ``{lat, lon, accuracy}`` (WGS84 degrees, accuracy in metres).
* ``photo`` is an uploaded attachment's ``{sha256, content_type}``.
* ``group`` is a repeating list of items with the sub-fields in ``fields``; ``min`` is the
  number of items needed at submit. Every item also carries an ``id`` (1–64 characters
  ``[A-Za-z0-9_-]``, made by the device), which is not listed among its fields; a removed
  item stays as ``{"id": ..., "removed": true}``. Groups do not nest.
* ``bron`` names the BRON kenmerk a VOR field is exported to (see BRON.md).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

FORMS_SCHEMA_VERSION = 1

Kind = Literal[
    "text", "textarea", "integer", "number", "boolean", "date", "time", "datetime",
    "choice", "multichoice", "location", "photo", "group",
]
KINDS: frozenset[str] = frozenset({
    "text", "textarea", "integer", "number", "boolean", "date", "time", "datetime",
    "choice", "multichoice", "location", "photo", "group",
})
TEXT_MAX_LENGTH = 200
TEXTAREA_MAX_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of a form, or of one item of a group."""

    name: str
    label: str
    kind: Kind
    required: bool = False
    help: str | None = None
    choices: tuple[Choice, ...] = ()
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    fields: tuple[FieldDef, ...] = ()
    bron: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "label": self.label, "kind": self.kind,
            "required": self.required,
        }
        if self.help:
            out["help"] = self.help
        if self.choices:
            out["choices"] = [{"code": c.code, "label": c.label} for c in self.choices]
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.fields:
            out["fields"] = [f.to_json() for f in self.fields]
        if self.bron:
            out["bron"] = self.bron
        return out


@dataclass(frozen=True, slots=True)
class FormDef:
    type: str
    label: str
    fields: tuple[FieldDef, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "label": self.label,
                "fields": [f.to_json() for f in self.fields]}


# -- helpers that keep the definitions below one line per field ---------------------------


def _choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(code, label) for code, label in pairs)


def _text(name: str, label: str, *, max_length: int = TEXT_MAX_LENGTH,
          **kw: Any) -> FieldDef:
    return FieldDef(name, label, "text", max_length=max_length, **kw)


def _textarea(name: str, label: str, *, max_length: int = TEXTAREA_MAX_LENGTH,
              **kw: Any) -> FieldDef:
    return FieldDef(name, label, "textarea", max_length=max_length, **kw)


def _count(name: str, label: str, **kw: Any) -> FieldDef:
    # BRON counts are Num(3).
    return FieldDef(name, label, "integer", min=0, max=999, **kw)


def _choice(name: str, label: str, choices: tuple[Choice, ...], **kw: Any) -> FieldDef:
    return FieldDef(name, label, "choice", choices=choices, **kw)


def _multichoice(name: str, label: str, choices: tuple[Choice, ...], **kw: Any) -> FieldDef:
    return FieldDef(name, label, "multichoice", choices=choices, **kw)


def _group(name: str, label: str, fields: tuple[FieldDef, ...], *, min: int = 0,
           **kw: Any) -> FieldDef:
    return FieldDef(name, label, "group", required=min > 0, min=min, fields=fields, **kw)


def _boolean(name: str, label: str, **kw: Any) -> FieldDef:
    return FieldDef(name, label, "boolean", **kw)


# -- BRON code lists (BRON.md) -----------------------------------------------------------

AP3 = _choices(("UMS", "Uitsluitend materiële schade"), ("LET", "Letsel"), ("DOD", "Dodelijk"))
AOL = _choices(
    ("0", "Onbekend"), ("1", "Voetganger"), ("2", "Geparkeerd voertuig"), ("3", "Dier"),
    ("4", "Vast voorwerp"), ("5", "Los voorwerp"), ("6", "Frontaal"), ("7", "Flank"),
    ("8", "Kop/staart"), ("9", "Eenzijdig"),
)
WSE = _choices(
    ("1", "Rechte weg"), ("2", "Bocht"), ("3", "Rotonde"), ("4", "Kruispunt 3 takken"),
    ("5", "Kruispunt 4 takken"), ("6", "Rechte weg gescheiden rijbanen"),
    ("7", "Invoegstrook op (auto)snelweg"), ("8", "Uitvoegstrook op (auto)snelweg"),
)
BEBKOM = _choices(("BI", "Binnen de bebouwde kom"), ("BU", "Buiten de bebouwde kom"))
MAXSNELHD = _choices(
    ("15", "15 km/u (stapvoets)"),
    *((str(v), f"{v} km/u") for v in (30, 50, 60, 70, 80, 90, 100, 120, 130)),
)
LGD = _choices(("1", "Daglicht"), ("2", "Duisternis"), ("3", "Schemer"))
WVL = _choices(("1", "Brandend"), ("2", "Niet brandend"), ("3", "Niet aanwezig"))
# WVG 6 and 7 are left out: BRON.md has no Dutch label for them (other surfaces go in
# road_surface_other, BRON's WVG_AN).
WVG = _choices(
    ("1", "ZOAB"), ("2", "Overig asfalt"), ("3", "Beton"), ("4", "Klinkers"), ("5", "Onverhard"),
)
WDK = _choices(("1", "Droog"), ("2", "Nat"), ("3", "Sneeuw/ijs"))
WGD = _choices(
    ("D", "Droog"), ("R", "Regen"), ("M", "Mist"), ("S", "Sneeuw/hagel"),
    ("H", "Harde windstoten"), ("O", "Onbekend"),
)
BZD = _choices(
    ("100", "Eenrichtingsstraat"), ("110", "Voetgangersoversteekplaats (zebra)"),
    ("120", "Andere oversteekplaats"), ("130", "Voorsorteervakken"),
    ("140", "Voorrangskruispunt of voorrangsweg"), ("150", "Inhaalverbod"),
    ("160", "Verkeerslichten werkend"), ("170", "Verkeerslichten knipperend"),
    ("180", "Verkeerslichten niet werkend"),
    ("200", "Brug of viaduct"), ("210", "Drempel of plateau"), ("220", "Tankstation"),
    ("230", "Weefvak"), ("240", "Ventweg of parallelweg"), ("250", "Bushalte of tramhalte"),
    ("260", "Parkeervoorziening"), ("270", "Spoorwegovergang"), ("280", "Tunnel"),
    ("290", "Versmalling"),
    # 300-330: BRON.md gives English only; these labels are translations.
    ("300", "Ander ongeval"), ("310", "File"),
    ("320", "Tijdelijke (gedeeltelijke) afsluiting rijstrook, fietspad of trottoir"),
    ("330", "Wegwerkzaamheden"),
)
OTE = _choices(
    ("1", "Personenauto"), ("11", "Bestelauto"), ("21", "Vrachtauto"), ("22", "Trekker"),
    ("23", "Trekker met oplegger"), ("24", "Bus"), ("31", "Motor"),
    ("41", "Landbouwvoertuig"), ("51", "Trein/tram"), ("61", "Bromfiets"), ("62", "Snorfiets"),
    ("63", "Brommobiel"), ("64", "Fiets"), ("65", "Scootmobiel"), ("66", "E-bike"),
    ("71", "Voetganger"), ("81", "Boom"), ("82", "Lichtmast"), ("83", "Overig vast object"),
    ("84", "Los voorwerp"), ("85", "Overig wegmeubilair"), ("91", "Dier"),
    ("95", "Onbekend voertuig (doorrijder)"),
)
VTGVERL = _choices(
    ("BR", "Brandend"), ("NB", "Niet brandend"), ("NA", "Niet aanwezig / n.v.t."),
    ("XX", "Onbekend"),
)
GESLACHT = _choices(("M", "Man"), ("V", "Vrouw"))
ART8 = _choices(
    ("J", "Ja, artikel 8 geconstateerd"), ("W", "Artikel 8 niet geconstateerd, wel alcohol"),
    ("G", "Geen alcohol"),
)
RIJBEWCAT = _choices(
    ("A1", "A1"), ("A2", "A2"), ("B", "B"), ("C", "C"), ("D", "D"), ("E", "E"),
    ("F", "Militair rijbewijs"), ("X", "Geen / n.v.t."),
)
UITGPOS = _choices(
    ("1", "Rijbaan"), ("2", "Fietspad/fietsstrook"), ("3", "Trottoir/berm"),
    ("4", "Vluchtheuvel/middenberm"), ("5", "Inrit/uitrit"), ("6", "Vluchtstrook"),
    ("7", "Parkeervoorziening"), ("8", "Tram-/busbaan"),
)
VOORGBEW = _choices(
    ("1", "Oversteken"), ("2", "Vooruit"), ("3", "Links rijstrook wisselen"),
    ("4", "Stilstand"), ("5", "Rechts rijstrook wisselen"), ("6", "Linksaf"),
    ("7", "Links omkeren"), ("8", "Achteruit"), ("9", "Rechts omkeren"), ("10", "Rechtsaf"),
    ("11", "Parkeerstand"),
)

# -- shared building blocks --------------------------------------------------------------

PARTY_INJURY = _choices(
    ("none", "Geen letsel"), ("light", "Licht gewond"),
    ("hospital", "Gewond, opgenomen in ziekenhuis"), ("dead", "Overleden"),
)
GTPA_INJURY = _choices(
    ("none", "Geen letsel"), ("light", "Licht letsel"),
    ("medical", "Letsel, medisch behandeld"), ("hospital", "Letsel, opgenomen in ziekenhuis"),
)


def _report_number(**kw: Any) -> FieldDef:
    return _text("report_number", "Registratienummer politie", max_length=30,
                 help="Nummer van de registratie in het politiesysteem, als dat er al is",
                 **kw)


def _witnesses() -> FieldDef:
    return _group("witnesses", "Getuigen", (
        _text("name", "Naam", required=True),
        _text("phone", "Telefoonnummer", max_length=30),
        _text("address", "Adres"),
        _textarea("statement", "Verklaring"),
    ))


def _photos() -> FieldDef:
    return _group("photos", "Foto's", (
        FieldDef("photo", "Foto", "photo", required=True),
    ), help="Foto's worden eerst geüpload; het item verwijst naar de foto")


def _narrative(label: str) -> FieldDef:
    return _textarea("narrative", label, required=True)


# -- VOR: Verkeersongeval -----------------------------------------------------------------

VOR_PARTY = (
    _choice("object_type", "Soort verkeersdeelnemer of object", OTE, required=True,
            bron="OTE_ID"),
    _text("object_type_other", "Anders, namelijk", max_length=40, bron="OTE_AN"),
    _text("licence_plate", "Kenteken", max_length=20),
    _text("vehicle_nationality", "Land van het kenteken", max_length=3,
          help="Landcode, bijvoorbeeld NL, B of D", bron="NTT_CODE_V"),
    _choice("manoeuvre", "Voorgenomen beweging", VOORGBEW, bron="VOORGBEW"),
    _choice("start_position", "Uitgangspositie", UITGPOS, bron="UITGPOS1"),
    _choice("vehicle_lights", "Voertuigverlichting", VTGVERL, bron="VTGVERL"),
    _boolean("hit_and_run", "Doorrijder", bron="DOORRIJDER"),
    _boolean("trailer", "Trok een aanhangwagen", bron="GETRAANH"),
    _boolean("dangerous_goods", "Onafgedekte gevaarlijke-stoffenplaat", bron="GEVSTOF"),
    _boolean("insured", "Voertuig verzekerd", bron="VTGVERZ"),
    _text("insurer", "Verzekeraar"),
    _text("policy_number", "Polisnummer", max_length=50),
    _boolean("damage", "Schade aan voertuig", bron="SCHADE"),
    _textarea("damage_description", "Omschrijving schade", max_length=2000),
    _text("name", "Naam bestuurder of voetganger"),
    FieldDef("date_of_birth", "Geboortedatum", "date", bron="GEBDAT"),
    _choice("sex", "Geslacht", GESLACHT, bron="GESLACHT"),
    _text("nationality", "Nationaliteit", max_length=40, bron="NTT_CODE_B"),
    _text("address", "Adres"),
    _text("phone", "Telefoonnummer", max_length=30),
    _boolean("licence_valid", "Geldig rijbewijs", bron="RIJBEWGEL"),
    _multichoice("licence_categories", "Rijbewijscategorieën", RIJBEWCAT, bron="RIJBEWCAT"),
    _boolean("beginner_licence", "Beginnersrijbewijs", bron="RIJBEWBEG"),
    _boolean("breath_test", "Blaastest afgenomen", bron="BLAASTEST"),
    _choice("alcohol", "Alcohol (artikel 8 WVW)", ART8, bron="ART8"),
    _boolean("drugs_medication", "Drugs- en/of medicijngebruik", bron="MEDICGEBR"),
    _choice("injury", "Letsel", PARTY_INJURY),
    _count("passengers", "Aantal passagiers", bron="ANTL_PAS"),
    _textarea("statement", "Verklaring"),
)

VOR = FormDef("vor", "Verkeersongeval", (
    FieldDef("occurred_at", "Datum en tijd ongeval", "datetime", required=True,
             bron="DATUM_VKL"),
    FieldDef("police_arrival", "Tijdstip aankomst politie", "time"),
    FieldDef("location", "Locatie", "location", required=True,
             help="Plaats van het ongeval op de kaart"),
    _report_number(bron="REGNUMMER"),
    _text("street", "Straat"),
    _text("house_number", "Huisnummer", max_length=10, bron="HUISNUMMER"),
    _text("place", "Plaats"),
    _text("municipality", "Gemeente", max_length=24, bron="GME_NAAM"),
    _text("road_number", "Wegnummer", max_length=10, help="Bijvoorbeeld A12 of N201"),
    FieldDef("hectometre", "Hectometerpaal", "number", min=0, max=999.9,
             help="Zoals op het hectometerbordje, bijvoorbeeld 23,4", bron="HECTOMETER"),
    _choice("built_up_area", "Bebouwde kom", BEBKOM, bron="BEBKOM"),
    _choice("outcome", "Afloop", AP3, required=True, bron="AP3_CODE"),
    _choice("accident_kind", "Aard ongeval", AOL, required=True, bron="AOL_ID"),
    _choice("road_situation", "Wegsituatie", WSE, bron="WSE_ID"),
    _text("road_situation_other", "Wegsituatie anders", max_length=30, bron="WSE_AN"),
    _choice("speed_limit", "Maximumsnelheid", MAXSNELHD, bron="MAXSNELHD"),
    _choice("light", "Lichtgesteldheid", LGD, bron="LGD_ID"),
    _choice("road_lighting", "Wegverlichting", WVL, bron="WVL_ID"),
    _choice("road_surface", "Wegverharding", WVG, bron="WVG_ID"),
    _text("road_surface_other", "Wegverharding anders", max_length=30, bron="WVG_AN"),
    _choice("road_condition", "Toestand wegdek", WDK, bron="WDK_ID"),
    _text("road_condition_other", "Toestand wegdek anders", max_length=30, bron="WDK_AN"),
    _multichoice("weather", "Weersgesteldheid", WGD, max=2,
                 help="Hoogstens twee, de belangrijkste eerst", bron="WGD_CODE_1"),
    _multichoice("particulars", "Bijzonderheden", BZD,
                 help="Verkeersmaatregelen, infrastructuur en tijdelijke omstandigheden",
                 bron="BZD_ID_VM1"),
    _boolean("report_drawn_up", "Proces-verbaal opgemaakt", bron="PVOPGEM"),
    _count("dead_count", "Aantal doden", bron="ANTL_DOD"),
    _count("hospital_count", "Aantal gewonden opgenomen in ziekenhuis", bron="ANTL_GZH"),
    _count("emergency_count", "Aantal gewonden behandeld op de spoedeisende hulp",
           bron="ANTL_SEH"),
    _count("injured_count", "Aantal overige gewonden", bron="ANTL_GOV"),
    _group("parties", "Partijen", VOR_PARTY, min=1,
           help="Iedere betrokken verkeersdeelnemer of geraakt object is een partij"),
    _witnesses(),
    FieldDef("sketch", "Situatieschets", "photo",
             help="Foto of afbeelding van de getekende situatie"),
    _photos(),
    _textarea("damage_other", "Schade aan wegmeubilair en andere eigendommen"),
    _narrative("Toedracht (relaas)"),
))

# -- PDO: Plaats delict onderzoek ---------------------------------------------------------

PDO = FormDef("pdo", "Plaats delict onderzoek", (
    _choice("offence_kind", "Soort delict", _choices(
        ("burglary_home", "Inbraak woning"), ("burglary_business", "Inbraak bedrijf of instelling"),
        ("theft", "Diefstal"), ("theft_from_vehicle", "Diefstal uit/vanaf auto"),
        ("vehicle_theft", "Diefstal van voertuig"), ("vandalism", "Vernieling"),
        ("arson", "Brandstichting"), ("violence", "Geweld"), ("robbery", "Overval"),
        ("other", "Overig"),
    ), required=True),
    _report_number(),
    FieldDef("scene_location", "Locatie plaats delict", "location", required=True),
    _text("scene_address", "Adres plaats delict"),
    _textarea("scene_description", "Beschrijving plaats delict", required=True),
    FieldDef("offence_from", "Gepleegd vanaf", "datetime",
             help="Begin van de periode waarin het delict gepleegd is"),
    FieldDef("offence_until", "Gepleegd tot", "datetime",
             help="Einde van de periode waarin het delict gepleegd is"),
    _boolean("scene_secured", "Plaats delict afgezet"),
    _text("secured_by", "Afgezet door"),
    FieldDef("secured_at", "Afgezet om", "datetime"),
    _group("traces", "Sporen", (
        _choice("kind", "Soort spoor", _choices(
            ("fingerprint", "Vingerspoor"), ("dna", "DNA-spoor"), ("shoe", "Schoenspoor"),
            ("tool", "Gereedschapsspoor"), ("blood", "Bloed"), ("textile", "Textiel/vezels"),
            ("digital", "Digitaal spoor"), ("other", "Overig"),
        ), required=True),
        _text("place", "Plaats van het spoor"),
        _choice("secured_as", "Veiliggesteld als", _choices(
            ("photo", "Foto"), ("lift", "Folie (lift)"), ("swab", "Swab"),
            ("cast", "Afgietsel"), ("seized", "In beslag genomen"),
            ("not_secured", "Niet veiliggesteld"),
        )),
        _text("label_number", "Labelnummer (SIN)", max_length=50),
        _text("description", "Omschrijving"),
        FieldDef("photo", "Foto", "photo"),
    )),
    _group("seized_items", "In beslag genomen goederen", (
        _text("description", "Omschrijving", required=True),
        _text("label_number", "Labelnummer", max_length=50),
        _text("location_found", "Vindplaats"),
    )),
    _group("persons", "Betrokken personen", (
        _choice("role", "Rol", _choices(
            ("reporter", "Aangever"), ("witness", "Getuige"), ("suspect", "Verdachte"),
            ("victim", "Slachtoffer"), ("resident", "Bewoner"),
        ), required=True),
        _text("name", "Naam"),
        FieldDef("date_of_birth", "Geboortedatum", "date"),
        _text("address", "Adres"),
        _text("phone", "Telefoonnummer", max_length=30),
        _textarea("statement", "Verklaring"),
    )),
    _boolean("forensic_support_requested", "Forensische ondersteuning aangevraagd"),
    _multichoice("forensic_support_kind", "Soort ondersteuning", _choices(
        ("forensic_investigation", "Forensische Opsporing"),
        ("dog_handler", "Hondengeleider (speurhond)"),
        ("technical_investigation", "Technische recherche"),
        ("digital_investigation", "Digitale recherche"),
        ("fire_investigation", "Brandonderzoek"), ("other", "Overig"),
    )),
    _photos(),
    _narrative("Relaas"),
))

# -- GTPA/GDPA: Geweld tegen of door politieambtenaren ------------------------------------

GTPA = FormDef("gtpa", "Geweld tegen/door politieambtenaren", (
    _choice("direction", "Soort melding", _choices(
        ("against", "Geweld tegen politieambtenaar"),
        ("by", "Geweldsaanwending door politieambtenaar"),
    ), required=True),
    FieldDef("occurred_at", "Datum en tijd", "datetime", required=True),
    FieldDef("location", "Locatie", "location", required=True),
    _text("address", "Adres"),
    _report_number(),
    _group("officers_involved", "Betrokken politieambtenaren", (
        _text("name", "Naam", required=True),
        _text("personnel_number", "Personeelsnummer", max_length=20),
        _text("role", "Rol of functie"),
        _choice("injury", "Letsel", GTPA_INJURY),
        _boolean("medical_care", "Medische zorg nodig gehad"),
        _boolean("aftercare_needed", "Nazorg nodig"),
    ), min=1),
    _group("other_persons", "Andere betrokkenen", (
        _choice("role", "Rol", _choices(
            ("suspect", "Verdachte"), ("bystander", "Omstander"), ("victim", "Slachtoffer"),
        ), required=True),
        _text("name", "Naam"),
        FieldDef("date_of_birth", "Geboortedatum", "date"),
        _choice("injury", "Letsel", GTPA_INJURY),
        _boolean("medical_care", "Medische zorg nodig gehad"),
    )),
    _multichoice("force_kinds", "Soort geweld", _choices(
        ("physical", "Fysiek geweld"), ("weapon", "Wapen (bijvoorbeeld mes)"),
        ("baton", "Slagwapen (wapenstok)"), ("pepper_spray", "Pepperspray"),
        ("taser", "Stroomstootwapen (taser)"), ("firearm", "Vuurwapen"),
        ("dog", "Diensthond"), ("handcuffs", "Handboeien"), ("other", "Anders"),
    ), required=True),
    _text("force_other", "Soort geweld anders, namelijk"),
    _text("threat_or_weapon_against_officer", "Bedreiging of wapen tegen politieambtenaar"),
    _textarea("circumstances", "Aanleiding en omstandigheden"),
    _textarea("injuries_officer_side", "Letsel aan politiezijde"),
    _textarea("injuries_other_side", "Letsel aan de andere zijde"),
    _boolean("medical_care", "Medische zorg verleend"),
    _boolean("aftercare_needed", "Nazorg voor politieambtenaar nodig"),
    _witnesses(),
    _boolean("bodycam_footage", "Bodycambeelden aanwezig"),
    _photos(),
    _narrative("Relaas"),
))

FORMS: tuple[FormDef, ...] = (VOR, PDO, GTPA)
FORMS_BY_TYPE: dict[str, FormDef] = {form.type: form for form in FORMS}

# Set together with a status, never on the form itself: a withdrawal carries its reason.
STATUS_FIELDS = (
    {"name": "withdraw_reason", "label": "Reden van intrekken", "kind": "textarea",
     "required_with": "withdrawn", "min_length": 1, "max_length": 1000},
)

_TEXT = {"type": "string", "description": "at most the field's max_length characters; no "
         "control characters other than tab, LF and CR"}
_PHOTO = {"type": "object", "additionalProperties": False, "required": ["sha256", "content_type"],
          "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                         "content_type": {"enum": ["image/jpeg", "image/png", "image/webp"]}}}
# The value of each kind as a JSON Schema (PROTOCOL.md §3), with an example; a field adds
# its own bounds (max_length, min/max, choices). Any field may also be null.
VALUE_FORMATS: dict[str, dict[str, Any]] = {
    "text": {"schema": _TEXT, "example": "Dorpsstraat"},
    "textarea": {"schema": _TEXT, "example": "Kop-staartbotsing bij het stoplicht."},
    "integer": {"schema": {"type": "integer", "description": "a JSON integer written "
                           "without a fraction (5, not 5.0), not a string or a boolean"},
                "example": 50},
    "number": {"schema": {"type": "number"}, "example": 12.5},
    "boolean": {"schema": {"type": "boolean"}, "example": True},
    "date": {"schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                        "description": "a calendar date, YYYY-MM-DD"}, "example": "2026-11-24"},
    "time": {"schema": {"type": "string", "pattern": "^(?:[01][0-9]|2[0-3]):[0-5][0-9]$",
                        "description": "HH:MM, 24 h"}, "example": "09:30"},
    "datetime": {"schema": {
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,6})?)?"
                   "(?:Z|[+-][0-9]{2}:[0-9]{2})$",
        "description": "ISO 8601 with Z or an offset (required)"},
        "example": "2026-11-24T09:30:00+01:00"},
    "choice": {"schema": {"type": "string", "description": "one code of the field's choices"},
               "example": "UMS"},
    "multichoice": {"schema": {"type": "array", "items": {"type": "string"},
                               "uniqueItems": True,
                               "description": "distinct codes of the field's choices, at "
                                              "most its max"}, "example": ["VM1"]},
    "location": {"schema": {
        "type": "object", "additionalProperties": False, "required": ["lat", "lon", "accuracy"],
        "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                       "lon": {"type": "number", "minimum": -180, "maximum": 180},
                       "accuracy": {"type": "number", "minimum": 0, "maximum": 100_000,
                                    "description": "metres"}}},
        "example": {"lat": 52.0907, "lon": 5.1214, "accuracy": 8}},
    "photo": {"schema": _PHOTO, "example": {"sha256": "0" * 64, "content_type": "image/jpeg"}},
    "group": {"schema": {"type": "object", "description": "never set whole: each item is set "
                         "as group[<item id>] with an object of some of its fields, or null "
                         "to remove it"},
              "example": {"name": "Getuige"}},
}

_DOCUMENT: dict[str, Any] = {
    "schema_version": FORMS_SCHEMA_VERSION,
    "forms": [form.to_json() for form in FORMS],
    "status_fields": list(STATUS_FIELDS),
    "value_formats": VALUE_FORMATS,
}


def forms_document() -> dict[str, Any]:
    """The body of ``GET /api/forms`` (a fresh copy: callers may change it)."""
    return copy.deepcopy(_DOCUMENT)
