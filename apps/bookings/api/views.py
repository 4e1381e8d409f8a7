"""Members' API for classes: timetable, book, waitlist, cancel, my bookings, the policy."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.bookings.api.filters import TimetableFilter, TrainerSlotsFilter
from apps.bookings.api.serializers import (
    BookingSerializer,
    BookRequestSerializer,
    MatchRequestSerializer,
    MatchSerializer,
    PTBookingSerializer,
    PTDecisionSerializer,
    PTRequestSerializer,
    SessionDetailSerializer,
    SessionSerializer,
    TimetableSerializer,
    TrainerMatchSerializer,
    TrainerSerializer,
)
from apps.bookings.matching import MatchRequest, Wish, trainer_match
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    ClassSession,
    PTBooking,
    PTSessionType,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone, policy_summary
from apps.bookings.selectors import (
    booking_check,
    booking_list,
    member_standing,
    pt_slots,
    sessions_with_counts,
    timetable_json,
)
from apps.bookings.services import (
    MEMBER_POLICY_FIELDS,
    booking_cancel,
    booking_create,
    calendar_feed_for,
    pt_cancel,
    pt_decide,
    pt_request,
)
from apps.common.api.filters import FilterSetSchema, filter_values
from apps.common.api.mixins import OwnMemberMixin
from apps.common.errors import ApplicationError
from apps.common.openapi import error_response
from apps.members.selectors import member_for_user

# Ids in URLs: digits that fit PostgreSQL's bigint (anything else is a 404, not a 500).
ID_PATTERN = r"[0-9]{1,18}"

# The domain's refusals (409), documented where they can come (apps/common/openapi.py adds
# the 4xx every operation shares).
BOOKING_REFUSED = error_response(
    "The booking rules say no: `code` is the first rule broken (`class_full`, "
    "`already_booked`, `session_started`, `blocked`, `slot_taken`, ...), "
    "`details.problems` lists every one with its message."
)
NO_FEED_PROFILE = error_response(
    "The account has neither a member nor a trainer profile (`no_member_profile`)."
)
NOT_CANCELLABLE = error_response(
    "Nothing to cancel: the booking is no longer active (`not_active`) or has started "
    "(`session_started`)."
)


class SessionViewSet(OwnMemberMixin, viewsets.ReadOnlyModelViewSet):
    """The timetable. Any logged-in user of the gym may read it; members book."""

    lookup_value_regex = ID_PATTERN

    serializer_class = SessionSerializer
    pagination_class = None
    filter_backends = [FilterSetSchema]
    filtersets = {"list": TimetableFilter}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return ClassSession.objects.none()
        member = member_for_user(user=self.request.user)
        return sessions_with_counts(ClassSession.objects.all(), member=member)

    @extend_schema(
        responses=TimetableSerializer,
    )
    def list(self, request):
        gym = request.tenant
        query = filter_values(TimetableFilter(request.query_params, request=request))
        first, last = query["from"], query["to"]
        rows = timetable_json(
            gym=gym,
            first=first,
            last=last,
            user=request.user,
            class_type_id=query["type"],
            instructor_id=query["instructor"],
        )
        head = json.dumps(
            {"time_zone": str(gym_zone(gym)), "from": first.isoformat(), "to": last.isoformat()}
        )
        # The rows arrive as JSON text from the database: spliced in, not parsed again.
        return HttpResponse(f'{head[:-1]}, "results": {rows}}}', content_type="application/json")

    @extend_schema(responses=SessionDetailSerializer)
    def retrieve(self, request, pk=None):
        """One class, with what would happen if the member booked it now, and why."""
        session = self.get_object()
        member = member_for_user(user=request.user)
        context = {}
        if member is not None:
            context["booking_check"] = booking_check(
                member=member, session=session, gym=request.tenant
            )
        return Response(SessionDetailSerializer(session, context=context).data)

    @extend_schema(
        request=BookRequestSerializer, responses={201: BookingSerializer, 409: BOOKING_REFUSED}
    )
    @action(detail=True, methods=["post"])
    def book(self, request, pk=None):
        """Book a place; a full class puts the member on its waitlist (unless
        `join_waitlist` is false). 409 with the rule broken when the policy says no."""
        body = BookRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._book(request, join_waitlist=body.validated_data["join_waitlist"])

    @extend_schema(request=None, responses={201: BookingSerializer, 409: BOOKING_REFUSED})
    @action(detail=True, methods=["post"])
    def waitlist(self, request, pk=None):
        """Join the waitlist (or get a place straight away if one is free)."""
        return self._book(request, join_waitlist=True)

    def _book(self, request, *, join_waitlist: bool):
        member = self.get_own_member()
        # The service locks the session row and answers 404 for an unknown id.
        session = ClassSession(pk=int(self.kwargs["pk"]))
        booking = booking_create(member=member, session=session, join_waitlist=join_waitlist)
        booking = booking_list(member=member).get(pk=booking.pk)
        return Response(BookingSerializer(booking).data, status=201)


class BookingViewSet(OwnMemberMixin, viewsets.ReadOnlyModelViewSet):
    """The member's own bookings (places and waitlist entries)."""

    lookup_value_regex = ID_PATTERN

    serializer_class = BookingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Booking.objects.none()
        member = self.get_own_member()
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

    @extend_schema(request=None, responses={200: BookingSerializer, 409: NOT_CANCELLABLE})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a place or leave the waitlist. Within the late-cancel window the
        policy's penalties apply (see /api/v1/classes/policy/)."""
        member = self.get_own_member()
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
                "my_standing": inline_serializer(
                    "MyStanding",
                    {
                        "strikes": serializers.IntegerField(),
                        "strikes_to_block": serializers.IntegerField(),
                        "blocked_until": serializers.DateTimeField(allow_null=True),
                    },
                    allow_null=True,
                ),
            },
        )
    )
    def get(self, request):
        policy = BookingPolicy.load()
        values = {field: getattr(policy, field) for field in MEMBER_POLICY_FIELDS}
        member = member_for_user(user=request.user)
        standing = member_standing(member=member) if member else None
        return Response(
            {
                "rules": policy_summary(policy),
                "values": values,
                "my_standing": standing,
            }
        )


