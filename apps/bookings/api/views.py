"""Members' API for classes: timetable, book, waitlist, cancel, my bookings, the policy."""

from __future__ import annotations

from datetime import date, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.bookings.api.serializers import (
    BookingSerializer,
    BookRequestSerializer,
    SessionDetailSerializer,
    SessionSerializer,
)
from apps.bookings.models import Booking, BookingPolicy, ClassSession
from apps.bookings.policy import booking_problems, gym_zone, policy_summary
from apps.bookings.selectors import booking_list, session_timetable, sessions_with_counts
from apps.bookings.services.booking import booking_cancel, booking_create
from apps.common.errors import ApplicationError
from apps.members.selectors import member_for_user

MAX_TIMETABLE_DAYS = 31


def _member_or_404(request):
    member = member_for_user(user=request.user)
    if member is None:
        raise ApplicationError(
            _("This account has no member profile."), code="no_member_profile", status_code=404
        )
    return member


def _date_param(request, name: str, default: date) -> date:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise ApplicationError(
            _("Use a date like 2026-03-30."),
            code="invalid_filter",
            details={name: [_("Not a date.")]},
        ) from None


def _id_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ApplicationError(
            _("Use a whole number."), code="invalid_filter", details={name: [_("Not an id.")]}
        )
    return int(raw)


def _booking_check(*, member, session, gym) -> dict:
    policy = BookingPolicy.load()
    full = session.booked_count >= session.capacity
    problems = booking_problems(
        member=member, session=session, policy=policy, gym=gym, waitlist=full
    )
    return {
        "allowed": not problems,
        "outcome": "none" if problems else ("waitlist" if full else "book"),
        "problems": [{"code": p.code, "message": p.message} for p in problems],
        "policy": policy_summary(policy),
    }


class SessionViewSet(viewsets.ReadOnlyModelViewSet):
    """The timetable. Any logged-in user of the gym may read it; members book."""

    serializer_class = SessionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return ClassSession.objects.none()
        member = member_for_user(user=self.request.user)
        return sessions_with_counts(ClassSession.objects.all(), member=member)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", date, description="First day (gym's local date); today"),
            OpenApiParameter("to", date, description="Last day, included; from + 6 days"),
            OpenApiParameter("type", int, description="Class type id"),
            OpenApiParameter("instructor", int, description="Trainer id"),
        ],
        responses=inline_serializer(
            "Timetable",
            {
                "time_zone": serializers.CharField(),
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "results": SessionSerializer(many=True),
            },
        ),
    )
    def list(self, request):
        gym = request.tenant
        today = timezone.now().astimezone(gym_zone(gym)).date()
        first = _date_param(request, "from", today)
        last = _date_param(request, "to", first + timedelta(days=6))
        if last < first or (last - first).days >= MAX_TIMETABLE_DAYS:
            raise ApplicationError(
                _("Ask for 1 to %(n)s days at a time.") % {"n": MAX_TIMETABLE_DAYS},
                code="invalid_filter",
                details={"to": [_("Out of range.")]},
            )
        sessions = session_timetable(
            gym=gym,
            first=first,
            last=last,
            member=member_for_user(user=request.user),
            class_type_id=_id_param(request, "type"),
            instructor_id=_id_param(request, "instructor"),
        )
        return Response(
            {
                "time_zone": str(gym_zone(gym)),
                "from": first.isoformat(),
                "to": last.isoformat(),
                "results": SessionSerializer(sessions, many=True).data,
            }
        )

    @extend_schema(responses=SessionDetailSerializer)
    def retrieve(self, request, pk=None):
        """One class, with what would happen if the member booked it now, and why."""
        session = self.get_object()
        member = member_for_user(user=request.user)
        context = {}
        if member is not None:
            context["booking_check"] = _booking_check(
                member=member, session=session, gym=request.tenant
            )
        return Response(SessionDetailSerializer(session, context=context).data)

    @extend_schema(request=BookRequestSerializer, responses={201: BookingSerializer})
    @action(detail=True, methods=["post"])
    def book(self, request, pk=None):
        """Book a place; a full class puts the member on its waitlist (unless
        `join_waitlist` is false). 409 with the rule broken when the policy says no."""
        body = BookRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._book(request, join_waitlist=body.validated_data["join_waitlist"])

    @extend_schema(request=None, responses={201: BookingSerializer})
    @action(detail=True, methods=["post"])
    def waitlist(self, request, pk=None):
        """Join the waitlist (or get a place straight away if one is free)."""
        return self._book(request, join_waitlist=True)

    def _book(self, request, *, join_waitlist: bool):
        member = _member_or_404(request)
        session = get_object_or_404(ClassSession.objects.only("id"), pk=self.kwargs["pk"])
        booking = booking_create(member=member, session=session, join_waitlist=join_waitlist)
        booking = booking_list(member=member).get(pk=booking.pk)
        return Response(BookingSerializer(booking).data, status=201)


class BookingViewSet(viewsets.ReadOnlyModelViewSet):
    """The member's own bookings (places and waitlist entries)."""

    serializer_class = BookingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Booking.objects.none()
        member = _member_or_404(self.request)
        scope = self.request.query_params.get("scope", "upcoming")
        if scope not in ("upcoming", "past", "all"):
            raise ApplicationError(
                _("Unknown scope."),
                code="invalid_filter",
                details={"scope": ["upcoming", "past", "all"]},
            )
        upcoming = {"upcoming": True, "past": False, "all": None}[scope]
        return booking_list(member=member, upcoming=upcoming, now=timezone.now())

    @extend_schema(parameters=[OpenApiParameter("scope", str, enum=["upcoming", "past", "all"])])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a place or leave the waitlist. Within the late-cancel window the
        policy's penalties apply (see /api/v1/classes/policy/)."""
        member = _member_or_404(request)
        booking = get_object_or_404(Booking.objects.filter(member=member), pk=pk)
        booking_cancel(booking=booking, by=request.user)
        return Response(BookingSerializer(booking_list(member=member).get(pk=booking.pk)).data)


class PolicyView(APIView):
    """The gym's booking rules in words, for members to read before booking."""

    @extend_schema(
        responses=inline_serializer(
            "BookingPolicyText",
            {
                "rules": serializers.ListField(child=serializers.CharField()),
                "values": serializers.DictField(),
            },
        )
    )
    def get(self, request):
        policy = BookingPolicy.load()
        values = {
            field: getattr(policy, field)
            for field in (
                "opens_days_before",
                "closes_minutes_before",
                "max_active_bookings",
                "max_per_day",
                "waitlist_closes_minutes_before",
                "late_cancel_minutes_before",
                "late_cancel_strike",
                "late_cancel_fee",
                "late_cancel_forfeits_credit",
                "no_show_strike",
                "no_show_fee",
                "no_show_forfeits_credit",
                "strikes_to_block",
                "strike_window_days",
                "block_days",
            )
        }
        return Response({"rules": policy_summary(policy), "values": values})
