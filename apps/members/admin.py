from django.contrib import admin

from apps.members.models import Member, MemberImport
from apps.members.services import STAFF_FIELDS, member_create, member_update


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["number", "first_name", "last_name", "email", "status", "tier", "joined_on"]
    list_filter = ["status", "tier", "joined_on"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    raw_id_fields = ["user", "household"]
    readonly_fields = ["number", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        # Admin edits go through the same service as the dashboard and the API.
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in STAFF_FIELDS}
        if change:
            member_update(member=obj, data=data, by=request.user)
        else:
            saved = member_create(data=data, by=request.user, user=form.cleaned_data.get("user"))
            obj.pk, obj.number = saved.pk, saved.number


@admin.register(MemberImport)
class MemberImportAdmin(admin.ModelAdmin):
    """Read-only: imports are made and run from the dashboard (Members > Import members),
    which checks the file and the mapping; here support can see what happened."""

    list_display = [
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["original_name"]
    readonly_fields = [field.name for field in MemberImport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
