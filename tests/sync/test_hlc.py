"""The hybrid logical clock: ordering, adoption of remote stamps, clamping of skew."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import HLC, MAX_SKEW_MS, Clock


def test_parse_and_format_round_trip() -> None:
    stamp = HLC.parse("1700000000000-3-dev-1")
    assert (stamp.ms, stamp.counter, stamp.node) == (1700000000000, 3, "dev-1")
    assert str(stamp) == "1700000000000-3-dev-1"


@pytest.mark.parametrize("bad", ["", "abc", "1-2", "-1-0-x", "1-0-", None, 12, "1-0-a b"])
def test_malformed_stamps_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        HLC.parse(bad)  # type: ignore[arg-type]


def test_stamps_order_by_ms_then_counter_then_node() -> None:
    assert HLC(1, 9, "z") < HLC(2, 0, "a") < HLC(2, 1, "a") < HLC(2, 1, "b")


def test_clock_is_monotonic_when_wall_clock_goes_back() -> None:
    wall = iter([1000, 900, 900, 1100])
    clock = Clock("n", wall=lambda: next(wall))
    stamps = [clock.now() for _ in range(4)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4


def test_observe_makes_next_stamp_higher_than_remote() -> None:
    clock = Clock("server", wall=lambda: 1000)
    remote = HLC(5000, 7, "device")
    clock.observe(remote)
    assert clock.now() > remote


def test_stamp_far_ahead_is_clamped_to_our_clock() -> None:
    clock = Clock("server", wall=lambda: 1_000_000)
    near = HLC(1_000_000 + MAX_SKEW_MS, 0, "d")
    assert clock.clamp(near) == near
    clamped = clock.clamp(HLC(9_000_000, 4, "d"))
    assert clamped.ms == 1_000_000 and clamped.node == "d"


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 100)), min_size=1,
                max_size=30))
def test_stamps_after_observing_exceed_everything_seen(remotes: list[tuple[int, int]]) -> None:
    clock = Clock("server", wall=lambda: 500_000)
    seen = []
    for ms, counter in remotes:
        remote = clock.clamp(HLC(ms, counter, "device"))
        clock.observe(remote)
        seen.append(remote)
    assert all(clock.now() > stamp for stamp in seen)
