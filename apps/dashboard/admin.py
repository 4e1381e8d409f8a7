from django.contrib import admin

from apps.dashboard.models import SetupSkip


@admin.register(SetupSkip)
class SetupSkipAdmin(admin.ModelAdmin):
    list_display = ["key", "skipped_by", "skipped_at"]
    readonly_fields = ["skipped_at"]
