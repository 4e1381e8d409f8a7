"""Billing pages: Stripe's webhook endpoint, the page Checkout returns to, and the staff's
billing page (failed payments, past-due members, plans)."""

import logging

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.billing.selectors import failed_payments, past_due_subscriptions, plan_list
from apps.billing.services import WebhookRejected, billing_settings_get, webhook_receive
from apps.common.errors import ApplicationError
from apps.dashboard.mixins import StaffRequiredMixin

logger = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 512 * 1024  # Stripe's events are far smaller


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """Stripe -> this gym. 400 for anything unverified (nothing stored), 200 once the
    event is stored and processed (or was already), 5xx so Stripe retries on our errors."""

    def post(self, request):
        if len(request.body) > MAX_WEBHOOK_BYTES:
            return JsonResponse({"error": "payload too large"}, status=413)
        try:
            event, processed = webhook_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except WebhookRejected as exc:
            logger.info("Webhook rejected in %s: %s", request.tenant.schema_name, exc.code)
            return JsonResponse({"error": exc.code}, status=400)
        except ApplicationError as exc:
            # Stored, not processed: Stripe retries; `billing_replay` can run it again.
            return JsonResponse({"error": exc.code}, status=exc.status_code)
        return JsonResponse({"received": event.event_id, "duplicate": not processed})


def checkout_return(request):
    """Where Stripe Checkout sends the member back (the app may also just re-read
    /api/v1/billing/subscription/)."""
    return render(
        request,
        "billing/return.html",
        {"cancelled": bool(request.GET.get("cancelled"))},
    )


class BillingHomeView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "billing.view_invoice"

    def get(self, request):
        page = Paginator(failed_payments(), 25).get_page(request.GET.get("page"))
        return render(
            request,
            "billing/home.html",
            {
                "page": page,
                "past_due": past_due_subscriptions()[:50],
                "plans": plan_list(for_staff=True),
                "billing": billing_settings_get(),
            },
        )
