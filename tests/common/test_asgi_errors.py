"""Under ASGI, Django renders error pages in a worker thread whose database connection
may be in another schema. The error page must still see the gym's session: a 404 (a
missing image is enough) must not log the user out."""

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from django.db import connection
from django.test import RequestFactory

from apps.accounts.roles import Role
from apps.common.views import error_404
from tests.realtime.test_staff_socket import _session_cookie


async def _get(host: str, path: str, cookie: str) -> tuple[int, dict]:
    # Django's AsyncClient always sends `Host: testserver` too, so build the scope by hand.
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", host.encode()), (b"cookie", f"sessionid={cookie}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    app = ApplicationCommunicator(get_asgi_application(), scope)
    await app.send_input({"type": "http.request", "body": b""})
    start = await app.receive_output(10)
    while (await app.receive_output(10)).get("more_body"):
        pass
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


def test_a_404_under_asgi_keeps_the_user_logged_in(committed_gym_a):
    cookie = _session_cookie(committed_gym_a, Role.OWNER)
    host = f"{committed_gym_a.slug}.localhost"

    async def scenario():
        status, headers = await _get(host, "/missing-image.png", cookie)
        assert status == 404
        # Django deletes the cookie when the session it loaded looks empty.
        assert "sessionid=;" not in headers.get("set-cookie", "")
        status, _headers = await _get(host, "/dashboard/", cookie)
        assert status == 200

    async_to_sync(scenario)()


def test_error_page_renders_in_the_requests_schema_whatever_the_threads_connection(
    gym_a, make_user
):
    user = make_user(gym_a, Role.OWNER)
    request = RequestFactory().get("/favicon.ico", HTTP_HOST="gym-a.localhost")
    request.tenant = gym_a
    seen = {}

    class LazyUser:  # evaluated by the template, as request.user is
        @property
        def is_authenticated(self):
            seen["schema"] = connection.schema_name
            return True

        def get_short_name(self):
            return user.get_short_name()

    request.user = LazyUser()
    connection.set_schema_to_public()  # the worker thread's connection, elsewhere
    response = error_404(request)
    assert response.status_code == 404
    assert seen["schema"] == gym_a.schema_name
