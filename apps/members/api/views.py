from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.entitlements import entitlements
from apps.common.api.mixins import OwnMemberMixin
from apps.common.api.permissions import IsGymStaff, ModelPermissions
from apps.common.errors import ApplicationError
from apps.members.api.serializers import (
    MemberListSerializer,
    MemberSerializer,
    MemberWriteSerializer,
    MeSerializer,
    MeUpdateSerializer,
)
from apps.members.models import MemberStatus
from apps.members.selectors import member_list
from apps.members.services import member_create, member_update


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff: find, read, create and change members. Members are never deleted through the
    API: set their status to cancelled instead, so history stays."""

    permission_classes = [IsGymStaff, ModelPermissions]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return MemberListSerializer if self.action == "list" else MemberSerializer

    def get_queryset(self):
        params = self.request.query_params
        status = params.get("status")
        if status and status not in MemberStatus.values:
            raise ApplicationError(
                _("Unknown status."), code="invalid_filter", details={"status": MemberStatus.values}
            )
        return member_list(
            filters={
                "q": params.get("q"),
                "status": status,
                "tier": params.get("tier"),
                "tag": params.get("tag"),
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name, email, phone or member number"),
            OpenApiParameter("status", str, enum=MemberStatus.values),
            OpenApiParameter("tier", str),
            OpenApiParameter("tag", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MemberWriteSerializer, responses={201: MemberSerializer})
    def create(self, request):
        serializer = MemberWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = member_create(data=serializer.validated_data, by=request.user)
        return Response(MemberSerializer(member, context={"request": request}).data, status=201)

    @extend_schema(request=MemberWriteSerializer, responses=MemberSerializer)
    def partial_update(self, request, pk=None):
        member = self.get_object()
        serializer = MemberWriteSerializer(member, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        member = member_update(member=member, data=serializer.validated_data, by=request.user)
        return Response(MemberSerializer(member, context={"request": request}).data)

    @extend_schema(request=MemberWriteSerializer, responses=MemberSerializer)
    def update(self, request, pk=None):
        member = self.get_object()
        serializer = MemberWriteSerializer(member, data=request.data)
        serializer.is_valid(raise_exception=True)
        member = member_update(member=member, data=serializer.validated_data, by=request.user)
        return Response(MemberSerializer(member, context={"request": request}).data)


class MeView(OwnMemberMixin, APIView):
    """The logged-in member: profile, tier and entitlements."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _render(self, request, member):
        context = {
            "request": request,
            "entitlements": entitlements(member=member, gym=request.tenant),
        }
        return Response(MeSerializer(member, context=context).data)

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return self._render(request, self.get_own_member())

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        member = self.get_own_member()
        serializer = MeUpdateSerializer(member, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        member = member_update(member=member, data=serializer.validated_data, by=request.user)
        return self._render(request, member)
