"""`migrate` is `migrate_schemas` here (django-tenants does the same); the test runner uses it."""

from apps.tenants.management.commands.migrate_schemas import Command  # noqa: F401
