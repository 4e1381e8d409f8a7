"""Billing pages: Stripe's webhook endpoints (the gym's own, and the platform's one for
Stripe Connect), the page Checkout returns to, and the staff's pages: billing (failed
payments, past-due members, figures), plans, and the Stripe connection."""

import logging

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.billing.forms import PlanForm
from apps.billing.models import MembershipPlan
from apps.billing.selectors import (
    billing_report,
    billing_settings_get,
    failed_payments,
    past_due_subscriptions,
    plan_list,
)
from apps.billing.services import (
    PLAN_FIELDS,
    connect_refresh,
    connect_start,
    connect_webhook_receive,
    plan_create,
    plan_update,
    webhook_receive,
)
from apps.billing.services._shared import gym_currency
from apps.billing.stripe_api import WebhookRejected, connect_enabled
from apps.common.errors import ApplicationError
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


@method_decorator(csrf_exempt, name="dispatch")
class ConnectWebhookView(View):
    """Stripe -> the platform's Connect endpoint (platform domain): events of every
    connected account, each stored and processed in the gym its `account` names. 400 for
    anything unverified; 200 for an account no gym uses (logged, nothing stored: Stripe
    would retry an error for three days, and there is nothing a retry could fix)."""

    def post(self, request):
        if len(request.body) > MAX_WEBHOOK_BYTES:
            return JsonResponse({"error": "payload too large"}, status=413)
        try:
            routed = connect_webhook_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except WebhookRejected as exc:
            logger.info("Connect webhook rejected: %s", exc.code)
            return JsonResponse({"error": exc.code}, status=400)
        if routed is None:
            return JsonResponse({"received": None, "ignored": "unknown_account"})
        _gym, event, new = routed
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


class PlanListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "billing.view_membershipplan"

    def get(self, request):
        return render(
            request,
            "billing/plans.html",
            {"plans": plan_list(for_staff=True), "billing": billing_settings_get()},
        )


def _plan_data(form) -> dict:
    return {f: form.cleaned_data[f] for f in PLAN_FIELDS if f in form.cleaned_data}


class PlanCreateView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "billing.add_membershipplan"

    def _render(self, request, form, status=200):
        return render(
            request, "billing/plan_form.html", {"form": form, "plan": None}, status=status
        )

    def get(self, request):
        return self._render(request, PlanForm(currency=gym_currency()))

    def post(self, request):
        form = PlanForm(request.POST, currency=gym_currency())
        if form.is_valid():
            try:
                plan = plan_create(data=_plan_data(form))
            except ApplicationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Plan “%(name)s” created.") % {"name": plan.name})
                return redirect("billing-plans")
        return self._render(request, form, status=400)


class PlanEditView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "billing.change_membershipplan"

    def _render(self, request, plan, form, status=200):
        return render(
            request, "billing/plan_form.html", {"form": form, "plan": plan}, status=status
        )

    def get(self, request, pk):
        plan = get_object_or_404(MembershipPlan, pk=pk)
        initial = {f: getattr(plan, f) for f in PLAN_FIELDS}
        return self._render(request, plan, PlanForm(initial=initial, currency=plan.currency))

    def post(self, request, pk):
        plan = get_object_or_404(MembershipPlan, pk=pk)
        form = PlanForm(request.POST, currency=plan.currency)
        if form.is_valid():
            try:
                plan_update(plan=plan, data=_plan_data(form))
            except ApplicationError as exc:
                form.add_service_errors(exc)
                plan.refresh_from_db()
            else:
                messages.success(request, _("Plan “%(name)s” saved.") % {"name": plan.name})
                return redirect("billing-plans")
        return self._render(request, plan, form, status=400)


class PlanArchiveView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Archive (no longer sold; members on it keep it) or restore a plan."""

    permission_required = "billing.change_membershipplan"

    def post(self, request, pk):
        plan = get_object_or_404(MembershipPlan, pk=pk)
        restore = request.POST.get("restore") == "1"
        try:
            plan_update(plan=plan, data={"active": restore})
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if restore:
                messages.success(request, _("Plan “%(name)s” restored.") % {"name": plan.name})
            else:
                messages.success(request, _("Plan “%(name)s” archived.") % {"name": plan.name})
        return redirect("billing-plans")


class StripeConnectionView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """The gym's Stripe connection: its state, and "Connect Stripe" (Stripe Connect), or
    where to paste keys when the platform has no Connect (self-hosting)."""

    permission_required = "billing.view_billingsettings"

    def get(self, request):
        return render(
            request,
            "billing/stripe.html",
            {"billing": billing_settings_get(), "connect": connect_enabled()},
        )


class StripeConnectStartView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """POST: off to Stripe's onboarding. GET is Stripe's `refresh_url` (the link expired
    or was used): a new link, as Stripe asks."""

    permission_required = "billing.change_billingsettings"

    def _go(self, request):
        try:
            url = connect_start(
                return_url=request.build_absolute_uri(reverse("billing-stripe-return")),
                refresh_url=request.build_absolute_uri(reverse("billing-stripe-connect")),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("billing-stripe")
        return redirect(url)

    def get(self, request):
        return self._go(request)

    def post(self, request):
        return self._go(request)


class StripeConnectReturnView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Stripe sends the owner back here: the account is read again (its flags stored)."""

    permission_required = "billing.change_billingsettings"

    def get(self, request):
        try:
            row = connect_refresh()
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if row.details_submitted:
                messages.success(request, _("Stripe is connected."))
            elif row.uses_connect:
                messages.warning(
                    request, _("Stripe still needs some details: continue the set-up.")
                )
        return redirect("billing-stripe")
