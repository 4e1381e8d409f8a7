"""Quiet hours and local times across time zones and daylight-saving changes."""

from datetime import UTC, date, datetime, time

import pytest

from apps.notifications.timing import at_local, quiet_until

NIGHT = (time(22, 0), time(7, 0))
LUNCH = (time(12, 0), time(13, 30))


@pytest.mark.parametrize(
    ("now_utc", "tz", "hours", "expected_utc"),
    [
        # Berlin (UTC+1 in December): 23:30 local is quiet until 07:00 local = 06:00 UTC.
        (datetime(2026, 12, 7, 22, 30, tzinfo=UTC), "Europe/Berlin", NIGHT, "2026-12-08T06:00"),
        # 06:59 local is still quiet, until the same morning.
        (datetime(2026, 12, 7, 5, 59, tzinfo=UTC), "Europe/Berlin", NIGHT, "2026-12-07T06:00"),
        # 07:00 local: over.
        (datetime(2026, 12, 7, 6, 0, tzinfo=UTC), "Europe/Berlin", NIGHT, None),
        # The same instant is afternoon in Auckland (UTC+13): not quiet there.
        (datetime(2026, 12, 7, 1, 0, tzinfo=UTC), "Pacific/Auckland", NIGHT, None),
        # And 17:00 the evening before in Los Angeles: not quiet either.
        (datetime(2026, 12, 7, 1, 0, tzinfo=UTC), "America/Los_Angeles", NIGHT, None),
        # 23:00 in Los Angeles (07:00 UTC next day): quiet until 07:00 PST = 15:00 UTC.
        (datetime(2026, 12, 8, 7, 0, tzinfo=UTC), "America/Los_Angeles", NIGHT, "2026-12-08T15:00"),
        # Hours within one day.
        (datetime(2026, 12, 7, 11, 15, tzinfo=UTC), "Europe/Berlin", LUNCH, "2026-12-07T12:30"),
        (datetime(2026, 12, 7, 13, 0, tzinfo=UTC), "Europe/Berlin", LUNCH, None),
        # Night of the spring-forward change in Berlin (29 March 2026, 02:00 -> 03:00):
        # quiet until 07:00 CEST = 05:00 UTC.
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "Europe/Berlin", NIGHT, "2026-03-29T05:00"),
        # No quiet hours, or empty ones.
        (datetime(2026, 12, 7, 22, 30, tzinfo=UTC), "Europe/Berlin", (None, None), None),
        (datetime(2026, 12, 7, 22, 30, tzinfo=UTC), "Europe/Berlin", (time(8), time(8)), None),
    ],
)
def test_quiet_until(now_utc, tz, hours, expected_utc):
    result = quiet_until(now_utc, tz, *hours)
    if expected_utc is None:
        assert result is None
    else:
        assert result.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") == expected_utc


def test_a_local_time_that_does_not_exist_moves_forward():
    # 02:30 on 29 March 2026 does not exist in Berlin: it becomes 03:30 CEST (01:30 UTC).
    assert at_local(date(2026, 3, 29), time(2, 30), "Europe/Berlin").astimezone(UTC) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_an_ambiguous_local_time_takes_the_first():
    # 02:30 on 25 October 2026 happens twice in Berlin: the first is CEST (00:30 UTC).
    assert at_local(date(2026, 10, 25), time(2, 30), "Europe/Berlin").astimezone(UTC) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
