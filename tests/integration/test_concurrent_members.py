"""Member numbers under real concurrency: parallel connections, committed data."""

from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from django_tenants.utils import tenant_context

from apps.members.services import member_create


def test_parallel_creations_get_distinct_numbers(committed_gym_a):
    def create(i: int) -> int:
        try:
            with tenant_context(committed_gym_a):
                return member_create(data={"first_name": f"P{i}"}).number
        finally:
            connection.close()  # each worker thread has its own connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(24)))
    assert len(set(numbers)) == 24
