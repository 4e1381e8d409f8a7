"""Celery app. Tasks carry the gym's schema in their headers (tenant-schemas-celery), so a
task runs in the gym that queued it; periodic jobs fan out per gym."""

from tenant_schemas_celery.app import CeleryApp

# No default settings module: a worker or beat must be told (DJANGO_SETTINGS_MODULE), so
# it never runs development settings by accident. `make run` and docker set it.

app = CeleryApp("gym_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
