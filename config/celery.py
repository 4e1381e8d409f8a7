"""Celery app. Tasks carry the gym's schema in their headers (tenant-schemas-celery), so a
task runs in the gym that queued it; periodic jobs fan out per gym."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("gym_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
