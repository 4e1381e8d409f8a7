"""Goals API for members' apps: the member's goals (CRUD, `?status=`), a goal's progress
with its entries (manual entries where the type allows them) and body weights. Members
only: staff without a member profile get 404 `no_member_profile`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.common.api.mixins import OwnMemberMixin
from apps.common.errors import ApplicationError
from apps.common.openapi import error_response
from apps.goals.models import BodyWeight, Goal, GoalEntry, GoalStatus, GoalType, Period
from apps.goals.selectors.goals import (
    body_weights_for_member,
    goal_entries,
    goal_for_member,
    goal_list_for_member,
)
from apps.goals.services.goals import (
    body_weight_record,
    goal_archive,
    goal_create,
    goal_entry_add,
    goal_update,
)

ID_PATTERN = r"[0-9]{1,18}"

NOT_FOUND = error_response(
    "No such goal of this member (`not_found`: also another member's or another gym's id)."
)
LIMIT = error_response("The plan's number of active goals is reached (`goal_limit_reached`).")
ARCHIVED = error_response("The goal is archived (`archived`).")
ENTRY_REFUSED = error_response(
    "The goal counts itself (`entry_not_allowed`: visits, classes, body weight) or is "
    "archived (`archived`)."
)


# --- Serializers -------------------------------------------------------------------------


class GoalSerializer(serializers.ModelSerializer):
    pace = serializers.SerializerMethodField(
        help_text="ahead / on_pace / behind against the straight line to the deadline "
        "(period goals: to the end of the week/month); empty without one."
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "title",
            "type",
            "period",
            "target",
            "unit",
            "start_value",
            "exercise",
            "start_date",
            "deadline",
            "current_value",
            "progress",
            "status",
            "pace",
            "week_streak",
            "longest_week_streak",
            "completed_at",
            "archived_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_pace(self, obj: Goal) -> str:
        return getattr(obj, "pace", "")


class GoalWriteSerializer(serializers.Serializer):
    """Shapes only; the rules (plausible targets, units, dates, the limit) are the
    service's, so the API and the member pages refuse the same things."""

    title = serializers.CharField(max_length=120)
    type = serializers.ChoiceField(choices=GoalType.choices)
    period = serializers.ChoiceField(
        choices=Period.choices,
        required=False,
        allow_blank=True,
        help_text="Counted goals (visits, classes, volume, endurance): per week or month.",
    )
    target = serializers.DecimalField(max_digits=10, decimal_places=2)
    unit = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="visits, classes, kg/lb, min/km, or any word for custom (default: the "
        "type's own, or the member's weight unit).",
    )
    start_value = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    exercise = serializers.CharField(max_length=80, required=False, allow_blank=True)
    start_date = serializers.DateField(required=False, help_text="Default: today.")
    deadline = serializers.DateField(required=False, allow_null=True)


