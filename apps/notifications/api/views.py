"""Notifications API views."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.api.mixins import OwnMemberMixin
from apps.common.errors import ApplicationError
from apps.notifications import selectors
from apps.notifications.api.serializers import (
    DeviceRegisterSerializer,
    DeviceSerializer,
    VapidKeySerializer,
)
from apps.notifications.services.devices import device_delete, device_register

# --- Push devices ---


class DeviceOwnerMixin(OwnMemberMixin):
    def device_owner(self) -> dict:
        """`{"member": ...}` for a member; `{"user": ...}` for staff without a member
        profile; the usual 404 for anyone else."""
        try:
            return {"member": self.get_own_member()}
        except ApplicationError:
            if getattr(self.request.user, "is_gym_staff", False):
                return {"user": self.request.user}
            raise


class DeviceCreateView(DeviceOwnerMixin, APIView):
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
            **self.device_owner(),
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


class DeviceDetailView(DeviceOwnerMixin, APIView):
    """Unregister one of your own devices (for example when push is switched off)."""

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        device = selectors.device_for(pk=pk, **self.device_owner())
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
