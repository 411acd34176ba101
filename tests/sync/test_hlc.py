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


def test_stamp_far_ahead_is_clamped_to_the_bound_keeping_counter_and_node() -> None:
    clock = Clock("server", wall=lambda: 1_000_000)
    near = HLC(1_000_000 + MAX_SKEW_MS, 0, "d")
    assert clock.clamp(near) == near
    clamped = clock.clamp(HLC(9_000_000, 4, "d"))
    assert clamped == HLC(1_000_000 + MAX_SKEW_MS, 4, "d")


def test_a_devices_stamps_never_go_backwards_when_clamped() -> None:
    """59 s ahead is kept, 110 s ahead is clamped: it still sorts after the 59 s one."""
    wall = [1_000_000]
    clock = Clock("server", wall=lambda: wall[0])
    device = [HLC(1_059_000, 7, "d"), HLC(1_110_000, 0, "d"), HLC(1_110_001, 0, "d"),
              HLC(1_200_000, 3, "d")]
    seen = []
    for stamp in device:  # all within one ms of the server: the hardest case
        seen.append(clock.clamp(stamp))
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert all(s.node == "d" and s.ms <= wall[0] + MAX_SKEW_MS for s in seen)
    # an unclamped stamp exactly at the bound, then a clamped one in the same ms
    clock = Clock("server", wall=lambda: 1_000_000)
    at_bound = clock.clamp(HLC(1_060_000, 9, "e"))
    assert at_bound == HLC(1_060_000, 9, "e")
    assert clock.clamp(HLC(1_070_000, 0, "e")) > at_bound


def test_the_server_clock_never_runs_more_than_the_bound_ahead() -> None:
    wall = [1_000_000]
    clock = Clock("server", wall=lambda: wall[0])
    for ahead in (59_000, 110_000, 10**9):
        clock.observe(clock.clamp(HLC(wall[0] + ahead, 3, "d")))
        assert clock.now().ms <= wall[0] + MAX_SKEW_MS
        wall[0] += 1


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
