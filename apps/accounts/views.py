"""Staff dashboard: the gym's team (owner and managers add staff, set roles, resend and
revoke invitations); and the page behind an invitation link, where the invited person
chooses a password."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from apps.accounts.forms import StaffCreateForm, StaffRoleForm
from apps.accounts.models import User
from apps.accounts.roles import STAFF_ROLES, Role
from apps.accounts.selectors import latest_invitations, staff_list
from apps.accounts.services import (
    invitation_accept,
    invitation_find,
    invitation_renew,
    invitation_revoke,
    invitation_send,
    user_create,
    user_deactivate,
    user_set_role,
)
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin


def _staff_page(request, form, status=200):
    staff = list(staff_list())
    invitations = latest_invitations(user_ids=[person.pk for person in staff])
    for person in staff:
        person.invitation = invitations.get(person.pk)
        person.invitation_state = person.invitation.state() if person.invitation else None
    return render(
        request, "accounts/staff_list.html", {"staff": staff, "form": form}, status=status
    )


class StaffListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "accounts.manage_staff"

    def get(self, request):
        return _staff_page(request, StaffCreateForm())

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
                invitation_send(user=user, by=request.user)
                messages.success(
                    request,
                    _("%(email)s was added and got an invitation to set a password.")
                    % {"email": user.email},
                )
                return redirect("staff-list")
        return _staff_page(request, form, status=400)


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


class StaffInvitationView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Resend or revoke a colleague's invitation."""

    permission_required = "accounts.manage_staff"

    def post(self, request, pk):
        user = get_object_or_404(User, pk=pk, role__in=STAFF_ROLES)
        try:
            if request.POST.get("action") == "revoke":
                invitation_revoke(user=user, by=request.user)
                messages.success(
                    request,
                    _("The invitation for %(email)s was revoked; its link no longer works.")
                    % {"email": user.email},
                )
            else:
                invitation_send(user=user, by=request.user)
                messages.success(
                    request,
                    _("A new invitation was sent to %(email)s; older links no longer work.")
                    % {"email": user.email},
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("staff-list")


def _after_accept(user: User) -> str:
    return reverse("dashboard-home") if user.role != Role.MEMBER else "/app/"


class InvitationAcceptView(View):
    """The link in an invitation email: choose a password, then in you go."""

    template_name = "accounts/invitation.html"

    def _invalid(self, request, invitation, status=400):
        state = "unknown"
        if invitation is not None:
            state = invitation.state() if invitation.user.is_active else "revoked"
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"state": state, "token": self.kwargs["token"]},
            status=status,
        )

    def get(self, request, token):
        invitation = invitation_find(token=token)
        if invitation is None or invitation.state() != "open" or not invitation.user.is_active:
            return self._invalid(request, invitation, status=404 if invitation is None else 410)
        form = SetPasswordForm(invitation.user)
        return render(request, self.template_name, {"form": form, "invitation": invitation})

    def post(self, request, token):
        invitation = invitation_find(token=token)
        if invitation is None or invitation.state() != "open" or not invitation.user.is_active:
            return self._invalid(request, invitation, status=404 if invitation is None else 410)
        form = SetPasswordForm(invitation.user, request.POST)
        if form.is_valid():
            try:
                user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
            except ApplicationError as exc:
                for error in (exc.details or {}).get("password", [exc.message]):
                    form.add_error("new_password1", error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your password is set. Welcome!"))
                return redirect(_after_accept(user))
        return render(
            request, self.template_name, {"form": form, "invitation": invitation}, status=400
        )


class InvitationRenewView(View):
    """An expired link's "send me a new one"."""

    def post(self, request, token):
        try:
            invitation = invitation_renew(token=token)
        except ApplicationError as exc:
            return render(
                request,
                "accounts/invitation_invalid.html",
                {"state": "renew_refused", "message": exc.message},
                status=400,
            )
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"state": "renewed", "email": invitation.user.email},
        )
