"""Staff dashboard pages for classes: the week's timetable, a session's roster (attendance,
cancel, change, substitute the trainer, book a member in), the booking policy and
penalties (waive with a reason), the set-up (class types, rooms, schedules); and the
private calendar feed that calendar apps fetch."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from apps.bookings.forms import (
    BookingPolicyForm,
    BookMemberForm,
    ClassTypeForm,
    HoursFormSet,
    MemberSearchForm,
    RoomForm,
    ScheduleForm,
    SessionCancelForm,
    SessionChangeForm,
    SubstituteForm,
    WaiveForm,
)
from apps.bookings.ical import calendar_ical
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    ClassSession,
    ClassType,
    Penalty,
    PTBooking,
    Room,
    Schedule,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone, policy_summary
from apps.bookings.recurrence import schedule_in_words, schedule_weekdays
from apps.bookings.selectors import (
    calendar_feed_by_token,
    calendar_feed_events,
    class_type_list,
    penalty_list,
    room_list,
    schedule_booked_upcoming_count,
    schedule_list,
    session_roster,
    session_timetable,
)
from apps.bookings.services import (
    ScheduleResult,
    booking_create,
    booking_mark_attendance,
    class_type_save,
    penalty_waive,
    policy_update,
    pt_decide,
    pt_mark_attendance,
    room_delete,
    room_save,
    schedule_create,
    schedule_stop,
    schedule_update,
    session_cancel,
    session_update,
    trainer_hours_set,
)
from apps.bookings.services.schedule import SCHEDULE_FIELDS
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.members.models import Member
from apps.members.selectors import member_list


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

    def _render(
        self,
        request,
        session,
        status=200,
        cancel_form=None,
        change_form=None,
        substitute_form=None,
    ):
        zone = gym_zone(request.tenant)
        roster = session_roster(session=session)
        local_start = session.starts_at.astimezone(zone)
        search = MemberSearchForm(request.GET)
        query = search.cleaned_data["q"] if search.is_valid() else ""
        found = list(member_list(filters={"q": query})[:10]) if query else []
        return render(
            request,
            "bookings/session.html",
            {
                "session": session,
                "local_start": local_start.replace(tzinfo=None),
                "local_end": session.ends_at.astimezone(zone).replace(tzinfo=None),
                "roster": roster,
                "booked_count": sum(1 for b in roster["places"]),
                "cancel_form": cancel_form or SessionCancelForm(),
                "change_form": change_form
                or SessionChangeForm(
                    initial={
                        "day": local_start.date(),
                        "start_time": local_start.time().replace(tzinfo=None),
                        "instructor": session.instructor_id,
                        "room": session.room_id,
                        "capacity": session.capacity,
                    }
                ),
                "substitute_form": substitute_form or SubstituteForm(),
                "search_form": search,
                "query": query,
                "found": found,
                "may_book": request.user.has_perm("bookings.add_booking")
                and session.status == "scheduled"
                and session.starts_at > timezone.now(),
            },
            status=status,
        )

    def _starts_at(self, request, data):
        """The form's local day and time as an aware instant in the gym's zone, or None."""
        if data.get("day") is None or data.get("start_time") is None:
            return None
        zone = gym_zone(request.tenant)
        return datetime.combine(data["day"], data["start_time"], tzinfo=zone)

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
                data = form.cleaned_data
                session_update(
                    session=session,
                    instructor=data["instructor"],
                    room=data["room"],
                    capacity=data["capacity"],
                    starts_at=self._starts_at(request, data),
                    by=request.user,
                )
                messages.success(request, _("Changes saved; members with a place were told."))
            elif action == "substitute":
                if not request.user.has_perm("bookings.change_classsession"):
                    raise PermissionDenied
                form = SubstituteForm(request.POST)
                if not form.is_valid():
                    return self._render(request, session, 400, substitute_form=form)
                session_update(
                    session=session, instructor=form.cleaned_data["instructor"], by=request.user
                )
                messages.success(
                    request,
                    _("%(name)s teaches this class; members with a place were told.")
                    % {"name": form.cleaned_data["instructor"].display_name},
                )
            elif action == "book":
                if not request.user.has_perm("bookings.add_booking"):
                    raise PermissionDenied
                form = BookMemberForm(request.POST)
                member = get_object_or_404(
                    Member, pk=form.cleaned_data["member"] if form.is_valid() else 0
                )
                try:
                    booking = booking_create(member=member, session=session, by_staff=True)
                except ApplicationError as exc:
                    messages.error(request, _staff_booking_error(exc, member))
                else:
                    text = (
                        _("%(name)s is booked in.")
                        if booking.status == "booked"
                        else _("The class is full: %(name)s is on the waitlist.")
                    )
                    messages.success(request, text % {"name": member.full_name})
            else:
                return self._render(request, session, 400)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("class-session", pk=session.pk)


def _staff_booking_error(exc: ApplicationError, member) -> str:
    """The service speaks to the member ("You already have a place"); staff read about
    the member."""
    if exc.code == "already_booked":
        return _("%(name)s already has a place in this class (or is on its waitlist).") % {
            "name": member.full_name
        }
    return _("%(name)s cannot be booked in: %(reason)s") % {
        "name": member.full_name,
        "reason": exc.message,
    }


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


# --- Set-up: class types, rooms, schedules ---------------------------------------------


def _form_errors_from(form, exc: ApplicationError) -> None:
    """A service's refusal on the form: per field where it names one, else at the top."""
    for name, errors in (exc.details or {}).items():
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(name if name in form.fields else None, error)
    if not exc.details:
        form.add_error(None, exc.message)


