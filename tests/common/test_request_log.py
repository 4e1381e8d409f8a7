"""Quiet, useful logs (issue 15 item 9): one line per handled error with the request id,
no traceback; a real 500 keeps its traceback and the request id; the favicon is served."""

import logging

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.common import request_log
from apps.tenants.api.views import GymDirectoryView
from tests.conftest import host

DJANGO_LOGGERS = ("django.request", "django.security")


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def _records(caplog, name):
    return [r for r in caplog.records if r.name == name or r.name.startswith(name + ".")]


def _console():
    """The configured console handler (settings.LOGGING): what the log really prints."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return handler


def _printed(record) -> str:
    handler = _console()
    assert handler.filter(record)
    return handler.format(record)


def _only_line(caplog):
    for name in DJANGO_LOGGERS:
        assert _records(caplog, name) == [], f"{name} logged too"
    lines = _records(caplog, "apps.requests")
    assert len(lines) == 1, [r.getMessage() for r in lines]
    return lines[0]


def test_a_403_page_logs_one_line_with_the_request_id_and_no_traceback(gym_a, make_user, web, logs):
    member = make_user(gym_a, role=Role.MEMBER)
    response = web(gym_a, member).get("/dashboard/members/")
    assert response.status_code == 403

    line = _only_line(logs)
    assert line.levelno == logging.WARNING
    assert line.exc_info is None and line.exc_text is None
    assert line.request_id == response["X-Request-ID"]
    assert line.getMessage() == (
        f"403 GET /dashboard/members/ user={member.pk} schema={gym_a.schema_name}"
        " reason=PermissionDenied"
    )
    printed = _printed(line)
    assert f"request_id={response['X-Request-ID']}" in printed
    assert "Traceback" not in printed and "\n" not in printed


def test_an_incoming_request_id_is_the_one_logged(gym_a, web, logs):
    response = web(gym_a).get("/no-such-page/", HTTP_X_REQUEST_ID="proxy-id-1234")
    assert response.status_code == 404 and response["X-Request-ID"] == "proxy-id-1234"
    line = _only_line(logs)
    assert line.levelno == logging.INFO  # a miss, not a warning
    assert line.request_id == "proxy-id-1234"
    assert line.getMessage().startswith("404 GET /no-such-page/ user=- schema=")
    assert "reason=no route" in line.getMessage()  # not the list of every URL pattern


def test_api_errors_log_one_line_with_the_error_code(gym_a, make_user, api, logs):
    response = api(gym_a).get("/api/v1/members/")
    assert response.status_code in (401, 403)
    line = _only_line(logs)
    assert line.exc_info is None
    assert line.request_id == response.json()["error"]["request_id"] == response["X-Request-ID"]
    assert f"reason={response.json()['error']['code']}" in line.getMessage()


def test_an_application_error_logs_its_code(gym_a, make_user, make_member, api, logs):
    owner = make_user(gym_a, role=Role.OWNER)
    make_member(gym_a, email="taken@example.com")
    body = {"first_name": "Ana", "last_name": "Ruiz", "email": "taken@example.com"}
    response = api(gym_a, owner).post("/api/v1/members/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "email_taken"  # an ApplicationError
    line = _only_line(logs)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert line.getMessage().endswith(" reason=email_taken")


def test_a_forged_line_in_the_path_stays_on_one_line(gym_a, web, logs):
    web(gym_a).get("/x%0A2026-01-01 ERROR forged")
    message = _only_line(logs).getMessage()
    assert "\n" not in message and "/x\\n2026-01-01 ERROR forged" in message


def test_a_csrf_refusal_logs_one_line(gym_a, make_user, logs):
    owner = make_user(gym_a, role=Role.OWNER)
    client = Client(HTTP_HOST=host(gym_a), enforce_csrf_checks=True)
    with tenant_context(gym_a):
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/dashboard/members/new/", {})
    assert response.status_code == 403
    line = _only_line(logs)
    assert line.getMessage().startswith(f"403 POST /dashboard/members/new/ user={owner.pk}")
    assert "reason=CSRF" in line.getMessage()


def test_a_500_keeps_its_traceback_and_the_request_id(gym_a, monkeypatch, logs):
    def boom():
        raise RuntimeError("the health check broke")

    monkeypatch.setattr("apps.common.views.health_report", boom)
    client = Client(HTTP_HOST=host(gym_a), raise_request_exception=False)
    response = client.get("/healthz", HTTP_X_REQUEST_ID="crash-id-5678")
    assert response.status_code == 500 and response["X-Request-ID"] == "crash-id-5678"

    assert _records(logs, "apps.requests") == []  # the traceback record is the log
    [record] = _records(logs, "django.request")
    assert record.levelno == logging.ERROR and record.exc_info is not None
    printed = _printed(record)
    assert "request_id=crash-id-5678" in printed
    assert "Traceback" in printed and "the health check broke" in printed


def test_an_api_500_logs_its_traceback_once(db, monkeypatch, logs):
    def boom(self):
        raise RuntimeError("the directory broke")

    monkeypatch.setattr(GymDirectoryView, "get_queryset", boom)
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    response = client.get("/api/v1/gyms/?q=x")
    assert response.status_code == 500
    assert response.json()["error"]["request_id"] == response["X-Request-ID"]

    for name in (*DJANGO_LOGGERS, "apps.requests"):
        assert _records(logs, name) == [], name
    [record] = _records(logs, "apps.common.api.errors")
    assert record.exc_info is not None
    printed = _printed(record)
    assert f"request_id={response['X-Request-ID']}" in printed and "Traceback" in printed


def test_a_503_without_an_exception_logs_one_error_line(gym_a, monkeypatch, logs):
    monkeypatch.setattr(
        "apps.common.views.health_report", lambda: {"status": "degraded", "checks": {}}
    )
    response = Client(HTTP_HOST=host(gym_a)).get("/healthz")
    assert response.status_code == 503
    line = _only_line(logs)
    assert line.levelno == logging.ERROR and line.exc_info is None


def test_success_logs_nothing(gym_a, web, logs):
    assert web(gym_a).get("/healthz").status_code == 200
    assert _records(logs, "apps.requests") == []


def test_records_outside_a_request_get_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert "request_id=- hello" in _printed(record)
    token = request_log.set_request_id("inside-0001")
    try:
        inside = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        assert "request_id=inside-0001 hello" in _printed(inside)
    finally:
        request_log.reset_request_id(token)


@pytest.mark.parametrize("on_gym", [True, False])
def test_favicon_is_served(gym_a, logs, on_gym):
    response = Client(HTTP_HOST=host(gym_a) if on_gym else "localhost").get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert _records(logs, "apps.requests") == []


def test_pages_link_their_icon(gym_a, make_user, web):
    owner = make_user(gym_a, role=Role.OWNER)
    member = make_user(gym_a, role=Role.MEMBER)
    staff_page = web(gym_a, owner).get("/dashboard/").content.decode()
    assert 'rel="icon" href="/static/favicon.ico"' in staff_page
    landing = Client(HTTP_HOST="localhost").get("/").content.decode()
    assert 'rel="icon"' in landing
    member_page = web(gym_a, member).get("/app/", follow=True).content.decode()
    assert 'rel="icon"' in member_page
