"""Billing's background work. Tasks take ids and are idempotent.

Services queue them by name (apps.common.queue.enqueue_on_commit); this module calls
the services.
"""

import logging

from celery import shared_task
from django.db import OperationalError, connection
from django_tenants.utils import get_public_schema_name

from apps.billing import services
from apps.common.errors import ApplicationError

logger = logging.getLogger(__name__)
RETRY_DELAYS = [10, 60, 300, 1800, 7200]  # seconds; Stripe itself retries for 3 days


@shared_task(bind=True, acks_late=True, max_retries=len(RETRY_DELAYS))
def process_webhook_event(self, event_id: str) -> bool:
    """Process one stored Stripe event (schema from the task headers). A duplicate or an
    already processed event is a no-op; a transient failure (Stripe unreachable, database)
    is retried; a permanent one stays on the event row for `billing_replay`."""
    if connection.schema_name == get_public_schema_name():
        # Queued without the `_schema_name` header: there is no gym to process it in (the
        # event stays stored; the gym's `retry_unprocessed_events` picks it up).
        logger.error("Stripe event %s queued without a gym schema; not processed", event_id)
        return False
    return retrying(
        self, f"Stripe event {event_id}", False, services.webhook_event_process, event_id=event_id
    )


def retrying(task, what: str, refused, func, **kwargs):
    """Run a service for a bound task: an outage (Stripe or the provider answering 5xx,
    the database) is retried after RETRY_DELAYS; any other refusal is logged and answered
    with `refused` (the row keeps what happened)."""
    try:
        return func(**kwargs)
    except ApplicationError as exc:
        if exc.status_code >= 500 and task.request.retries < task.max_retries:
            raise task.retry(countdown=RETRY_DELAYS[task.request.retries]) from exc
        logger.warning("%s not processed: %s", what, exc.message)
        return refused
    except OperationalError as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(countdown=RETRY_DELAYS[task.request.retries]) from exc
        raise


@shared_task
def enforce_grace_period() -> int:
    """Per gym: members whose payment is overdue past the grace period get
    `payment_overdue` (the door denies them). Idempotent."""
    return services.billing_enforce_grace()


@shared_task
def retry_unprocessed_events() -> dict:
    """Per gym: stored events that did not process (a bug, an outage beyond the retries)
    are tried again, oldest first."""
    return services.webhook_events_replay(only_failed=True, older_than_minutes=10)


@shared_task(bind=True, acks_late=True, max_retries=len(RETRY_DELAYS))
def push_charge(self, charge_id: int) -> str:
    """Send one charge to Stripe, or take it back (schema from the task headers).
    Idempotent; an outage is retried, and `push_waiting_charges` catches what is left."""
    charge = retrying(self, f"Charge {charge_id}", None, services.charge_push, charge_id=charge_id)
    return charge.status if charge is not None else "error"


@shared_task
def push_waiting_charges() -> int:
    """Per gym: charges left waiting by an outage (broker or Stripe) are sent again."""
    return services.charges_push_waiting()
