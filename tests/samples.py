"""Registrations the tests share."""

from __future__ import annotations

from typing import Any


def minor_accident() -> dict[str, Any]:
    """An op's set for a minor accident: damage only, two cars, nobody hurt."""
    return {
        "occurred_at": "2026-11-24T09:30:00+01:00",
        "location": {"lat": 52.0907, "lon": 5.1214, "accuracy": 8},
        "outcome": "UMS",
        "accident_kind": "8",
        "narrative": "Kop-staartbotsing bij het stoplicht.",
        "parties[p1]": {"object_type": "1", "licence_plate": "AB-123-C", "injury": "none"},
        "parties[p2]": {"object_type": "1", "licence_plate": "XY-987-Z", "injury": "none"},
    }
