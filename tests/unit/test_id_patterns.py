"""Id, stamp and path patterns match the whole text: ``$`` would accept a final newline."""

from __future__ import annotations

import pytest

from sync.hlc import HLC
from sync.paths import parse_item_key

DEVICE = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize("text", [f"1700000000000-0-{DEVICE}\n", "1700000000000-0-a\n",
                                  "١٧٠٠-0-a", "1700000000000-٠-a"])
def test_hlc_refuses_a_trailing_newline_and_non_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError):
        HLC.parse(text)


def test_hlc_still_parses_a_plain_stamp() -> None:
    assert HLC.parse(f"1700000000000-3-{DEVICE}") == HLC(1700000000000, 3, DEVICE)


def test_item_key_refuses_a_trailing_newline() -> None:
    assert parse_item_key("parties[p1]") == ("parties", "p1")
    assert parse_item_key("parties[p1]\n") is None
