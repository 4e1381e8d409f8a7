"""Reads for challenges: what members see, the opt-in leaderboard, staff lists.

The leaderboard shows only participants who opted in, by display name (first name and
last initial), ranked by progress, then by who reached it first. Everyone else appears
nowhere, not by name, id or position; the board says only how many took part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from apps.bookings.policy import gym_zone
from apps.goals.models import Challenge, ChallengeEntry, ChallengeParticipant, ChallengeType

LEADERBOARD_SIZE = 50
UPCOMING, RUNNING, ENDED = "upcoming", "running", "ended"


def gym_today() -> date:
    """Today on the gym's calendar: challenges run on the gym's days."""
    return timezone.now().astimezone(gym_zone(connection.tenant)).date()


def member_display_name(member) -> str:
    """What other members see of a member: "Alice B." (first name, last initial)."""
    first = (member.first_name or "").strip()
    last = (member.last_name or "").strip()
    return f"{first} {last[0]}.".strip() if last else first


def challenge_state(challenge: Challenge, today: date | None = None) -> str:
    today = today or gym_today()
    if challenge.starts_on > today:
        return UPCOMING
    return RUNNING if challenge.ends_on >= today else ENDED


def _with_counts(rows: QuerySet[Challenge]) -> QuerySet[Challenge]:
    active = Q(participants__left_at__isnull=True)
    return rows.annotate(
        participant_count=Count("participants", filter=active),
        completed_count=Count(
            "participants", filter=active & Q(participants__completed_at__isnull=False)
        ),
    )


def challenge_list_for_member(*, member, today: date | None = None) -> list[Challenge]:
    """Running and upcoming challenges (soonest ending first), each with `mine` (the
    member's participation or None) and `participant_count`."""
    today = today or gym_today()
    rows = _with_counts(
        Challenge.objects.filter(archived_at__isnull=True, ends_on__gte=today)
    ).order_by("starts_on", "ends_on", "id")
    return _attach_mine(list(rows), member)


def challenge_for_member(*, member, pk: int) -> Challenge | None:
    """One challenge a member may open (any not archived, also an ended one)."""
    challenge = _with_counts(Challenge.objects.filter(archived_at__isnull=True, pk=pk)).first()
    if challenge is None:
        return None
    return _attach_mine([challenge], member)[0]


def _attach_mine(challenges: list[Challenge], member) -> list[Challenge]:
    mine = {
        p.challenge_id: p
        for p in ChallengeParticipant.objects.filter(
            member=member, left_at__isnull=True, challenge__in=challenges
        )
    }
    today = gym_today()
    for challenge in challenges:
        challenge.mine = mine.get(challenge.pk)
        challenge.state = challenge_state(challenge, today)
    return challenges


def challenge_percent(progress: Decimal, target: Decimal) -> int:
    if not target:
        return 0
    return int(min(progress / target * 100, Decimal(100)))


def challenge_unit_label(challenge: Challenge) -> str:
    return challenge.unit or ChallengeType(challenge.type).label


@dataclass(frozen=True)
class Row:
    rank: int
    name: str
    progress: Decimal
    percent: int
    completed: bool
    me: bool


@dataclass(frozen=True)
class Leaderboard:
    rows: list[Row]
    participants: int  # everyone in it, shown or not
    shown: int  # opted in (rows may be cut to LEADERBOARD_SIZE)

    @property
    def hidden(self) -> int:
        return self.participants - self.shown


def challenge_leaderboard(
    *, challenge: Challenge, member=None, limit: int = LEADERBOARD_SIZE
) -> Leaderboard:
    """The opted-in participants, best first; `me` marks the asking member's row. Equal
    progress ranks equal (1, 2, 2, 4) but is listed by who got there first."""
    active = ChallengeParticipant.objects.filter(challenge=challenge, left_at__isnull=True)
    counts = active.aggregate(n=Count("id"), shown=Count("id", filter=Q(on_leaderboard=True)))
    opted = (
        active.filter(on_leaderboard=True)
        .select_related("member")
        .order_by("-progress", F("progress_at").asc(nulls_last=True), "joined_at", "id")[:limit]
    )
    rows, rank, previous = [], 0, None
    for position, participant in enumerate(opted, start=1):
        if participant.progress != previous:
            rank, previous = position, participant.progress
        rows.append(
            Row(
                rank=rank,
                name=member_display_name(participant.member),
                progress=participant.progress,
                percent=challenge_percent(participant.progress, challenge.target),
                completed=participant.completed_at is not None,
                me=member is not None and participant.member_id == member.pk,
            )
        )
    return Leaderboard(rows=rows, participants=counts["n"], shown=counts["shown"])


def challenge_entries(*, participant: ChallengeParticipant) -> QuerySet[ChallengeEntry]:
    return participant.entries.all()


def challenge_list_for_staff(*, state: str = "") -> QuerySet[Challenge]:
    """Every challenge with its counts, newest start first; `state` one of upcoming,
    running, ended, archived, all (empty: all but archived)."""
    today = gym_today()
    rows = Challenge.objects.all()
    if state == "archived":
        rows = rows.filter(archived_at__isnull=False)
    elif state != "all":
        rows = rows.filter(archived_at__isnull=True)
        if state == UPCOMING:
            rows = rows.filter(starts_on__gt=today)
        elif state == RUNNING:
            rows = rows.filter(starts_on__lte=today, ends_on__gte=today)
        elif state == ENDED:
            rows = rows.filter(ends_on__lt=today)
    return _with_counts(rows).order_by("-starts_on", "-id")


def challenge_running_for_member(*, member) -> ChallengeParticipant | None:
    """The member's running challenge that ends soonest (the home card)."""
    today = gym_today()
    return (
        ChallengeParticipant.objects.filter(
            member=member,
            left_at__isnull=True,
            challenge__archived_at__isnull=True,
            challenge__starts_on__lte=today,
            challenge__ends_on__gte=today,
        )
        .select_related("challenge")
        .order_by("challenge__ends_on", "challenge_id")
        .first()
    )
