"""The `migrate` that django-tenants runs in each schema (TENANT_BASE_MIGRATE_COMMAND).

In a gym's schema (and the template), migrations of apps whose tables live only in the
public schema create nothing: Django runs them anyway, with the router skipping their SQL,
and still renders every model state they touch. dj-stripe's took 115 s that way on the
template (the same as in public, for no table). Here they are recorded as applied first,
which is what Django's run would have left in `django_migrations`, in a fraction of a second.
"""

from django.apps import apps
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from apps.common.admin import app_has_tables_here


def public_only_migrations_record(connection) -> list[tuple[str, str]]:
    """Record, in the current (gym) schema, the public-only apps' migrations whose
    dependencies are applied (in the graph's order); returns what it recorded."""
    if connection.schema_name == "public":
        return []
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    recorder = MigrationRecorder(connection)
    recorded = []
    for key in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(key):
            if node in applied or app_has_tables_here(apps.get_app_config(node[0]).name):
                continue
            if all(parent in applied for parent in loader.graph.node_map[node].parents):
                recorder.record_applied(*node)
                applied.add(node)
                recorded.append(node)
    return [(app, name) for app, name in recorded]


class Command(MigrateCommand):
    def handle(self, *args, **options):
        public_only_migrations_record(connections[options["database"]])
        return super().handle(*args, **options)
