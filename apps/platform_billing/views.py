"""The owner's platform billing page (gym domain) and the platform's webhook (platform
domain)."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.billing.stripe_api import WebhookRejected
from apps.billing.views import MAX_WEBHOOK_BYTES
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.platform_billing.services import (
    enabled,
    gym_subscription_get,
    plan_for_gym,
    platform_checkout_start,
    platform_state,
    platform_webhook_receive,
)


class PlatformBillingView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "accounts.manage_gym_settings"

    def get(self, request):
        gym = request.tenant
        return render(
            request,
            "platform_billing/page.html",
            {
                "enabled": enabled(),
                "subscription": gym_subscription_get(gym) if enabled() else None,
                "plan": plan_for_gym(gym),
                "state": platform_state(gym),
            },
        )

    def post(self, request):
        back = request.build_absolute_uri(reverse("platform-billing"))
        try:
            url = platform_checkout_start(gym=request.tenant, success_url=back, cancel_url=back)
        except ApplicationError as exc:
            return render(
                request,
                "platform_billing/page.html",
                {
                    "enabled": enabled(),
                    "error": exc.message,
                    "state": platform_state(request.tenant),
                },
                status=400,
            )
        return redirect(url)


@method_decorator(csrf_exempt, name="dispatch")
class PlatformWebhookView(View):
    def post(self, request):
        if len(request.body) > MAX_WEBHOOK_BYTES:
            return JsonResponse({"error": "payload too large"}, status=413)
        try:
            event = platform_webhook_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except WebhookRejected as exc:
            # Refused input is a 400 and nothing is stored; a stored event is processed by
            # a task (its retries, then `retry_unprocessed_platform_events`).
            return JsonResponse({"error": exc.code}, status=exc.status_code)
        return JsonResponse({"received": event.event_id})
