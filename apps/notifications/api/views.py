"""The inbox and notification preferences of the person behind the request.

A member sees their member profile's notifications plus any sent to their login; a staff
user without a member profile sees the notifications sent to their login (see
`selectors.recipient_filter`). Preferences belong to the member profile, else the login."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.api.filters import FilterSetSchema, filter_values
from apps.common.api.mixins import OwnMemberMixin
from apps.common.errors import ApplicationError
from apps.notifications import selectors
from apps.notifications.api.filters import NotificationFilter
from apps.notifications.api.serializers import (
    DeviceRegisterSerializer,
    DeviceSerializer,
    NotificationPageSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    ReadAllSerializer,
    VapidKeySerializer,
)
from apps.notifications.models import Notification
from apps.notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_update,
)
from apps.notifications.services.devices import device_delete, device_register

# Ids in URLs: digits that fit PostgreSQL's bigint (anything else is a 404, not a 500).
ID_PATTERN = r"[0-9]{1,18}"


class NotificationCursorPagination(CursorPagination):
    """Newest first by id (the (member, -id) and (user, -id) indexes): stable while new
    notifications arrive, unlike page numbers. The unread count of the whole inbox rides
    in the body, so a bell needs one request."""

    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data, unread_count: int = 0):
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "unread_count": unread_count,
                "results": data,
            }
        )


class RecipientMixin(OwnMemberMixin):
    """Who the request is for: a member (their profile's notifications plus any sent to
    their login), or staff without a member profile (their login's); anyone else gets
    the usual 404. One rule for the inbox, the preferences and the push devices."""

    def recipient(self) -> dict:
        """`{"member": ..., "user": ...}` for the inbox selectors."""
        if not hasattr(self, "_recipient"):
            self._recipient = {"member": self._member_or_staff(), "user": self.request.user}
        return self._recipient

    def owner(self) -> dict:
        """Whose preferences and devices: the member profile's, else the login's."""
        who = self.recipient()
        return {"member": who["member"]} if who["member"] else {"user": who["user"]}

    def _member_or_staff(self):
        try:
            return self.get_own_member()
        except ApplicationError:
            if getattr(self.request.user, "is_gym_staff", False):
                return None
            raise


class NotificationViewSet(RecipientMixin, viewsets.GenericViewSet):
    """The in-app inbox, newest first. The socket `/ws/me/` announces new ones; this list
    is the truth (re-read it after reconnecting)."""

    lookup_value_regex = ID_PATTERN
    serializer_class = NotificationSerializer
    pagination_class = NotificationCursorPagination
    filter_backends = [FilterSetSchema]
    filtersets = {"list": NotificationFilter}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Notification.objects.none()
        return selectors.inbox(**self.recipient())

    @extend_schema(responses=NotificationPageSerializer)
    def list(self, request):
        """The person's notifications (cursor pages of 20, `page_size` up to 100) and the
        unread count of the whole inbox (whatever the filter)."""
        query = filter_values(NotificationFilter(request.query_params, request=request))
        rows = self.get_queryset()
        if query["unread"] is not None:
            rows = rows.filter(read_at__isnull=query["unread"])
        page = self.paginate_queryset(rows)
        return self.paginator.get_paginated_response(
            NotificationSerializer(page, many=True).data,
            unread_count=selectors.unread_count(**self.recipient()),
        )

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (again: no change). Someone else's id: 404."""
        notification = notification_mark_read(notification_id=int(pk), **self.recipient())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every notification of the inbox read."""
        marked = notifications_mark_all_read(**self.recipient())
        return Response(
            {"marked": marked, "unread_count": selectors.unread_count(**self.recipient())}
        )


class PreferencesView(RecipientMixin, APIView):
    """Which channels each category uses, and quiet hours (optional pushes wait for them
    to end; transactional ones do not). In-app is always on."""

    def _summary(self):
        who = self.owner()
        member = who.get("member")
        zone = (member.time_zone if member else "") or self.request.tenant.time_zone
        return selectors.preference_summary(**who, time_zone=zone)

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        return Response(PreferencesSerializer(self._summary()).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request):
        """Change some categories' channels and/or the quiet hours; what is left out
        stays as it was."""
        body = PreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        quiet = None
        if "quiet_start" in values:
            quiet = (values["quiet_start"], values["quiet_end"])
        preference_update(
            **self.owner(),
            channels={c["key"]: c["channels"] for c in values.get("categories", [])},
            quiet_hours=quiet,
        )
        return Response(PreferencesSerializer(self._summary()).data)


# --- Push devices ---


class DeviceCreateView(RecipientMixin, APIView):
    """Register this browser's push subscription or this app's FCM token. Registering the
    same endpoint or token again returns the same device (200), now belonging to whoever
    registered it last. The endpoint must be https on a public address."""

    @extend_schema(
        request=DeviceRegisterSerializer, responses={201: DeviceSerializer, 200: DeviceSerializer}
    )
    def post(self, request):
        serializer = DeviceRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        keys = data.get("keys") or {}
        device, created = device_register(
            **self.owner(),
            kind=data["kind"],
            endpoint=data["endpoint"],
            p256dh=keys.get("p256dh", ""),
            auth=keys.get("auth", ""),
            token=data["token"],
            label=data["label"],
        )
        return Response(
            DeviceSerializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DeviceDetailView(RecipientMixin, APIView):
    """Unregister one of your own devices (for example when push is switched off)."""

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        device = selectors.device_for(pk=pk, **self.owner())
        if device is None:
            raise NotFound
        device_delete(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VapidKeyView(APIView):
    """The VAPID public key browsers subscribe with, and which channels are on here."""

    @extend_schema(responses=VapidKeySerializer)
    def get(self, request):
        return Response(
            VapidKeySerializer(
                {
                    "public_key": settings.VAPID_PUBLIC_KEY if settings.VAPID_PRIVATE_KEY else "",
                    "channels": selectors.active_channels(),
                }
            ).data
        )