class _SetupFormView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """A create/edit page of the set-up: GET shows the form, POST calls `save()` (a
    service) and redirects to the list; a refusal is shown on the form (400)."""

    model = None
    form_class = None
    template_name = ""
    list_url = ""
    title_new = ""

    def _object(self, pk):
        return get_object_or_404(self.model, pk=pk) if pk is not None else None

    def _render(self, request, form, obj, status=200):
        return render(
            request,
            self.template_name,
            {"form": form, "object": obj, "list_url": self.list_url, **self.extra(obj)},
            status=status,
        )

    def extra(self, obj) -> dict:
        return {}

    def get(self, request, pk=None):
        obj = self._object(pk)
        return self._render(request, self.make_form(obj=obj), obj)

    def make_form(self, data=None, obj=None):
        return self.form_class(data, instance=obj)

    def post(self, request, pk=None):
        obj = self._object(pk)
        form = self.make_form(request.POST, obj)
        if form.is_valid():
            try:
                saved = self.save(request, form, obj)
            except ApplicationError as exc:
                _form_errors_from(form, exc)
            else:
                return redirect(self.success_url(saved))
        return self._render(request, form, obj, status=400)

    def success_url(self, saved) -> str:
        return reverse(self.list_url)


class _SetupListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """A list page of the set-up: the selector's rows, 50 a page."""

    template_name = ""

    def rows(self):
        raise NotImplementedError

    def get(self, request):
        page = Paginator(self.rows(), 50).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"page": page})


class ClassTypeListView(_SetupListView):
    permission_required = "bookings.view_classtype"
    template_name = "bookings/setup/class_types.html"

    def rows(self):
        return class_type_list()


class ClassTypeFormView(_SetupFormView):
    model = ClassType
    form_class = ClassTypeForm
    template_name = "bookings/setup/class_type_form.html"
    list_url = "class-types"

    def get_permission_required(self):
        pk = self.kwargs.get("pk")
        return ["bookings.change_classtype" if pk else "bookings.add_classtype"]

    def save(self, request, form, obj):
        saved = class_type_save(data=form.cleaned_data, class_type=obj, by=request.user)
        messages.success(request, _("%(name)s saved.") % {"name": saved.name})
        return saved


class RoomListView(_SetupListView):
    permission_required = "bookings.view_room"
    template_name = "bookings/setup/rooms.html"

    def rows(self):
        return room_list()


