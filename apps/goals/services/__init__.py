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
]
