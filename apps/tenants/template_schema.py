"""The template schema new gyms are cloned from (settings.TENANT_BASE_SCHEMA)."""

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import schema_context, schema_exists

from apps.common.admin import app_has_tables_here


def template_schema_create_if_missing() -> bool:
    """Create the empty template schema; `migrate_schemas` then migrates it like a gym."""
    name = settings.TENANT_BASE_SCHEMA
    if schema_exists(name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    return True


def template_schema_missing_migrations() -> list[str]:
    """Gym-app migrations in the code that the template has not applied yet.

    django-tenants only *fakes* migrations on a cloned schema, so cloning a template that
    is behind the code would record migrations as applied without creating their tables.
    """
    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    with schema_context(settings.TENANT_BASE_SCHEMA):
        applied = set(MigrationRecorder(connection).applied_migrations())
        wanted = {key for key in on_disk if app_has_tables_here(apps.get_app_config(key[0]).name)}
    return sorted(f"{app}.{name}" for app, name in wanted - applied)
