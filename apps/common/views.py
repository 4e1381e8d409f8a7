"""Views every host serves: health, uploads on local disk (signed links), and the error
pages (JSON on /api/, HTML elsewhere)."""

from functools import wraps

from django.conf import settings
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.static import serve

from apps.common.api.errors import json_error_response
from apps.common.health import health_report
from apps.common.storage import media_link_valid


def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


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
