"""`notify()`: the one way any feature tells someone something.

It writes the in-app `Notification` first (that is never lost), then one `Delivery` per
channel the recipient allows for the kind (see `kinds`), and after commit sends the
in-app event to `/ws/me/` and queues the deliveries. Pushes held by quiet hours wait with
`not_before`; the per-minute job releases them. A dedupe key makes a second call for the
same recipient a no-op, so retried tasks and replayed webhooks never notify twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from apps.common.links import gym_url
from apps.common.queue import enqueue_on_commit
from apps.common.realtime import broadcast_each_on_commit
from apps.members.models import Member
from apps.notifications import kinds, selectors
from apps.notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    DeviceKind,
    Notification,
)
from apps.notifications.timing import quiet_until

logger = logging.getLogger(__name__)

# Deliveries per queued task: big enough to reuse one connection, small enough that a
# slow push service holds one worker for seconds, not minutes.
DELIVERY_BATCH = 200
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
SEND_TASK = "apps.notifications.tasks.send_deliveries"


@dataclass
class Target:
    """A recipient as notify() needs it."""

    member: Member | None
    user: object | None
    email: str
    language: str
    time_zone: str

    @property
    def key(self) -> tuple[str, int]:
        return ("member", self.member.pk) if self.member else ("user", self.user.pk)

    @property
    def live_user_id(self) -> int | None:
        """The login whose `/ws/me/` socket hears about it."""
        return self.member.user_id if self.member else self.user.pk


def target_for(recipient, gym) -> Target:
    if isinstance(recipient, Member):
        return Target(
            member=recipient,
            user=None,
            email=recipient.email,
            language=recipient.language or gym.default_language,
            time_zone=recipient.time_zone or gym.time_zone,
        )
    # A login (staff): the gym's language and time zone.
    return Target(
        member=None,
        user=recipient,
        email=recipient.email,
        language=gym.default_language,
        time_zone=gym.time_zone,
    )


def notify(recipient, kind: str, context: dict | None = None, *, dedupe_key: str | None = None):
    """Tell `recipient` (a Member, or a User for staff messages) about `kind`. Returns the
    new Notification, or None when `dedupe_key` was already used for them."""
    created = notify_many([recipient], kind, context, dedupe_key=dedupe_key)
    return created[0] if created else None


def notify_many(
    recipients, kind: str, context: dict | None = None, *, dedupe_key: str | None = None
) -> list[Notification]:
    """`notify()` for many recipients with one context (announcements): the rows are
    written in bulk. Returns the notifications created (duplicates skipped)."""
    created = notify_each(kind, [(r, context, dedupe_key) for r in recipients])
    return [n for n in created if n is not None]


def notify_each(kind: str, items, *, isolate_errors: bool = False) -> list[Notification | None]:
    """`notify()` for many (recipient, context, dedupe_key) of one kind, each with its own
    context (due reminders), written in bulk: a few queries for the lot instead of ~8 per
    recipient. Returns, in the order of `items`, the new notification or None (dedupe key
    already used). With `isolate_errors`, an item whose texts cannot be rendered is logged
    and answers None instead of failing the others."""
    spec = kinds.get(kind)
    gym = connection.tenant
    now = timezone.now()
    items = [(target_for(r, gym), context or {}, key or "") for r, context, key in items]
    seen = _already_sent(items)
    pairs, slots = [], []
    for index, (target, context, key) in enumerate(items):
        if key and (target.key, key) in seen:
            continue
        seen.add((target.key, key))
        try:
            notification = _notification(spec, target, gym, context, key, now)
        except Exception:
            if not isolate_errors:
                raise
            logger.exception("Notification %s for %s could not be rendered", kind, target.key)
            continue
        pairs.append((target, notification))
        slots.append(index)
    out: list[Notification | None] = [None] * len(items)
    if not pairs:
        return out
    rendered = [n for _, n in pairs]
    with transaction.atomic():
        pairs = _create(pairs)
        deliveries = _deliveries(spec, pairs, gym, now)
        Delivery.objects.bulk_create(deliveries)
        _after_commit(pairs, deliveries, now)
    kept = {id(n) for _, n in pairs}  # _create drops those a concurrent call won
    for index, notification in zip(slots, rendered, strict=True):
        if id(notification) in kept:
            out[index] = notification
    return out


def _already_sent(items) -> set[tuple[tuple[str, int], str]]:
    """(recipient key, dedupe key) pairs already used, in one query."""
    keys = {key for _, _, key in items if key}
    if not keys:
        return set()
    member_ids = [t.member.pk for t, _, key in items if key and t.member]
    user_ids = [t.user.pk for t, _, key in items if key and t.user]
    rows = Notification.objects.filter(
        Q(member_id__in=member_ids) | Q(user_id__in=user_ids), dedupe_key__in=keys
    ).values_list("member_id", "user_id", "dedupe_key")
    return {(("member", m) if m else ("user", u), key) for m, u, key in rows}


def _render(template: str, context: dict, *, optional: bool = False) -> str | None:
    try:
        return render_to_string(f"notifications/{template}", context)
    except TemplateDoesNotExist:
        if optional:
            return None
        raise


def _notification(spec, target: Target, gym, context: dict, key: str, now) -> Notification:
    """The in-app row, its texts rendered in the recipient's language and time zone. The
    email texts ride along (in `_email`) until the deliveries are built."""
    full = {"gym": gym, "recipient": target.member or target.user, **context}
    with translation.override(target.language), timezone.override(target.time_zone):
        title = " ".join(_render(f"{spec.key}_subject.txt", full).split())
        message = _render(f"{spec.key}_message.txt", full).strip()
        short = _render(f"{spec.key}_short.txt", full, optional=True)
        html = _render(f"{spec.key}_message.html", full, optional=True)
    notification = Notification(
        member=target.member,
        user=target.user,
        kind=spec.key,
        category=spec.category,
        title=title[:200],
        body=(short or message).strip(),
        url=context.get("url", "")[:500],
        data=context.get("data", {}),
        dedupe_key=key,
        created_at=now,
    )
    notification._email = {"subject": title, "text": message, "html": html}  # noqa: SLF001
    return notification


def _create(pairs):
    """Insert the rows; if a concurrent call with the same dedupe key won a race, insert
    one by one and keep the ones that were new."""
    try:
        with transaction.atomic():
            Notification.objects.bulk_create([n for _, n in pairs])
        return pairs
    except IntegrityError:
        if not any(n.dedupe_key for _, n in pairs):
            raise
    kept = []
    for target, notification in pairs:
        try:
            with transaction.atomic():
                notification.save(force_insert=True)
            kept.append((target, notification))
        except IntegrityError:
            continue
    return kept


def unsubscribe_token(target: Target, category: str) -> str:
    who = {"m": target.member.pk} if target.member else {"u": target.user.pk}
    return signing.dumps({**who, "c": category}, salt=unsubscribe_salt(), compress=True)


def unsubscribe_salt() -> str:
    """Per gym: ids are per schema, so a link from gym A posted on gym B's host must not
    switch off email for B's member with the same id."""
    return f"{UNSUBSCRIBE_SALT}:{connection.schema_name}"


