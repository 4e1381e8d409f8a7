"""Background work of the goals app: thin tasks that call a service (one section per
part). Each runs in the schema its message carries (`apps.common.queue`)."""

from celery import shared_task

from apps.goals import activity
from apps.goals.services import goals, motivation, streaks

# --- Activity (the door and the class roster) ---


@shared_task(name="apps.goals.tasks.activity_recorded")
def activity_recorded(member_id: int, kind: str, at: str) -> bool:
    """A granted door entry or an attended class, to every listener (challenges, goals)."""
    return activity.activity_run(member_id=member_id, kind=kind, at=at)


# --- Check-ins and streaks ---


@shared_task(name="apps.goals.tasks.streaks_settle")
def streaks_settle() -> int:
    """Per gym (beat fans out hourly): settle day streaks whose days became final."""
    return streaks.streaks_settle_all()


# --- Goals ---


@shared_task(name="apps.goals.tasks.goals_roll_periods")
def goals_roll_periods() -> int:
    """Per gym (beat fans out hourly): settle finished weeks/months of period goals (week
    streaks) and fail goals past their deadline. Idempotent."""
    return goals.goals_roll_periods()


# --- Motivation ---


@shared_task(name="apps.goals.tasks.motivation_for_checkin")
def motivation_for_checkin(checkin_id: int) -> int | None:
    """The message of one check-in (AI or library), once; idempotent."""
    written = motivation.motivation_for_checkin(checkin_id=checkin_id)
    return written.pk if written else None


@shared_task(name="apps.goals.tasks.motivation_morning")
def motivation_morning(member_id: int) -> int | None:
    """The morning message of one member, at most one a local day."""
    written = motivation.motivation_morning(member_id=member_id)
    return written.pk if written else None


@shared_task(name="apps.goals.tasks.motivation_requeue_recent")
def motivation_requeue_recent() -> int:
    """Per gym (beat fans out): re-queue check-ins of the last hour with no message."""
    return motivation.motivation_requeue_recent()
