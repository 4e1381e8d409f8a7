"""`seed_demo_notifications`: the owner's bell has a count, member1 has notifications, one
announcement is sent; a second run adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.notifications import selectors
from apps.notifications.models import Announcement, AnnouncementStatus, Notification
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_fills_the_bell(gym_a, django_capture_on_commit_callbacks):
    with tenant_context(gym_a):
        member1 = MemberFactory(email="member1@demo.localhost")
        MemberFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo_notifications", gym="gym-a", stdout=io.StringIO())
    with tenant_context(gym_a):
        owner = User.objects.filter(role="owner").order_by("pk").first()
        assert selectors.unread_count(user=owner) == 2
        assert selectors.inbox(user=owner).count() == 3
        announcement = Announcement.objects.get()
        assert announcement.status == AnnouncementStatus.SENT
        assert announcement.recipient_count == 2
        counts = selectors.announcement_delivery_counts([announcement.pk])[announcement.pk]
        assert counts["in_app"] == 2 and counts["email"]["sent"] == 2
        assert Notification.objects.filter(member=member1).count() == 2


def test_seed_needs_the_gym(db):
    with pytest.raises(CommandError):
        call_command("seed_demo_notifications", gym="no-such-gym", stdout=io.StringIO())
