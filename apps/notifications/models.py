"""Notifications, their deliveries per channel, devices, preferences, reminders and
announcements. A notification belongs to a member (members' inbox) or, for staff
messages, to a user; exactly one of the two is the recipient."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What a member chooses channels for (preferences)."""

    CLASSES = "classes", _("Classes and bookings")
    GOALS = "goals", _("Goals and streaks")
    PROGRAMS = "programs", _("Programs and assessments")
    COMMUNITY = "community", _("Community")
    BILLING = "billing", _("Billing")
    ANNOUNCEMENTS = "announcements", _("Gym announcements")


class Channel(models.TextChoices):
    """Channels a preference can switch: in-app is always on (it is the inbox)."""

    EMAIL = "email", _("Email")
    PUSH = "push", _("Push")


class Recipient(models.Model):
    """A member or (for staff messages) a user: exactly one is set."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


def _one_recipient(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(member__isnull=False, user__isnull=True)
        | Q(member__isnull=True, user__isnull=False),
        name=name,
    )


class Notification(Recipient):
    kind = models.CharField(_("kind"), max_length=64)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # Where the notification leads (a path on the gym's site or an app route).
    url = models.CharField(_("link"), max_length=500, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Same recipient + same key = the same notification: a second notify() is a no-op.
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            _one_recipient("notification_one_recipient"),
            models.UniqueConstraint(
                fields=["member", "dedupe_key"],
                condition=Q(member__isnull=False) & ~Q(dedupe_key=""),
                name="notification_member_dedupe",
            ),
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=Q(user__isnull=False) & ~Q(dedupe_key=""),
                name="notification_user_dedupe",
            ),
        ]
        indexes = [
            # The inbox (newest first) and its unread count.
            models.Index(fields=["member", "-id"], name="notification_member_inbox"),
            models.Index(fields=["user", "-id"], name="notification_user_inbox"),
            models.Index(
                fields=["member"], condition=Q(read_at__isnull=True), name="notification_unread_m"
            ),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_u"
            ),
            # Delivery counts of one announcement (`announcement:<id>`).
            models.Index(fields=["dedupe_key"], name="notification_dedupe_key"),
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBPUSH = "webpush", _("Web push")
    FCM = "fcm", _("Mobile push (FCM)")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The push service says the subscription no longer exists; the device is deleted.
    GONE = "gone", _("Gone")
    # Not sent on purpose (suppressed address, channel switched off before sending).
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    """One channel attempt of one notification (one per device for push)."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=DeliveryChannel.choices)
    device = models.ForeignKey(
        "notifications.Device",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    # Quiet hours and retry back-off: not sent before this time.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    # The rendered message (email subject/text/html, address), fixed when it was queued.
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When its pending send task was queued (notify() queues at creation); None while no
    # task is pending (held by quiet hours, waiting for a retry). The tick queues a task
    # for those once due, and again only for one whose message looks lost.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["not_before"],
                condition=Q(status__in=["queued", "sending"]),
                name="delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.notification_id}: {self.status}"


class DeviceKind(models.TextChoices):
    WEBPUSH = "webpush", _("Web push")
    FCM = "fcm", _("Mobile app (FCM)")


class Device(Recipient):
    """Where pushes go: a browser's web push subscription or an app's FCM token."""

    kind = models.CharField(_("kind"), max_length=8, choices=DeviceKind.choices)
    # Web push: the push service URL and the subscription's keys (RFC 8291).
    endpoint = models.URLField(_("endpoint"), max_length=1000, blank=True)
    p256dh = models.CharField(_("public key"), max_length=100, blank=True)
    auth = models.CharField(_("auth secret"), max_length=40, blank=True)
    # FCM registration token.
    token = models.CharField(_("token"), max_length=4096, blank=True)
    label = models.CharField(_("label"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["-id"]
        constraints = [
            _one_recipient("device_one_recipient"),
            models.UniqueConstraint(
                fields=["endpoint"], condition=~Q(endpoint=""), name="device_endpoint_unique"
            ),
            models.UniqueConstraint(
                fields=["token"], condition=~Q(token=""), name="device_token_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["member"], name="device_member"),
            models.Index(fields=["user"], name="device_user"),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} #{self.pk}"


class Preference(Recipient):
    """A person's choices: channels per category, and quiet hours (in their time zone).

    `channels` holds only what differs from the defaults of `kinds.CATEGORY_DEFAULTS`:
    `{"classes": {"email": false}}`."""

    channels = models.JSONField(_("channels"), default=dict, blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            _one_recipient("preference_one_recipient"),
            models.UniqueConstraint(
                fields=["member"], condition=Q(member__isnull=False), name="preference_member"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="preference_user"
            ),
        ]

    def __str__(self) -> str:
        return str(self.member or self.user)


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")


class EmailSuppression(models.Model):
    """An address the ESP reported as bouncing or complaining: no more optional email."""

    address = models.EmailField(_("address"), unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("email suppression")
        verbose_name_plural = _("email suppressions")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.address


class Reminder(Recipient):
    """Something to tell someone at a local time: on one date, or every listed weekday.

    The per-minute job sends reminders whose `next_at` has come and moves `next_at` to
    the next occurrence (or switches a one-date reminder off). Each occurrence is sent
    once: its notification's dedupe key is `reminder:<id>:<occurrence>`."""

    kind = models.CharField(_("kind"), max_length=64)
    local_time = models.TimeField(_("local time"))
    # ISO weekdays (1 = Monday ... 7 = Sunday); empty for a one-date reminder.
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(), default=list, blank=True, verbose_name=_("weekdays")
    )
    on_date = models.DateField(_("date"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Who made it, so it can be found again ("booking:12"): unique per kind.
    source = models.CharField(_("source"), max_length=120, blank=True)
    next_at = models.DateTimeField(_("next at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["next_at"]
        constraints = [
            _one_recipient("reminder_one_recipient"),
            models.UniqueConstraint(
                fields=["kind", "source"], condition=~Q(source=""), name="reminder_source"
            ),
            models.CheckConstraint(
                condition=Q(on_date__isnull=False) | ~Q(weekdays=[]),
                name="reminder_date_or_weekdays",
            ),
        ]
        indexes = [
            models.Index(fields=["next_at"], condition=Q(active=True), name="reminder_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.local_time:%H:%M}"


class Segment(models.TextChoices):
    ALL_ACTIVE = "all_active", _("All active members")
    TAG = "tag", _("Members with a tag")
    SESSION = "session", _("Attendees of one class")
    PLAN = "plan", _("Members of one plan")


class AnnouncementStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Announcement(models.Model):
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=2000)
    segment = models.CharField(_("recipients"), max_length=12, choices=Segment.choices)
    # The tag, class session id or plan id the segment names (empty for all members).
    segment_value = models.CharField(_("segment value"), max_length=64, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=AnnouncementStatus.choices,
        default=AnnouncementStatus.SENDING,
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title
