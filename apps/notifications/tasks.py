"""Background work of the notifications app (thin: each calls a service)."""

from celery import shared_task

from apps.notifications import services


@shared_task(name="apps.notifications.tasks.send_deliveries")
def send_deliveries(ids: list[int]) -> dict:
    return services.deliveries_send(ids=ids)


@shared_task(name="apps.notifications.tasks.tick")
def tick() -> dict:
    """Every minute, per gym: release deliveries whose wait is over, queue announcements
    whose fan-out never finished, send due reminders, and (on Sunday evenings) the weekly
    summaries."""
    return {
        "released": services.deliveries_release_due(),
        "announcements_requeued": services.announcements_requeue_stale(),
        "reminders": services.reminders_send_due(),
        "weekly_summaries": services.weekly_summaries_send(),
    }


@shared_task(name="apps.notifications.tasks.announcement_fan_out")
def announcement_fan_out(announcement_id: int) -> dict:
    return services.announcement_fan_out(announcement_id=announcement_id)
