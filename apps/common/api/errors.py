"""One JSON error shape for every API 4xx/5xx:

{"error": {"code": ..., "message": ..., "details": ..., "request_id": ...}}
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.common.errors import ApplicationError
from apps.common.request_log import mark_logged, note_reason, printable

logger = logging.getLogger(__name__)


def error_body(request, *, code: str, message: str, details=None) -> dict:
    return {
        "error": {
            "code": code,
            "message": str(message),
            "details": details if details is not None else {},
            "request_id": getattr(request, "request_id", None),
        }
    }


def _drf_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return "invalid"


def exception_handler(exc, context):
    request = context.get("request")
    # The request id middleware's log line gives the error code as the reason.
    django_request = getattr(request, "_request", request)
    if isinstance(exc, ApplicationError):
        note_reason(django_request, exc.code)
        body = error_body(request, code=exc.code, message=exc.message, details=exc.details)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        note_reason(django_request, "request_too_large")
        body = error_body(
            request, code="request_too_large", message=_("The request body is too large.")
        )
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(_("The request could not be read."))

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error(
            "Internal Server Error: %s %s",
            getattr(request, "method", "-"),
            printable(getattr(request, "path", "-")),
            exc_info=exc,
            extra={"status_code": 500, "request": django_request},
        )
        body = error_body(
            request,
            code="server_error",
            message=_("Something went wrong on our side. Please try again."),
        )
        response = Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        mark_logged(response)  # this record, with the traceback, is the 500's log
        return response

    if isinstance(exc, exceptions.ValidationError):
        code, message, details = "validation_error", _("Some fields are not valid."), exc.detail
        if not isinstance(details, dict):
            details = {"non_field_errors": details}
    else:
        code = _drf_code(exc)
        detail = exc.detail
        message = detail if isinstance(detail, str) else _("The request failed.")
        details = {} if isinstance(detail, str) else detail
    note_reason(django_request, code)
    response.data = error_body(request, code=code, message=message, details=details)
    return response


def json_error_response(request, *, status_code: int, code: str, message: str) -> JsonResponse:
    """For errors raised outside DRF views (unknown URLs, crashes) on /api/ paths."""
    return JsonResponse(error_body(request, code=code, message=message), status=status_code)