# --- Trainers, matching, personal training ---------------------------------------------


class TrainerViewSet(viewsets.ReadOnlyModelViewSet):
    """Trainers who take personal-training clients, with their session types."""

    lookup_value_regex = ID_PATTERN

    serializer_class = TrainerSerializer
    pagination_class = None
    filter_backends = [FilterSetSchema]
    filtersets = {"slots": TrainerSlotsFilter}

    def get_queryset(self):
        return TrainerProfile.objects.filter(is_active=True).prefetch_related("session_types")

    @extend_schema(
        filters=True,
        responses=inline_serializer(
            "TrainerSlots",
            {
                "time_zone": serializers.CharField(),
                "slots": serializers.ListField(child=serializers.DateTimeField()),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def slots(self, request, pk=None):
        """Free start times (UTC) for one of the trainer's session types."""
        trainer = self.get_object()
        query = filter_values(TrainerSlotsFilter(request.query_params, request=request))
        session_type = get_object_or_404(
            PTSessionType.objects.filter(trainer=trainer, is_active=True),
            pk=query["session_type"] or 0,
        )
        zone = gym_zone(request.tenant)
        slots = pt_slots(
            trainer=trainer, session_type=session_type, first=query["from"], last=query["to"]
        )
        return Response({"time_zone": str(zone), "slots": [s.isoformat() for s in slots]})

    @extend_schema(request=MatchRequestSerializer, responses=TrainerMatchSerializer)
    @action(detail=False, methods=["post"])
    def match(self, request):
        """Trainers ranked for the member's goals, language, hours and budget, each with
        its score, the parts of the score and the reasons in words."""
        body = MatchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        zone = gym_zone(request.tenant)
        match_request = MatchRequest(
            goals=data["goals"],
            language=data["language"],
            availability=[Wish(w["weekday"], w["start"], w["end"]) for w in data["availability"]],
            time_zone=data["time_zone"] or str(zone),
            budget=data["budget"],
        )
        match = trainer_match(
            request=match_request,
            gym_zone=zone,
            today=timezone.now().astimezone(zone).date(),
            trainers=self.get_queryset().prefetch_related("availability"),
        )
        return Response(
            {
                "method": match["method"],
                "results": MatchSerializer(match["results"], many=True).data,
            }
        )


class PTBookingViewSet(OwnMemberMixin, viewsets.ReadOnlyModelViewSet):
    """Members: their 1:1 sessions (request, list, cancel). Trainers: requests to them
    (list, confirm or decline)."""

    lookup_value_regex = ID_PATTERN

    serializer_class = PTBookingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PTBooking.objects.none()
        bookings = PTBooking.objects.select_related("trainer", "session_type")
        trainer = TrainerProfile.objects.filter(user=self.request.user).first()
        if trainer is not None:
            return bookings.filter(trainer=trainer).order_by("starts_at")
        return bookings.filter(member=self.get_own_member()).order_by("-starts_at")

    @extend_schema(
        request=PTRequestSerializer, responses={201: PTBookingSerializer, 409: BOOKING_REFUSED}
    )
    def create(self, request):
        """Ask for a session: confirmed at once for auto-confirmed types, else pending
        until the trainer answers. 409 with the rule broken when it cannot be booked."""
        member = self.get_own_member()
        body = PTRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session_type = get_object_or_404(
            PTSessionType.objects.select_related("trainer"), pk=body.validated_data["session_type"]
        )
        booking = pt_request(
            member=member,
            session_type=session_type,
            starts_at=body.validated_data["starts_at"],
            note=body.validated_data["note"],
        )
        return Response(PTBookingSerializer(booking).data, status=201)

    @extend_schema(request=None, responses={200: PTBookingSerializer, 409: NOT_CANCELLABLE})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a 1:1 session (the member or the trainer). Within the late-cancel window
        the policy's penalties apply to a member's cancellation."""
        booking = self.get_object()
        return Response(PTBookingSerializer(pt_cancel(booking=booking, by=request.user)).data)

    @extend_schema(request=PTDecisionSerializer, responses=PTBookingSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The trainer confirms (`confirm: true`) or declines a request."""
        booking = self.get_object()
        if booking.trainer.user_id != request.user.pk:
            raise ApplicationError(
                _("Only the trainer answers a request."), code="not_trainer", status_code=403
            )
        body = PTDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = pt_decide(
            booking=booking, confirm=body.validated_data["confirm"], by=request.user
        )
        return Response(PTBookingSerializer(booking).data)


class CalendarFeedView(APIView):
    """The private iCalendar URL of the member's (or trainer's) bookings. POST makes a
    new URL and revokes the old one."""

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("CalendarFeedUrl", {"url": serializers.URLField()}),
            404: NO_FEED_PROFILE,
        },
    )
    def get(self, request):
        feed = calendar_feed_for(user=request.user)
        return Response({"url": request.build_absolute_uri(f"/calendar/{feed.token}.ics")})

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("CalendarFeedUrlNew", {"url": serializers.URLField()}),
            404: NO_FEED_PROFILE,
        },
    )
    def post(self, request):
        feed = calendar_feed_for(user=request.user, rotate=True)
        return Response({"url": request.build_absolute_uri(f"/calendar/{feed.token}.ics")})
