"""Every time the API returns is ``isoformat()``'s text (written without it, for speed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from server.models import iso

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))


@given(st.datetimes(timezones=st.just(UTC) | offsets))
def test_an_aware_time_reads_as_isoformat_writes_it(moment: datetime) -> None:
    assert iso(moment) == moment.isoformat()


@given(st.datetimes())
def test_a_naive_time_from_sqlite_is_utc(moment: datetime) -> None:
    assert iso(moment) == moment.replace(tzinfo=UTC).isoformat()


def test_whole_seconds_and_passthrough() -> None:
    assert iso(datetime(2026, 11, 28, 23, 40, tzinfo=UTC)) == "2026-11-28T23:40:00+00:00"
    assert iso(datetime(2026, 11, 28, 23, 40, 0, 5, tzinfo=UTC)) == \
        "2026-11-28T23:40:00.000005+00:00"
    assert iso(None) is None and iso("2026-11-28") == "2026-11-28"
