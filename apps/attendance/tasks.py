from celery import shared_task

from apps.attendance.services import visits_auto_checkout


@shared_task
def auto_checkout() -> int:
    """Per gym (schema from the task headers; beat fans out): end visits nobody scanned
    out of after the gym's automatic-checkout hours. Idempotent."""
    return visits_auto_checkout()
