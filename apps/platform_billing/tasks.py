"""The platform's background work, in the public schema (where its events live)."""

from celery import shared_task

from apps.billing.tasks import RETRY_DELAYS, retrying
from apps.platform_billing import services


@shared_task(bind=True, acks_late=True, max_retries=len(RETRY_DELAYS))
def process_platform_event(self, event_id: str) -> bool:
    """Process one stored platform Stripe event; an outage (Stripe, the database) is
    retried, a refusal stays on the event row for `retry_unprocessed_platform_events`."""
    return retrying(
        self,
        f"Platform Stripe event {event_id}",
        False,
        services.platform_webhook_event_process,
        event_id=event_id,
    )


@shared_task
def retry_unprocessed_platform_events() -> dict:
    """Stored platform events that did not process (the broker was down when they were
    queued, or they failed past their retries) are processed again, oldest first."""
    return services.platform_events_retry_unprocessed(older_than_minutes=10)
