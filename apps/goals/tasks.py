"""Background work of the goals app (thin: each task calls a service), one section per part."""

from celery import shared_task

from apps.goals.services.goals import goals_roll_periods as _goals_roll_periods

# --- Goals ---


@shared_task
def goals_roll_periods() -> int:
    """Per gym (schema from the task headers; beat fans out hourly): settle finished
    weeks/months of period goals and fail goals past their deadline. Idempotent."""
    return _goals_roll_periods()
