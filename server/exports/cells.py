"""Spreadsheet safety for every CSV cell the exports write."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection);
# tab and CR are on OWASP's list too, as some programs skip them before looking.
FORMULA_START = frozenset("=+-@\t\r")


def escape_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text and text[0] in FORMULA_START else text
