from celery import shared_task
from django.db import connection

from apps.members.models import Member, MemberStatus
from apps.tenants.models import Gym


@shared_task
def refresh_gym_stats() -> int:
    """Per gym (schema from the task headers): store the active member count on the Gym
    row, which the platform admin, directory and (later) platform billing read."""
    count = Member.objects.filter(status__in=[MemberStatus.ACTIVE, MemberStatus.TRIAL]).count()
    Gym.objects.filter(schema_name=connection.schema_name).update(active_member_count=count)
    return count
