"""Member web app pages of classes (under /app/classes/): the timetable of this week and
the next, one class with what booking it would mean (the policy in words before the member
confirms), booking / joining the waitlist / cancelling, my bookings and the private
calendar feed. The same selectors and services as the API: the rules live there."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from apps.bookings.models import (
    HOLDING_STATUSES,
    LIVE_STATUSES,
    Booking,
    BookingPolicy,
    BookingStatus,
    ClassSession,
    SessionStatus,
)
from apps.bookings.policy import cancel_terms, local_when, policy_summary
from apps.bookings.selectors import (
    booking_check,
    booking_list,
    member_standing,
    session_timetable,
    sessions_with_counts,
)
from apps.bookings.services import booking_cancel, booking_create, calendar_feed_for
from apps.common.errors import ApplicationError
from apps.portal.mixins import MemberRequiredMixin

PAST_SHOWN = 5


def _availability(session: ClassSession, *, mine: bool = True) -> tuple[str, str]:
    """(css class, words) for a class: cancelled, the member's own (`mine`), full, or
    places left."""
    if session.status == SessionStatus.CANCELLED:
        return "cancelled", _("Cancelled")
    mine = getattr(session, "my_booking_status", None) if mine else None
    if mine == BookingStatus.BOOKED:
        return "mine", _("Booked")
    if mine == BookingStatus.WAITLISTED:
        return "mine", _("On the waitlist")
    if mine is not None:  # marked already: checked in at the door before the class
        return "mine", BookingStatus(mine).label
    left = session.capacity - session.booked_count
    if left <= 0:
        if session.waitlist_count:
            return "full", ngettext(
                "Full · %(n)s waiting", "Full · %(n)s waiting", session.waitlist_count
            ) % {"n": session.waitlist_count}
        return "full", _("Full")
    return "open", ngettext("%(n)s spot left", "%(n)s spots left", left) % {"n": left}


def _feed_urls(request) -> dict:
    feed = calendar_feed_for(user=request.user)
    url = request.build_absolute_uri(reverse("calendar-feed-ics", kwargs={"token": feed.token}))
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[1]}


class TimetableView(MemberRequiredMixin, View):
    """This week and the next, day by day (the member's or the gym's zone)."""

    def get(self, request):
        now = timezone.now()
        today = timezone.localdate()
        last = today - timedelta(days=today.weekday()) + timedelta(days=13)
        sessions = [
            s
            for s in session_timetable(
                gym=request.tenant, first=today, last=last, member=self.member
            )
            if s.ends_at > now
        ]
        for session in sessions:
            session.availability = _availability(session)
            session.minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
        days = [
            (day, list(items))
            for day, items in groupby(sessions, key=lambda s: timezone.localdate(s.starts_at))
        ]
        return render(
            request,
            "bookings/member/timetable.html",
            {"days": days, "today": today, "tomorrow": today + timedelta(days=1)},
        )


class SessionView(MemberRequiredMixin, View):
    """One class: when, who, where, places; what booking it would mean and the policy."""

    def get(self, request, pk):
        session = get_object_or_404(
            sessions_with_counts(ClassSession.objects.all(), member=self.member), pk=pk
        )
        # Also a place already marked attended (a check-in before the class): the member
        # still has it, and may not book again nor cancel it.
        mine = (
            booking_list(member=self.member)
            .filter(session=session, status__in=HOLDING_STATUSES)
            .first()
        )
        policy = BookingPolicy.load()
        cancellable = mine is not None and mine.status in LIVE_STATUSES
        context = {
            "session": session,
            "availability": _availability(session, mine=False),
            "places_left": max(session.capacity - session.booked_count, 0),
            "booking": mine,
            "cancellable": cancellable,
            "cancel_terms": cancel_terms(policy=policy, booking=mine) if cancellable else "",
        }
        if mine is None:
            context["check"] = booking_check(
                member=self.member, session=session, gym=request.tenant
            )
        else:
            context["policy"] = policy_summary(policy)
        return render(request, "bookings/member/session.html", context)


class BookView(MemberRequiredMixin, View):
    """POST: book a place (intent "book": a class that filled meanwhile says so instead of
    queueing) or join the waitlist (intent "waitlist"). Redirects to the class."""

    def post(self, request, pk):
        join_waitlist = request.POST.get("intent") == "waitlist"
        try:
            # The service locks the session row and answers not_found for an unknown id
            # (another gym's sessions do not exist in this schema).
            booking = booking_create(
                member=self.member, session=ClassSession(pk=pk), join_waitlist=join_waitlist
            )
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise Http404 from exc
            messages.error(request, exc.message)
            return redirect("member-classes-session", pk=pk)
        booking = booking_list(member=self.member).get(pk=booking.pk)
        name, when = booking.session.class_type.name, local_when(booking.session.starts_at)
        if booking.status == BookingStatus.WAITLISTED:
            messages.success(
                request,
                _(
                    "You are on the waitlist for %(name)s on %(when)s (number %(n)s). If a "
                    "place frees up you get it automatically and we email you."
                )
                % {"name": name, "when": when, "n": booking.waitlist_position},
            )
        else:
            messages.success(
                request, _("Booked: %(name)s on %(when)s.") % {"name": name, "when": when}
            )
        return redirect("member-classes-session", pk=pk)


class CancelView(MemberRequiredMixin, View):
    """POST: cancel the member's own booking or leave the waitlist (policy penalties apply
    as the page said). Redirects to the class."""

    def post(self, request, pk):
        booking = get_object_or_404(Booking.objects.filter(member=self.member), pk=pk)
        was_waiting = booking.status == BookingStatus.WAITLISTED
        try:
            booking = booking_cancel(booking=booking, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if was_waiting:
                messages.success(request, _("You have left the waitlist."))
            elif booking.status == BookingStatus.LATE_CANCELLED:
                messages.warning(
                    request,
                    _("Your booking is cancelled. It was a late cancel, so the policy applies."),
                )
            else:
                messages.success(request, _("Your booking is cancelled."))
        return redirect("member-classes-session", pk=booking.session_id)


class MyBookingsView(MemberRequiredMixin, View):
    """Upcoming places and waitlist entries, the last few classes, the calendar feed."""

    def get(self, request):
        now = timezone.now()
        upcoming = list(
            booking_list(member=self.member, upcoming=True, now=now).filter(
                status__in=HOLDING_STATUSES
            )
        )
        past = list(booking_list(member=self.member, upcoming=False, now=now)[:PAST_SHOWN])
        return render(
            request,
            "bookings/member/mine.html",
            {
                "upcoming": upcoming,
                "past": past,
                "standing": member_standing(member=self.member, now=now),
                "feed": _feed_urls(request),
            },
        )


class CalendarFeedRotateView(MemberRequiredMixin, View):
    """POST: a new private calendar address; the old one stops working."""

    def post(self, request):
        calendar_feed_for(user=request.user, rotate=True)
        messages.success(
            request,
            _(
                "New calendar address made. The old one no longer works: add the new one "
                "to your calendar."
            ),
        )
        return redirect("member-classes-mine")


def home_card(member) -> dict:
    """The home page's card: the member's next booked class, or an invitation to book."""
    upcoming = booking_list(member=member, upcoming=True, now=timezone.now()).filter(
        status__in=(BookingStatus.BOOKED, BookingStatus.ATTENDED)
    )
    booking = upcoming.first()
    if booking is None:
        return {
            "title": _("Classes"),
            "text": _("Book a class"),
            "url": reverse("member-classes"),
        }
    session = booking.session
    where = f" · {session.room.name}" if session.room else ""
    return {
        "title": _("Your next class"),
        "value": session.class_type.name,
        "text": local_when(session.starts_at) + where,
        "url": reverse("member-classes-session", kwargs={"pk": session.pk}),
    }
