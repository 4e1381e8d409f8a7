"""Request id on every request (logged, echoed in a header and in API errors), and the
Content-Security-Policy header."""

import re
import uuid

from csp.middleware import CSPMiddleware

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


# A host name with an optional port: nothing that could end or add a CSP directive.
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (policy in settings.CONTENT_SECURITY_POLICY), plus the
    request's own socket origin in connect-src: 'self' covers same-host ws:/wss: in
    current browsers, but Safari before 16 needed it named."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        host = request.META.get("HTTP_HOST", "")
        if not report_only and _SAFE_HOST.match(host):
            socket_origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
            update = dict(parts.update or {})
            update["connect-src"] = [*update.get("connect-src", ()), socket_origin]
            parts.update = update
        return parts
