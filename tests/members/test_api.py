"""Members through the REST API: staff endpoints, /me for members, errors and roles."""

import io

import pytest
from django_tenants.utils import tenant_context
from PIL import Image

from apps.accounts.roles import Role
from apps.members.models import Member
from tests.factories import PASSWORD


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_staff_create_then_find_a_member(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.FRONT_DESK))
    created = client.post(
        "/api/v1/members/",
        {
            "first_name": "Rita",
            "last_name": "Runner",
            "email": "RITA@Run.test",
            "tags": ["Morning", "morning", " student "],
            "status": "trial",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == "rita@run.test"
    assert body["tags"] == ["morning", "student"]
    assert body["number"] >= 1
    for query in (
        {"q": "rita"},
        {"q": "Rita Runner"},
        {"q": f"#{body['number']}"},
        {"status": "trial"},
        {"tag": "student"},
    ):
        found = client.get("/api/v1/members/", query).json()
        assert [m["id"] for m in found["results"]] == [body["id"]], query


def test_member_numbers_are_unique_and_increasing(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.MANAGER))
    numbers = [
        client.post("/api/v1/members/", {"first_name": f"N{i}"}, format="json").json()["number"]
        for i in range(3)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_list_is_paginated_20_by_default_and_at_most_100(gym_a, make_user, api):
    with tenant_context(gym_a):
        Member.objects.bulk_create(
            [Member(number=1000 + i, first_name=f"Bulk{i}") for i in range(120)]
        )
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    page = client.get("/api/v1/members/").json()
    assert page["count"] == 120 and len(page["results"]) == 20 and page["next"]
    assert len(client.get("/api/v1/members/", {"page_size": 500}).json()["results"]) == 100
    assert client.get("/api/v1/members/", {"page": 99}).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "A", "email": "nope"}, "email"),
        ({"first_name": "A", "date_of_birth": "31/02/2000"}, "date_of_birth"),
        ({"first_name": "A", "status": "vip"}, "status"),
        ({"first_name": "A", "tier": 7}, "tier"),
        ({"first_name": "A", "tags": "not-a-list"}, "tags"),
        ({"first_name": "A", "tags": ["x" * 40]}, "tags"),
        ({"first_name": "A", "household": 999999}, "household"),
        ({"first_name": ["A", "B"]}, "first_name"),
        ({"first_name": "A" * 81}, "first_name"),
    ],
)
def test_bad_member_input_gets_the_error_shape_and_saves_nothing(
    gym_a, make_user, api, payload, field
):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    response = client.post("/api/v1/members/", payload, format="json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert field in error["details"]
    with tenant_context(gym_a):
        assert not Member.objects.exists()


def test_duplicate_email_is_refused(gym_a, make_user, make_member, api):
    make_member(gym_a, email="twin@t.test")
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    response = client.post(
        "/api/v1/members/", {"first_name": "Twin", "email": "TWIN@t.test"}, format="json"
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "email_taken"


def test_malformed_json_and_oversized_bodies_get_the_error_shape(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    broken = client.generic("POST", "/api/v1/members/", "{nope", content_type="application/json")
    assert broken.status_code == 400 and _error(broken)["code"] == "parse_error"
    huge = client.generic(
        "POST",
        "/api/v1/members/",
        '{"notes": "' + "x" * 2_000_000 + '"}',
        content_type="application/json",
    )
    assert huge.status_code == 413 and _error(huge)["code"] == "request_too_large"
    with tenant_context(gym_a):
        assert not Member.objects.exists()


def test_unknown_ids_and_urls_get_the_error_shape(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    for url in ("/api/v1/members/999999/", "/api/v1/members/abc/", "/api/v1/nothing-here/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert _error(response)["code"] == "not_found"
    wrong_method = client.delete("/api/v1/members/1/")
    assert wrong_method.status_code == 405
    assert _error(wrong_method)["code"] == "method_not_allowed"


def test_staff_can_update_and_link_a_household(gym_a, make_user, make_member, api):
    head = make_member(gym_a, first_name="Hannah")
    child = make_member(gym_a, first_name="Kid")
    client = api(gym_a, make_user(gym_a, Role.FRONT_DESK))
    response = client.patch(
        f"/api/v1/members/{child.pk}/", {"household": head.pk, "status": "frozen"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["household"]["id"] == head.pk
    loop = client.patch(f"/api/v1/members/{head.pk}/", {"household": child.pk}, format="json")
    assert loop.status_code == 400 and _error(loop)["code"] == "invalid_household"


def test_photo_upload_is_checked(gym_a, make_user, make_member, api):
    member = make_member(gym_a)
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    fake = io.BytesIO(b"this is not an image")
    fake.name = "photo.png"
    bad = client.patch(f"/api/v1/members/{member.pk}/", {"photo": fake}, format="multipart")
    assert bad.status_code == 400 and "photo" in _error(bad)["details"]
    good = io.BytesIO(_png_bytes())
    good.name = "photo.png"
    ok = client.patch(f"/api/v1/members/{member.pk}/", {"photo": good}, format="multipart")
    assert ok.status_code == 200
    assert f"/{gym_a.schema_name}/members/photos/" in ok.json()["photo"]


@pytest.mark.parametrize(
    ("role", "can_read", "can_write"),
    [
        (Role.OWNER, True, True),
        (Role.MANAGER, True, True),
        (Role.FRONT_DESK, True, True),
        (Role.TRAINER, True, False),
        (Role.MEMBER, False, False),
    ],
)
def test_roles_decide_who_reads_and_writes_members(
    gym_a, make_user, api, role, can_read, can_write
):
    client = api(gym_a, make_user(gym_a, role))
    read = client.get("/api/v1/members/")
    assert read.status_code == (200 if can_read else 403)
    write = client.post("/api/v1/members/", {"first_name": "Role"}, format="json")
    assert write.status_code == (201 if can_write else 403)
    if not can_write:
        assert _error(write)["code"] == "permission_denied"


def test_anonymous_gets_401(gym_a, api):
    response = api(gym_a).get("/api/v1/members/")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def _app_login(api, gym, email) -> str:
    response = api(gym).post(
        "/_allauth/app/v1/auth/login", {"email": email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_member_logs_in_from_the_app_and_reads_and_edits_their_profile(
    gym_a, make_user, make_member, api
):
    user = make_user(gym_a, Role.MEMBER, email="mo@a.test")
    make_member(gym_a, user=user, email="mo@a.test", first_name="Mo", tier="pro")
    token = _app_login(api, gym_a, "mo@a.test")
    client = api(gym_a)
    me = client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["first_name"] == "Mo"
    assert me.json()["entitlements"]["assessment_tests_per_month"] == 7
    edit = client.patch(
        "/api/v1/me/", {"phone": "+34 600 000 000"}, format="json", HTTP_X_SESSION_TOKEN=token
    )
    assert edit.status_code == 200 and edit.json()["phone"] == "+34 600 000 000"
    # Members cannot raise their own tier or status: those fields are not accepted.
    sneaky = client.patch(
        "/api/v1/me/",
        {"tier": "pro_plus", "status": "active"},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert sneaky.json()["tier"] == "pro"
    assert client.get("/api/v1/members/", HTTP_X_SESSION_TOKEN=token).status_code == 403


def test_me_without_member_profile_says_so(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.TRAINER))
    response = client.get("/api/v1/me/")
    assert response.status_code == 404
    assert _error(response)["code"] == "no_member_profile"


def test_bad_app_token_is_401(gym_a, api):
    response = api(gym_a).get("/api/v1/me/", HTTP_X_SESSION_TOKEN="forged")
    assert response.status_code == 401


def test_a_crash_is_a_500_in_the_error_shape_without_internals(gym_a, make_user, api, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("apps.members.api.views.member_list", boom)
    response = api(gym_a, make_user(gym_a, Role.OWNER)).get("/api/v1/members/")
    assert response.status_code == 500
    assert _error(response)["code"] == "server_error"
    assert b"secret internals" not in response.content


def test_a_dead_realtime_layer_never_fails_a_saved_change(
    gym_a, make_user, api, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/members/", {"first_name": "Saved"}, format="json")
    assert response.status_code == 201
    with tenant_context(gym_a):
        assert Member.objects.filter(first_name="Saved").count() == 1


@pytest.mark.parametrize("query", ["²", "%00", "#", "١٢٣", "a\x00b", "x" * 5000])
def test_odd_search_input_is_not_a_crash(gym_a, make_user, api, query):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    for param in ("q", "tag", "tier"):
        response = client.get("/api/v1/members/", {param: query})
        assert response.status_code == 200, (param, query)


def test_a_household_head_cannot_join_another_household(gym_a, make_user, make_member, api):
    head, kid, other = (make_member(gym_a, first_name=n) for n in ("Head", "Kid", "Other"))
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    assert (
        client.patch(
            f"/api/v1/members/{kid.pk}/", {"household": head.pk}, format="json"
        ).status_code
        == 200
    )
    chain = client.patch(f"/api/v1/members/{head.pk}/", {"household": other.pk}, format="json")
    assert chain.status_code == 400 and _error(chain)["code"] == "invalid_household"


def test_member_numbers_are_never_reused_after_a_deletion(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    first = client.post("/api/v1/members/", {"first_name": "One"}, format="json").json()
    second = client.post("/api/v1/members/", {"first_name": "Two"}, format="json").json()
    with tenant_context(gym_a):
        Member.objects.filter(pk=second["id"]).delete()
    third = client.post("/api/v1/members/", {"first_name": "Three"}, format="json").json()
    assert third["number"] > second["number"] > first["number"]


def test_member_numbers_catch_up_with_imported_numbers(gym_a, make_user, api):
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    first = client.post("/api/v1/members/", {"first_name": "One"}, format="json").json()
    with tenant_context(gym_a):
        Member.objects.create(number=first["number"] + 1, first_name="Imported")
    nxt = client.post("/api/v1/members/", {"first_name": "Next"}, format="json")
    assert nxt.status_code == 201 and nxt.json()["number"] == first["number"] + 2


def test_a_photo_over_5_mb_is_refused_and_nothing_changes(gym_a, make_user, make_member, api):
    member = make_member(gym_a)
    buffer = io.BytesIO()
    Image.effect_noise((1400, 1400), 100).convert("RGB").save(buffer, "PNG", compress_level=0)
    assert buffer.tell() > 5 * 1024 * 1024
    buffer.seek(0)
    buffer.name = "big.png"
    client = api(gym_a, make_user(gym_a, Role.OWNER))
    response = client.patch(f"/api/v1/members/{member.pk}/", {"photo": buffer}, format="multipart")
    assert response.status_code == 400 and "photo" in _error(response)["details"]
    with tenant_context(gym_a):
        member.refresh_from_db()
        assert not member.photo
