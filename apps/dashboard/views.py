from django.shortcuts import redirect, render
from django.views import View

from apps.common.mixins import StaffRequiredMixin
from apps.members.selectors import member_list, member_status_counts


class HomeView(StaffRequiredMixin, View):
    def get(self, request):
        return render(
            request,
            "dashboard/home.html",
            {
                "status_counts": member_status_counts(),
                "recent_members": member_list().order_by("-created_at")[:8],
            },
        )


def root(request):
    """Staff land on the dashboard, members in the member web app; anyone else gets the
    gym's welcome page (log in, the apps)."""
    if request.user.is_authenticated and request.user.is_gym_staff:
        return redirect("dashboard-home")
    if request.user.is_authenticated:
        return redirect("portal-home")
    return render(request, "dashboard/welcome.html")
