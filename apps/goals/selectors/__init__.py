"""Reads of the goals app, one module per part, re-exported here."""

from apps.goals.selectors.challenges import (
    challenge_entries,
    challenge_for_member,
    challenge_leaderboard,
    challenge_list_for_member,
    challenge_list_for_staff,
    challenge_percent,
    challenge_running_for_member,
    challenge_state,
    challenge_unit_label,
    member_display_name,
)
from apps.goals.selectors.goals import (
    body_weights_for_member,
    goal_entries,
    goal_for_member,
    goal_list_for_member,
    goal_most_advanced_for_member,
    goal_pace,
    goals_for_staff,
)
from apps.goals.selectors.motivation import (
    motivation_latest,
    motivation_latest_for_member,
    motivation_stats,
)

__all__ = [
    "challenge_entries",
    "challenge_for_member",
    "challenge_leaderboard",
    "challenge_list_for_member",
    "challenge_list_for_staff",
    "challenge_percent",
    "challenge_running_for_member",
    "challenge_state",
    "challenge_unit_label",
    "member_display_name",
    # --- Goals ---
    "body_weights_for_member",
    "goal_entries",
    "goal_for_member",
    "goal_list_for_member",
    "goal_most_advanced_for_member",
    "goal_pace",
    "goals_for_staff",
    # --- Motivation ---
    "motivation_latest",
    "motivation_latest_for_member",
    "motivation_stats",
]
