"""Reads: inboxes, preferences, devices, suppressed addresses, announcements."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Func, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from apps.billing.models import LIVE_STATUSES as SUBSCRIPTION_LIVE_STATUSES
from apps.billing.models import MembershipPlan, MemberSubscription
from apps.bookings.models import Booking, BookingStatus, ClassSession
from apps.members.models import Member, MemberStatus
from apps.notifications import kinds
from apps.notifications.models import (
    Announcement,
    AnnouncementStatus,
    Category,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Device,
    DeviceKind,
    EmailSuppression,
    Notification,
    Preference,
    Segment,
)

# "All active members" of an announcement: as the gym's active-member count.
ANNOUNCEMENT_ACTIVE_STATUSES = (MemberStatus.ACTIVE, MemberStatus.TRIAL)


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


# --- Announcements -----------------------------------------------------------------------


def announcement_dedupe_key(announcement_id: int) -> str:
    """The dedupe key of an announcement's notifications: a retried fan-out sends once."""
    return f"announcement:{announcement_id}"


def announcement_recipients(*, segment: str, segment_value: str = "") -> QuerySet[Member]:
    """The members a segment names, in this gym, ordered by id (the fan-out walks them in
    chunks). The segment value must already be valid (`announcement_preview` checks it).

    - all active members: status active or trial (as the gym's active-member count);
    - members with a tag: everyone carrying the tag except cancelled members;
    - attendees of one class: booked or attended (not waitlisted, cancelled, no-show);
    - members of one plan: a live subscription (billing's LIVE_STATUSES) to the plan."""
    members = Member.objects.all()
    if segment == Segment.ALL_ACTIVE:
        members = members.filter(status__in=ANNOUNCEMENT_ACTIVE_STATUSES)
    elif segment == Segment.TAG:
        members = members.filter(tags__contains=[segment_value]).exclude(
            status=MemberStatus.CANCELLED
        )
    elif segment == Segment.SESSION:
        members = members.filter(
            pk__in=Booking.objects.filter(
                session_id=int(segment_value),
                status__in=[BookingStatus.BOOKED, BookingStatus.ATTENDED],
            ).values("member_id")
        )
    elif segment == Segment.PLAN:
        members = members.filter(
            pk__in=MemberSubscription.objects.filter(
                plan_id=int(segment_value), status__in=SUBSCRIPTION_LIVE_STATUSES
            ).values("member_id")
        )
    else:
        raise ValueError(f"Unknown segment {segment!r}")
    return members.order_by("pk")


def announcement_list() -> QuerySet[Announcement]:
    return Announcement.objects.select_related("created_by").order_by("-id")


def announcement_sent_recently(*, since) -> int:
    """Announcements of this gym created since `since` (the rate limit)."""
    return Announcement.objects.filter(created_at__gte=since).count()


def announcement_stale(*, before) -> QuerySet[Announcement]:
    """Announcements still sending that were accepted before `before`: their fan-out
    task was lost (broker down) or died; the per-minute job queues them again."""
    return Announcement.objects.filter(status=AnnouncementStatus.SENDING, created_at__lt=before)


def _outcome(status: str) -> str:
    if status == DeliveryStatus.SENT:
        return "sent"
    if status in (DeliveryStatus.FAILED, DeliveryStatus.GONE):
        return "failed"
    if status == DeliveryStatus.SKIPPED:
        return "skipped"
    return "waiting"  # queued, sending


