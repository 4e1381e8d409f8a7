"""Motivation API for members' apps: the latest messages, and rating one (helpful or not).
Messages are written by a task after each check-in; nothing here waits on the AI."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.common.api.mixins import OwnMemberMixin
from apps.common.openapi import error_response
from apps.goals.models import Motivation
from apps.goals.selectors.motivation import motivation_latest_for_member
from apps.goals.services.motivation import motivation_rate

ID_PATTERN = r"[0-9]{1,18}"

NOT_FOUND = error_response("No such message of this member (`not_found`: also another's id).")


class MotivationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Motivation
        fields = [
            "id",
            "text",
            "situation",
            "tone",
            "language",
            "source",
            "helpful",
            "rated_at",
            "created_at",
        ]
        extra_kwargs = {
            "source": {"help_text": "`ai` or `library` (the written messages)."},
            "helpful": {"help_text": "The member's rating; null before they rate."},
        }


class RateSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="true: helpful, false: not helpful.")

    def to_internal_value(self, data):
        # A real JSON boolean only: "yes", 1 or "true" as a string are a 400, not a guess.
        if not isinstance(data, dict) or not isinstance(data.get("helpful"), bool):
            raise serializers.ValidationError({"helpful": [_("Must be true or false.")]})
        return {"helpful": data["helpful"]}


class MotivationViewSet(OwnMemberMixin, viewsets.GenericViewSet):
    """The member's motivation messages."""

    lookup_value_regex = ID_PATTERN
    serializer_class = MotivationSerializer
    pagination_class = None
    queryset = Motivation.objects.none()  # rows come from the selectors

    @extend_schema(responses=MotivationSerializer(many=True))
    def list(self, request):
        """The member's latest 20 messages, newest first."""
        rows = motivation_latest_for_member(member=self.get_own_member())
        return Response(MotivationSerializer(rows, many=True).data)

    @extend_schema(request=RateSerializer, responses={200: MotivationSerializer, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """Rate one of the member's messages helpful or not (a second rating replaces
        the first). Staff see the helpful rate per tone and per source."""
        body = RateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        motivation = motivation_rate(
            member=self.get_own_member(), motivation_id=pk, helpful=body.validated_data["helpful"]
        )
        return Response(MotivationSerializer(motivation).data)


router = SimpleRouter(trailing_slash=True)
router.register("motivation", MotivationViewSet, basename="motivation")
urlpatterns = router.urls
