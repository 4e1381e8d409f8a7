"""The API's OpenAPI schema (drf-spectacular), made complete in one place:

- one tag per app (the app label of the view's module), described in
  SPECTACULAR_SETTINGS["TAGS"];
- the one error shape (`apps/common/api/errors.py`) as the component `Error`, on every
  operation for each 4xx it can answer (`AutoSchema.error_codes`), so no view lists them;
- allauth.headless's own specification of the app login endpoints, merged in under the
  tag `auth` (`merge_allauth_headless`, a postprocessing hook).

Wired in `config/settings/base.py`: REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] and
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]."""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path

import yaml
from allauth.headless.spec.internal import schema as allauth_spec
from django.apps import apps as django_apps
from django.conf import settings
from django.urls import Resolver404, resolve
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiResponse

# --- The error shape ---------------------------------------------------------------------

ERROR_COMPONENT = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
# What `apps.common.api.errors.error_body` writes; tests/integration/test_openapi.py checks
# real error answers against it.
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error (4xx and 5xx) has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, for programs: `validation_error`, "
                    "`not_authenticated`, `permission_denied`, `not_found`, `throttled`, "
                    "or the rule that refused the request (`class_full`, `not_in_plan`, ...).",
                    "example": "not_found",
                },
                "message": {
                    "type": "string",
                    "description": "For people, in the request's language.",
                    "example": "Not found.",
                },
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "For `validation_error`: the messages per field "
                    '(`{"email": ["..."]}`; `non_field_errors` for the whole body). '
                    "Otherwise what the code needs (a hint, a limit), or `{}`.",
                },
                "request_id": {
                    "type": "string",
                    "nullable": True,
                    "description": "Also in the `X-Request-ID` header; quote it when "
                    "reporting a problem.",
                },
            },
            "required": ["code", "message", "details", "request_id"],
        }
    },
    "required": ["error"],
}

# Why each status comes, and an example body, for the operations that can answer it.
ERRORS = {
    "400": (
        "The request is not valid: `validation_error` with the messages per field in "
        "`details`, or the code of the rule that refused it.",
        "validation_error",
        "Some fields are not valid.",
        {"email": ["Enter a valid email address."]},
    ),
    "401": (
        "Not signed in, or the session token has expired: sign in again "
        "(`POST /_allauth/app/v1/auth/login`) and send the new `X-Session-Token`.",
        "not_authenticated",
        "Authentication credentials were not provided.",
        {},
    ),
    "403": (
        "Signed in, but not allowed: the role lacks the permission, the plan does not "
        "include it, or (browsers) the session cookie came without a CSRF token.",
        "permission_denied",
        "You do not have permission to perform this action.",
        {},
    ),
    "404": (
        "Not found: the object does not exist in this gym or is not yours, the account "
        "has no member profile (`no_member_profile`), or the page is past the end.",
        "not_found",
        "Not found.",
        {},
    ),
    "413": (
        "The request body is too large.",
        "request_too_large",
        "The request body is too large.",
        {},
    ),
    "415": (
        "The body's `Content-Type` is not one this operation reads (JSON; uploads: "
        "`multipart/form-data`).",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
        {},
    ),
    "429": (
        "Too many requests: wait the seconds in `Retry-After`, then try again.",
        "throttled",
        "Request was throttled. Expected available in 42 seconds.",
        {},
    ),
}
PAGING_PARAMETERS = {"page", "page_size", "cursor"}


def error_response(description: str) -> OpenApiResponse:
    """An error of the shape above, for a status a view documents itself, e.g.
    `@extend_schema(responses={201: BookingSerializer, 409: error_response("...")})`."""
    return OpenApiResponse(response=ERROR_REF, description=description)


RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds to wait."}


def _error_example(code: str, message: str, details: dict | None = None) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details or {},
            "request_id": "0f3c9a7e5b2d4e8f9a1b2c3d4e5f6a7b",
        }
    }


