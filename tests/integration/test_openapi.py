"""The OpenAPI schemas the hosts serve (`/api/schema/`) are complete: every operation
described, tagged by its app, with the error answers it can give in the one error shape,
and the app login endpoints (allauth.headless) merged in on gym hosts. Real error answers
match the documented `Error` component (apps/common/openapi.py)."""

from __future__ import annotations

import jsonschema
import pytest

from apps.accounts.roles import Role
from apps.common.openapi import ALLAUTH_OPERATIONS, AUTH_TAG, ERROR_COMPONENT
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ERROR_REF = f"#/components/schemas/{ERROR_COMPONENT}"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _schema(api, gym) -> dict:
    response = api(gym).get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def gym_schema(api, gym_a) -> dict:
    return _schema(api, gym_a)


@pytest.fixture
def platform_schema(api) -> dict:
    return _schema(api, None)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].removeprefix("#/components/").split("/")
        node = schema["components"][kind][name]
    return node


def _mentions_error_component(node) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ERROR_REF or any(
            _mentions_error_component(v) for v in node.values()
        )
    if isinstance(node, list):
        return any(_mentions_error_component(v) for v in node)
    return False


@pytest.mark.parametrize("which", ["gym_schema", "platform_schema"])
def test_every_operation_has_a_description_and_its_apps_tag(request, which):
    schema = request.getfixturevalue(which)
    described_tags = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    undescribed, untagged = [], []
    for path, method, operation in _operations(schema):
        if not (operation.get("description") or "").strip():
            undescribed.append(f"{method.upper()} {path}")
        tags = operation.get("tags") or []
        # "v1" is what drf-spectacular would put on every operation (the path's first part).
        if not tags or "v1" in tags or any(not described_tags.get(tag) for tag in tags):
            untagged.append(f"{method.upper()} {path} {tags}")
    assert not undescribed, f"operations without a description (add a docstring): {undescribed}"
    assert not untagged, (
        f"operations without a described app tag (SPECTACULAR_SETTINGS TAGS): {untagged}"
    )
    # Only the tags that operations use are listed.
    used = {tag for _, _, operation in _operations(schema) for tag in operation["tags"]}
    assert set(described_tags) == used


def test_gym_schema_tags_the_apps(gym_schema):
    tags = {
        (path, method): operation["tags"] for path, method, operation in _operations(gym_schema)
    }
    assert tags[("/api/v1/me/", "get")] == ["members"]
    assert tags[("/api/v1/classes/sessions/", "get")] == ["bookings"]
    assert tags[("/api/v1/me/pass/", "get")] == ["attendance"]
    assert tags[("/api/v1/billing/plans/", "get")] == ["billing"]
    assert tags[("/api/v1/notifications/", "get")] == ["notifications"]
    assert tags[("/api/v1/assessments/attempts/", "post")] == ["assessments"]
    assert tags[("/_allauth/app/v1/auth/login", "post")] == [AUTH_TAG]


@pytest.mark.parametrize("which", ["gym_schema", "platform_schema"])
def test_every_operation_documents_its_errors_in_the_one_shape(request, which):
    schema = request.getfixturevalue(which)
    missing = []
    for path, method, operation in _operations(schema):
        responses = {code: _resolve(schema, r) for code, r in operation["responses"].items()}
        client_errors = {code: r for code, r in responses.items() if code.startswith("4")}
        if not client_errors:
            missing.append(f"{method.upper()} {path}: no 4xx")
            continue
        if path.startswith("/_allauth/"):
            continue  # allauth's own error shape, documented by allauth
        expected = set()
        if "requestBody" in operation:
            expected.add("400")
        security = operation.get("security", [])
        if security and {} not in security:
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        expected.add("429")  # every API view is throttled (DEFAULT_THROTTLE_CLASSES)
        if not expected <= set(client_errors):
            missing.append(f"{method.upper()} {path}: lacks {sorted(expected - set(responses))}")
        for code, response in client_errors.items():
            if not _mentions_error_component(response):
                missing.append(f"{method.upper()} {path}: {code} is not the Error shape")
    assert not missing


def test_the_app_login_endpoints_are_merged_from_allauths_specification(gym_schema):
    for path, methods in ALLAUTH_OPERATIONS.items():
        assert path in gym_schema["paths"], path
        for method in methods:
            operation = gym_schema["paths"][path][method]
            assert operation["tags"] == [AUTH_TAG]
            assert operation["summary"] and operation["description"]
    login = gym_schema["paths"]["/_allauth/app/v1/auth/login"]["post"]
    body = _resolve(gym_schema, login["requestBody"])
    fields = _resolve(gym_schema, body["content"]["application/json"]["schema"])
    assert "email" in str(fields) and "password" in str(fields)
    # The lockout answers in our shape; allauth's own errors keep theirs.
    assert _mentions_error_component(login["responses"]["429"])
    assert not _mentions_error_component(login["responses"]["400"])
    operation_ids = [operation["operationId"] for _, _, operation in _operations(gym_schema)]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_reference_in_the_gym_schema_resolves(gym_schema):
    refs: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(gym_schema)
    unresolved = []
    for ref in refs:
        kind, name = ref.removeprefix("#/components/").split("/")
        if name not in gym_schema["components"].get(kind, {}):
            unresolved.append(ref)
    assert not unresolved


def test_the_platform_schema_has_no_app_login(platform_schema):
    assert not [path for path in platform_schema["paths"] if path.startswith("/_allauth/")]
    assert [tag["name"] for tag in platform_schema["tags"]] == ["tenants"]


def test_real_error_answers_match_the_error_component(gym_schema, gym_a, api, make_user):
    validator = jsonschema.Draft4Validator(
        {"$ref": ERROR_REF, "components": gym_schema["components"]}
    )
    staff = api(gym_a, make_user(gym_a, Role.OWNER))
    member = api(gym_a, make_user(gym_a, Role.MEMBER))
    answers = {
        400: staff.post("/api/v1/members/", {"email": "not an email"}, format="json"),
        401: api(gym_a).get("/api/v1/me/"),
        403: member.get("/api/v1/members/"),
        404: staff.get("/api/v1/members/999999/"),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.content
        errors = [e.message for e in validator.iter_errors(response.json())]
        assert not errors, (status, errors)
        assert response.json()["error"]["request_id"]


def test_the_documented_login_lockout_is_the_error_shape(gym_schema, gym_a, make_user, web):
    make_user(gym_a, Role.MEMBER, email="locked@a.test")
    client = web(gym_a)

    def login(password):
        body = {"email": "locked@a.test", "password": password}
        return client.post("/_allauth/app/v1/auth/login", body, content_type="application/json")

    assert login("not-the-password").status_code == 400  # allauth's own shape
    for _ in range(4):  # up to AXES_FAILURE_LIMIT
        login("not-the-password")
    response = login(PASSWORD)
    assert response.status_code == 429
    validator = jsonschema.Draft4Validator(
        {"$ref": ERROR_REF, "components": gym_schema["components"]}
    )
    assert not list(validator.iter_errors(response.json()))
    assert response.json()["error"]["code"] == "locked_out"
