"""Writes of the goals app, one module per part, re-exported here."""

from apps.goals.services.challenges import (
    challenge_archive,
    challenge_create,
    challenge_entry_add,
    challenge_join,
    challenge_leaderboard_set,
    challenge_leave,
    challenge_update,
    challenges_from_activity,
    challenges_refresh_for_member,
)
from apps.goals.services.motivation import (
    motivation_queue_for_checkin,
    motivation_queue_morning,
    motivation_rate,
)

__all__ = [
    "challenge_archive",
    "challenge_create",
    "challenge_entry_add",
    "challenge_join",
    "challenge_leaderboard_set",
    "challenge_leave",
    "challenge_update",
    "challenges_from_activity",
    "challenges_refresh_for_member",
    "motivation_queue_for_checkin",
    "motivation_queue_morning",
    "motivation_rate",
]
