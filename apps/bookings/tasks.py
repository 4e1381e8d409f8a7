"""Periodic class jobs. Beat queues `apps.tenants.tasks.fan_out` with one of these names;
each then runs once per gym with that gym's schema in its headers. All are idempotent."""

from celery import shared_task

from apps.bookings.services import (
    no_shows_mark_due,
    sessions_generate,
    waitlists_close_due,
)


@shared_task
def generate_sessions() -> int:
    """Publish the rolling timetable (the policy's weeks ahead) from the schedules."""
    return sessions_generate()


@shared_task
def mark_no_shows() -> int:
    """Where the gym opted in, unmarked places of finished classes become no-shows."""
    return no_shows_mark_due()


@shared_task
def close_waitlists() -> int:
    """Past the waitlist cutoff, members still waiting are taken off it and told."""
    return waitlists_close_due()
