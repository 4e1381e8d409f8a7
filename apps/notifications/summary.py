"""Sections of the weekly summary (services/summary.py sends it): each app that has
something to say about a member's week registers one, and the summary shows a line per
section that has data for the member. A member gets a summary only if at least one
section has something for them ("activity").

    register_summary_section("visits", collect=visits_by_member, line=visits_line, order=10)

`collect(start, end)` returns `{member id: data}` for the members with something in
[start, end) (aware datetimes; one grouped query, not one per member); `line(data)`
returns the line's text. It is called while the summary is rendered, in the recipient's
language, so it may use gettext/ngettext.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SummarySection:
    key: str
    collect: Callable[[datetime, datetime], dict[int, object]]
    line: Callable[[object], str]
    order: int = 100


SECTIONS: dict[str, SummarySection] = {}


def register_summary_section(
    key: str,
    *,
    collect: Callable[[datetime, datetime], dict[int, object]],
    line: Callable[[object], str],
    order: int = 100,
) -> SummarySection:
    if key in SECTIONS:
        raise ValueError(f"Summary section {key!r} is registered twice")
    SECTIONS[key] = section = SummarySection(key=key, collect=collect, line=line, order=order)
    return section


def sections() -> list[SummarySection]:
    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))


@dataclass(frozen=True)
class SummaryLine:
    """One section's line for one member, turned into text when the template shows it
    (so in the language notify() renders in)."""

    section: SummarySection
    data: object

    def __str__(self) -> str:
        return str(self.section.line(self.data))
