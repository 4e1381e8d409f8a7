"""Member web app pages of motivation messages (under /app/motivation/): the latest
messages with helpful / not helpful buttons, and the home card with the newest one. The
same selectors and service as the API."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from apps.common.errors import ApplicationError
from apps.goals.selectors.motivation import motivation_latest, motivation_latest_for_member
from apps.goals.services.motivation import motivation_rate
from apps.portal.mixins import MemberRequiredMixin


class MotivationListView(MemberRequiredMixin, View):
    def get(self, request):
        rows = motivation_latest_for_member(member=self.member)
        return render(request, "goals/member/motivation_list.html", {"motivations": rows})


class RateView(MemberRequiredMixin, View):
    def post(self, request, pk):
        choice = request.POST.get("helpful")
        if choice not in ("1", "0"):
            messages.error(request, _("Choose helpful or not helpful."))
            return redirect("member-motivation")
        try:
            motivation_rate(member=self.member, motivation_id=pk, helpful=choice == "1")
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise Http404 from exc
            raise
        messages.success(request, _("Thanks, that helps us pick better messages."))
        return redirect("member-motivation")


def home_card(member) -> dict | None:
    """The newest message, if any."""
    latest = motivation_latest(member=member)
    if latest is None:
        return None
    return {
        "text": latest.text,
        "created_at": latest.created_at,
        "url": reverse("member-motivation"),
    }
