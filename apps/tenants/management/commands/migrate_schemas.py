"""migrate_schemas that also keeps the public tenant, the template schema and the role
groups current.

New gyms are cloned from the template, so it must carry every migration (and every role
group) that the gyms carry.
"""

from django.conf import settings
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import schema_context

from apps.accounts.roles import roles_sync_groups
from apps.tenants.models import Gym
from apps.tenants.services import public_tenant_ensure
from apps.tenants.template_schema import template_schema_create_if_missing


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if self.sync_public:
            public_tenant_ensure()
        if not self.sync_tenant:
            return
        schemas = [options["schema_name"]] if options.get("schema_name") else None
        if schemas is None:
            # A full run: migrate the template like a gym.
            template_schema_create_if_missing()
            executor = get_executor(codename=self.executor)(self.args, self.options)
            executor.run_migrations(tenants=[settings.TENANT_BASE_SCHEMA])
            schemas = [
                settings.TENANT_BASE_SCHEMA,
                *Gym.objects.exclude(schema_name="public").values_list("schema_name", flat=True),
            ]
        for schema in schemas:
            if schema != "public":
                with schema_context(schema):
                    roles_sync_groups()
