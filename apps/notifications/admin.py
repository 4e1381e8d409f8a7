"""Admin for notifications: history is read-only (deliveries, notifications); devices can
be removed; preferences and suppressions can be corrected by hand. Reminders are read-only:
their next occurrence is computed by services.reminder_set, which an edit here would skip
(a changed time would keep the old `next_at`); they are changed by what made them (a
booking, an attempt)."""

from django.contrib import admin

from apps.notifications.models import (
    Announcement,
    Delivery,
    Device,
    EmailSuppression,
    Notification,
    Preference,
    Reminder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "device", "status", "attempts", "error", "not_before", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "member", "user", "created_at", "read_at"]
    list_filter = ["category", "kind"]
    search_fields = ["title", "member__first_name", "member__last_name", "user__email"]
    list_select_related = ["member", "user"]
    raw_id_fields = ["member", "user"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["notification", "channel", "status", "attempts", "error", "sent_at"]
    list_filter = ["channel", "status"]
    list_select_related = ["notification"]
    raw_id_fields = ["notification", "device"]
    exclude = ["payload"]


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "member", "user", "created_at", "last_used_at"]
    list_filter = ["kind"]
    list_select_related = ["member", "user"]
    raw_id_fields = ["member", "user"]
    # The subscription's keys are secrets of the browser that made them.
    exclude = ["p256dh", "auth", "token"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "quiet_start", "quiet_end", "updated_at"]
    raw_id_fields = ["member", "user"]


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(admin.ModelAdmin):
    list_display = ["address", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["address"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = [
        "kind", "member", "user", "local_time", "weekdays", "on_date", "time_zone", "next_at",
        "active", "last_sent_at",
    ]  # fmt: skip
    list_filter = ["kind", "active"]
    search_fields = ["source", "member__email", "user__email"]
    raw_id_fields = ["member", "user"]


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["title", "segment", "recipient_count", "status", "created_by", "created_at"]
    list_filter = ["segment", "status"]
