"""Hostile request bodies get the API's 400/413 error shape, never a 500 or a body read in
full: JSON nested past apps.common.jsonparse.MAX_DEPTH on every JSON surface, and bodies
over MAX_REQUEST_BODY_BYTES refused by the ASGI app before Django reads them."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from apps.accounts.roles import Role
from apps.common.jsonparse import MAX_DEPTH, JsonTooDeep, loads, nesting_exceeds
from config.asgi import application
from tests.factories import PASSWORD


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        (nested(MAX_DEPTH), False),
        (nested(MAX_DEPTH + 1), True),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
        ('[{"a": ' * 40 + "1" + "}]" * 40, True),  # arrays and objects both count
        ('["' + "[" * 500 + '"]', False),  # brackets inside a string are text
        ('["\\"' + "[" * 500 + '"]', False),  # ... also after an escaped quote
        ('["\\\\", ' + nested(MAX_DEPTH - 1) + "]", False),
        ("[" + ",".join(['{"a": [1]}'] * 5000) + "]", False),  # wide is fine
        ('{"name": "Zoë"}', False),
    ],
)
def test_nesting_is_measured_on_the_raw_text(text, too_deep):
    assert nesting_exceeds(text) is too_deep
    assert nesting_exceeds(text.encode()) is too_deep


def test_loads_refuses_what_json_would_recurse_on():
    with pytest.raises(JsonTooDeep):
        loads(nested(100_000))
    assert loads(nested(3)) == [[[1]]]
    with pytest.raises(ValueError):
        loads("{not json")


def _assert_parse_error(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert str(MAX_DEPTH) in error["message"]


def test_deep_json_on_the_app_login_is_a_400(gym_a, api):
    body = f'{{"email": "a@a.test", "password": {nested(1000)}}}'
    response = api(gym_a).post("/_allauth/app/v1/auth/login", body, content_type="application/json")
    _assert_parse_error(response)


def test_deep_json_on_the_api_is_a_400_and_changes_nothing(gym_a, make_user, make_member, api):
    user = make_user(gym_a, Role.MEMBER)
    make_member(gym_a, user=user, first_name="Ana")
    client = api(gym_a, user)
    body = f'{{"first_name": {nested(1000)}}}'
    _assert_parse_error(client.patch("/api/v1/me/", body, content_type="application/json"))
    assert client.get("/api/v1/me/").json()["first_name"] == "Ana"
    owner = api(gym_a, make_user(gym_a, Role.OWNER))
    _assert_parse_error(owner.post("/api/v1/members/", body, content_type="application/json"))


def test_json_at_the_limit_is_read_as_usual(gym_a, make_user, api):
    owner = api(gym_a, make_user(gym_a, Role.OWNER))
    body = f'{{"first_name": {nested(MAX_DEPTH - 1)}}}'
    response = owner.post("/api/v1/members/", body, content_type="application/json")
    # Parsed, then refused by the serializer for what it is: not a name.
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_the_right_password_still_logs_in_after_a_deep_body(gym_a, make_user, api):
    make_user(gym_a, Role.MEMBER, email="deep@a.test")
    client = api(gym_a)
    client.post("/_allauth/app/v1/auth/login", nested(5000), content_type="application/json")
    body = {"email": "deep@a.test", "password": PASSWORD}
    assert client.post("/_allauth/app/v1/auth/login", body, format="json").status_code == 200


async def _asgi_request(headers, chunks):
    """Send one HTTP request through the real ASGI app; return (status, chunks the app
    asked for)."""
    sent = []
    pulled = 0
    queue = list(chunks)

    async def receive():
        nonlocal pulled
        if not queue:
            await asyncio.sleep(3600)  # a client that never finishes its body
        pulled += 1
        body = queue.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(queue)}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/members/",
        "raw_path": b"/api/v1/members/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"gym-a.localhost"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    await asyncio.wait_for(application(scope, receive, send), timeout=10)
    return sent[0]["status"], pulled


@override_settings(MAX_REQUEST_BODY_BYTES=1000)
def test_a_declared_oversized_body_is_refused_before_it_is_read(gym_a):
    status, pulled = async_to_sync(_asgi_request)(
        [(b"content-length", str(1024**3).encode()), (b"content-type", b"application/json")],
        [b"x" * 500] * 10,
    )
    assert status == 413 and pulled == 0


@override_settings(MAX_REQUEST_BODY_BYTES=1000)
def test_a_streamed_body_is_cut_off_at_the_limit(gym_a):
    # No Content-Length (chunked): counted as it arrives, refused once past the limit.
    status, pulled = async_to_sync(_asgi_request)(
        [(b"content-type", b"application/json")], [b"x" * 400] * 50
    )
    assert status == 413 and pulled == 3
