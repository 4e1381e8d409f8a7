"""Background work of the goals app: thin tasks that call a service (one section per
part). Each runs in the schema its message carries (`apps.common.queue`)."""

from celery import shared_task

from apps.goals.services import goals

# --- Goals ---


@shared_task(name="apps.goals.tasks.goals_roll_periods")
def goals_roll_periods() -> int:
    """Per gym (beat fans out hourly): settle finished weeks/months of period goals (week
    streaks) and fail goals past their deadline. Idempotent."""
    return goals.goals_roll_periods()
