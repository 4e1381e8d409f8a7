"""Members' background work: the gym's member count, and CSV imports. Tasks take ids,
are idempotent and call services."""

import logging

from celery import shared_task
from django.db import DatabaseError, connection
from django_tenants.utils import tenant_context

from apps.members import services
from apps.members.models import Member, MemberStatus
from apps.tenants.models import Gym

logger = logging.getLogger(__name__)


@shared_task
def refresh_gym_stats() -> int:
    """Per gym (schema from the task headers): store the active member count on the Gym
    row, which the platform admin, directory and (later) platform billing read."""
    count = Member.objects.filter(status__in=[MemberStatus.ACTIVE, MemberStatus.TRIAL]).count()
    Gym.objects.filter(schema_name=connection.schema_name).update(active_member_count=count)
    return count


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    max_retries=2,
    default_retry_delay=30,
    # Far below the broker's visibility timeout (1 h). 20,000 rows take a few minutes; a
    # run stopped by the limit resumes after its last chunk (the sweeper queues it again).
    soft_time_limit=1800,
    time_limit=1900,
    name="apps.members.tasks.run_member_import",
)
def run_member_import(self, import_id: int, schema_name: str) -> str:
    """Import one CSV file of members. The gym is set here from `schema_name`, not only
    from the task headers: the rows must land in the gym that uploaded the file."""
    gym = Gym.objects.filter(schema_name=schema_name).exclude(schema_name="public").first()
    if gym is None:
        logger.error("Member import %s queued for unknown schema %r", import_id, schema_name)
        return "no gym"
    with tenant_context(gym):
        done = services.member_import_run(import_id=import_id, task_id=self.request.id or "")
    return done.status if done else "skipped"


@shared_task(name="apps.members.tasks.sweep_member_imports")
def sweep_member_imports() -> int:
    """Per gym: imports that never started or stalled are queued again; old files go."""
    return services.member_imports_sweep()
