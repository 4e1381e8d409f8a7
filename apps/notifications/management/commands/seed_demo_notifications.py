"""Give the demo gym notifications: a few in the owner's inbox (the bell shows a count),
a few for member1, and one announcement sent to every active member, so its delivery
counts fill in once the worker has sent the emails. Idempotent (run seed_demo first)."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.common.management.demo import DemoSeedCommand
from apps.members.models import Member
from apps.notifications.models import Announcement, Category, Notification, Segment
from apps.notifications.services import announcement_fan_out, announcement_send

ANNOUNCEMENT_TITLE = "New opening hours from next month"
ANNOUNCEMENT_BODY = (
    "From the 1st we open at 6:00 on weekdays and stay open until 23:00 on Fridays.\n"
    "Weekend hours stay as they are. See you at the gym!"
)

# (dedupe key, kind, category, title, text, link, hours ago, read)
OWNER_NOTES = [
    (
        "demo:owner:pt",
        "pt_requested",
        Category.CLASSES,
        "New personal training request",
        "A member asked for a personal training session on Thursday at 10:00.",
        "/dashboard/classes/",
        1,
        False,
    ),
    (
        "demo:owner:payment",
        "billing_payment_failed",
        Category.BILLING,
        "A member's payment failed",
        "The card payment of one member was declined; Stripe retries in three days.",
        "/dashboard/billing/",
        5,
        False,
    ),
    (
        "demo:owner:meeting",
        "announcement",
        Category.ANNOUNCEMENTS,
        "Team meeting on Friday",
        "Short team meeting on Friday at 8:00 in the studio.",
        "",
        30,
        True,
    ),
]
MEMBER_NOTES = [
    (
        "demo:member1:reminder",
        "booking_reminder",
        Category.CLASSES,
        "Reminder: Spin tomorrow at 12:15",
        "Your place in Spin is booked. Cancel in the app if you cannot come.",
        "",
        2,
        False,
    ),
]


class Command(DemoSeedCommand):
    help = "Add demo notifications and a sent announcement to the demo gym (after seed_demo)."

    def handle(self, *args, **options):
        gym = self.demo_gym(options)
        with tenant_context(gym):
            owner = User.objects.filter(role="owner", is_active=True).order_by("pk").first()
            member = Member.objects.filter(email="member1@demo.localhost").first()
            if owner is not None:
                self._notes(OWNER_NOTES, user=owner)
            if member is not None:
                self._notes(MEMBER_NOTES, member=member)
            if (
                owner is not None
                and not Announcement.objects.filter(title=ANNOUNCEMENT_TITLE).exists()
            ):
                announcement = announcement_send(
                    by=owner,
                    title=ANNOUNCEMENT_TITLE,
                    body=ANNOUNCEMENT_BODY,
                    segment=Segment.ALL_ACTIVE,
                    segment_value="",
                )
                # Now, not through the queue: the page shows it sent with its counts
                # (the emails go out once the worker runs).
                announcement_fan_out(announcement_id=announcement.pk)
        self.stdout.write("Demo notifications ready.")

    @staticmethod
    def _notes(rows, *, member=None, user=None) -> None:
        now = timezone.now()
        for key, kind, category, title, body, url, hours_ago, read in rows:
            at = now - timedelta(hours=hours_ago)
            Notification.objects.get_or_create(
                member=member,
                user=user,
                dedupe_key=key,
                defaults={
                    "kind": kind,
                    "category": category,
                    "title": title,
                    "body": body,
                    "url": url,
                    "created_at": at,
                    "read_at": at if read else None,
                },
            )