class RoomFormView(_SetupFormView):
    model = Room
    form_class = RoomForm
    template_name = "bookings/setup/room_form.html"
    list_url = "class-rooms"

    def get_permission_required(self):
        return ["bookings.change_room" if self.kwargs.get("pk") else "bookings.add_room"]

    def save(self, request, form, obj):
        saved = room_save(data=form.cleaned_data, room=obj, by=request.user)
        messages.success(request, _("%(name)s saved.") % {"name": saved.name})
        return saved


class RoomDeleteView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.delete_room"

    def post(self, request, pk):
        room = get_object_or_404(Room, pk=pk)
        try:
            room_delete(room=room, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("class-room-edit", pk=room.pk)
        messages.success(request, _("%(name)s deleted.") % {"name": room.name})
        return redirect("class-rooms")


class ScheduleListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.view_schedule"

    def get(self, request):
        page = Paginator(schedule_list(), 50).get_page(request.GET.get("page"))
        for schedule in page:
            schedule.in_words = schedule_in_words(schedule)
        return render(request, "bookings/setup/schedules.html", {"page": page})


def _schedule_said(request, result: ScheduleResult) -> None:
    """Tell the user what the change did to the timetable."""
    if result.created:
        messages.success(
            request,
            ngettext(
                "Saved: %(n)s class published.", "Saved: %(n)s classes published.", result.created
            )
            % {"n": result.created},
        )
    else:
        messages.success(request, _("Saved."))
    _kept_said(request, result.kept)


def _kept_said(request, kept) -> None:
    """Which classes with bookings were kept as they were (staff change those one by one)."""
    if kept:
        zone = gym_zone(request.tenant)
        when = ", ".join(date_format(s.starts_at.astimezone(zone), "D j M H:i") for s in kept[:10])
        messages.warning(
            request,
            ngettext(
                "%(n)s upcoming class has bookings and was kept as it was (%(when)s): "
                "change or cancel it on its page.",
                "%(n)s upcoming classes have bookings and were kept as they were (%(when)s): "
                "change or cancel them on their pages.",
                len(kept),
            )
            % {"n": len(kept), "when": when},
        )


class ScheduleFormView(_SetupFormView):
    model = Schedule
    form_class = ScheduleForm
    template_name = "bookings/setup/schedule_form.html"
    list_url = "class-schedules"

    def get_permission_required(self):
        pk = self.kwargs.get("pk")
        return ["bookings.change_schedule" if pk else "bookings.add_schedule"]

    def make_form(self, data=None, obj=None):
        if obj is None:
            today = timezone.now().astimezone(gym_zone(self.request.tenant)).date()
            return ScheduleForm(data, initial={"starts_on": today, "start_time": "18:00"})
        initial = {f: getattr(obj, f) for f in SCHEDULE_FIELDS}
        initial["weekdays"] = schedule_weekdays(obj) or []
        return ScheduleForm(data, initial=initial)

    def extra(self, obj) -> dict:
        if obj is None:
            return {}
        return {
            "custom_rule": obj.rrule if schedule_weekdays(obj) is None else "",
            "booked_upcoming": schedule_booked_upcoming_count(obj),
        }

    def save(self, request, form, obj):
        if obj is None:
            result = schedule_create(data=form.cleaned_data, by=request.user)
        else:
            result = schedule_update(schedule=obj, data=form.cleaned_data, by=request.user)
        _schedule_said(request, result)
        return result.schedule


class ScheduleStopView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "bookings.change_schedule"

    def post(self, request, pk):
        schedule = get_object_or_404(Schedule, pk=pk)
        result = schedule_stop(schedule=schedule, by=request.user)
        messages.success(
            request,
            ngettext(
                "Schedule stopped; %(n)s upcoming class removed.",
                "Schedule stopped; %(n)s upcoming classes removed.",
                result.removed,
            )
            % {"n": result.removed},
        )
        _kept_said(request, result.kept)
        return redirect("class-schedules")
