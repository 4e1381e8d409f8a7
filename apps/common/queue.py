"""Queueing background work from services: by task name, after commit, in this schema.

Services never import a tasks module (tasks import services): they name the task. The
message goes to the broker only once the current transaction commits (a rolled-back
write queues nothing, and a worker never looks for a row that is not there yet), and it
carries the schema it was queued from in the `_schema_name` header, which
tenant-schemas-celery reads to run the task in that gym.

A broker outage never turns a saved change into an error: the failure is logged and the
row stays as it was written. Each task queued this way therefore has a periodic job that
finds the rows whose work never started and queues them again (billing's
`retry_unprocessed_events` and `push_waiting_charges`, assessments'
`requeue_waiting_attempts`); the task itself must be idempotent.
"""

from __future__ import annotations

import importlib
import logging

from django.db import connection, transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from config.celery import app

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Queue the task `task_name(*args, **kwargs)` when the current transaction commits
    (at once outside a transaction), in the current schema. See the module docstring."""
    schema = connection.schema_name

    def send() -> None:
        task = _task(task_name)
        try:
            task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema})
        except (KombuOperationalError, ConnectionError):
            logger.warning(
                "Could not queue %s%r in %s (broker unreachable); its periodic job queues it again",
                task_name,
                args,
                schema,
            )

    transaction.on_commit(send)


def _task(name: str):
    # A task is named after its module (`apps.billing.tasks.push_charge`). A worker has
    # loaded every tasks module; a web process loads the one it needs here, the first
    # time (not `app.loader.import_default_modules()`: with Django it also runs the
    # system checks).
    if name not in app.tasks:
        importlib.import_module(name.rpartition(".")[0])
    return app.tasks[name]
