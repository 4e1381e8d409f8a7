"""Demo challenges: a running visits challenge (its progress counted from the demo door
visits), a running custom-total one with members' entries, and an upcoming one. Some
participants opted in to the leaderboards, others did not (they show only in the counts).
Idempotent: challenges are found by title, joining and entries go through the services
(an entry is added once per member and day)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from apps.bookings.policy import BOOKABLE_MEMBER_STATUSES
from apps.goals.models import Challenge, ChallengeEntry, ChallengeType
from apps.goals.services.challenges import (
    challenge_entry_add,
    challenge_join,
    challenges_refresh_for_member,
)

PARTICIPANTS = 12


def _challenge(title: str, **fields) -> Challenge:
    challenge = Challenge.objects.filter(title=title, archived_at__isnull=True).first()
    return challenge or Challenge.objects.create(title=title, **fields)


def seed(*, members, today: date) -> dict:
    members = [m for m in members if m.status in BOOKABLE_MEMBER_STATUSES]
    visits = _challenge(
        "12 visits this month",
        description="Come in on 12 different days within the month. Every door or desk "
        "check-in counts, once a day.",
        type=ChallengeType.VISITS,
        target=Decimal(12),
        starts_on=today - timedelta(days=14),
        ends_on=today + timedelta(days=16),
        prize="A gym T-shirt for everyone who makes it",
    )
    rowing = _challenge(
        "Row 100 km",
        description="Log the kilometres you row on the machines.",
        type=ChallengeType.CUSTOM,
        target=Decimal(100),
        unit="km",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=20),
    )
    _challenge(
        "New year, 20 classes",
        type=ChallengeType.CLASSES,
        target=Decimal(20),
        starts_on=today + timedelta(days=7),
        ends_on=today + timedelta(days=44),
        prize="A free personal training session",
    )
    joined = 0
    for index, member in enumerate(members[:PARTICIPANTS]):
        shown = index % 3 != 2  # two in three opt in to the leaderboard
        challenge_join(challenge=visits, member=member, on_leaderboard=shown)
        challenges_refresh_for_member(member=member)
        if index % 2 == 0:
            participant, _created = challenge_join(
                challenge=rowing, member=member, on_leaderboard=shown
            )
            for day in range(1, 9, 1 + index % 3):
                on = today - timedelta(days=day)
                if not ChallengeEntry.objects.filter(participant=participant, on=on).exists():
                    km = Decimal(4 + (index * 7 + day * 3) % 9)
                    challenge_entry_add(challenge=rowing, member=member, value=km, on=on)
        joined += 1
    return {"challenges": 3, "participants": joined}
