"""One admin site for every host that shows only the models whose tables exist in the
current schema: SHARED_APPS on the platform domain, TENANT_APPS on a gym's domain.

Admin registrations are global while tables are per schema, so without this the platform
admin would list gym models (and crash on them) and vice versa.
"""

from functools import lru_cache, update_wrapper

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import connection
from django.http import Http404


def app_has_tables_here(app_name: str) -> bool:
    entries = settings.SHARED_APPS if connection.schema_name == "public" else settings.TENANT_APPS
    return app_name in _app_names(tuple(entries))


@lru_cache
def _app_names(entries: tuple[str, ...]) -> frozenset[str]:
    """App names for INSTALLED_APPS-style entries, which may name an AppConfig class."""
    names = set()
    for config in apps.get_app_configs():
        full = f"{config.__module__}.{config.__class__.__name__}"
        if config.name in entries or full in entries:
            names.add(config.name)
    return frozenset(names)


class GymAdminSite(admin.AdminSite):
    site_header = "Gym platform"
    site_title = "Gym platform admin"

    def _build_app_dict(self, request, label=None):
        # Private hook, but the one both the index and app pages use to list models.
        app_dict = super()._build_app_dict(request, label)
        if label is not None:
            return app_dict if app_dict and self._label_here(label) else None
        return {key: value for key, value in app_dict.items() if self._label_here(key)}

    def _label_here(self, app_label: str) -> bool:
        return app_has_tables_here(apps.get_app_config(app_label).name)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, admin.ModelAdmin):
            return inner
        app_name = model_admin.model._meta.app_config.name

        def checked(request, *args, **kwargs):
            if not app_has_tables_here(app_name):
                raise Http404
            return inner(request, *args, **kwargs)

        return update_wrapper(checked, inner)


class GymAdminConfig(AdminConfig):
    default_site = "apps.common.admin.GymAdminSite"
