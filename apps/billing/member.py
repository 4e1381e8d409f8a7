"""Member web app pages of billing (under /app/membership/): the member's plan and status,
next renewal, recent invoices; joining through Stripe Checkout, changing the card or plan
in Stripe's customer portal; freeze and cancel through the subscription services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from apps.billing import selectors
from apps.billing.forms import FreezeForm, PlanChoiceForm
from apps.billing.services import (
    checkout_start,
    portal_session_url,
    subscription_cancel,
    subscription_freeze,
    subscription_resume,
    subscription_unfreeze,
)
from apps.common.errors import ApplicationError
from apps.portal.mixins import MemberRequiredMixin

INVOICES_SHOWN = 12


def home_card(member) -> dict | None:
    """The home card (nav.HomeCard "membership")."""
    return selectors.member_home_summary(member)


class MemberMembershipView(MemberRequiredMixin, View):
    template_name = "billing/member/membership.html"

    def render_page(self, request, *, freeze_form=None, status=200):
        member = self.member
        rules = selectors.billing_settings_get()
        subscription = selectors.member_live_subscription(member)
        today = timezone.localdate()
        return render(
            request,
            self.template_name,
            {
                "connected": rules.connected,
                "subscription": subscription,
                "frozen": selectors.subscription_is_frozen(subscription, today),
                "failed": selectors.member_failed_invoice(member),
                "invoices": selectors.member_invoices(member=member)[:INVOICES_SHOWN],
                "plans": selectors.plan_list(for_staff=False) if subscription is None else [],
                "credits": selectors.credit_balance(member),
                "freeze_form": freeze_form or FreezeForm(initial={"start": today}),
                "freeze_rules": rules,
                "checkout": request.GET.get("checkout", ""),
            },
            status=status,
        )

    def get(self, request):
        return self.render_page(request)


class _MembershipAction(MemberRequiredMixin, View):
    """POST, then back to the page with what happened (or the service's refusal)."""

    done_message = ""

    def act(self, request):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request):
        try:
            response = self.act(request)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("member-membership")
        if response is not None:
            return response
        messages.success(request, self.done_message)
        return redirect("member-membership")


class MemberCheckoutView(_MembershipAction):
    """Join a plan: to Stripe Checkout, which comes back to this page."""

    def act(self, request):
        form = PlanChoiceForm(request.POST)
        plan = (
            selectors.plan_list(for_staff=False).filter(pk=form.cleaned_data["plan"]).first()
            if form.is_valid()
            else None
        )
        if plan is None:
            raise Http404
        back = request.build_absolute_uri(reverse("member-membership"))
        checkout = checkout_start(
            member=self.member,
            plan=plan,
            success_url=back + "?checkout=done",
            cancel_url=back + "?checkout=cancelled",
            by=request.user,
        )
        return redirect(checkout.url)


class MemberPortalView(_MembershipAction):
    """Change the card, the plan, see receipts: Stripe's customer portal."""

    def act(self, request):
        back = request.build_absolute_uri(reverse("member-membership"))
        return redirect(portal_session_url(member=self.member, return_url=back))


class MemberCancelView(_MembershipAction):
    def act(self, request):
        subscription_cancel(member=self.member)
        self.done_message = _("Your membership will end as shown below.")


class MemberResumeView(_MembershipAction):
    def act(self, request):
        subscription_resume(member=self.member)
        self.done_message = _("Your membership continues.")


class MemberUnfreezeView(_MembershipAction):
    def act(self, request):
        subscription_unfreeze(member=self.member)
        self.done_message = _("Your membership is running again.")


class MemberFreezeView(MemberRequiredMixin, View):
    def post(self, request):
        form = FreezeForm(request.POST)
        if form.is_valid():
            try:
                subscription_freeze(
                    member=self.member,
                    start=form.cleaned_data["start"],
                    days=form.cleaned_data["days"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your membership is frozen as shown below."))
                return redirect("member-membership")
        page = MemberMembershipView()
        page.setup(request)
        page.member = self.member
        return page.render_page(request, freeze_form=form, status=400)
