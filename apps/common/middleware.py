"""Request middleware of our own: a request id on every request (logged, echoed in a
header and in API errors) with one log line per error response (apps/common/request_log),
the JSON depth limit on request bodies, and the Content-Security-Policy header."""

import re
import uuid

from csp.middleware import CheckableLazyObject, CSPMiddleware
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.common.api.errors import error_body
from apps.common.jsonparse import MAX_DEPTH, nesting_exceeds
from apps.common.request_log import log_response_line, reset_request_id, set_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """First in MIDDLEWARE: a sane incoming X-Request-ID is kept (a proxy's or an app's),
    anything else gets a new one; every log record of the request carries it, the
    response echoes it, and an error response gets its one log line here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request.request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            log_response_line(request, response)
        finally:
            reset_request_id(token)
        return response


class JsonDepthMiddleware:
    """Refuses a JSON body nested deeper than apps.common.jsonparse.MAX_DEPTH with the API's
    400 error shape, before any view parses it: DRF, allauth's app API and the Stripe
    webhooks each call json.loads, which raised RecursionError (a 500) at ~1,000 levels."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "json" in request.content_type and request.META.get("CONTENT_LENGTH") not in (
            None,
            "",
            "0",
        ):
            try:
                too_deep = nesting_exceeds(request.body)
            except RequestDataTooBig:
                too_deep = False  # the view's own read raises it again, with its answer
            if too_deep:
                message = _("The JSON is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH}
                body = error_body(request, code="parse_error", message=message)
                return JsonResponse(body, status=400)
        return self.get_response(request)


# A host name with an optional port: nothing that could end or add a CSP directive.
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (policy in settings.CONTENT_SECURITY_POLICY), plus the
    request's own socket origin in connect-src: 'self' covers same-host ws:/wss: in
    current browsers, but Safari before 16 needed it named."""

    # Responses that used no nonce (API JSON, redirects, files) get the same policy for the
    # same host: built once per (host, scheme) instead of per response, which cost 0.6 ms
    # of every API request (benchmarks/request_cpu.py). Anything else goes to django-csp.
    _without_nonce: dict[tuple[str, bool], str] = {}
    _PER_VIEW = ("_csp_exempt", "_csp_config", "_csp_update", "_csp_replace")

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or settings.DEBUG
            or any(hasattr(response, name) for name in self._PER_VIEW)
            or "Content-Security-Policy" in response
        ):
            return super().process_response(request, response)
        key = (request.META.get("HTTP_HOST", ""), request.is_secure())
        policy = self._without_nonce.get(key)
        if policy is None:
            response = super().process_response(request, response)
            policy = response.get("Content-Security-Policy")
            if policy and len(self._without_nonce) < 1000:  # hosts: the gyms' domains
                self._without_nonce[key] = policy
            return response
        response["Content-Security-Policy"] = policy
        # As django-csp does once the header is written: a later use of the nonce is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        host = request.META.get("HTTP_HOST", "")
        if not report_only and _SAFE_HOST.match(host):
            socket_origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", ()), socket_origin]
            parts.update = update
        return parts
