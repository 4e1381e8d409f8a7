"""Challenges API for members' apps: the running and upcoming challenges, join and leave,
the opt-in leaderboard (display names only), the member's own participation (the
leaderboard choice) and, for custom totals, the member's entries."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.common.api.mixins import OwnMemberMixin
from apps.common.errors import ApplicationError
from apps.common.openapi import error_response
from apps.goals.models import Challenge, ChallengeEntry, ChallengeParticipant
from apps.goals.selectors.challenges import (
    challenge_for_member,
    challenge_leaderboard,
    challenge_list_for_member,
    challenge_percent,
    challenge_unit_label,
)
from apps.goals.services.challenges import (
    challenge_entry_add,
    challenge_join,
    challenge_leaderboard_set,
    challenge_leave,
)

ID_PATTERN = r"[0-9]{1,18}"

JOIN_REFUSED = error_response(
    "The challenge is over (`challenge_ended`) or the membership is not active "
    "(`membership_inactive`)."
)
NOT_JOINED = error_response(
    "No such challenge for members (`not_found`: also an archived one or another gym's id), "
    "or the member has not joined it (`not_joined`)."
)
ENTRY_REFUSED = error_response("The challenge counts itself (`not_custom`).")


# --- Serializers -------------------------------------------------------------------------


class ParticipationSerializer(serializers.Serializer):
    on_leaderboard = serializers.BooleanField(help_text="Shown on the leaderboard (opt-in).")
    progress = serializers.DecimalField(max_digits=10, decimal_places=2)
    percent = serializers.SerializerMethodField(help_text="0-100, of the target.")
    completed_at = serializers.DateTimeField(allow_null=True)
    joined_at = serializers.DateTimeField()

    def get_percent(self, obj: ChallengeParticipant) -> int:
        return challenge_percent(obj.progress, obj.challenge.target)


class ChallengeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    type = serializers.ChoiceField(choices=["visits", "classes", "checkins", "custom"])
    target = serializers.DecimalField(max_digits=10, decimal_places=2)
    unit = serializers.SerializerMethodField(help_text="What is counted, in words.")
    starts_on = serializers.DateField(help_text="Gym-local, inclusive.")
    ends_on = serializers.DateField(help_text="Gym-local, inclusive.")
    prize = serializers.CharField()
    state = serializers.ChoiceField(choices=["upcoming", "running", "ended"])
    participant_count = serializers.IntegerField()
    me = serializers.SerializerMethodField(help_text="The member's participation, or null.")

    def get_unit(self, obj: Challenge) -> str:
        return str(challenge_unit_label(obj))

    @extend_schema_field(ParticipationSerializer(allow_null=True))
    def get_me(self, obj: Challenge) -> dict | None:
        mine = getattr(obj, "mine", None)
        if mine is None:
            return None
        mine.challenge = obj
        return ParticipationSerializer(mine).data


class JoinSerializer(serializers.Serializer):
    on_leaderboard = serializers.BooleanField(
        default=False, help_text="Show me on the leaderboard (default: not shown)."
    )


class ParticipationUpdateSerializer(serializers.Serializer):
    on_leaderboard = serializers.BooleanField()


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField(help_text="Display name: first name and last initial.")
    progress = serializers.DecimalField(max_digits=10, decimal_places=2)
    percent = serializers.IntegerField()
    completed = serializers.BooleanField()
    me = serializers.BooleanField()


class LeaderboardSerializer(serializers.Serializer):
    participants = serializers.IntegerField(help_text="Everyone taking part, shown or not.")
    shown = serializers.IntegerField(help_text="Those who opted in to the leaderboard.")
    hidden = serializers.IntegerField(help_text="Taking part without showing (no names).")
    rows = LeaderboardRowSerializer(many=True)


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChallengeEntry
        fields = ["id", "value", "on", "created_at"]


class EntryCreateSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=10, decimal_places=2)
    on = serializers.DateField(required=False, help_text="Gym-local day; default today.")


def _not_joined() -> ApplicationError:
    return ApplicationError(
        _("You have not joined this challenge."), code="not_joined", status_code=404
    )


# --- Views -------------------------------------------------------------------------------


class ChallengeViewSet(OwnMemberMixin, viewsets.GenericViewSet):
    """The gym's challenges, as a member sees them."""

    lookup_value_regex = ID_PATTERN
    serializer_class = ChallengeSerializer
    pagination_class = None
    queryset = Challenge.objects.none()  # rows come from the selectors

    def _challenge(self) -> Challenge:
        challenge = challenge_for_member(member=self.get_own_member(), pk=int(self.kwargs["pk"]))
        if challenge is None:
            raise ApplicationError(_("No such challenge."), code="not_found", status_code=404)
        return challenge

    def _answer(self, challenge_id: int, status: int = 200) -> Response:
        challenge = challenge_for_member(member=self.get_own_member(), pk=challenge_id)
        return Response(ChallengeSerializer(challenge).data, status=status)

    @extend_schema(responses=ChallengeSerializer(many=True))
    def list(self, request):
        """Running and upcoming challenges, soonest first, each with the member's
        participation (`me`, null when not joined)."""
        rows = challenge_list_for_member(member=self.get_own_member())
        return Response(ChallengeSerializer(rows, many=True).data)

    @extend_schema(responses={200: ChallengeSerializer, 404: NOT_JOINED})
    def retrieve(self, request, pk=None):
        """One challenge (also an ended one), with the member's participation."""
        return Response(ChallengeSerializer(self._challenge()).data)

    @extend_schema(
        request=JoinSerializer,
        responses={
            201: OpenApiResponse(ChallengeSerializer, description="Joined."),
            200: OpenApiResponse(ChallengeSerializer, description="Already in it."),
            404: NOT_JOINED,
            409: JOIN_REFUSED,
        },
    )
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        """Join a running or upcoming challenge. Progress counts from the challenge's
        start, also when joining late. Joining again changes nothing (200)."""
        body = JoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        participant, created = challenge_join(
            challenge=Challenge(pk=int(pk)),
            member=self.get_own_member(),
            on_leaderboard=body.validated_data["on_leaderboard"],
        )
        return self._answer(participant.challenge_id, status=201 if created else 200)

    @extend_schema(request=None, responses={200: ChallengeSerializer, 404: NOT_JOINED})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """Leave: off the leaderboard at once. Joining again later keeps the progress
        (it is counted from what the member did) but not the leaderboard choice."""
        participant = challenge_leave(challenge=Challenge(pk=int(pk)), member=self.get_own_member())
        return self._answer(participant.challenge_id)

    @extend_schema(responses={200: LeaderboardSerializer, 404: NOT_JOINED})
    @action(detail=True, methods=["get"])
    def leaderboard(self, request, pk=None):
        """The participants who opted in, best first (display names only); the others
        count in `hidden` and appear nowhere else."""
        challenge = self._challenge()
        board = challenge_leaderboard(challenge=challenge, member=self.get_own_member())
        data = {
            "participants": board.participants,
            "shown": board.shown,
            "hidden": board.hidden,
            "rows": [row.__dict__ for row in board.rows],
        }
        return Response(LeaderboardSerializer(data).data)

    @extend_schema(methods=["GET"], responses={200: ParticipationSerializer, 404: NOT_JOINED})
    @extend_schema(
        methods=["PATCH"],
        request=ParticipationUpdateSerializer,
        responses={200: ParticipationSerializer, 404: NOT_JOINED},
        description="Opt in to (or out of) the leaderboard.",
    )
    @action(detail=True, methods=["get", "patch"])
    def me(self, request, pk=None):
        """The member's participation: progress and the leaderboard choice."""
        challenge = self._challenge()
        if challenge.mine is None:
            raise _not_joined()
        participant = challenge.mine
        if request.method == "PATCH":
            body = ParticipationUpdateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            participant = challenge_leaderboard_set(
                challenge=challenge,
                member=self.get_own_member(),
                on_leaderboard=body.validated_data["on_leaderboard"],
            )
        participant.challenge = challenge
        return Response(ParticipationSerializer(participant).data)

    @extend_schema(methods=["GET"], responses={200: EntrySerializer(many=True), 404: NOT_JOINED})
    @extend_schema(
        methods=["POST"],
        request=EntryCreateSerializer,
        responses={201: EntrySerializer, 404: NOT_JOINED, 409: ENTRY_REFUSED},
        description="Add a number to a custom-total challenge (a day of it, up to today).",
    )
    @action(detail=True, methods=["get", "post"])
    def entries(self, request, pk=None):
        """The member's entries of a custom-total challenge, newest first."""
        challenge = self._challenge()
        if challenge.mine is None:
            raise _not_joined()
        if request.method == "POST":
            body = EntryCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            entry = challenge_entry_add(
                challenge=challenge, member=self.get_own_member(), **body.validated_data
            )
            return Response(EntrySerializer(entry).data, status=201)
        return Response(EntrySerializer(challenge.mine.entries.all(), many=True).data)


router = SimpleRouter(trailing_slash=True)
router.register("challenges", ChallengeViewSet, basename="challenge")
urlpatterns = router.urls
