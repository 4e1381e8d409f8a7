"""Door API: the member's pass, occupancy, front-desk check-ins, visit history."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.attendance.api.serializers import (
    CheckInRequestSerializer,
    CheckInResultSerializer,
    MyVisitSerializer,
    OccupancySerializer,
    PassSerializer,
    TypicalOccupancySerializer,
    VisitSerializer,
)
from apps.attendance.forms import VisitFilterForm
from apps.attendance.models import Visit
from apps.attendance.selectors import (
    occupancy_now,
    pass_rotating_code,
    typical_occupancy,
    visit_list,
)
from apps.attendance.services import check_in, pass_get_or_create, visit_check_out
from apps.common.api.mixins import OwnMemberMixin
from apps.common.api.pagination import StandardPagination
from apps.common.api.permissions import IsGymStaff, ModelPermissions
from apps.common.errors import ApplicationError
from apps.common.openapi import error_response
from apps.members.models import Member

DATE_FILTERS = [
    OpenApiParameter("date_from", str, description="YYYY-MM-DD, gym-local, inclusive"),
    OpenApiParameter("date_to", str, description="YYYY-MM-DD, gym-local, inclusive"),
]


def _filters(request) -> dict:
    form = VisitFilterForm(request.query_params)
    if not form.is_valid():
        raise ApplicationError(
            _("Some filters are not valid."), code="invalid_filter", details=form.errors
        )
    return form.cleaned_data


class MyPassView(OwnMemberMixin, APIView):
    """The member's rotating door code: show it as a QR code and fetch a new one when it
    expires (every 30 s). A screenshot stops working within a minute."""

    @extend_schema(responses=PassSerializer)
    def get(self, request):
        member = self.get_own_member()
        data = pass_rotating_code(member=member, door_pass=pass_get_or_create(member=member))
        response = Response(PassSerializer(data).data)
        response["Cache-Control"] = "no-store"
        return response


class OccupancyView(APIView):
    """How many people are inside now, against the gym's capacity."""

    @extend_schema(responses=OccupancySerializer)
    def get(self, request):
        return Response(OccupancySerializer(occupancy_now()).data)


class TypicalOccupancyView(APIView):
    """Average people inside by weekday and hour (gym time) over the last four weeks."""

    @extend_schema(responses=TypicalOccupancySerializer)
    def get(self, request):
        return Response(TypicalOccupancySerializer(typical_occupancy()).data)


class CheckInView(APIView):
    """Front desk: check a member in (by id or by a presented pass code) with the same
    rules as the door. A denial is an answer, not an error: 200 with granted false."""

    permission_classes = [IsGymStaff, ModelPermissions]
    queryset = Visit.objects.none()  # for ModelPermissions: POST needs add_visit

    @extend_schema(
        request=CheckInRequestSerializer,
        responses={
            201: OpenApiResponse(CheckInResultSerializer, description="Let in."),
            200: OpenApiResponse(
                CheckInResultSerializer, description="Refused: `reason` says why."
            ),
            404: error_response("No member with the id sent."),
        },
    )
    def post(self, request):
        body = CheckInRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = None
        if body.validated_data.get("member"):
            member = get_object_or_404(Member, pk=body.validated_data["member"])
        result = check_in(member=member, code=body.validated_data.get("code", ""), by=request.user)
        return Response(
            CheckInResultSerializer(result).data, status=201 if result["granted"] else 200
        )


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff: the gym's visits, newest first."""

    permission_classes = [IsGymStaff, ModelPermissions]
    serializer_class = VisitSerializer

    def get_queryset(self):
        if self.action != "list":
            return Visit.objects.select_related("member", "kiosk")
        return visit_list(filters=_filters(self.request))

    @extend_schema(
        parameters=[
            *DATE_FILTERS,
            OpenApiParameter("member", int),
            OpenApiParameter("inside", bool),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=VisitSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        if not request.user.has_perm("attendance.change_visit"):
            self.permission_denied(request)
        visit = visit_check_out(visit=self.get_object(), by=request.user)
        return Response(VisitSerializer(visit).data)


class MyVisitsView(OwnMemberMixin, APIView):
    """The member's own visits, newest first."""

    pagination_class = StandardPagination  # also how the schema knows the list is paged

    @extend_schema(parameters=DATE_FILTERS, responses=MyVisitSerializer(many=True))
    def get(self, request):
        filters = {**_filters(request), "member": self.get_own_member().pk}
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(visit_list(filters=filters), request, view=self)
        return paginator.get_paginated_response(MyVisitSerializer(page, many=True).data)
