"""Admin for the door. Writes that carry rules (kiosk tokens, card codes, check-ins) go
through the services; everything else is read-only history."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.attendance.models import (
    DeniedAttempt,
    DoorSettings,
    Kiosk,
    MemberPass,
    ScanReceipt,
    Visit,
)
from apps.attendance.services import door_settings_update, kiosk_register, kiosk_revoke
from apps.common.admin import app_has_tables_here


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    list_display = ["name", "mode", "created_at", "last_seen_at", "revoked_at"]
    list_filter = ["mode"]
    fields = ["name", "mode", "allowed_tiers", "created_at", "last_seen_at", "revoked_at"]
    readonly_fields = ["created_at", "last_seen_at", "revoked_at"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        # Name and mode are set once; a changed kiosk is a new kiosk (a new token).
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        kiosk, token = kiosk_register(
            name=form.cleaned_data["name"],
            mode=form.cleaned_data["mode"],
            allowed_tiers=form.cleaned_data.get("allowed_tiers"),
            by=request.user,
        )
        obj.pk = kiosk.pk
        messages.warning(
            request,
            _("Kiosk token (shown only now, copy it to the kiosk): %(token)s") % {"token": token},
        )

    @admin.action(description=_("Revoke the selected kiosks"), permissions=["change"])
    def revoke(self, request, queryset):
        for kiosk in queryset:
            kiosk_revoke(kiosk=kiosk, by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["member", "entered_at", "exited_at", "method", "exit_method", "kiosk"]
    list_filter = ["method", "exit_method", "entered_at"]
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    date_hierarchy = "entered_at"
    list_select_related = ["member", "kiosk"]


@admin.register(DeniedAttempt)
class DeniedAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "reason", "member", "kiosk", "code_presented"]
    list_filter = ["reason", "at"]
    list_select_related = ["member", "kiosk"]


@admin.register(MemberPass)
class MemberPassAdmin(ReadOnlyAdmin):
    list_display = ["member", "card_serial", "card_issued_at", "card_revoked_at", "created_at"]
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    exclude = ["secret"]


@admin.register(ScanReceipt)
class ScanReceiptAdmin(ReadOnlyAdmin):
    list_display = ["kiosk", "key", "created_at"]


@admin.register(DoorSettings)
class DoorSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "anti_passback", "auto_checkout_hours", "capacity"]

    def has_add_permission(self, request):
        # Asked while the platform admin (public schema: no such table) lists its apps.
        if not app_has_tables_here("apps.attendance"):
            return False
        return not DoorSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data}
        saved = door_settings_update(data=data, by=request.user)
        obj.pk = saved.pk
