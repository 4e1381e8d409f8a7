"""A gym whose platform subscription lapsed: staff are warned on the dashboard; after the
grace period staff may only read (members keep what they paid for, and Stripe's webhooks
and the platform billing page keep working)."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.common.api.errors import json_error_response
from apps.platform_billing.services import platform_state

ALWAYS_ALLOWED = (
    "/dashboard/billing/platform/",
    "/accounts/",
    "/_allauth/",
    "/billing/",  # the gym's own Stripe webhooks and Checkout return
    "/i18n/",
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class PlatformAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        gym = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        staff = user is not None and user.is_authenticated and getattr(user, "is_gym_staff", False)
        if not staff or gym is None or gym.schema_name == "public":
            return self.get_response(request)
        state = platform_state(gym)
        if state.state == "read_only" and request.method not in SAFE_METHODS:
            if not request.path.startswith(ALWAYS_ALLOWED):
                message = _(
                    "This gym's platform subscription has lapsed: staff can only read until "
                    "the owner renews it."
                )
                if request.path.startswith("/api/"):
                    return json_error_response(
                        request, status_code=403, code="gym_read_only", message=message
                    )
                return render(
                    request, "platform_billing/read_only.html", {"message": message}, status=403
                )
        if request.method == "GET" and request.path.startswith("/dashboard/"):
            if state.state == "warning":
                messages.warning(
                    request,
                    _(
                        "The gym's platform subscription has lapsed. Staff can only read from "
                        "%(date)s unless the owner renews it."
                    )
                    % {"date": date_format(state.read_only_from, "SHORT_DATE_FORMAT")},
                )
            elif state.state == "read_only":
                messages.error(
                    request,
                    _("The gym's platform subscription has lapsed: staff can only read."),
                )
        return self.get_response(request)