class GoalUpdateSerializer(GoalWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields.pop("start_date")


class GoalEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = GoalEntry
        fields = ["id", "value", "unit", "on", "source", "note", "created_at"]


class GoalEntryCreateSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=10, decimal_places=2)
    unit = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="Default: the goal's."
    )
    on = serializers.DateField(required=False, help_text="The member's day; default today.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ProgressSerializer(serializers.Serializer):
    goal = GoalSerializer()
    entries = GoalEntrySerializer(many=True)


class BodyWeightSerializer(serializers.ModelSerializer):
    class Meta:
        model = BodyWeight
        fields = ["id", "on", "weight_kg", "source", "created_at"]


class BodyWeightCreateSerializer(serializers.Serializer):
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    unit = serializers.ChoiceField(
        choices=[("kg", "kg"), ("lb", "lb")],
        required=False,
        help_text="Default: the member's weight unit.",
    )
    on = serializers.DateField(required=False, help_text="Default: today (member's day).")


# --- Views -------------------------------------------------------------------------------


class GoalViewSet(OwnMemberMixin, viewsets.GenericViewSet):
    """The member's own goals."""

    lookup_value_regex = ID_PATTERN
    serializer_class = GoalSerializer
    pagination_class = None
    queryset = Goal.objects.none()  # rows come from the selectors

    def _goal(self) -> Goal:
        goal = goal_for_member(member=self.get_own_member(), pk=int(self.kwargs["pk"]))
        if goal is None:
            raise ApplicationError(_("No such goal."), code="not_found", status_code=404)
        return goal

    def _answer(self, goal_id: int, status: int = 200) -> Response:
        goal = goal_for_member(member=self.get_own_member(), pk=goal_id)
        return Response(GoalSerializer(goal).data, status=status)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=GoalStatus.values, required=False),
            OpenApiParameter("archived", bool, required=False, description="Archived goals."),
        ],
        responses=GoalSerializer(many=True),
    )
    def list(self, request):
        """The member's goals, newest first, with progress, status and pace."""
        status = request.query_params.get("status") or None
        if status is not None and status not in GoalStatus.values:
            raise ApplicationError(
                _("Unknown status."), code="invalid", details={"status": [_("Unknown status.")]}
            )
        rows = goal_list_for_member(
            member=self.get_own_member(),
            status=status,
            archived=request.query_params.get("archived") in ("1", "true"),
        )
        return Response(GoalSerializer(rows, many=True).data)

    @extend_schema(
        request=GoalWriteSerializer,
        responses={201: GoalSerializer, 403: LIMIT},
    )
    def create(self, request):
        """Set a goal. Targets must be plausible for the type, the unit one it allows,
        the deadline not before the start nor past."""
        body = GoalWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        goal = goal_create(member=self.get_own_member(), data=body.validated_data)
        return self._answer(goal.pk, status=201)

    @extend_schema(responses={200: GoalSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        """One goal (also an archived one)."""
        return Response(GoalSerializer(self._goal()).data)

    @extend_schema(
        request=GoalUpdateSerializer,
        responses={200: GoalSerializer, 404: NOT_FOUND, 409: ARCHIVED},
    )
    def partial_update(self, request, pk=None):
        """Change title, target, unit, start value, exercise, deadline or period (the
        type is fixed). Progress is recomputed."""
        body = GoalUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        goal = goal_update(
            goal=self._goal(), member=self.get_own_member(), data=body.validated_data
        )
        return self._answer(goal.pk)

    @extend_schema(request=None, responses={200: GoalSerializer, 404: NOT_FOUND})
    def destroy(self, request, pk=None):
        """Archive the goal (its history stays; it leaves the list and the plan's limit)."""
        goal = goal_archive(goal=self._goal(), member=self.get_own_member())
        return self._answer(goal.pk)

    @extend_schema(methods=["GET"], responses={200: ProgressSerializer, 404: NOT_FOUND})
    @extend_schema(
        methods=["POST"],
        request=GoalEntryCreateSerializer,
        responses={
            201: OpenApiResponse(GoalEntrySerializer, description="Added; the goal moved."),
            404: NOT_FOUND,
            409: ENTRY_REFUSED,
        },
        description="Add a manual value (strength, volume, endurance, custom goals).",
    )
    @action(detail=True, methods=["get", "post"])
    def progress(self, request, pk=None):
        """The goal's current progress and its entries, newest first."""
        goal = self._goal()
        if request.method == "POST":
            body = GoalEntryCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            entry = goal_entry_add(goal=goal, member=self.get_own_member(), **body.validated_data)
            return Response(GoalEntrySerializer(entry).data, status=201)
        data = {"goal": goal, "entries": goal_entries(goal=goal)[:200]}
        return Response(ProgressSerializer(data).data)


class BodyWeightViewSet(OwnMemberMixin, viewsets.GenericViewSet):
    """The member's body weights (kg), one per day."""

    serializer_class = BodyWeightSerializer
    pagination_class = None
    queryset = BodyWeight.objects.none()

    @extend_schema(responses=BodyWeightSerializer(many=True))
    def list(self, request):
        """The member's last 100 weights, newest first, in kg."""
        return Response(
            BodyWeightSerializer(
                body_weights_for_member(member=self.get_own_member()), many=True
            ).data
        )

    @extend_schema(request=BodyWeightCreateSerializer, responses={201: BodyWeightSerializer})
    def create(self, request):
        """Log a weight (kg or lb, stored in kg). A second weight the same day replaces the
        first; body-weight goals move."""
        body = BodyWeightCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = body_weight_record(
            member=self.get_own_member(),
            weight=data["weight"],
            unit=data.get("unit", ""),
            on=data.get("on"),
        )
        return Response(BodyWeightSerializer(row).data, status=201)


router = SimpleRouter(trailing_slash=True)
router.register("goals", GoalViewSet, basename="goal")
router.register("body-weight", BodyWeightViewSet, basename="body-weight")
urlpatterns = router.urls
