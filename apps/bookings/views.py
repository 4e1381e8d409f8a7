"""Staff dashboard pages for classes: the week's timetable, a session's roster (attendance,
cancel, change), the booking policy and penalties (waive with a reason); and the private
calendar feed that calendar apps fetch."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from apps.bookings.forms import (
    BookingPolicyForm,
    HoursFormSet,
    SessionCancelForm,
    SessionChangeForm,
    WaiveForm,
)
from apps.bookings.ical import calendar_ical
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    ClassSession,
    Penalty,
    PTBooking,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone, policy_summary
from apps.bookings.selectors import (
    calendar_feed_by_token,
    calendar_feed_events,
    penalty_list,
    session_roster,
    session_timetable,
)
from apps.bookings.services import (
    booking_mark_attendance,
    penalty_waive,
    policy_update,
    pt_decide,
    pt_mark_attendance,
    session_cancel,
    session_update,
    trainer_hours_set,
)
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin


def _posted_id(request, name: str) -> int:
    """A posted row id, or 0 (no row) when it is missing or not a plain number: a forged
    or garbled form then answers 404 instead of a server error from the id lookup."""
    raw = request.POST.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else 0


def _monday(request, zone) -> date:
    today = timezone.now().astimezone(zone).date()
    raw = request.GET.get("week", "")
    try:
        day = date.fromisoformat(raw[:10]) if raw else today
    except ValueError:
        day = today
    if not 2000 <= day.year <= 2100:
        day = today
    return day - timedelta(days=day.weekday())


class WeekView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.view_classsession"

    def get(self, request):
        zone = gym_zone(request.tenant)
        monday = _monday(request, zone)
        sessions = session_timetable(gym=request.tenant, first=monday, last=monday + timedelta(6))
        days = [{"date": monday + timedelta(days=i), "sessions": []} for i in range(7)]
        for session in sessions:
            local = session.starts_at.astimezone(zone)
            session.local_start = local.replace(tzinfo=None)
            session.local_end = session.ends_at.astimezone(zone).replace(tzinfo=None)
            days[(local.date() - monday).days]["sessions"].append(session)
        return render(
            request,
            "bookings/week.html",
            {
                "days": days,
                "monday": monday,
                "previous": monday - timedelta(days=7),
                "next": monday + timedelta(days=7),
                "time_zone": str(zone),
            },
        )


class SessionRosterView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.view_classsession"

    def _render(self, request, session, status=200, cancel_form=None, change_form=None):
        zone = gym_zone(request.tenant)
        roster = session_roster(session=session)
        return render(
            request,
            "bookings/session.html",
            {
                "session": session,
                "local_start": session.starts_at.astimezone(zone).replace(tzinfo=None),
                "local_end": session.ends_at.astimezone(zone).replace(tzinfo=None),
                "roster": roster,
                "booked_count": sum(1 for b in roster["places"]),
                "cancel_form": cancel_form or SessionCancelForm(),
                "change_form": change_form
                or SessionChangeForm(
                    initial={
                        "instructor": session.instructor_id,
                        "room": session.room_id,
                        "capacity": session.capacity,
                    }
                ),
            },
            status=status,
        )

    def _session(self, pk):
        return get_object_or_404(
            ClassSession.objects.select_related("class_type", "instructor", "room"), pk=pk
        )

    def get(self, request, pk):
        return self._render(request, self._session(pk))

    def post(self, request, pk):
        session = self._session(pk)
        action = request.POST.get("action")
        try:
            if action in ("attended", "no_show"):
                if not request.user.has_perm("bookings.change_booking"):
                    raise PermissionDenied
                booking = get_object_or_404(
                    Booking.objects.filter(session=session), pk=_posted_id(request, "booking")
                )
                booking_mark_attendance(
                    booking=booking, attended=action == "attended", by=request.user
                )
                messages.success(request, _("Attendance saved."))
            elif action == "cancel":
                if not request.user.has_perm("bookings.change_classsession"):
                    raise PermissionDenied
                form = SessionCancelForm(request.POST)
                if not form.is_valid():
                    return self._render(request, session, 400, cancel_form=form)
                session_cancel(session=session, reason=form.cleaned_data["reason"], by=request.user)
                messages.success(request, _("Class cancelled; booked members were told."))
            elif action == "change":
                if not request.user.has_perm("bookings.change_classsession"):
                    raise PermissionDenied
                form = SessionChangeForm(request.POST)
                if not form.is_valid():
                    return self._render(request, session, 400, change_form=form)
                session_update(session=session, by=request.user, **form.cleaned_data)
                messages.success(request, _("Changes saved."))
            else:
                return self._render(request, session, 400)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("class-session", pk=session.pk)


class PolicySettingsView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.change_bookingpolicy"

    def get(self, request):
        policy = BookingPolicy.load()
        return render(
            request,
            "bookings/policy.html",
            {"form": BookingPolicyForm(instance=policy), "rules": policy_summary(policy)},
        )

    def post(self, request):
        policy = BookingPolicy.load()
        form = BookingPolicyForm(request.POST, instance=policy)
        if form.is_valid():
            policy_update(
                data={f: form.cleaned_data[f] for f in form.changed_data}, by=request.user
            )
            messages.success(request, _("Booking policy saved."))
            return redirect("class-policy-settings")
        return render(
            request,
            "bookings/policy.html",
            {"form": form, "rules": policy_summary(policy)},
            status=400,
        )


class PenaltyListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.view_penalty"

    def get(self, request):
        page = Paginator(penalty_list(), 50).get_page(request.GET.get("page"))
        return render(request, "bookings/penalties.html", {"page": page, "form": WaiveForm()})


class PenaltyWaiveView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.change_penalty"

    def post(self, request, pk):
        penalty = get_object_or_404(Penalty, pk=pk)
        form = WaiveForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            penalty_waive(penalty=penalty, by=request.user, reason=reason)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Penalty waived."))
        return redirect("class-penalties")


class TrainingListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Personal-training sessions from today: a trainer sees theirs (and answers
    requests); managers see everyone's."""

    permission_required = "bookings.view_ptbooking"

    def _bookings(self, request):
        bookings = PTBooking.objects.select_related("member", "trainer", "session_type").filter(
            starts_at__gte=timezone.now() - timedelta(hours=12)
        )
        if not request.user.has_perm("bookings.change_classsession"):  # not a manager
            bookings = bookings.filter(trainer__user=request.user)
        return bookings.order_by("starts_at")

    def get(self, request):
        zone = gym_zone(request.tenant)
        page = Paginator(self._bookings(request), 50).get_page(request.GET.get("page"))
        now = timezone.now()
        for booking in page:
            booking.local_start = booking.starts_at.astimezone(zone).replace(tzinfo=None)
            booking.markable = booking.starts_at <= now and booking.status in (
                "confirmed",
                "attended",
                "no_show",
            )
        return render(request, "bookings/training.html", {"page": page})

    def post(self, request):
        if not request.user.has_perm("bookings.change_ptbooking"):
            raise PermissionDenied
        booking = get_object_or_404(self._bookings(request), pk=_posted_id(request, "booking"))
        action = request.POST.get("action")
        if action in ("attended", "no_show"):
            # The session's trainer, or a manager, takes attendance.
            if booking.trainer.user_id != request.user.pk and not request.user.has_perm(
                "bookings.change_classsession"
            ):
                raise PermissionDenied
            try:
                pt_mark_attendance(booking=booking, attended=action == "attended", by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Attendance saved."))
            return redirect("class-training")
        if booking.trainer.user_id != request.user.pk:
            messages.error(request, _("Only the trainer answers a request."))
            return redirect("class-training")
        try:
            pt_decide(booking=booking, confirm=action == "confirm", by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Answer sent."))
        return redirect("class-training")


class TrainerHoursView(StaffRequiredMixin, View):
    """A trainer sets their own weekly hours for personal training (no admin needed)."""

    def _trainer(self, request):
        trainer = TrainerProfile.objects.filter(user=request.user).first()
        if trainer is None:
            raise Http404(_("You have no trainer profile. Ask a manager to create one."))
        return trainer

    def _render(self, request, trainer, formset, status=200):
        return render(
            request,
            "bookings/hours.html",
            {"trainer": trainer, "formset": formset},
            status=status,
        )

    def get(self, request):
        trainer = self._trainer(request)
        initial = [
            {"weekday": h.weekday, "start_time": h.start_time, "end_time": h.end_time}
            for h in trainer.availability.order_by("weekday", "start_time")
        ]
        return self._render(request, trainer, HoursFormSet(initial=initial))

    def post(self, request):
        trainer = self._trainer(request)
        formset = HoursFormSet(request.POST)
        if not formset.is_valid():
            return self._render(request, trainer, formset, status=400)
        hours = [
            (row["weekday"], row["start_time"], row["end_time"])
            for row in formset.cleaned_data
            if row.get("weekday") is not None and not row.get("DELETE")
        ]
        try:
            trainer_hours_set(trainer=trainer, hours=hours)
        except ApplicationError as exc:
            for problem in exc.details.get("hours", [exc.message]):
                messages.error(request, problem)
            return self._render(request, trainer, formset, status=400)
        messages.success(request, _("Hours saved."))
        return redirect("class-my-hours")


def calendar_feed_view(request, token: str):
    """GET /calendar/<token>.ics on the gym's domain; no login (the token is the key)."""
    feed = calendar_feed_by_token(token)
    if feed is None:
        raise Http404
    now = timezone.now()
    name = getattr(connection.tenant, "name", connection.schema_name)
    body = calendar_ical(name=name, events=calendar_feed_events(feed=feed, now=now), now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
