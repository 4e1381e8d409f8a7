"""The template schema new gyms are cloned from (settings.TENANT_BASE_SCHEMA)."""

from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_exists


def template_schema_create_if_missing() -> bool:
    """Create the empty template schema; `migrate_schemas` then migrates it like a gym."""
    name = settings.TENANT_BASE_SCHEMA
    if schema_exists(name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    return True
