"""Billing API: plans (everyone reads what is on sale; staff manage), the member's own
subscription, invoices, checkout and portal links, and the staff's failed-payments list."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.api.serializers import (
    ChangePlanSerializer,
    ChargeSerializer,
    CheckoutSerializer,
    FailedPaymentSerializer,
    FreezeSerializer,
    InvoiceSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    ReportSerializer,
    SubscriptionSerializer,
)
from apps.billing.selectors import (
    billing_report,
    credit_balance,
    failed_payments,
    member_charges,
    member_invoices,
    member_live_subscription,
    plan_list,
)
from apps.billing.services import (
    checkout_start,
    plan_create,
    plan_update,
    portal_session_url,
    subscription_cancel,
    subscription_change_plan,
    subscription_freeze,
    subscription_resume,
    subscription_unfreeze,
)
from apps.common.api.mixins import OwnMemberMixin
from apps.common.api.pagination import StandardPagination
from apps.common.api.permissions import IsGymStaff
from apps.common.errors import ApplicationError
from apps.common.openapi import error_response
from apps.members.models import Member

UrlSerializer = inline_serializer(
    "BillingUrl", {"id": serializers.CharField(), "url": serializers.URLField()}
)
MemberBillingSerializer = inline_serializer(
    "MemberBilling",
    {
        "member_id": serializers.IntegerField(),
        "subscription": SubscriptionSerializer(allow_null=True),
        "class_credits": serializers.IntegerField(),
        "tier": serializers.CharField(),
        "status": serializers.CharField(),
        "payment_overdue": serializers.BooleanField(),
        "invoices": InvoiceSerializer(many=True),
        "charges": ChargeSerializer(many=True),
    },
)
MySubscriptionSerializer = inline_serializer(
    "MySubscription",
    {
        "subscription": SubscriptionSerializer(allow_null=True),
        "class_credits": serializers.IntegerField(),
        "tier": serializers.CharField(),
        "status": serializers.CharField(),
        "payment_overdue": serializers.BooleanField(),
    },
)

# What calling Stripe can answer, documented on the operations that call it
# (apps/common/openapi.py adds the 4xx every operation shares).
STRIPE_ERRORS = {
    409: error_response(
        "Payments are not set up here: the gym has not connected Stripe "
        "(`billing_not_connected`, `connect_not_configured`) or Stripe refused its key "
        "(`payment_provider_auth`)."
    ),
    503: error_response(
        "Stripe cannot be reached (`payment_provider_unavailable`); try again in a moment."
    ),
}


def _return_url(request) -> str:
    return request.build_absolute_uri(reverse("billing-return"))


def _checkout_response(request, member: Member) -> Response:
    """A Checkout link for `member` (their own, or sold by staff at the desk)."""
    serializer = CheckoutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    url = _return_url(request)
    checkout = checkout_start(
        member=member,
        plan=serializer.validated_data["plan"],
        success_url=url + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=url + "?cancelled=1",
        by=request.user,
    )
    return Response({"id": checkout.stripe_session_id, "url": checkout.url}, status=201)


class PlanListView(APIView):
    """Plans on sale (members) or all plans (staff); staff with permission create plans."""

    @extend_schema(responses=PlanSerializer(many=True))
    def get(self, request):
        staff = request.user.is_gym_staff
        return Response(PlanSerializer(plan_list(for_staff=staff), many=True).data)

    @extend_schema(request=PlanWriteSerializer, responses={201: PlanSerializer})
    def post(self, request):
        if not (request.user.is_gym_staff and request.user.has_perm("billing.add_membershipplan")):
            raise ApplicationError(_("Not allowed."), code="permission_denied", status_code=403)
        serializer = PlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = plan_create(data=serializer.validated_data)
        return Response(PlanSerializer(plan).data, status=201)


class PlanDetailView(APIView):
    permission_classes = [IsGymStaff]

    @extend_schema(responses=PlanSerializer)
    def get(self, request, pk):
        """Staff: one plan, on sale or not."""
        return Response(PlanSerializer(get_object_or_404(plan_list(for_staff=True), pk=pk)).data)

    @extend_schema(request=PlanWriteSerializer, responses=PlanSerializer)
    def patch(self, request, pk):
        """Staff with permission to change plans: change some fields of a plan; what is
        left out stays as it was."""
        if not request.user.has_perm("billing.change_membershipplan"):
            raise ApplicationError(_("Not allowed."), code="permission_denied", status_code=403)
        plan = get_object_or_404(plan_list(for_staff=True), pk=pk)
        serializer = PlanWriteSerializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        plan = plan_update(plan=plan, data=serializer.validated_data)
        return Response(PlanSerializer(plan).data)


class CheckoutView(OwnMemberMixin, APIView):
    """Start Stripe Checkout to join a plan or buy a pack; open the returned `url`."""

    @extend_schema(request=CheckoutSerializer, responses={201: UrlSerializer, **STRIPE_ERRORS})
    def post(self, request):
        member = self.get_own_member()
        return _checkout_response(request, member)


class PortalView(OwnMemberMixin, APIView):
    """A Stripe customer portal link: update the card, invoices and receipts."""

    @extend_schema(request=None, responses={201: UrlSerializer, **STRIPE_ERRORS})
    def post(self, request):
        url = portal_session_url(member=self.get_own_member(), return_url=_return_url(request))
        return Response({"id": "", "url": url}, status=201)


class MySubscriptionView(OwnMemberMixin, APIView):
    """The member's membership: the live subscription (null without one), class credits
    left, tier, status and whether a payment is overdue."""

    @extend_schema(responses=MySubscriptionSerializer)
    def get(self, request):
        member = self.get_own_member()
        sub = member_live_subscription(member)
        return Response(
            {
                "subscription": SubscriptionSerializer(sub).data if sub else None,
                "class_credits": credit_balance(member),
                "tier": member.tier,
                "status": member.status,
                "payment_overdue": member.payment_overdue,
            }
        )


class _SubscriptionAction(OwnMemberMixin, APIView):
    serializer_class = None

    def act(self, member, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request):
        member = self.get_own_member()
        data = {}
        if self.serializer_class is not None:
            serializer = self.serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        sub = self.act(member, data)
        return Response(SubscriptionSerializer(sub).data)


@extend_schema(request=None, responses={200: SubscriptionSerializer, **STRIPE_ERRORS})
class CancelView(_SubscriptionAction):
    """Cancel at the end of the period (or of the minimum contract, if later)."""

    def act(self, member, data):
        return subscription_cancel(member=member)


@extend_schema(request=None, responses={200: SubscriptionSerializer, **STRIPE_ERRORS})
class ResumeView(_SubscriptionAction):
    """Undo a pending cancellation (`not_cancelling` when none is pending)."""

    def act(self, member, data):
        return subscription_resume(member=member)


@extend_schema(request=FreezeSerializer, responses={200: SubscriptionSerializer, **STRIPE_ERRORS})
class FreezeView(_SubscriptionAction):
    """Freeze an active, paid-up membership from `start` for `days` (within the gym's
    limits): collection pauses and the contract end moves by the frozen days."""

    serializer_class = FreezeSerializer

    def act(self, member, data):
        return subscription_freeze(member=member, start=data["start"], days=data["days"])


@extend_schema(request=None, responses={200: SubscriptionSerializer, **STRIPE_ERRORS})
class UnfreezeView(_SubscriptionAction):
    """End a freeze early: collection resumes and unused frozen days come off the
    contract (`not_frozen` when the membership is not frozen)."""

    def act(self, member, data):
        return subscription_unfreeze(member=member)


@extend_schema(
    request=ChangePlanSerializer, responses={200: SubscriptionSerializer, **STRIPE_ERRORS}
)
class ChangePlanView(_SubscriptionAction):
    """Move to another recurring plan of the same interval: an upgrade is charged now
    (prorated), a downgrade credits the difference to the next invoice."""

    serializer_class = ChangePlanSerializer

    def act(self, member, data):
        return subscription_change_plan(member=member, plan=data["plan"], by=self.request.user)


class MyInvoicesView(OwnMemberMixin, APIView):
    """The member's invoices, newest first, with links to pay or download them."""

    pagination_class = StandardPagination  # also how the schema knows the list is paged

    @extend_schema(responses=InvoiceSerializer(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            member_invoices(member=self.get_own_member()), request, self
        )
        return paginator.get_paginated_response(InvoiceSerializer(page, many=True).data)


class MyChargesView(OwnMemberMixin, APIView):
    """The member's fees (late cancellations, no-shows): each rides on the next membership
    invoice, or comes as an invoice of its own (see /invoices/)."""

    pagination_class = StandardPagination

    @extend_schema(responses=ChargeSerializer(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            member_charges(member=self.get_own_member()), request, self
        )
        return paginator.get_paginated_response(ChargeSerializer(page, many=True).data)


class FailedPaymentsView(APIView):
    """Staff: open invoices whose payment failed (the dunning list)."""

    permission_classes = [IsGymStaff]
    pagination_class = StandardPagination

    @extend_schema(responses=FailedPaymentSerializer(many=True))
    def get(self, request):
        if not request.user.has_perm("billing.view_invoice"):
            raise ApplicationError(_("Not allowed."), code="permission_denied", status_code=403)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(failed_payments(), request, self)
        return paginator.get_paginated_response(FailedPaymentSerializer(page, many=True).data)


class ReportsView(APIView):
    """Staff (owner, manager): MRR, active subscriptions by plan, churn in the last 30
    days, failed payments, renewals in the next 7 days, money collected per month. Amounts
    are integers in minor units of `currency`."""

    permission_classes = [IsGymStaff]

    @extend_schema(responses=ReportSerializer)
    def get(self, request):
        if not request.user.has_perm("billing.view_billing_reports"):
            raise ApplicationError(_("Not allowed."), code="permission_denied", status_code=403)
        return Response(ReportSerializer(billing_report()).data)


class MemberBillingView(APIView):
    """Staff: one member's subscription, class credits, invoices and charges (fees): the
    front desk's questions, and what to collect when the gym bills without Stripe."""

    permission_classes = [IsGymStaff]

    @extend_schema(responses=MemberBillingSerializer)
    def get(self, request, pk):
        if not request.user.has_perm("billing.view_invoice"):
            raise ApplicationError(_("Not allowed."), code="permission_denied", status_code=403)
        member = get_object_or_404(Member, pk=pk)
        sub = member_live_subscription(member)
        return Response(
            {
                "member_id": member.pk,
                "subscription": SubscriptionSerializer(sub).data if sub else None,
                "class_credits": credit_balance(member),
                "tier": member.tier,
                "status": member.status,
                "payment_overdue": member.payment_overdue,
                "invoices": InvoiceSerializer(member_invoices(member=member)[:20], many=True).data,
                "charges": ChargeSerializer(member_charges(member=member)[:20], many=True).data,
            }
        )


class MemberCheckoutView(APIView):
    """Staff: a Checkout link for a member at the desk (show it as a QR code or send it);
    staff may sell plans that are not sold online."""

    permission_classes = [IsGymStaff]

    @extend_schema(request=CheckoutSerializer, responses={201: UrlSerializer, **STRIPE_ERRORS})
    def post(self, request, pk):
        if not request.user.has_perm("members.change_member"):
            raise ApplicationError(_("Not allowed."), code="permission_denied", status_code=403)
        member = get_object_or_404(Member, pk=pk)
        return _checkout_response(request, member)