def announcement_delivery_counts(announcement_ids) -> dict[int, dict]:
    """Per announcement id, in two queries for any number of announcements (the rows are
    found by their dedupe key `announcement:<id>`, which is indexed):

        {"in_app": n, "read": n,
         "channels": {"email": {"sent": n, "queued": n, ...}, "webpush": {...}, "fcm": {...}},
         "email": {"sent": n, "failed": n, "skipped": n, "waiting": n},
         "push": {...the same, web push and FCM together}}"""
    ids = list(announcement_ids)
    keys = {announcement_dedupe_key(i): i for i in ids}
    out = {
        i: {
            "in_app": 0,
            "read": 0,
            "channels": {},
            "email": dict.fromkeys(("sent", "failed", "skipped", "waiting"), 0),
            "push": dict.fromkeys(("sent", "failed", "skipped", "waiting"), 0),
        }
        for i in ids
    }
    if not ids:
        return out
    rows = (
        Notification.objects.filter(dedupe_key__in=keys)
        .values("dedupe_key")
        .annotate(total=Count("id"), read=Count("id", filter=Q(read_at__isnull=False)))
        .order_by()
    )
    for row in rows:
        counts = out[keys[row["dedupe_key"]]]
        counts["in_app"], counts["read"] = row["total"], row["read"]
    rows = (
        Delivery.objects.filter(notification__dedupe_key__in=keys)
        .values("notification__dedupe_key", "channel", "status")
        .annotate(total=Count("id"))
        .order_by()
    )
    for row in rows:
        counts = out[keys[row["notification__dedupe_key"]]]
        counts["channels"].setdefault(row["channel"], {})[row["status"]] = row["total"]
        group = "email" if row["channel"] == DeliveryChannel.EMAIL else "push"
        counts[group][_outcome(row["status"])] += row["total"]
    return out


def announcement_segment_options(*, now=None) -> dict[str, list[tuple[str, str]]]:
    """What the announcement form offers per segment: the gym's member tags, the classes
    of the last week and the coming two (attendees of a recent or upcoming class), and
    the membership plans. Values as the service expects them (tag, session id, plan id)."""
    now = now or timezone.now()
    tags = (
        Member.objects.annotate(tag=Func(F("tags"), function="unnest"))
        .values_list("tag", flat=True)
        .distinct()
        .order_by("tag")[:200]
    )
    sessions = (
        ClassSession.objects.filter(
            starts_at__gte=now - timedelta(days=7), starts_at__lte=now + timedelta(days=14)
        )
        .select_related("class_type")
        .order_by("starts_at")[:300]
    )
    zone = timezone.get_current_timezone()
    return {
        "tag": [(t, t) for t in tags],
        "session": [
            (
                str(s.pk),
                f"{s.class_type.name} · "
                + date_format(timezone.localtime(s.starts_at, zone), "SHORT_DATETIME_FORMAT"),
            )
            for s in sessions
        ],
        "plan": [
            (str(p.pk), p.name) for p in MembershipPlan.objects.order_by("-active", "name")[:200]
        ],
    }


def announcement_segment_labels(announcements) -> dict[int, str]:
    """`{announcement id: "Members of one plan: Gold"}` for a page of announcements, in
    at most two queries (the class and plan names)."""
    rows = list(announcements)
    session_ids = {int(a.segment_value) for a in rows if a.segment == Segment.SESSION}
    plan_ids = {int(a.segment_value) for a in rows if a.segment == Segment.PLAN}
    sessions = (
        {
            s.pk: s
            for s in ClassSession.objects.filter(pk__in=session_ids).select_related("class_type")
        }
        if session_ids
        else {}
    )
    plans = (
        dict(MembershipPlan.objects.filter(pk__in=plan_ids).values_list("pk", "name"))
        if plan_ids
        else {}
    )
    zone = timezone.get_current_timezone()
    out = {}
    for a in rows:
        label = str(Segment(a.segment).label)
        if a.segment == Segment.TAG:
            out[a.pk] = f"{label}: {a.segment_value}"
        elif a.segment == Segment.SESSION:
            session = sessions.get(int(a.segment_value))
            name = (
                f"{session.class_type.name} · "
                + date_format(timezone.localtime(session.starts_at, zone), "SHORT_DATETIME_FORMAT")
                if session
                else f"#{a.segment_value}"
            )
            out[a.pk] = f"{label}: {name}"
        elif a.segment == Segment.PLAN:
            out[a.pk] = f"{label}: {plans.get(int(a.segment_value), '#' + a.segment_value)}"
        else:
            out[a.pk] = label
    return out


def device_for(*, pk: int, member=None, user=None) -> Device | None:
    """One of this person's devices by id, or None (someone else's, or no such id)."""
    return Device.objects.filter(recipient_filter(member=member, user=user), pk=pk).first()


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
