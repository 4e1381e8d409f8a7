"""Staff dashboard page of motivation messages (/dashboard/goals/motivation/): how
helpful members find them per tone and per source (AI or the written library), the
counts, why the library answered, and the AI calls and tokens today against the budget."""

from __future__ import annotations

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import render
from django.views import View

from apps.common.mixins import StaffRequiredMixin
from apps.goals.selectors.motivation import motivation_stats


class MotivationStatsView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "goals.view_motivation"

    def get(self, request):
        return render(request, "goals/staff/motivation.html", {"stats": motivation_stats()})
