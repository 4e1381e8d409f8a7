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
from apps.goals.services.goals import (
    body_weight_record,
    goal_archive,
    goal_create,
    goal_entry_add,
    goal_refresh,
    goal_update,
    goals_from_activity,
    goals_refresh_for_member,
    goals_roll_periods,
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
    # --- Goals ---
    "body_weight_record",
    "goal_archive",
    "goal_create",
    "goal_entry_add",
    "goal_refresh",
    "goal_update",
    "goals_from_activity",
    "goals_refresh_for_member",
    "goals_roll_periods",
    # --- Motivation ---
    "motivation_queue_for_checkin",
    "motivation_queue_morning",
    "motivation_rate",
]
