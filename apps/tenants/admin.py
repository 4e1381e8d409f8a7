from django.contrib import admin
from django_tenants.admin import TenantAdminMixin

from apps.tenants.models import Domain, Gym
from apps.tenants.services import gym_update_settings


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Gym)
class GymAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "is_active", "active_member_count", "created_at"]
    list_filter = ["is_active", "currency", "default_language"]
    search_fields = ["name", "slug", "contact_email"]
    readonly_fields = ["schema_name", "slug", "active_member_count", "created_at"]
    inlines = [DomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public")

    def save_model(self, request, obj, form, change):
        gym_update_settings(gym=obj)

    def has_add_permission(self, request):
        # New gyms are provisioned by the signup flow (template clone + owner), not here.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting drops the gym's schema and all its data: deactivate instead.
        return False
