"""The briefing's batched geodesic distances equal geopy's (the device computes the same)."""

from __future__ import annotations

import random

from server.briefing.compute import metres, metres_from


def test_batched_distances_equal_geopy() -> None:
    rng = random.Random(3)
    here = (52.0907, 5.1214)
    points = [(here[0] + rng.uniform(-0.05, 0.05), here[1] + rng.uniform(-0.08, 0.08))
              for _ in range(200)] + [here]
    batched = metres_from(here, points)
    assert all(abs(b - metres(here, p)) < 1e-6 for b, p in zip(batched, points, strict=True))
    assert batched[-1] == 0
    assert metres_from(here, []) == []
