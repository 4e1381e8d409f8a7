"""Member web app pages of goals (under /app/goals/): the member's goals with progress,
status, pace and week streak, a new-goal form, one goal with its entries and an entry
form, archiving, and the body-weight log. The same selectors and services as the API:
the rules live there."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from apps.common.errors import ApplicationError
from apps.goals import units
from apps.goals.models import Goal, GoalStatus, GoalType, Period
from apps.goals.selectors.goals import (
    body_weights_for_member,
    goal_entries,
    goal_for_member,
    goal_list_for_member,
    goal_most_advanced_for_member,
)
from apps.goals.services.goals import (
    body_weight_record,
    goal_archive,
    goal_create,
    goal_entry_add,
)
from apps.portal.mixins import MemberRequiredMixin

DATE = forms.DateInput(attrs={"type": "date"})
WEIGHT_UNITS = [("kg", "kg"), ("lb", "lb")]


class GoalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=GoalType.choices)
    period = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[("", gettext_lazy("(not counted per period)")), *Period.choices],
        required=False,
        help_text=gettext_lazy("For visits, classes, volume and endurance."),
    )
    target = forms.DecimalField(label=gettext_lazy("Target"), max_digits=10, decimal_places=2)
    unit = forms.CharField(
        label=gettext_lazy("Unit"),
        max_length=16,
        required=False,
        help_text=gettext_lazy("kg or lb, min or km, or your own word for a custom goal."),
    )
    start_value = forms.DecimalField(
        label=gettext_lazy("Where you start"), max_digits=10, decimal_places=2, required=False
    )
    exercise = forms.CharField(
        label=gettext_lazy("Exercise (strength goals)"), max_length=80, required=False
    )
    deadline = forms.DateField(label=gettext_lazy("Deadline"), required=False, widget=DATE)


class EntryForm(forms.Form):
    value = forms.DecimalField(label=gettext_lazy("Value"), max_digits=10, decimal_places=2)
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=16, required=False)
    on = forms.DateField(label=gettext_lazy("Day"), required=False, widget=DATE)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class BodyWeightForm(forms.Form):
    weight = forms.DecimalField(label=gettext_lazy("Weight"), max_digits=6, decimal_places=2)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), choices=WEIGHT_UNITS)
    on = forms.DateField(label=gettext_lazy("Day"), required=False, widget=DATE)


def _errors_into(form: forms.Form, exc: ApplicationError) -> None:
    """A service refusal shown on the form: on its field when the form has it."""
    for field, errors in (exc.details or {}).items():
        form.add_error(field if field in form.fields else None, errors)
    if not exc.details:
        form.add_error(None, exc.message)


def _list(request, member, form=None, status: int = 200):
    wanted = request.GET.get("status") or None
    if wanted not in (None, *GoalStatus.values):
        wanted = None
    context = {
        "goals": goal_list_for_member(member=member, status=wanted),
        "statuses": GoalStatus.choices,
        "wanted": wanted,
        "form": form or GoalForm(),
    }
    return render(request, "goals/member/goals_list.html", context, status=status)


class GoalListView(MemberRequiredMixin, View):
    def get(self, request):
        return _list(request, self.member)

    def post(self, request):
        form = GoalForm(request.POST)
        if form.is_valid():
            try:
                goal = goal_create(member=self.member, data=form.cleaned_data)
            except ApplicationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("Goal set. Progress counts from today."))
                return redirect("member-goal", pk=goal.pk)
        return _list(request, self.member, form=form, status=400)


def _detail(request, member, pk, form=None, status: int = 200):
    goal = goal_for_member(member=member, pk=int(pk))
    if goal is None:
        raise Http404
    context = {
        "goal": goal,
        "entries": goal_entries(goal=goal)[:100],
        "entry_form": form or EntryForm(initial={"unit": goal.unit}),
    }
    return render(request, "goals/member/goals_detail.html", context, status=status)


class GoalDetailView(MemberRequiredMixin, View):
    def get(self, request, pk):
        return _detail(request, self.member, pk)


class EntryView(MemberRequiredMixin, View):
    def post(self, request, pk):
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                goal_entry_add(goal=Goal(pk=int(pk)), member=self.member, **form.cleaned_data)
            except ApplicationError as exc:
                if exc.status_code == 404:
                    raise Http404 from exc
                _errors_into(form, exc)
            else:
                messages.success(request, _("Added."))
                return redirect("member-goal", pk=pk)
        return _detail(request, self.member, pk, form=form, status=400)


class ArchiveView(MemberRequiredMixin, View):
    def post(self, request, pk):
        try:
            goal_archive(goal=Goal(pk=int(pk)), member=self.member)
        except ApplicationError as exc:
            raise Http404 from exc
        messages.success(request, _("Goal archived."))
        return redirect("member-goals")


def _weights(request, member, form=None, status: int = 200):
    unit = _weight_unit(member)
    rows = list(body_weights_for_member(member=member, limit=60))
    for row in rows:
        row.shown = units.from_kg(row.weight_kg, unit)  # stored in kg, shown in theirs
    context = {
        "weights": rows,
        "unit": unit,
        "form": form or BodyWeightForm(initial={"unit": unit}),
    }
    return render(request, "goals/member/body_weight.html", context, status=status)


def _weight_unit(member) -> str:
    # No settings row yet (RelatedObjectDoesNotExist is an AttributeError): kg.
    return getattr(getattr(member, "goal_settings", None), "weight_unit", "kg")


class BodyWeightView(MemberRequiredMixin, View):
    def get(self, request):
        return _weights(request, self.member)

    def post(self, request):
        form = BodyWeightForm(request.POST)
        if form.is_valid():
            try:
                body_weight_record(member=self.member, **form.cleaned_data)
            except ApplicationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("Weight saved."))
                return redirect("member-body-weight")
        return _weights(request, self.member, form=form, status=400)


def home_card(member) -> dict | None:
    """The member's active goal closest to done, with its progress and pace."""
    goal = goal_most_advanced_for_member(member=member)
    if goal is None:
        return None
    return {
        "goal": goal,
        "url": reverse("member-goal", kwargs={"pk": goal.pk}),
    }
