"""Run a periodic job in every gym: beat queues `fan_out`, which queues one task per gym
with that gym's schema in the task headers."""

from celery import shared_task
from django.db import connection

from apps.tenants.models import Gym
from config.celery import app


@shared_task
def fan_out(task_name: str) -> int:
    connection.set_schema_to_public()
    # Registers every app's tasks module where no worker start has done it (eager runs).
    app.loader.import_default_modules()
    task = app.tasks[task_name]
    schemas = list(
        Gym.objects.filter(is_active=True)
        .exclude(schema_name="public")
        .values_list("schema_name", flat=True)
    )
    for schema in schemas:
        task.apply_async(headers={"_schema_name": schema})
    return len(schemas)
