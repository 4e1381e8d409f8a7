"""A bounded schemathesis pass over the gym API, as a member and as an owner.

The schema is the one gym A serves at `/api/schema/`, loaded as the test runs; every
`/api/v1/` operation in it (not the merged allauth ones: NOT_FUZZED) is called in-process
through the WSGI app with examples generated from the schema, in the test's transaction,
signed in with an allauth app session token. Each response must not be a server error,
must have a documented status code and must match the schema's body for it.

Every operation documents the 4xx it can answer in the one error shape: the ones all
operations share are added by apps/common/openapi.py, a view documents its own (a 409, a
404 of its own making). So the status code of every answer must be a documented one, and
error bodies are checked against the `Error` schema like any other. Its first pass with
that check found six undocumented answers (415 on an upload sent as JSON, the video
link's 403, the calendar feed's and the desk check-in's 404), now documented.

Deterministic: Hypothesis derandomized (examples derived from each test, no example
database), a fixed number of examples per operation, so a failure reproduces on the next
run. The whole pass is timed and the figure printed at the end of the module.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from tests.bookings.factories import ClassSessionFactory
from tests.conftest import host
from tests.factories import PASSWORD, MemberWithLoginFactory

pytestmark = pytest.mark.django_db

# Random examples per operation; with the owner's coverage phase the pass stays under two
# minutes on the 2-core machine (measured: see the line this module prints).
MEMBER_EXAMPLES = 5
OWNER_EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
CALLS: dict[str, int] = {}
# Our API only. The app login endpoints (allauth.headless, merged into the schema from
# allauth's own specification) would lock the fuzzing accounts out, sign them out and sign
# up strangers, for 9 more operations' worth of time; allauth tests them, tests/accounts
# our use of them. Excluded on the lazy schemas below: schemathesis replaces the filters
# of the schema a fixture returns with those of the lazy schema.
NOT_FUZZED = r"^/_allauth/"


WSGI_APP = WSGIHandler()


def _served_schema(gym, *, coverage: bool):
    """The schema gym A serves at /api/schema/, loaded when the test runs (so that
    collecting the suite costs nothing: built eagerly, 124 operation tests took 10 s)."""
    # A fixed seed for what schemathesis derives per operation (Hypothesis's own choices
    # are fixed by derandomize).
    config = SchemathesisConfig.from_dict(
        {"seed": 13, "phases": {"coverage": {"enabled": coverage}}}
    )
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", WSGI_APP, config=config, headers={"Host": host(gym)}
    )


@pytest.fixture
def owner_api_schema(gym_a, _keep_the_test_connection):
    # The owner reaches every operation: it also gets schemathesis's coverage phase (each
    # parameter and body field at its boundaries and with wrong types, unexpected
    # methods), about 3,700 calls. The member, refused most staff operations, gets the
    # random examples only: both phases for both roles took over two minutes.
    return _served_schema(gym_a, coverage=True)


@pytest.fixture
def member_api_schema(gym_a, _keep_the_test_connection):
    return _served_schema(gym_a, coverage=False)


@pytest.fixture(autouse=True)
def _forget_what_the_calls_cached():
    # The rows are rolled back, Redis is not: a typical-occupancy or timetable answer
    # cached for gym A here would be served to later tests.
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32's lazy loader reads and sets Node._nodeid, which pytest 9.2 no
    # longer has (its reports name each operation through subtests all the same).
    request.node._nodeid = request.node.nodeid  # noqa: SLF001 - see above


@pytest.fixture(scope="module", autouse=True)
def _report_the_pass(request):
    started = time.monotonic()
    yield
    if not CALLS:
        return
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"API fuzzing: {sum(CALLS.values())} calls over {len(CALLS)} operations "
                f"(member and owner) in {time.monotonic() - started:.0f} s"
            )


@pytest.fixture
def _keep_the_test_connection():
    # As Django's test client does: no closing of "old" connections around each request,
    # which would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _signed_in(gym, email: str) -> dict[str, str]:
    """Headers of an app signed in to the gym (allauth headless session token)."""
    # Through the same WSGI app: Django's test client would put back the signal receivers
    # that _keep_the_test_connection took off.
    response = Client(WSGI_APP).post(
        "/_allauth/app/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"Host": host(gym)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Host": host(gym), "X-Session-Token": response.json["meta"]["session_token"]}


@pytest.fixture
def fuzz_member(gym_a):
    """A member with an app login, and a class session for the timetable to show."""
    with tenant_context(gym_a):
        ClassSessionFactory()
        return MemberWithLoginFactory(email="fuzz-member@example.test")


@pytest.fixture
def member_headers(gym_a, fuzz_member, _keep_the_test_connection):
    return _signed_in(gym_a, fuzz_member.email)


@pytest.fixture
def owner_headers(gym_a, fuzz_member, _keep_the_test_connection):
    return _signed_in(gym_a, "owner@gym-a.test")


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        # Explicit examples (the coverage phase's) and generation; no shrinking: a failing
        # example is shown as found, and the budget stays bounded.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _call(case, headers: dict[str, str]) -> None:
    CALLS[case.operation.label] = CALLS.get(case.operation.label, 0) + 1
    case.call_and_validate(headers=headers, checks=CHECKS)


@_settings(MEMBER_EXAMPLES)
@schemathesis.pytest.from_fixture("member_api_schema").exclude(path_regex=NOT_FUZZED).parametrize()
def test_member_app_gets_answers_within_the_schema(case, member_headers):
    _call(case, member_headers)


@_settings(OWNER_EXAMPLES)
@schemathesis.pytest.from_fixture("owner_api_schema").exclude(path_regex=NOT_FUZZED).parametrize()
def test_owner_app_gets_answers_within_the_schema(case, owner_headers):
    _call(case, owner_headers)


# What the first passes found: responses that did not match the schema (documentation
# bugs, fixed in the annotations), each called once as the fuzzer called it.
FOUND = [
    ("member", "GET", "/api/v1/billing/invoices/", None),  # a page, documented as a list
    ("member", "GET", "/api/v1/billing/charges/", None),  # a page, documented as a list
    ("owner", "GET", "/api/v1/billing/failed-payments/", None),  # a page, documented as a list
    ("member", "GET", "/api/v1/me/visits/", None),  # a page, documented as a list
    ("member", "GET", "/api/v1/classes/sessions/", None),  # one timetable, not a list of them
    ("member", "POST", "/api/v1/trainers/match/", {}),  # {method, results}, not a list
    ("owner", "POST", "/api/v1/members/", {"first_name": "Ana"}),  # email "", household null
]


@pytest.mark.parametrize(("role", "method", "path", "body"), FOUND)
def test_responses_found_off_the_schema_now_match_it(
    request, member_api_schema, role, method, path, body
):
    headers = request.getfixturevalue(f"{role}_headers")
    operation = member_api_schema[path][method]
    case = (
        operation.Case()
        if body is None
        else operation.Case(body=body, media_type="application/json")
    )
    response = case.call(headers=headers)
    assert response.status_code < 300, response.text
    case.validate_response(response, checks=[response_schema_conformance])
