"""Member web app pages of challenges (under /app/challenges/): the running and upcoming
challenges with join and leave, one challenge with the member's progress, the opt-in
leaderboard, the leaderboard choice and, for custom totals, an entry form. The same
selectors and services as the API: the rules live there."""

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
from apps.goals.models import Challenge, ChallengeType
from apps.goals.selectors.challenges import (
    challenge_for_member,
    challenge_leaderboard,
    challenge_list_for_member,
    challenge_percent,
    challenge_running_for_member,
    challenge_unit_label,
)
from apps.goals.services.challenges import (
    challenge_entry_add,
    challenge_join,
    challenge_leaderboard_set,
    challenge_leave,
)
from apps.portal.mixins import MemberRequiredMixin


class EntryForm(forms.Form):
    value = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=10, decimal_places=2, min_value=0.01
    )
    on = forms.DateField(
        label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _decorate(challenge: Challenge) -> Challenge:
    challenge.unit_label = challenge_unit_label(challenge)
    if challenge.mine is not None:
        challenge.mine.percent = challenge_percent(challenge.mine.progress, challenge.target)
    return challenge


class ChallengeListView(MemberRequiredMixin, View):
    def get(self, request):
        rows = [_decorate(c) for c in challenge_list_for_member(member=self.member)]
        return render(request, "goals/member/challenges_list.html", {"challenges": rows})


def _detail(request, member, pk: int, form=None, status: int = 200):
    challenge = challenge_for_member(member=member, pk=int(pk))
    if challenge is None:
        raise Http404
    _decorate(challenge)
    context = {
        "challenge": challenge,
        "board": challenge_leaderboard(challenge=challenge, member=member),
        "entry_form": form or EntryForm(),
        "custom": challenge.type == ChallengeType.CUSTOM,
    }
    return render(request, "goals/member/challenges_detail.html", context, status=status)


class ChallengeDetailView(MemberRequiredMixin, View):
    def get(self, request, pk):
        return _detail(request, self.member, pk)


def _said(request, member, exc: ApplicationError, pk):
    """A refusal as a message on the challenge's page; 404 when there is no such page
    (another gym's id, an archived challenge)."""
    if exc.status_code == 404 and challenge_for_member(member=member, pk=int(pk)) is None:
        raise Http404 from exc
    messages.error(request, exc.message)
    return redirect("member-challenge", pk=pk)


class JoinView(MemberRequiredMixin, View):
    def post(self, request, pk):
        try:
            challenge_join(
                challenge=Challenge(pk=int(pk)),
                member=self.member,
                on_leaderboard=request.POST.get("on_leaderboard") == "1",
            )
        except ApplicationError as exc:
            return _said(request, self.member, exc, pk)
        messages.success(request, _("You are in. Your progress counts itself."))
        return redirect("member-challenge", pk=pk)


class LeaveView(MemberRequiredMixin, View):
    def post(self, request, pk):
        try:
            challenge_leave(challenge=Challenge(pk=int(pk)), member=self.member)
        except ApplicationError as exc:
            return _said(request, self.member, exc, pk)
        messages.success(request, _("You have left the challenge."))
        return redirect("member-challenge", pk=pk)


class LeaderboardChoiceView(MemberRequiredMixin, View):
    def post(self, request, pk):
        shown = request.POST.get("on_leaderboard") == "1"
        try:
            challenge_leaderboard_set(
                challenge=Challenge(pk=int(pk)), member=self.member, on_leaderboard=shown
            )
        except ApplicationError as exc:
            return _said(request, self.member, exc, pk)
        messages.success(
            request,
            _("You are on the leaderboard.")
            if shown
            else _("You are hidden from the leaderboard."),
        )
        return redirect("member-challenge", pk=pk)


class EntryView(MemberRequiredMixin, View):
    def post(self, request, pk):
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                challenge_entry_add(
                    challenge=Challenge(pk=int(pk)),
                    member=self.member,
                    value=form.cleaned_data["value"],
                    on=form.cleaned_data["on"],
                )
            except ApplicationError as exc:
                if exc.status_code == 404 and exc.code == "not_found":
                    raise Http404 from exc
                for field, errors in (exc.details or {}).items():
                    form.add_error(field if field in form.fields else None, errors)
                if not exc.details:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, _("Added."))
                return redirect("member-challenge", pk=pk)
        return _detail(request, self.member, pk, form=form, status=400)


def home_card(member) -> dict | None:
    """The running challenge the member is in (ending soonest), with its progress."""
    participant = challenge_running_for_member(member=member)
    if participant is None:
        return None
    challenge = participant.challenge
    return {
        "title": challenge.title,
        "progress": participant.progress,
        "target": challenge.target,
        "unit": challenge_unit_label(challenge),
        "percent": challenge_percent(participant.progress, challenge.target),
        "completed": participant.completed_at is not None,
        "ends_on": challenge.ends_on,
        "url": reverse("member-challenge", kwargs={"pk": challenge.pk}),
    }
