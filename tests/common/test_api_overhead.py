"""What every API request pays: the app session token read once, and the rate throttles
kept in Redis by one atomic script with DRF's exact rules (apps/common/api)."""

import random
import threading
from types import SimpleNamespace

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework import throttling as drf

from apps.accounts.roles import Role
from apps.common.api import throttling as ours
from apps.tenants.middleware import gym_copy
from apps.tenants.models import Gym
from tests.factories import PASSWORD


def _user_request(pk: int):
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=pk), META={})


def _decide(cls, request, now: float, rate: str):
    throttle = cls()
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    throttle.timer = lambda: now
    allowed = throttle.allow_request(request, None)
    return allowed, None if allowed else throttle.wait()


@pytest.mark.parametrize("rate", ["5/s", "3/m", "20/m"])
def test_user_throttle_decides_and_waits_exactly_as_drfs(db, rate):
    ident = random.randrange(10**6, 10**7)  # keys of their own
    request = _user_request(ident)
    rng = random.Random(rate)
    duration = drf.UserRateThrottle().parse_rate(rate)[1]
    gaps = [0.0] * 4 + [f * duration for f in (0.001, 0.01, 0.05, 0.2, 1.0, 1.01)]
    now = 1_700_000_000.0
    decisions = 0
    try:
        for _ in range(300):
            # Bursts and pauses, and times exactly one window after an earlier request.
            now += rng.choice(gaps)
            theirs = _decide(drf.UserRateThrottle, request, now, rate)
            mine = _decide(ours.UserRateThrottle, request, now, rate)
            assert mine[0] == theirs[0], (now, mine, theirs)
            assert mine[1] == pytest.approx(theirs[1], abs=1e-9)
            decisions += not mine[0]
    finally:
        cache.delete_many([f"throttle_user_{ident}", f"throttle-log_user_{ident}"])
    assert decisions > 5  # the sequence did hit the limit


def test_the_window_drops_an_entry_exactly_one_duration_old(db):
    request = _user_request(random.randrange(10**7, 10**8))
    start = 1_700_000_000.25
    assert [_decide(ours.UserRateThrottle, request, start + i, "2/m")[0] for i in range(3)] == [
        True,
        True,
        False,
    ]
    allowed, wait = _decide(ours.UserRateThrottle, request, start + 59.5, "2/m")
    assert not allowed and wait == pytest.approx(0.5)  # (60 - 59.5) / (2 - 2 + 1)
    assert _decide(ours.UserRateThrottle, request, start + 60, "2/m")[0]  # first one left


def test_concurrent_requests_never_pass_the_limit(db):
    """DRF's read-then-write lets requests that read at the same time all pass; the
    script counts them one by one."""
    request = _user_request(random.randrange(10**8, 10**9))
    now = 1_700_000_000.0
    gate = threading.Barrier(20)
    answers = []

    def hit():
        gate.wait()
        answers.append(_decide(ours.UserRateThrottle, request, now, "5/m")[0])

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(answers) == [False] * 15 + [True] * 5


def test_throttle_histories_are_kept_per_gym(gym_a, gym_b):
    request = _user_request(1)  # the same user id exists in both gyms
    now = 1_700_000_000.0
    try:
        with tenant_context(gym_a):
            assert _decide(ours.UserRateThrottle, request, now, "1/m")[0]
            assert not _decide(ours.UserRateThrottle, request, now + 1, "1/m")[0]
        with tenant_context(gym_b):
            assert _decide(ours.UserRateThrottle, request, now + 2, "1/m")[0]
    finally:
        for gym in (gym_a, gym_b):
            with tenant_context(gym):
                cache.delete("throttle-log_user_1")


