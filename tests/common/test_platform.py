"""Cross-cutting behaviour: health, throttling, request ids, languages, background jobs."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import tenant_context
from rest_framework.throttling import SimpleRateThrottle

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.members.models import Member
from apps.tenants.models import Gym
from apps.tenants.tasks import fan_out


def test_health_is_503_with_the_failing_part_named_when_redis_is_down(web, gym_a):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
    with override_settings(CACHES=down):  # Django re-creates the cache handlers
        response = web(gym_a).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"] is True


def test_api_throttles_per_ip_and_answers_in_the_error_shape(db, api, monkeypatch):
    # DRF binds the rates when its throttle classes load, so patch them there.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})
    cache.clear()
    try:
        codes = [api(None).get("/api/v1/gyms/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        last = api(None).get("/api/v1/gyms/")
        assert last.json()["error"]["code"] == "throttled"
        assert "Retry-After" in last
    finally:
        cache.clear()


def test_request_id_is_echoed_or_made(gym_a, web):
    given = web(gym_a).get("/healthz", HTTP_X_REQUEST_ID="abcdef123456")
    assert given["X-Request-ID"] == "abcdef123456"
    made = web(gym_a).get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert made["X-Request-ID"] != "<script>" and len(made["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("language", "text"),
    [("es", "Miembros"), ("fr", "Membres"), ("de", "Mitglieder"), ("en", "Members")],
)
def test_dashboard_speaks_the_gyms_language_unless_the_user_chose(
    gym_a, make_user, web, language, text
):
    Gym.objects.filter(pk=gym_a.pk).update(default_language=language)
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    page = client.get("/dashboard/members/").content.decode()
    assert f'<html lang="{language}">' in page and text in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert '<html lang="en">' in client.get("/dashboard/members/").content.decode()


def test_periodic_job_fans_out_once_per_gym_in_its_schema(gym_a, gym_b, make_member):
    make_member(gym_a, status="active")
    make_member(gym_a, status="trial")
    make_member(gym_a, status="cancelled")
    make_member(gym_b, status="active")
    assert (
        fan_out("apps.members.tasks.refresh_gym_stats")
        == Gym.objects.exclude(schema_name="public").count()
    )
    gym_a.refresh_from_db()
    gym_b.refresh_from_db()
    assert (gym_a.active_member_count, gym_b.active_member_count) == (2, 1)


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo")
    call_command("seed_demo")
    demo = Gym.objects.get(slug="demo")
    with tenant_context(demo):
        assert Member.objects.count() == 30
        assert set(User.objects.values_list("role", flat=True)) == {
            Role.OWNER,
            Role.MANAGER,
            Role.TRAINER,
            Role.FRONT_DESK,
            Role.MEMBER,
        }
    assert User.objects.filter(is_superuser=True).count() == 1
