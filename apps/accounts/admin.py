from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Invitation, User
from apps.accounts.roles import Role
from apps.accounts.services import role_change_check, user_set_role
from apps.common.errors import ApplicationError


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "role"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "password1", "password2"],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Gym admins change roles; only operators touch raw superuser/group flags.
            fields += ["is_superuser", "groups", "is_staff"]
        return fields

    def has_change_permission(self, request, obj=None):
        # Only an owner (or an operator) may edit an owner's account.
        if (
            obj is not None
            and obj.role == Role.OWNER
            and not (request.user.is_superuser or request.user.role == Role.OWNER)
        ):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if "role" not in form_class.base_fields:
            return form_class

        class RoleCheckedForm(form_class):
            def clean(self):
                data = super().clean()
                if "role" in self.changed_data or not change:
                    try:
                        role_change_check(user=obj, role=data.get("role"), by=request.user)
                    except ApplicationError as exc:
                        self.add_error("role", exc.message)
                return data

        return RoleCheckedForm

    def save_model(self, request, obj, form, change):
        # The role goes through the service (groups, admin flag); the form checked it.
        new_role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
        super().save_model(request, obj, form, change)
        user_set_role(user=obj, role=new_role, by=request.user)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent, resent and revoked from the team page."""

    list_display = ["user", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_select_related = ["user", "invited_by"]
    search_fields = ["user__email"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
