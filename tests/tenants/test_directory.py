"""Public gym directory on the platform domain: apps find their gym's domain here."""

import pytest

from apps.tenants.models import Gym

pytestmark = pytest.mark.django_db


def test_directory_finds_gyms_by_name_or_address(api):
    response = api(None).get("/api/v1/gyms/", {"q": "gym a"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [g["slug"] for g in results] == ["gym-a"]
    assert results[0]["domain"] == "gym-a.localhost"
    assert set(results[0]) >= {"name", "logo", "primary_colour", "allow_member_signup"}
    assert results[0]["opening_hours"]["mon"] == [["06:00", "22:00"]]


def test_directory_lists_active_gyms_only_and_never_the_platform(api, gym_b):
    Gym.objects.filter(pk=gym_b.pk).update(is_active=False)
    slugs = [g["slug"] for g in api(None).get("/api/v1/gyms/").json()["results"]]
    assert "gym-a" in slugs and "gym-b" not in slugs and "public" not in slugs


def test_directory_with_no_match_is_empty_not_an_error(api):
    response = api(None).get("/api/v1/gyms/", {"q": "z" * 500})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_gym_api_is_not_served_on_the_platform_domain(api):
    response = api(None).get("/api/v1/members/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_docs_are_served_on_both_domains(api, gym_a):
    public_schema = api(None).get("/api/schema/")
    assert public_schema.status_code == 200
    assert b"/api/v1/gyms/" in public_schema.content
    assert b"/api/v1/members/" not in public_schema.content
    gym_schema = api(gym_a).get("/api/schema/")
    assert gym_schema.status_code == 200
    assert b"/api/v1/members/" in gym_schema.content and b"/api/v1/me/" in gym_schema.content
    docs = api(gym_a).get("/api/docs/")
    assert docs.status_code == 200
    # Served from our static files, not a CDN: the page works offline.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    assert b"cdn.jsdelivr" not in docs.content


def test_directory_search_with_odd_characters_is_not_a_crash(api):
    for query in ("\x00", "a\x00b", "²", "%", "_", "'; drop table"):
        assert api(None).get("/api/v1/gyms/", {"q": query}).status_code == 200
