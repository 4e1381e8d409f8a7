"""Reads: inboxes, preferences, devices, suppressed addresses."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from apps.notifications import kinds
from apps.notifications.models import (
    Category,
    Device,
    DeviceKind,
    EmailSuppression,
    Notification,
    Preference,
)


def recipient_filter(*, member=None, user=None, prefix: str = "") -> Q:
    """Rows addressed to this person: their member profile's, plus the ones sent to their
    login as staff."""
    q = Q()
    if member is not None:
        q |= Q(**{f"{prefix}member": member})
    if user is not None:
        q |= Q(**{f"{prefix}user": user})
    if not q:
        return Q(pk__in=[])
    return q


def inbox(*, member=None, user=None) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_filter(member=member, user=user)).order_by("-id")


def unread_count(*, member=None, user=None) -> int:
    return inbox(member=member, user=user).filter(read_at__isnull=True).count()


def preference_for(*, member=None, user=None) -> Preference | None:
    if member is not None:
        return Preference.objects.filter(member=member).first()
    return Preference.objects.filter(user=user).first()


def preferences_by_recipient(member_ids, user_ids) -> dict[tuple[str, int], Preference]:
    """`{("member", id) | ("user", id): Preference}` for these people, in one query."""
    rows = Preference.objects.filter(Q(member_id__in=member_ids) | Q(user_id__in=user_ids))
    return {("member", p.member_id) if p.member_id else ("user", p.user_id): p for p in rows}


def channel_enabled(kind: kinds.Kind, preference: Preference | None, channel: str) -> bool:
    """Whether `kind` goes out on `channel` for someone with `preference`."""
    if channel not in kind.channels:
        return False
    if kind.transactional and channel == kinds.EMAIL:
        return True
    chosen = (preference.channels if preference else {}).get(kind.category, {})
    return bool(chosen.get(channel, kinds.CATEGORY_DEFAULTS[kind.category][channel]))


def active_device_kinds() -> list[str]:
    """Push channels this installation can send on (keys configured)."""
    active = []
    if settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY:
        active.append(DeviceKind.WEBPUSH.value)
    if settings.FCM_CREDENTIALS_FILE:
        active.append(DeviceKind.FCM.value)
    return active


def active_channels() -> dict[str, bool]:
    """What the API tells apps: which channels are on here."""
    device_kinds = active_device_kinds()
    return {
        "in_app": True,
        "email": True,
        "webpush": DeviceKind.WEBPUSH in device_kinds,
        "fcm": DeviceKind.FCM in device_kinds,
    }


def devices_by_recipient(member_ids, user_ids) -> dict[tuple[str, int], list[Device]]:
    kinds_on = active_device_kinds()
    out: dict[tuple[str, int], list[Device]] = {}
    if not kinds_on:
        return out
    rows = Device.objects.filter(
        Q(member_id__in=member_ids) | Q(user_id__in=user_ids), kind__in=kinds_on
    )
    for device in rows:
        key = ("member", device.member_id) if device.member_id else ("user", device.user_id)
        out.setdefault(key, []).append(device)
    return out


def suppressed_addresses(addresses) -> set[str]:
    wanted = {a.lower() for a in addresses if a}
    if not wanted:
        return set()
    return set(
        EmailSuppression.objects.filter(address__in=wanted).values_list("address", flat=True)
    )


def preference_summary(*, member=None, user=None, time_zone: str) -> dict:
    """A person's preferences as the API shows them: every category with its label (in
    the active language), whether some of its kinds are transactional (always emailed),
    the channels in effect (defaults overlaid with their choices); the quiet hours, the
    zone they are in, and the channels this installation sends on."""
    preference = preference_for(member=member, user=user)
    chosen = preference.channels if preference else {}
    transactional = {k.category for k in kinds.KINDS.values() if k.transactional}
    return {
        "categories": [
            {
                "key": category.value,
                "label": str(category.label),
                "transactional": category.value in transactional,
                "channels": {
                    **kinds.CATEGORY_DEFAULTS[category.value],
                    **chosen.get(category.value, {}),
                },
            }
            for category in Category
        ],
        "quiet_start": preference.quiet_start if preference else None,
        "quiet_end": preference.quiet_end if preference else None,
        "time_zone": time_zone,
        "active_channels": active_channels(),
    }
