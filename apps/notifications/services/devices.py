"""Registering and removing push devices (browser subscriptions, app FCM tokens).

Registering is idempotent: the same endpoint or token again is the same device, moved to
whoever registers it now (a browser shared by two members pushes to the one signed in).
A person keeps at most MAX_DEVICES; registering another drops their least recently used."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError
from apps.notifications.endpoints import endpoint_problem, keys_problem, token_problem
from apps.notifications.models import Device, DeviceKind

MAX_DEVICES = 10


def _refuse(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_device", details={field: [message]})


def device_register(
    *,
    member=None,
    user=None,
    kind: str,
    endpoint: str = "",
    p256dh: str = "",
    auth: str = "",
    token: str = "",
    label: str = "",
) -> tuple[Device, bool]:
    """The device for this subscription or token, now belonging to `member` (or, for staff
    without a member profile, `user`). Returns (device, created)."""
    if (member is None) == (user is None):
        raise ValueError("device_register needs exactly one of member and user")
    label = (label or "")[:120]
    if kind == DeviceKind.WEBPUSH:
        problem = endpoint_problem(endpoint)
        if problem:
            raise _refuse(problem, "endpoint")
        problem = keys_problem(p256dh, auth)
        if problem:
            raise _refuse(problem, "keys")
        lookup = {"endpoint": endpoint}
        values = {"p256dh": p256dh, "auth": auth, "token": ""}
    elif kind == DeviceKind.FCM:
        problem = token_problem(token)
        if problem:
            raise _refuse(problem, "token")
        lookup = {"token": token}
        values = {"endpoint": "", "p256dh": "", "auth": ""}
    else:
        raise _refuse(_("Unknown device kind."), "kind")
    values.update(kind=kind, member=member, user=user)
    if label:
        values["label"] = label
    for _attempt in range(2):
        try:
            with transaction.atomic():
                device = Device.objects.select_for_update().filter(**lookup).first()
                created = device is None
                if created:
                    device = Device.objects.create(**lookup, **values)
                else:
                    for name, value in values.items():
                        setattr(device, name, value)
                    device.save()
                _keep_newest(device)
            return device, created
        except IntegrityError:  # a concurrent registration of the same endpoint won
            continue
    raise ApplicationError(_("Please try again."), code="conflict", status_code=409)


def _keep_newest(device: Device) -> None:
    """Drop the owner's least recently used devices beyond MAX_DEVICES (this one stays)."""
    owner = {"member": device.member} if device.member_id else {"user": device.user}
    extra = list(
        Device.objects.filter(**owner)
        .exclude(pk=device.pk)
        .order_by(F("last_used_at").desc(nulls_last=True), "-created_at", "-id")
        .values_list("id", flat=True)[MAX_DEVICES - 1 :]
    )
    if extra:
        Device.objects.filter(pk__in=extra).delete()


def device_delete(*, device: Device) -> None:
    device.delete()