def test_an_app_token_request_makes_two_redis_round_trips(
    gym_a, make_user, make_member, api, monkeypatch
):
    """Session read once (not exists() and then a load) and one throttle script (not a
    read and a write of a pickled list)."""
    user = make_user(gym_a, Role.MEMBER, email="rt@a.test")
    make_member(gym_a, user=user, email="rt@a.test")
    login = api(gym_a).post(
        "/_allauth/app/v1/auth/login", {"email": "rt@a.test", "password": PASSWORD}, format="json"
    )
    token = login.json()["meta"]["session_token"]
    client = api(gym_a)
    assert client.get("/api/v1/classes/policy/", HTTP_X_SESSION_TOKEN=token).status_code == 200
    commands = []
    real = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    response = client.get("/api/v1/classes/policy/", HTTP_X_SESSION_TOKEN=token)
    monkeypatch.undo()
    assert response.status_code == 200
    assert commands.count("GET") == 1  # the session, from the cache
    assert "EXISTS" not in commands
    assert commands.count("EVALSHA") + commands.count("EVAL") == 1  # the user throttle
    assert "SET" not in commands


def test_app_tokens_still_end_with_their_session(gym_a, make_user, make_member, api):
    user = make_user(gym_a, Role.MEMBER, email="end@a.test")
    make_member(gym_a, user=user, email="end@a.test")
    login = api(gym_a).post(
        "/_allauth/app/v1/auth/login", {"email": "end@a.test", "password": PASSWORD}, format="json"
    )
    token = login.json()["meta"]["session_token"]
    client = api(gym_a)
    assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 200
    with tenant_context(gym_a):
        # Not in the cache any more: read from the database, and still valid.
        cache.delete(f"django.contrib.sessions.cached_db{token}")
        assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 200
        # Expired in the database (and gone from the cache): refused.
        Session.objects.filter(session_key=token).update(expire_date=timezone.now())
        cache.delete(f"django.contrib.sessions.cached_db{token}")
    assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).status_code == 401
    # Malformed and unknown tokens.
    for bad in ("x", "0" * 32, "a" * 200, "../../etc"):
        assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=bad).status_code == 401


def test_each_request_gets_its_own_copy_of_the_cached_gym(gym_a, web):
    """The tenant middleware hands every request a copy (views may change the gym before
    saving); gym_copy must copy what deepcopy copied."""
    gym = Gym.objects.get(pk=gym_a.pk)
    gym.opening_hours = {"mon": [["06:00", "22:00"]], "notes": {"holidays": ["2026-12-25"]}}
    gym.entitlement_overrides = {"pro": {"assessment_tests_per_month": 9}}
    gym.logo = "gyms/logo.png"
    _ = gym.logo.name  # the file object now sits in the instance
    clone = gym_copy(gym)
    for field in gym._meta.concrete_fields:
        assert getattr(clone, field.attname) == getattr(gym, field.attname), field.name
    clone.opening_hours["mon"][0][1] = "23:00"
    clone.opening_hours["notes"]["holidays"].append("2026-12-26")
    clone.entitlement_overrides["pro"]["assessment_tests_per_month"] = 1
    assert gym.opening_hours == {"mon": [["06:00", "22:00"]], "notes": {"holidays": ["2026-12-25"]}}
    assert gym.entitlement_overrides == {"pro": {"assessment_tests_per_month": 9}}
    assert clone.logo is not gym.logo and clone.logo.instance is clone
    assert gym.logo.instance is gym
    assert clone._state is not gym._state and clone._state.db == gym._state.db  # noqa: SLF001 - Django's ModelState
    assert not clone._state.adding  # noqa: SLF001
    clone.name = "Renamed in a view"
    assert gym.name != clone.name
    # Through the middleware: a view's change to request.tenant stays in that request.
    first = web(gym_a).get("/healthz")
    first.wsgi_request.tenant.opening_hours["mon"] = "changed"
    second = web(gym_a).get("/healthz")
    assert second.wsgi_request.tenant is not first.wsgi_request.tenant
    assert second.wsgi_request.tenant.opening_hours != first.wsgi_request.tenant.opening_hours
