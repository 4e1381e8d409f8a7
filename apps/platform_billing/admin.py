from django.contrib import admin

from apps.platform_billing.models import (
    ConnectedAccount,
    GymSubscription,
    PlatformPlan,
    PlatformWebhookEvent,
)


@admin.register(PlatformPlan)
class PlatformPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "max_active_members", "price_minor", "currency", "active", "price"]
    raw_id_fields = ["price"]


@admin.register(GymSubscription)
class GymSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["gym", "plan", "status", "trial_ends_at", "lapsed_since", "subscription"]
    list_filter = ["status"]
    raw_id_fields = ["gym", "subscription"]


@admin.register(PlatformWebhookEvent)
class PlatformWebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    """Which gym each Stripe Connect account belongs to (written when a gym connects)."""

    list_display = ["account_id", "gym", "created_at", "updated_at"]
    search_fields = ["account_id", "gym__slug"]
    raw_id_fields = ["gym"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
