from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views import View

from apps.accounts.roles import ADMIN_ROLES
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.dashboard.selectors import setup_checklist, setup_open_count
from apps.dashboard.services import setup_step_skip
from apps.members.selectors import member_list, member_status_counts


def _runs_the_gym(user) -> bool:
    return user.role in ADMIN_ROLES or user.is_superuser


class HomeView(StaffRequiredMixin, View):
    def get(self, request):
        context = {
            "status_counts": member_status_counts(),
            "recent_members": member_list().order_by("-created_at")[:8],
        }
        if _runs_the_gym(request.user):
            steps = setup_checklist()
            context["setup_steps"] = steps
            context["setup_open"] = setup_open_count(steps)
        return render(request, "dashboard/home.html", context)


class SetupSkipView(StaffRequiredMixin, View):
    """Skip a set-up step that does not apply to this gym, or bring it back."""

    def post(self, request, key):
        if not _runs_the_gym(request.user):
            raise PermissionDenied
        try:
            setup_step_skip(key=key, by=request.user, skip=request.POST.get("undo") != "1")
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("dashboard-home")


def root(request):
    """Staff land on the dashboard, members in the member web app; anyone else gets the
    gym's welcome page (log in, the apps)."""
    if request.user.is_authenticated and request.user.is_gym_staff:
        return redirect("dashboard-home")
    if request.user.is_authenticated:
        return redirect("portal-home")
    return render(request, "dashboard/welcome.html")
