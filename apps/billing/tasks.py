from celery import shared_task

from apps.billing.services import billing_enforce_grace


@shared_task
def enforce_grace_period() -> int:
    """Per gym (schema from the task headers): members whose payment is overdue past the
    grace period get `payment_overdue` (the door denies them). Idempotent."""
    return billing_enforce_grace()
