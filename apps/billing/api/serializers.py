from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.billing.models import Invoice, MemberCharge, MembershipPlan, MemberSubscription
from apps.billing.services import PLAN_FIELDS


class StrictIntegerField(serializers.IntegerField):
    """Money and counts are whole numbers: 12.5 or "12.50" is refused, not rounded."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(_("Send a whole number (minor units, e.g. cents)."))
        return super().to_internal_value(data)


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = MembershipPlan
        fields = ["id", *sorted(PLAN_FIELDS), "currency", "stripe_price_id"]
        read_only_fields = fields


class PlanWriteSerializer(serializers.ModelSerializer):
    price_minor = StrictIntegerField(min_value=0, max_value=10_000_000)
    setup_fee_minor = StrictIntegerField(min_value=0, max_value=10_000_000, required=False)

    class Meta:
        model = MembershipPlan
        fields = sorted(PLAN_FIELDS)


class SubscriptionSerializer(serializers.ModelSerializer):
    plan = PlanSerializer(read_only=True)
    # Stripe's status names, as a string (an enum here would collide with members' status).
    status = serializers.CharField(
        read_only=True,
        help_text="trialing, active, past_due, unpaid, paused, canceled, incomplete, "
        "incomplete_expired",
    )

    class Meta:
        model = MemberSubscription
        fields = [
            "id",
            "plan",
            "status",
            "amount_minor",
            "currency",
            "current_period_start",
            "current_period_end",
            "trial_end",
            "cancel_at_period_end",
            "cancel_at",
            "contract_ends_on",
            "frozen_from",
            "frozen_until",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "billing_reason",
            "amount_due_minor",
            "amount_paid_minor",
            "currency",
            "attempt_count",
            "hosted_invoice_url",
            "invoice_pdf",
            "period_start",
            "period_end",
            "created",
            "paid_at",
        ]
        read_only_fields = fields


class FailedPaymentSerializer(InvoiceSerializer):
    member_id = serializers.IntegerField(read_only=True)
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    plan = serializers.CharField(source="subscription.plan.name", read_only=True, default="")

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "member_id", "member_name", "plan"]
        read_only_fields = fields


class CheckoutSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=MembershipPlan.objects.all())


class ChangePlanSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=MembershipPlan.objects.all())


class FreezeSerializer(serializers.Serializer):
    start = serializers.DateField()
    days = StrictIntegerField(min_value=1, max_value=365)


class _ByPlanSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    count = serializers.IntegerField()


class _RenewalSerializer(serializers.Serializer):
    member_id = serializers.IntegerField()
    member = serializers.CharField()
    renews_at = serializers.DateTimeField()
    amount_minor = serializers.IntegerField()


class _MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    collected_minor = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    mrr_minor = serializers.IntegerField()
    active_subscriptions = serializers.IntegerField()
    by_plan = _ByPlanSerializer(many=True)
    churned_30_days = serializers.IntegerField()
    churn_rate_30_days = serializers.CharField(help_text="percent, one decimal, as a string")
    failed_payments = serializers.IntegerField()
    failed_amount_minor = serializers.IntegerField()
    upcoming_renewals = _RenewalSerializer(many=True)
    collected_by_month = _MonthSerializer(many=True)


class ChargeSerializer(serializers.ModelSerializer):
    """A fee as the member sees it: what, how much, and where it is in billing."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = MemberCharge
        fields = [
            "id",
            "description",
            "amount_minor",
            "currency",
            "status",
            "status_label",
            "created_at",
        ]
        read_only_fields = fields
