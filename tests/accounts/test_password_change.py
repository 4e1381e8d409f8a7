"""Changing the password from the app keeps the session that changed it and signs out
every other one (web and app)."""

from apps.accounts.roles import Role
from tests.factories import PASSWORD

NEW_PASSWORD = "An0ther-strong-pass"


def _login(api, gym, email, password=PASSWORD) -> str:
    response = api(gym).post(
        "/_allauth/app/v1/auth/login", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_app_password_change_keeps_this_session_and_ends_the_others(
    gym_a, make_user, make_member, api, web
):
    user = make_user(gym_a, Role.MEMBER, email="pat@a.test")
    make_member(gym_a, user=user, email="pat@a.test")
    token_a = _login(api, gym_a, "pat@a.test")
    token_b = _login(api, gym_a, "pat@a.test")
    browser = web(gym_a)
    assert (
        browser.post("/accounts/login/", {"login": "pat@a.test", "password": PASSWORD}).status_code
        == 302
    )

    client = api(gym_a)
    changed = client.post(
        "/_allauth/app/v1/account/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        HTTP_X_SESSION_TOKEN=token_a,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["meta"].get("session_token") in (None, token_a)  # no new token

    assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token_a).status_code == 200
    assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token_b).status_code == 401
    assert browser.get("/api/v1/me/").status_code in (401, 403)
    assert _login(api, gym_a, "pat@a.test", NEW_PASSWORD)
