"""Daily check-ins API for members' apps: the member's check-ins, today's (and yesterday's
while it can be answered), answering, and the streak.

Under /api/v1/daily-check-ins/, not /api/v1/check-ins/ as the issue wrote: that path is
the front desk's door check-in (apps.attendance, a staff endpoint apps already call)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.api.mixins import OwnMemberMixin
from apps.common.openapi import error_response
from apps.goals.models import CheckIn, CheckInStatus
from apps.goals.selectors.checkins import checkin_list_for_member, checkin_today, streak_read
from apps.goals.services.checkins import MAX_REFLECTION, checkin_answer

ANSWER_REFUSED = error_response(
    "The door or a class already recorded `went` for that day (`went_recorded`)."
)


class DailyCheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = ["id", "on", "status", "source", "reflection", "mood", "energy", "updated_at"]


class DailyCheckInAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CheckInStatus.choices)
    on = serializers.DateField(
        required=False, help_text="Member-local day: today (default) or yesterday until noon."
    )
    reflection = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REFLECTION, default=""
    )
    mood = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    energy = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)


class DailyCheckInTodaySerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The member's today.")
    today = DailyCheckInSerializer(allow_null=True)
    yesterday_open = serializers.BooleanField(help_text="Yesterday can still be answered.")
    yesterday = DailyCheckInSerializer(allow_null=True)


class StreakSerializer(serializers.Serializer):
    current = serializers.IntegerField(help_text="Days in a row (rest days do not break it).")
    longest = serializers.IntegerField()
    habit_strength = serializers.IntegerField(help_text="0-100, forgiving one missed day.")
    freezes = serializers.IntegerField(help_text="Streak freezes held (max 2).")
    broken_on = serializers.DateField(allow_null=True)


class CheckInListView(OwnMemberMixin, ListAPIView):
    serializer_class = DailyCheckInSerializer

    def get_queryset(self):
        return checkin_list_for_member(member=self.get_own_member())

    def get(self, request, *args, **kwargs):
        """The member's check-ins, newest first (paginated), with their source: the
        member, the door, a class, or a streak freeze."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DailyCheckInAnswerSerializer,
        responses={
            201: OpenApiResponse(DailyCheckInSerializer, description="Answered."),
            200: OpenApiResponse(DailyCheckInSerializer, description="Changed (or the same)."),
            409: ANSWER_REFUSED,
        },
    )
    def post(self, request):
        """Answer "Did you go today?" for today, or yesterday until noon (member-local).
        Answering again changes the answer; the old one is kept in the history."""
        body = DailyCheckInAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        checkin, created = checkin_answer(member=self.get_own_member(), **body.validated_data)
        return Response(DailyCheckInSerializer(checkin).data, status=201 if created else 200)


class CheckInTodayView(OwnMemberMixin, APIView):
    @extend_schema(responses=DailyCheckInTodaySerializer)
    def get(self, request):
        """Today's check-in (null when unanswered), and yesterday's while it is open."""
        return Response(
            DailyCheckInTodaySerializer(checkin_today(member=self.get_own_member())).data
        )


class StreakView(OwnMemberMixin, APIView):
    @extend_schema(responses=StreakSerializer)
    def get(self, request):
        """The member's day streak, longest streak, habit strength and freezes."""
        return Response(StreakSerializer(streak_read(member=self.get_own_member())).data)


urlpatterns = [
    path("daily-check-ins/", CheckInListView.as_view(), name="daily-checkins"),
    path("daily-check-ins/today/", CheckInTodayView.as_view(), name="daily-checkin-today"),
    path("streak/", StreakView.as_view(), name="streak"),
]
