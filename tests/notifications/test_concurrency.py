"""A dedupe key holds under real concurrency: ten workers retrying the same notification
(and a bulk send overlapping them) on parallel connections make one row and one email."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from apps.notifications.models import Delivery, Notification
from apps.notifications.services import notify, notify_many
from tests.factories import MemberFactory

THREADS = 10
CONTEXT = {"class_name": "Spin", "starts_local": datetime(2026, 12, 8, 18, 0)}


def test_ten_concurrent_retries_notify_once(committed_gym_a):
    gym = committed_gym_a
    with tenant_context(gym):
        member = MemberFactory(email="racer@example.com")
        others = [MemberFactory() for _ in range(5)]
    start = threading.Barrier(THREADS)

    def run(index):
        start.wait(timeout=30)
        try:
            with tenant_context(gym):
                if index % 2:
                    return len(
                        notify_many(
                            [member, *others], "booking_reminder", CONTEXT, dedupe_key="race:1"
                        )
                    )
                return 1 if notify(member, "booking_reminder", CONTEXT, dedupe_key="race:1") else 0
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        created = sum(pool.map(run, range(THREADS)))

    with tenant_context(gym):
        assert Notification.objects.filter(dedupe_key="race:1").count() == 6
        assert Notification.objects.filter(member=member).count() == 1
        assert Delivery.objects.filter(notification__member=member).count() == 1
    assert created == 6
    assert [m.to for m in mail.outbox].count(["racer@example.com"]) == 1
