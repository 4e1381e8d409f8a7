"""Staff dashboard: the gym's team (owner and managers add staff and set roles)."""

from allauth.account.forms import ResetPasswordForm
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from apps.accounts.forms import StaffCreateForm, StaffRoleForm
from apps.accounts.models import User
from apps.accounts.roles import STAFF_ROLES
from apps.accounts.selectors import staff_list
from apps.accounts.services import user_create, user_deactivate, user_set_role
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin


class StaffListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "accounts.manage_staff"

    def get(self, request):
        return render(
            request, "accounts/staff_list.html", {"staff": staff_list(), "form": StaffCreateForm()}
        )

    def post(self, request):
        form = StaffCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = user_create(
                    email=data["email"],
                    password=None,
                    full_name=data["full_name"],
                    role=data["role"],
                    by=request.user,
                )
            except ApplicationError as exc:
                form.add_error("email" if "email" in exc.details else "role", exc.message)
            else:
                # The new colleague chooses a password through the reset email.
                reset = ResetPasswordForm(data={"email": user.email})
                if reset.is_valid():
                    reset.save(request)
                messages.success(
                    request,
                    _("%(email)s was added and got an email to set a password.")
                    % {"email": user.email},
                )
                return redirect("staff-list")
        return render(
            request, "accounts/staff_list.html", {"staff": staff_list(), "form": form}, status=400
        )


class StaffRoleView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "accounts.manage_staff"

    def post(self, request, pk):
        user = get_object_or_404(User, pk=pk, role__in=STAFF_ROLES)
        form = StaffRoleForm(request.POST)
        action = request.POST.get("action")
        try:
            if action == "deactivate":
                user_deactivate(user=user, by=request.user)
                messages.success(
                    request, _("%(email)s can no longer log in.") % {"email": user.email}
                )
            elif form.is_valid():
                user_set_role(user=user, role=form.cleaned_data["role"], by=request.user)
                messages.success(request, _("Role changed."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("staff-list")
