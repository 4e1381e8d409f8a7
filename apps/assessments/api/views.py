"""Member and staff API for assessments, under /api/v1/assessments/."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.assessments import selectors, services
from apps.assessments.api.serializers import (
    AttemptCreateSerializer,
    AttemptSerializer,
    QuotaBlockSerializer,
)
from apps.assessments.catalogue import TESTS
from apps.assessments.models import Attempt, QuotaBlock
from apps.assessments.reasons import reason_text
from apps.assessments.track import Track
from apps.billing.entitlements import entitlements
from apps.common.api.mixins import OwnMemberMixin
from apps.common.api.permissions import IsGymStaff, ModelPermissions
from apps.common.errors import ApplicationError
from apps.common.openapi import error_response
from apps.members.models import Member

CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "avi": "video/x-msvideo"}


class CatalogueView(OwnMemberMixin, APIView):
    """The tests of the member's plan, with how to film each and how it is graded."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(
            selectors.catalogue_for_member(member=self.get_own_member(), gym=request.tenant)
        )


class AttemptListCreateView(OwnMemberMixin, ListAPIView):
    """GET: my attempts (staff: `?member=<id>` for a client's). POST (multipart `test`,
    `video`): submit a clip; 202 with the queued attempt, or an error saying why not."""

    serializer_class = AttemptSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        params = self.request.query_params
        test = params.get("test")
        test_id = int(test) if test and test.isdigit() else None
        member_id = params.get("member")
        if member_id is not None:
            if not self.request.user.has_perm("assessments.view_attempt"):
                raise ApplicationError(
                    _("Only staff may list other members' attempts."),
                    code="forbidden",
                    status_code=403,
                )
            if not member_id.isdigit():
                raise ApplicationError(_("Unknown member."), code="invalid_filter")
            member = get_object_or_404(Member, pk=int(member_id))
        else:
            member = self.get_own_member()
        return selectors.attempt_list(member=member, test_id=test_id)

    @extend_schema(
        parameters=[
            OpenApiParameter("test", int),
            OpenApiParameter("member", int, description="staff"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=AttemptCreateSerializer, responses={202: AttemptSerializer})
    def post(self, request):
        member = self.get_own_member()
        # Refuse an oversized body before reading it.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # malformed: the parser then reads no file, and the serializer says so
        if length > settings.ASSESSMENT_MAX_UPLOAD_BYTES + 64 * 1024:
            message, hint = reason_text("too_large")
            raise ApplicationError(
                message, code="too_large", status_code=413, details={"hint": hint}
            )
        serializer = AttemptCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt = services.attempt_submit(
            member=member,
            test_id=serializer.validated_data["test"],
            upload=serializer.validated_data["video"],
            by=request.user,
        )
        return Response(AttemptSerializer(attempt, context={"request": request}).data, status=202)


def _attempt(request, pk) -> Attempt:
    attempt = selectors.attempt_for_user(user=request.user, pk=pk)
    if attempt is None:
        raise Http404
    return attempt


class AttemptDetailView(APIView):
    """One attempt: its status, result (bucket, confidence, metrics) or the reason it could
    not be measured with a hint, and a signed link to the clip. Members see their own;
    staff who view assessments see any in the gym."""

    @extend_schema(responses=AttemptSerializer)
    def get(self, request, pk):
        return Response(AttemptSerializer(_attempt(request, pk), context={"request": request}).data)


class AttemptOverlayView(APIView):
    """Stored landmarks per analysed frame, for drawing the skeleton over the clip."""

    @extend_schema(
        responses={
            200: OpenApiTypes.OBJECT,
            409: error_response("The clip has not been measured yet (`not_ready`)."),
        }
    )
    def get(self, request, pk):
        attempt = _attempt(request, pk)
        if not attempt.landmarks:
            raise ApplicationError(_("No landmarks yet."), code="not_ready", status_code=409)
        track = Track.from_bytes(attempt.landmarks)
        return Response(
            {"id": attempt.pk, "width": track.width, "height": track.height, **track.overlay()}
        )


class HistoryView(OwnMemberMixin, APIView):
    """Scored attempts of one test, oldest first (trend)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, test_id):
        if test_id not in TESTS:
            raise Http404
        return Response(
            {
                "test_id": test_id,
                "attempts": selectors.test_history(member=self.get_own_member(), test_id=test_id),
            }
        )


class ReportView(OwnMemberMixin, APIView):
    """Pro and Pro+: problem areas (P1/P2), a four-week outline, progress and retest dates.
    Staff may ask for a client's with `?member=<id>`."""

    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[OpenApiParameter("member", int)])
    def get(self, request):
        member_id = request.query_params.get("member")
        if member_id is not None:
            # As for the attempt list: a member asking for someone else's is told no, not
            # silently handed their own.
            if not request.user.has_perm("assessments.view_attempt"):
                raise ApplicationError(
                    _("Only staff may read other members' reports."),
                    code="forbidden",
                    status_code=403,
                )
            member = get_object_or_404(Member, pk=int(member_id) if member_id.isdigit() else 0)
        else:
            member = self.get_own_member()
            if not entitlements(member=member, gym=request.tenant).assessment_report:
                raise ApplicationError(
                    _("Reports are part of the Pro and Pro+ plans."),
                    code="not_in_plan",
                    status_code=403,
                )
        return Response(selectors.member_report(member=member))


class VideoView(APIView):
    """The clip, for a signed, expiring link (made for its owner or staff). The link is
    the credential, so video players and apps need no headers; it names the user it was
    made for, whose access is checked again."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            (200, "video/mp4"): OpenApiTypes.BINARY,
            403: error_response(
                "The link has expired (`link_expired`) or was altered (`link_invalid`): "
                "read the attempt again for a fresh `video_url`."
            ),
        }
    )
    def get(self, request, token):
        data = services.video_token_read(token)
        attempt = Attempt.objects.select_related("member").filter(pk=data.get("a")).first()
        user = User.objects.filter(pk=data.get("u"), is_active=True).first()
        if (
            attempt is None
            or user is None
            or not selectors.user_may_view_attempt(user=user, attempt=attempt)
        ):
            raise Http404
        container = (attempt.video_info or {}).get("container", "mp4")
        response = FileResponse(
            attempt.video.open("rb"), content_type=CONTENT_TYPES.get(container, "video/mp4")
        )
        response["Cache-Control"] = "private, max-age=60"
        return response


class BlockListView(ListAPIView):
    """Staff: submission blocks (`?active=1` for the current ones)."""

    permission_classes = [IsGymStaff, ModelPermissions]
    serializer_class = QuotaBlockSerializer

    def get_queryset(self):
        return selectors.block_list(
            active_only=self.request.query_params.get("active") in ("1", "true")
        )


class BlockLiftView(APIView):
    """Staff with permission to change blocks: lift a submission block now, so the member
    may submit clips again (lifting a lifted block changes nothing)."""

    permission_classes = [IsGymStaff]

    @extend_schema(request=None, responses=QuotaBlockSerializer)
    def post(self, request, pk):
        if not request.user.has_perm("assessments.change_quotablock"):
            raise ApplicationError(_("You may not lift blocks."), code="forbidden", status_code=403)
        block = get_object_or_404(QuotaBlock, pk=pk)
        block = services.block_lift(block=block, by=request.user)
        return Response(QuotaBlockSerializer(block).data)
