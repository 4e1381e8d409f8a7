from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.assessments.models import Attempt, AuditEvent, QuotaBlock
from apps.assessments.services import block_lift


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["id", "member", "test_id", "status", "bucket", "confidence", "created_at"]
    list_filter = ["status", "bucket", "test_id", "created_at"]
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    raw_id_fields = ["member", "submitted_by"]
    # Results come from the pipeline only; admin shows them.
    readonly_fields = [
        "member", "test_id", "catalogue_version", "video", "video_info", "status", "reason_code",
        "reason_detail", "result", "bucket", "confidence", "runs", "submitted_by", "created_at",
        "started_at", "finished_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False


@admin.register(QuotaBlock)
class QuotaBlockAdmin(admin.ModelAdmin):
    list_display = ["member", "reason", "created_at", "until", "lifted_at", "lifted_by"]
    list_filter = ["reason", "created_at"]
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    readonly_fields = ["member", "reason", "created_at", "until", "lifted_at", "lifted_by"]
    actions = ["lift"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Lift the selected blocks"), permissions=["change"])
    def lift(self, request, queryset):
        for block in queryset:
            block_lift(block=block, by=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["event", "member", "attempt", "created_at"]
    list_filter = ["event", "created_at"]
    raw_id_fields = ["member", "attempt", "actor"]
    readonly_fields = ["event", "member", "attempt", "actor", "data", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
