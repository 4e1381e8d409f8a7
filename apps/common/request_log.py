"""Quiet, useful request logs: one line per handled error, the request id on every line.

Django logs every 4xx itself on `django.request` (`django.security.*` for a suspicious
request), and a PermissionDenied or a SuspiciousOperation with its whole traceback: a
handled 403 printed ~40 lines. Here, instead:

- a handled error (400, 401, 403, 404, 405, 429, ...: PermissionDenied, Http404, DRF's
  APIException, ApplicationError, a CSRF refusal) logs ONE line on the `apps.requests`
  logger, without a traceback: status, method, path, user id, schema and, where known, the
  reason (the API error code, the exception's class). 404/405/401 at INFO (a client's
  ordinary miss), the other 4xx at WARNING, a 5xx without an exception at ERROR;
- a real 500 keeps Django's (or the API handler's) record with the traceback;
- every record logged while a request runs carries its request id (`RequestContextFilter`
  on the console handler, from a context variable the request id middleware sets).

Django skips a response whose `_has_been_logged` is set (django.utils.log.log_response);
the error views and the middleware set it once they have logged (or will log) the line.
"""

from __future__ import annotations

import contextvars
import logging

from django.urls import Resolver404
from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger("apps.requests")

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# A client's ordinary misses: not found, wrong method, not signed in (apps poll their
# session and get 401 until the member signs in).
_INFO_STATUSES = frozenset({401, 404, 405})
_MAX_PATH = 200


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


class RequestContextFilter(logging.Filter):
    """Gives every record a `request_id` (the running request's, or "-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True


def printable(text: str) -> str:
    """A path as one log line: Django has decoded %0A into a newline, which would start a
    forged line; control characters are shown escaped, and the path is cut short."""
    if len(text) > _MAX_PATH:
        text = text[:_MAX_PATH] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _user_id(request) -> str:
    """The signed-in user's id, without loading the user just for the log line (a lazy
    user nobody looked at stays unloaded: "-")."""
    user = request.__dict__.get("user")
    if user is None:
        return "-"
    if isinstance(user, SimpleLazyObject):
        # Django's own marker of a lazy object nobody has evaluated yet.
        if user._wrapped is empty:  # noqa: SLF001
            return "-"
        user = user._wrapped  # noqa: SLF001
    if not getattr(user, "is_authenticated", False):
        return "-"
    return str(user.pk)


def _schema(request) -> str:
    tenant = getattr(request, "tenant", None)
    return getattr(tenant, "schema_name", None) or "-"


def note_reason(request, reason: str) -> None:
    """What the access line should give as the reason (an error code, an exception's
    class); the first one noted wins (the most specific, from the innermost code)."""
    if request is not None and not getattr(request, "_log_reason", None):
        request._log_reason = reason  # noqa: SLF001 (our own attribute on the request)


def exception_reason(exception) -> str | None:
    if exception is None:
        return None
    if isinstance(exception, Resolver404):
        return "no route"  # its text lists every URL pattern tried
    text = str(exception)
    name = exception.__class__.__name__
    return f"{name}: {text}" if text else name


def mark_logged(response) -> None:
    """Tells Django not to log this response itself (the access line covers it)."""
    response._has_been_logged = True  # noqa: SLF001 (django.utils.log.log_response reads it)


def log_response_line(request, response) -> None:
    """The one line for an error response, unless it was logged already with its
    traceback (a real 500)."""
    status = response.status_code
    if status < 400:
        return
    if status >= 500 and getattr(response, "_has_been_logged", False):
        return  # Django's record with the traceback
    if status >= 500:
        level = logging.ERROR
    elif status in _INFO_STATUSES:
        level = logging.INFO
    else:
        level = logging.WARNING
    reason = getattr(request, "_log_reason", None)
    logger.log(
        level,
        "%s %s %s user=%s schema=%s%s",
        status,
        request.method,
        printable(request.path),
        _user_id(request),
        _schema(request),
        f" reason={printable(reason)}" if reason else "",
        extra={
            "request_id": getattr(request, "request_id", None) or current_request_id(),
            "status_code": status,
        },
    )
    mark_logged(response)
