"""Request middleware of our own: a request id on every request (logged, echoed in a
header and in API errors), and the JSON depth limit on request bodies."""

import re
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.common.api.errors import error_body
from apps.common.jsonparse import MAX_DEPTH, nesting_exceeds

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
