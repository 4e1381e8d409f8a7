"""Opening hours: {"mon": [["06:00", "22:00"]], ...}, several ranges a day allowed (a
midday closure), no key or [] meaning closed. Times are the gym's local time."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$")


def parse_day(text: str) -> list[list[str]]:
    """'06:00-12:00, 15:00-21:00' -> [["06:00", "12:00"], ["15:00", "21:00"]]."""
    ranges = []
    for part in [p.strip() for p in (text or "").split(",") if p.strip()]:
        match = _RANGE.match(part)
        if not match:
            raise ValidationError(_("Write hours like 06:00-22:00."), code="invalid_hours")
        start, end = f"{match[1]}:{match[2]}", f"{match[3]}:{match[4]}"
        if end <= start or end > "24:00":
            raise ValidationError(
                _("Closing time must be after opening time."), code="invalid_hours"
            )
        ranges.append([start, end])
    ranges.sort()
    for (_start, end), (next_start, _end) in zip(ranges, ranges[1:], strict=False):
        if next_start < end:
            raise ValidationError(
                _("Time ranges of one day must not overlap."), code="invalid_hours"
            )
    return ranges


def format_day(ranges) -> str:
    return ", ".join(f"{start}-{end}" for start, end in ranges or [])


def validate_opening_hours(value) -> None:
    if not isinstance(value, dict) or set(value) - set(DAYS):
        raise ValidationError(_("Opening hours must be keyed by mon … sun."))
    for ranges in value.values():
        if not isinstance(ranges, list) or not all(
            isinstance(r, list | tuple) and len(r) == 2 for r in ranges
        ):
            raise ValidationError(_("Opening hours must be keyed by mon … sun."))
        parse_day(format_day(ranges))
