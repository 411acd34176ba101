"""Hybrid logical clock stamps: ``<ms>-<counter>-<device_id>``.

Stamps order by wall-clock milliseconds, then a counter, then the device id, so two
stamps are never equal unless they come from the same device and tick. A device adopts
a higher stamp it hears from the server, which keeps causally later edits ordered after
what they saw even when device clocks disagree. The server accepts stamps at most
``MAX_SKEW_MS`` ahead of its wall clock (see ``Clock.clamp``), so neither a device's stamps
nor the server's own clock run more than that ahead.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_SKEW_MS = 60_000
_MAX_CLAMPED_NODES = 10_000
# fullmatch, not ``^…$``: ``$`` also matches before a final newline; ASCII digits only,
# since ``\d`` takes any script's digits and ``int`` reads them.
_STAMP = re.compile(r"([0-9]{1,15})-([0-9]{1,9})-([A-Za-z0-9_.:-]{1,64})")


@dataclass(frozen=True, order=True, slots=True)
class HLC:
    ms: int
    counter: int
    node: str

    @classmethod
    def parse(cls, text: str) -> HLC:
        match = _STAMP.fullmatch(text) if isinstance(text, str) else None
        if not match:
            raise ValueError("hlc moet de vorm <ms>-<teller>-<apparaat> hebben")
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))

    def __str__(self) -> str:
        return f"{self.ms}-{self.counter}-{self.node}"


def stamp_key(text: str) -> tuple[int, int, str]:
    """Sort key of a stamp string (compare stamps without building objects)."""
    hlc = HLC.parse(text)
    return hlc.ms, hlc.counter, hlc.node


class Clock:
    """A node's clock; thread-safe so one server process can share it."""

    def __init__(self, node: str, wall: Callable[[], int] | None = None) -> None:
        self.node = node
        self._wall = wall or (lambda: int(time.time() * 1000))
        self._last = HLC(0, 0, node)
        self._lock = threading.Lock()
        self._clamped: dict[str, HLC] = {}  # node → its last clamped stamp

    def now(self) -> HLC:
        with self._lock:
            wall = self._wall()
            if wall > self._last.ms:
                self._last = HLC(wall, 0, self.node)
            else:
                self._last = HLC(self._last.ms, self._last.counter + 1, self.node)
            return self._last

    def skew_bound(self) -> int:
        """The ms at which ``clamp`` starts to pull stamps back; it only moves up, so a
        stamp below an earlier reading is one ``clamp`` would keep."""
        return self._wall() + MAX_SKEW_MS

    def clamp(self, remote: HLC) -> HLC:
        """A stamp more than ``MAX_SKEW_MS`` ahead of our wall clock is pulled back to
        exactly that bound, keeping its counter and node.

        Otherwise one device with its clock set to next year would win every conflict.
        The bound, not our wall clock, keeps the device's stamps in order: every stamp of
        it we accepted unchanged was at most at the bound, which only moves up. Stamps
        clamped within one millisecond of ours would tie (their counters say nothing
        about each other once their ms are equal): each gets the counter after the
        previous clamped (or at-the-bound) stamp of its node, so they follow the order
        they arrive in.
        """
        bound = self.skew_bound()
        if remote.ms < bound:
            return remote
        with self._lock:
            last = self._clamped.get(remote.node)
            if remote.ms == bound:  # kept, but a clamped stamp in this ms must sort after it
                stamp = remote if last is None or remote > last else last
            else:
                stamp = HLC(bound, remote.counter, remote.node)
                if last is not None and stamp <= last:
                    stamp = HLC(last.ms, last.counter + 1, remote.node)
            if len(self._clamped) >= _MAX_CLAMPED_NODES:
                self._clamped.clear()  # only ties within one ms need the memory
            self._clamped[remote.node] = stamp
            return remote if remote.ms == bound else stamp

    def observe(self, remote: HLC) -> HLC:
        """Merge a remote stamp (already clamped) so our next stamp is higher."""
        with self._lock:
            wall = self._wall()
            ms = max(wall, self._last.ms, remote.ms)
            if ms == self._last.ms and ms == remote.ms:
                counter = max(self._last.counter, remote.counter) + 1
            elif ms == self._last.ms:
                counter = self._last.counter + 1
            elif ms == remote.ms:
                counter = remote.counter + 1
            else:
                counter = 0
            self._last = HLC(ms, counter, self.node)
            return self._last

    def peek(self) -> HLC:
        with self._lock:
            return self._last
