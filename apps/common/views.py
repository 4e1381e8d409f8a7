"""Views every host serves: health, the favicon, uploads on local disk (signed links),
and the error pages (JSON on /api/, HTML elsewhere)."""

from functools import lru_cache, wraps

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.static import serve

from apps.common.api.errors import json_error_response
from apps.common.health import health_report
from apps.common.request_log import exception_reason, mark_logged, note_reason
from apps.common.storage import media_link_valid


def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    found = finders.find("favicon.ico")  # static/ in the checkout and the image
    if found:
        with open(found, "rb") as f:
            return f.read()
    with staticfiles_storage.open("favicon.ico") as f:  # collected only
        return f.read()


def favicon(request):
    """/favicon.ico, which browsers ask for on pages without an icon link (the admin, the
    API's JSON): the icon itself rather than a redirect to its hashed static name, which
    a browser would keep (301) after a deploy removed that name."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def media_file(request, path: str):
    """Uploads on local disk, for a signed link of this host's gym (apps/common/storage)."""
    if not media_link_valid(path, request.GET.get("sig", "")):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def _is_api(request) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/_allauth/")


def _in_request_schema(view):
    """Under ASGI, Django renders error pages in a worker thread whose connection may be
    in another gym's schema (or public): the page would then miss the session and log the
    user out. Put that thread's connection on the request's gym first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and connection.schema_name != tenant.schema_name:
            connection.set_tenant(tenant)
        return view(request, *args, **kwargs)

    return wrapper


def _handled(view):
    """A handled error (400/403/404): Django would log it with the exception's traceback
    before the response reaches the request id middleware; that middleware logs one line
    instead, with the exception's class as the reason (apps/common/request_log.py)."""

    @wraps(view)
    def wrapper(request, exception=None):
        note_reason(request, exception_reason(exception))
        response = view(request, exception)
        mark_logged(response)
        return response

    return wrapper


@_handled
@_in_request_schema
def error_400(request, exception=None):
    if _is_api(request):
        return json_error_response(
            request,
            status_code=400,
            code="bad_request",
            message=_("The request could not be read."),
        )
    return render(request, "errors/400.html", status=400)


@_handled
@_in_request_schema
def error_403(request, exception=None):
    if _is_api(request):
        return json_error_response(
            request,
            status_code=403,
            code="permission_denied",
            message=_("You do not have permission to do this."),
        )
    return render(request, "errors/403.html", status=403)


@_handled
@_in_request_schema
def error_404(request, exception=None):
    if _is_api(request):
        return json_error_response(
            request, status_code=404, code="not_found", message=_("Not found.")
        )
    return render(request, "errors/404.html", status=404)


def api_not_found(request):
    """An /api/v1/ path that names no endpoint."""
    return error_404(request)


def csrf_failure(request, reason=""):
    """Django's CSRF refusal page (settings.CSRF_FAILURE_VIEW), logged as one line with
    the reason instead of Django's own warning on django.security.csrf."""
    note_reason(request, f"CSRF: {reason}" if reason else "CSRF")
    response = django_csrf_failure(request, reason=reason)
    mark_logged(response)
    return response


@_in_request_schema
def error_500(request):
    if _is_api(request):
        return json_error_response(
            request,
            status_code=500,
            code="server_error",
            message=_("Something went wrong on our side."),
        )
    return render(request, "errors/500.html", status=500)