def _email_payload(spec, target: Target, notification: Notification, gym) -> dict:
    email = notification._email  # noqa: SLF001
    subject = email["subject"]
    if getattr(gym, "name", None):
        subject = f"[{gym.name}] {subject}"
    payload = {
        "to": target.email,
        "subject": subject,
        "text": email["text"] + "\n",
        "html": email["html"],
        "language": target.language,
    }
    if not spec.transactional:
        token = unsubscribe_token(target, spec.category)
        payload["unsubscribe"] = gym_url(reverse("notifications:unsubscribe", args=[token]))
    return payload


def _deliveries(spec, pairs, gym, now) -> list[Delivery]:
    members = [t.member.pk for t, _ in pairs if t.member]
    users = [t.user.pk for t, _ in pairs if t.user]
    preferences = selectors.preferences_by_recipient(members, users)
    devices = selectors.devices_by_recipient(members, users) if kinds.PUSH in spec.channels else {}
    suppressed = (
        set() if spec.transactional else selectors.suppressed_addresses(t.email for t, _ in pairs)
    )
    out = []
    for target, notification in pairs:
        preference = preferences.get(target.key)
        if target.email and selectors.channel_enabled(spec, preference, kinds.EMAIL):
            delivery = Delivery(
                notification=notification,
                channel=DeliveryChannel.EMAIL,
                payload=_email_payload(spec, target, notification, gym),
                created_at=now,
            )
            if target.email.lower() in suppressed:
                delivery.status = DeliveryStatus.SKIPPED
                delivery.error = "address suppressed (bounce or complaint)"
            out.append(delivery)
        if devices.get(target.key) and selectors.channel_enabled(spec, preference, kinds.PUSH):
            wait = None
            if not spec.transactional and preference is not None:
                wait = quiet_until(
                    now, target.time_zone, preference.quiet_start, preference.quiet_end
                )
            for device in devices[target.key]:
                out.append(
                    Delivery(
                        notification=notification,
                        channel=DeliveryChannel.FCM
                        if device.kind == DeviceKind.FCM
                        else DeliveryChannel.WEBPUSH,
                        device=device,
                        not_before=wait,
                        created_at=now,
                        queued_at=None if wait else now,  # held: no task until released
                    )
                )
    return out


def live_payload(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "category": notification.category,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


def _after_commit(pairs, deliveries: list[Delivery], now) -> None:
    broadcast_each_on_commit(
        [
            (f"user-{t.live_user_id}", "notification.created", live_payload(n))
            for t, n in pairs
            if t.live_user_id
        ]
    )
    queue_deliveries(
        [
            d.pk
            for d in deliveries
            if d.status == DeliveryStatus.QUEUED and (d.not_before is None or d.not_before <= now)
        ]
    )


def queue_deliveries(ids: list[int]) -> None:
    """Queue the send task for these deliveries, in batches, after commit."""
    for start in range(0, len(ids), DELIVERY_BATCH):
        enqueue_on_commit(SEND_TASK, ids[start : start + DELIVERY_BATCH])
