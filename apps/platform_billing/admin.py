from django.contrib import admin

from apps.platform_billing.models import GymSubscription, PlatformPlan, PlatformWebhookEvent


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
