from django.contrib import admin

from apps.members.models import Member
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
