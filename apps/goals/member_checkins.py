"""Member web app page of the daily check-in (under /app/check-in/): "Did you go today?"
with mood, energy and a reflection, yesterday while it is open, the streak, habit
strength and the last 14 days. The same selectors and services as the API."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from apps.common.errors import ApplicationError
from apps.goals.models import CheckInStatus
from apps.goals.selectors.checkins import checkin_days_for_member, checkin_today, streak_read
from apps.goals.services.checkins import MAX_REFLECTION, checkin_answer
from apps.portal.mixins import MemberRequiredMixin

SCALE = [(n, str(n)) for n in range(1, 6)]


class CheckInForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Did you go today?"), choices=CheckInStatus.choices
    )
    on = forms.DateField(required=False, widget=forms.HiddenInput)
    mood = forms.TypedChoiceField(
        label=gettext_lazy("Mood"), choices=SCALE, coerce=int, required=False, empty_value=None
    )
    energy = forms.TypedChoiceField(
        label=gettext_lazy("Energy"), choices=SCALE, coerce=int, required=False, empty_value=None
    )
    reflection = forms.CharField(
        label=gettext_lazy("Reflection"),
        max_length=MAX_REFLECTION,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _page(request, member, form=None, status: int = 200):
    context = {
        "today": checkin_today(member=member),
        "streak": streak_read(member=member),
        "days": checkin_days_for_member(member=member),
        "form": form,
    }
    return render(request, "goals/member/checkin.html", context, status=status)


class CheckInView(MemberRequiredMixin, View):
    def get(self, request):
        return _page(request, self.member)

    def post(self, request):
        form = CheckInForm(request.POST)
        if not form.is_valid():
            return _page(request, self.member, form=form, status=400)
        try:
            checkin_answer(member=self.member, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return _page(request, self.member, form=form, status=error.status_code)
        messages.success(request, _("Saved. See you tomorrow!"))
        return redirect("member-checkin")


def home_card(member) -> dict | None:
    return {"today": checkin_today(member=member), "streak": streak_read(member=member)}
