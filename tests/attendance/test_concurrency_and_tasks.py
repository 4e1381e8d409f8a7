"""Scans at the same moment on separate connections, and the beat job that ends forgotten
visits in every gym. Committed data: threads and tasks use their own connections."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.attendance.models import Visit
from apps.attendance.selectors import door_cache_clear
from apps.attendance.services import check_in, door_settings_update, kiosk_register
from apps.members.services import member_create
from apps.tenants.tasks import fan_out
from tests.attendance.factories import VisitFactory, code_for


def test_simultaneous_scans_of_one_member_open_one_visit(door_committed):
    gym_a, _ = door_committed
    with tenant_context(gym_a):
        member = member_create(data={"first_name": "Twin", "status": "active"})
        kiosks = [kiosk_register(name=f"Door {n}", mode="entry")[0] for n in range(4)]
    code = code_for(gym_a, member)
    barrier = threading.Barrier(len(kiosks))

    def scan(kiosk):
        try:
            with tenant_context(gym_a):
                barrier.wait(timeout=10)
                return check_in(kiosk=kiosk, code=code, idempotency_key="same-moment")
        finally:
            connection.close()

    with ThreadPoolExecutor(len(kiosks)) as pool:
        results = list(pool.map(scan, kiosks))
    assert sorted(r["reason"] for r in results) == ["already_inside"] * 3 + ["granted"]
    with tenant_context(gym_a):
        assert Visit.objects.filter(member=member).count() == 1


def test_same_scan_replayed_in_parallel_counts_once(door_committed):
    gym_a, _ = door_committed
    with tenant_context(gym_a):
        member = member_create(data={"first_name": "Echo", "status": "active"})
        kiosk, _token = kiosk_register(name="Door", mode="entry")
    code = code_for(gym_a, member)
    barrier = threading.Barrier(4)

    def scan(_n):
        try:
            with tenant_context(gym_a):
                barrier.wait(timeout=10)
                return check_in(kiosk=kiosk, code=code, idempotency_key="k-1")
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(scan, range(4)))
    assert [r["granted"] for r in results] == [True] * 4
    assert sum(1 for r in results if not r["replayed"]) == 1
    assert len({r["visit_id"] for r in results}) == 1
    with tenant_context(gym_a):
        assert Visit.objects.filter(member=member).count() == 1


def test_the_last_place_goes_to_one_of_four_people_at_once(door_committed):
    gym_a, _ = door_committed
    with tenant_context(gym_a):
        door_settings_update(data={"capacity": 3, "refuse_when_full": True})
        inside = [member_create(data={"first_name": f"In {n}", "status": "active"}) for n in (1, 2)]
        for member in inside:
            check_in(member=member)
        waiting = [
            member_create(data={"first_name": f"W {n}", "status": "active"}) for n in range(4)
        ]
        kiosks = [kiosk_register(name=f"Door {n}", mode="entry")[0] for n in range(4)]
    door_cache_clear()
    codes = [code_for(gym_a, member) for member in waiting]
    barrier = threading.Barrier(4)

    def scan(n):
        try:
            with tenant_context(gym_a):
                barrier.wait(timeout=10)
                return check_in(kiosk=kiosks[n], code=codes[n], idempotency_key=f"k{n}")
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(scan, range(4)))
    assert sorted(r["reason"] for r in results) == ["full"] * 3 + ["granted"]
    with tenant_context(gym_a):
        assert Visit.objects.filter(exited_at__isnull=True).count() == 3
        Visit.objects.filter(member__in=inside + waiting).delete()


def test_beat_auto_checkout_fans_out_to_every_gym(door_committed):
    gym_a, gym_b = door_committed
    long_ago = timezone.now() - timedelta(hours=30)
    for gym in (gym_a, gym_b):
        with tenant_context(gym):
            member = member_create(data={"first_name": "Forgot", "status": "active"})
            VisitFactory(member=member, entered_at=long_ago)
            VisitFactory(
                member=member_create(data={"first_name": "Here", "status": "active"}),
                method="desk",
            )
    fan_out.delay("apps.attendance.tasks.auto_checkout")  # eager in tests
    for gym in (gym_a, gym_b):
        with tenant_context(gym):
            assert Visit.objects.filter(exited_at__isnull=True).count() == 1
            assert Visit.objects.get(member__first_name="Forgot").exit_method == "auto"
