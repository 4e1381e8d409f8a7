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

from apps.billing.selectors import (
    billing_report,
    billing_settings_get,
    failed_payments,
    past_due_subscriptions,
    plan_list,
)
from apps.billing.services import webhook_receive
from apps.billing.stripe_api import WebhookRejected
from apps.common.mixins import StaffRequiredMixin

logger = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 512 * 1024  # Stripe's events are far smaller


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """Stripe -> this gym. 400 for anything unverified (nothing stored); 200 once the
    event is stored (processing is queued: see `webhook_receive`)."""

    def post(self, request):
        if len(request.body) > MAX_WEBHOOK_BYTES:
            return JsonResponse({"error": "payload too large"}, status=413)
        try:
            event, new = webhook_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except WebhookRejected as exc:
            logger.info("Webhook rejected in %s: %s", request.tenant.schema_name, exc.code)
            return JsonResponse({"error": exc.code}, status=400)
        return JsonResponse({"received": event.event_id, "duplicate": not new})


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
        report = None
        if request.user.has_perm("billing.view_billing_reports"):
            report = billing_report()
            # A server-drawn SVG bar chart: no script, readable on a phone; the table
            # beside it carries the same figures for screen readers.
            top = max([m["collected_minor"] for m in report["collected_by_month"]] + [1])
            for i, month in enumerate(report["collected_by_month"]):
                month["h"] = 180 * month["collected_minor"] // top
                month["x"] = 20 + 100 * i
                month["y"] = 195 - month["h"]
        return render(
            request,
            "billing/home.html",
            {
                "page": page,
                "past_due": past_due_subscriptions()[:50],
                "plans": plan_list(for_staff=True),
                "billing": billing_settings_get(),
                "report": report,
            },
        )
