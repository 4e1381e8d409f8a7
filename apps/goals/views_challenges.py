"""Staff dashboard pages of challenges (under /dashboard/goals/challenges/): the list, the
create and edit form, one challenge with its counts and leaderboard, and archiving. The
rules live in the services; a refusal is shown on the form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.goals.models import Challenge, ChallengeType
from apps.goals.selectors.challenges import (
    challenge_leaderboard,
    challenge_list_for_staff,
    challenge_state,
    challenge_unit_label,
    gym_today,
)
from apps.goals.services.challenges import (
    FIELDS,
    challenge_archive,
    challenge_create,
    challenge_update,
)

STATES = [
    ("", gettext_lazy("Current and past")),
    ("running", gettext_lazy("Running")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("ended", gettext_lazy("Ended")),
    ("archived", gettext_lazy("Archived")),
]


class ChallengeForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    type = forms.ChoiceField(
        label=gettext_lazy("What counts"),
        choices=ChallengeType.choices,
        help_text=gettext_lazy(
            "Visits: days the member came in (door or desk). Classes: classes attended. "
            "Check-ins: days answered 'I went'. Custom total: members enter their own numbers."
        ),
    )
    target = forms.DecimalField(label=gettext_lazy("Target"), max_digits=10, decimal_places=2)
    unit = forms.CharField(
        label=gettext_lazy("Unit (custom total only)"),
        max_length=16,
        required=False,
        help_text=gettext_lazy("km, minutes, push-ups..."),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    prize = forms.CharField(label=gettext_lazy("Prize (optional)"), max_length=200, required=False)


def _form_errors_from(form, exc: ApplicationError) -> None:
    """A service's refusal on the form: per field where it names one, else at the top."""
    for name, errors in (exc.details or {}).items():
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(name if name in form.fields else None, error)
    if not exc.details:
        form.add_error(None, exc.message)


class ChallengeListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "goals.view_challenge"

    def get(self, request):
        state = request.GET.get("state", "")
        if state not in dict(STATES):
            state = ""
        page = Paginator(challenge_list_for_staff(state=state), 50).get_page(
            request.GET.get("page")
        )
        today = gym_today()
        for challenge in page:
            challenge.state = (
                "archived" if challenge.archived_at else challenge_state(challenge, today)
            )
            challenge.unit_label = challenge_unit_label(challenge)
        return render(
            request,
            "goals/staff/challenges_list.html",
            {"page": page, "states": STATES, "state": state},
        )


class ChallengeFormView(StaffRequiredMixin, PermissionRequiredMixin, View):
    def get_permission_required(self):
        return ["goals.change_challenge" if self.kwargs.get("pk") else "goals.add_challenge"]

    def _object(self, pk):
        return get_object_or_404(Challenge, pk=pk) if pk is not None else None

    def _render(self, request, form, obj, status=200):
        return render(
            request,
            "goals/staff/challenges_form.html",
            {"form": form, "object": obj},
            status=status,
        )

    def get(self, request, pk=None):
        obj = self._object(pk)
        if obj is None:
            form = ChallengeForm(initial={"starts_on": gym_today(), "type": "visits"})
        else:
            form = ChallengeForm(initial={f: getattr(obj, f) for f in FIELDS})
        return self._render(request, form, obj)

    def post(self, request, pk=None):
        obj = self._object(pk)
        form = ChallengeForm(request.POST)
        if form.is_valid():
            try:
                if obj is None:
                    saved = challenge_create(data=form.cleaned_data, by=request.user)
                else:
                    saved = challenge_update(challenge=obj, data=form.cleaned_data, by=request.user)
            except ApplicationError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": saved.title})
                return redirect("goals-challenge", pk=saved.pk)
        return self._render(request, form, obj, status=400)


class ChallengeDetailView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "goals.view_challenge"

    def get(self, request, pk):
        challenge = get_object_or_404(challenge_list_for_staff(state="all"), pk=pk)
        challenge.state = "archived" if challenge.archived_at else challenge_state(challenge)
        challenge.unit_label = challenge_unit_label(challenge)
        return render(
            request,
            "goals/staff/challenges_detail.html",
            {"challenge": challenge, "board": challenge_leaderboard(challenge=challenge)},
        )


class ChallengeArchiveView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "goals.change_challenge"

    def post(self, request, pk):
        challenge = get_object_or_404(Challenge, pk=pk)
        challenge_archive(challenge=challenge, by=request.user)
        messages.success(
            request, _("%(name)s archived: members no longer see it.") % {"name": challenge.title}
        )
        return redirect("goals-challenges")