def _error_response_for(status: str) -> dict:
    description, code, message, details = ERRORS[status]
    response = {
        "description": description,
        "content": {
            "application/json": {
                "schema": ERROR_REF,
                "example": _error_example(code, message, details),
            }
        },
    }
    if status == "429":
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with the app as the tag and the error answers added."""

    def get_tags(self) -> list[str]:
        config = django_apps.get_containing_app_config(type(self.view).__module__)
        return [config.label] if config else super().get_tags()

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(
            ResolvedComponent(
                name=ERROR_COMPONENT,
                type=ResolvedComponent.SCHEMA,
                object=ERROR_COMPONENT,
                schema=ERROR_SCHEMA,
            )
        )
        responses = operation["responses"]
        for status in self.error_codes(operation):
            responses.setdefault(status, _error_response_for(status))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_codes(self, operation: dict) -> list[str]:
        """The 4xx this operation can answer, read from what the view is."""
        codes = []
        parameters = operation.get("parameters", [])
        filters = [
            p for p in parameters if p["in"] == "query" and p["name"] not in PAGING_PARAMETERS
        ]
        # Bodies are validated; actions (POST, with a body or not) check the rules of what
        # they do; filters are checked too (`invalid_filter`).
        if "requestBody" in operation or self.method == "POST" or filters:
            codes.append("400")
        security = operation.get("security", [])
        if security and {} not in security:
            codes += ["401", "403"]
        paged = any(p["in"] == "query" and p["name"] in ("page", "cursor") for p in parameters)
        own_member = hasattr(self.view, "get_own_member")  # OwnMemberMixin: no profile, 404
        if "{" in self.path or paged or own_member:
            codes.append("404")
        if "requestBody" in operation:
            codes.append("413")  # DATA_UPLOAD_MAX_MEMORY_SIZE, answered in this shape
            codes.append("415")  # a Content-Type the view's parsers do not read
        if self.view.get_throttles():
            codes.append("429")
        return codes


# --- allauth.headless --------------------------------------------------------------------

AUTH_TAG = "auth"
ALLAUTH_PREFIX = "Allauth"
# The app client's endpoints the apps use, as allauth's specification names them (its
# `{client}` is pinned to `app`, the one client we serve). Email verification belongs to
# signup: accounts are verified by a code from the email before they may sign in.
ALLAUTH_OPERATIONS = {
    "/_allauth/app/v1/auth/login": ["post"],
    "/_allauth/app/v1/auth/session": ["get", "delete"],
    "/_allauth/app/v1/auth/signup": ["post"],
    "/_allauth/app/v1/auth/email/verify": ["post"],
    "/_allauth/app/v1/auth/email/verify/resend": ["post"],
    "/_allauth/app/v1/auth/password/request": ["post"],
    "/_allauth/app/v1/auth/password/reset": ["get", "post"],
}
# What this project adds to allauth's words.
ALLAUTH_NOTES = {
    ("/_allauth/app/v1/auth/login", "post"): (
        "Send the returned `meta.session_token` as the `X-Session-Token` header of every "
        "`/api/v1/` request (and, on sockets, as the `sessionid` cookie: see "
        "docs/sockets.md). After {failure_limit} failed sign-ins for one account from one "
        "address, that pair is locked out for {lockout_minutes} minutes: 429 in the API's "
        "error shape (`locked_out`)."
    ),
    ("/_allauth/app/v1/auth/session", "delete"): (
        "Signed out, the answer is 401 (allauth's way of saying there is no session now): "
        "forget the token."
    ),
    ("/_allauth/app/v1/auth/signup", "post"): (
        "Only on gyms that allow members to sign up (`allow_member_signup` in the gym "
        "directory); elsewhere 403. The new account is a member of this gym and must "
        "verify its email with the code it is sent (`POST .../auth/email/verify`)."
    ),
    ("/_allauth/app/v1/auth/password/request", "post"): (
        "The email holds a link to the gym's web page that sets the new password."
    ),
}
_REF = re.compile(r"^#/components/(\w+)/(.+)$")
ALLAUTH_429_SCHEMA = f"#/components/schemas/{ALLAUTH_PREFIX}RateLimited"


@lru_cache(maxsize=1)
def _allauth_spec() -> dict:
    """allauth's specification with its own adjustments to our settings (the user, the
    signup fields, the one client), as allauth serves it at `/_allauth/openapi.json` when
    HEADLESS_SERVE_SPECIFICATION is on. That view's `get_schema()` cannot be called with
    it off (it reverses the spec's own URL to find the mount point, which is ours too:
    `/_allauth/`), so the same steps run here without that one."""
    path = Path(allauth_spec.__file__).parent.parent / "doc" / "openapi.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as f:
        spec = yaml.load(f, Loader=loader)  # a safe loader (libyaml's when built with it)
    allauth_spec.specify_user(spec)
    allauth_spec.pin_client(spec)
    allauth_spec.drop_unused_client_parameter(spec)
    allauth_spec.specify_signup_fields(spec)
    allauth_spec.specify_custom_signup_form(spec)
    return spec


def _renamed(node, rename: dict[str, str]):
    """A copy of `node` with each `$ref` to an allauth component pointing at our name."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            match = _REF.match(value) if key == "$ref" and isinstance(value, str) else None
            if match:
                value = f"#/components/{match[1]}/{rename[match[2]]}"
            out[key] = _renamed(value, rename)
        return out
    if isinstance(node, list):
        return [_renamed(item, rename) for item in node]
    return node


def _refs(node) -> set[tuple[str, str]]:
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (match := _REF.match(value)):
                found.add((match[1], match[2]))
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def _served(path: str, urlconf) -> bool:
    try:
        resolve(path, urlconf=urlconf)
    except Resolver404:
        return False
    return True


def merge_allauth_headless(result, generator, request, public):
    """Postprocessing hook: allauth's operations for the app login (ALLAUTH_OPERATIONS),
    tagged `auth`, with every component they use (prefixed `Allauth`, so that allauth's
    `User` or `Session` never meets one of ours). Only where the schema's URLs serve
    them: gym hosts, not the platform's. Errors there are allauth's
    (`{"status": 400, "errors": [...]}`), documented by allauth; only the login lockout
    answers in our shape."""
    urlconf = getattr(generator, "urlconf", None) or settings.ROOT_URLCONF
    spec = _allauth_spec()
    paths = {}
    for path, methods in ALLAUTH_OPERATIONS.items():
        if not _served(path, urlconf) or path not in spec["paths"]:
            continue
        item = spec["paths"][path]
        paths[path] = {method: copy.deepcopy(item[method]) for method in methods}
        if "parameters" in item:
            paths[path]["parameters"] = copy.deepcopy(item["parameters"])
    if not paths:
        return result

    # Every component the operations use, and the ones those use.
    wanted, todo = set(), _refs(paths) | {("responses", "TooManyRequests")}
    while todo:
        ref = todo.pop()
        if ref not in wanted:
            wanted.add(ref)
            todo |= _refs(spec["components"][ref[0]][ref[1]]) - wanted
    rename = {name: ALLAUTH_PREFIX + name for _, name in wanted}
    components = result.setdefault("components", {})
    for kind, name in sorted(wanted):
        components.setdefault(kind, {})[rename[name]] = _renamed(
            spec["components"][kind][name], rename
        )
    # allauth's 429 body, which its specification writes inline, as a schema of its own.
    too_many = spec["components"]["responses"]["TooManyRequests"]["content"]
    components["schemas"][ALLAUTH_429_SCHEMA.rpartition("/")[2]] = copy.deepcopy(
        too_many["application/json"]["schema"]
    )

    for path, item in paths.items():
        item = _renamed(item, rename)
        for method in ALLAUTH_OPERATIONS[path]:
            _adjust_allauth_operation(item[method], path=path, method=method)
        result["paths"][path] = item
    return result


def _adjust_allauth_operation(operation: dict, *, path: str, method: str) -> None:
    operation["tags"] = [AUTH_TAG]
    name = re.sub(r"\W+", "_", path.removeprefix("/_allauth/app/v1/").strip("/"))
    operation["operationId"] = f"auth_{name}_{method}"
    operation["summary"] = operation.get("summary", "").strip()
    note = ALLAUTH_NOTES.get((path, method), "").format(
        failure_limit=settings.AXES_FAILURE_LIMIT,
        lockout_minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    )
    if note:
        operation["description"] = operation.get("description", "").rstrip() + "\n\n" + note
    if method != "post":
        return
    # allauth's rate limits (ACCOUNT_RATE_LIMITS) answer every POST here with 429, which
    # its specification leaves out; the login lockout (django-axes) answers in our shape.
    responses = operation["responses"]
    too_many = {"$ref": f"#/components/responses/{ALLAUTH_PREFIX}TooManyRequests"}
    if path.endswith("/auth/login"):
        too_many = {
            "description": "Locked out (`locked_out`, in the API's error shape) or over "
            'allauth\'s rate limit (`{"status": 429}`): wait the seconds in `Retry-After`.',
            "headers": {"Retry-After": RETRY_AFTER},
            "content": {
                "application/json": {
                    "schema": {"oneOf": [ERROR_REF, {"$ref": ALLAUTH_429_SCHEMA}]},
                    "example": _error_example(
                        "locked_out",
                        "Too many failed sign-ins for this account from this address. "
                        "Try again in 15 minutes, or reset your password.",
                    ),
                }
            },
        }
    responses.setdefault("429", too_many)
    operation["responses"] = dict(sorted(responses.items()))


def keep_used_tags(result, generator, request, public):
    """Postprocessing hook: the tag list of SPECTACULAR_SETTINGS, in its order, with only
    the tags this schema's operations use (the platform host serves one app's)."""
    used = {
        tag
        for item in result.get("paths", {}).values()
        for key, operation in item.items()
        if key != "parameters"
        for tag in operation.get("tags", [])
    }
    described = [tag for tag in spectacular_settings.TAGS if tag["name"] in used]
    names = {tag["name"] for tag in described}
    result["tags"] = described + [{"name": name} for name in sorted(used - names)]
    return result
