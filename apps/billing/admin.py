from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.billing.models import (
    BillingCustomer,
    BillingSettings,
    CheckoutRequest,
    CreditEntry,
    Invoice,
    MemberCharge,
    MembershipPlan,
    MemberSubscription,
    WebhookEvent,
)
from apps.billing.money import format_money
from apps.billing.services import (
    PLAN_FIELDS,
    billing_settings_update,
    charge_retry,
    plan_create,
    plan_update,
)
from apps.common.admin import app_has_tables_here
from apps.common.errors import ApplicationError


class BillingSettingsForm(forms.ModelForm):
    # Secrets are write-only: the page never shows them, blank keeps the stored one.
    secret_key = forms.CharField(
        label=_("Stripe secret key"), required=False, widget=forms.PasswordInput
    )
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"), required=False, widget=forms.PasswordInput
    )

    class Meta:
        model = BillingSettings
        fields = ["publishable_key", "grace_period_days", "freeze_min_days", "freeze_max_days"]

    def clean(self):
        data = super().clean()
        try:
            billing_settings_update(data={k: v for k, v in data.items() if v not in (None, "")})
        except ApplicationError as exc:
            for field, errors in (exc.details or {}).items():
                self.add_error(field if field in self.fields else None, errors)
            if not exc.details:
                self.add_error(None, exc.message)
        return data


@admin.register(BillingSettings)
class BillingSettingsAdmin(admin.ModelAdmin):
    form = BillingSettingsForm
    list_display = [
        "__str__",
        "stripe_account_id",
        "stripe_connect",
        "connected",
        "grace_period_days",
    ]
    readonly_fields = [
        "stripe_account_id",
        "stripe_connect",
        "charges_enabled",
        "details_submitted",
        "account_checked_at",
        "updated_at",
    ]

    @admin.display(boolean=True, description=_("connected"))
    def connected(self, obj):
        return obj.connected

    def has_add_permission(self, request):
        # The platform admin asks too (public schema has no such table): answer no there.
        if not app_has_tables_here("apps.billing") or not super().has_add_permission(request):
            return False
        return not BillingSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in the form's clean()


@admin.register(MembershipPlan)
class MembershipPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "interval", "tier", "sold_online", "active"]
    list_filter = ["interval", "tier", "active", "sold_online"]
    readonly_fields = ["currency", "stripe_product_id", "stripe_price_id", "stripe_setup_price_id"]

    @admin.display(description=_("price"), ordering="price_minor")
    def price(self, obj):
        return format_money(obj.price_minor, obj.currency)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in PLAN_FIELDS}
        if change:
            plan_update(plan=MembershipPlan.objects.get(pk=obj.pk), data=data)
        else:
            saved = plan_create(
                data={f: form.cleaned_data[f] for f in PLAN_FIELDS if f in form.cleaned_data}
            )
            obj.pk = saved.pk


@admin.register(MemberSubscription)
class MemberSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["stripe_subscription_id", "member", "plan", "status", "current_period_end"]
    list_filter = ["status", "plan"]
    search_fields = ["stripe_subscription_id", "member__first_name", "member__last_name"]
    raw_id_fields = ["member"]

    def has_change_permission(self, request, obj=None):
        return False  # Stripe is the truth; changes go through the API/dashboard


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "stripe_invoice_id",
        "member",
        "status",
        "amount_due_minor",
        "currency",
        "created",
    ]
    list_filter = ["status"]
    raw_id_fields = ["member", "subscription"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "process_count", "error"]
    list_filter = ["type"]
    search_fields = ["event_id"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    list_display = ["member", "delta", "reason", "source", "created_at"]
    raw_id_fields = ["member"]


@admin.register(BillingCustomer)
class BillingCustomerAdmin(admin.ModelAdmin):
    list_display = ["stripe_customer_id", "member"]
    raw_id_fields = ["member"]


@admin.register(CheckoutRequest)
class CheckoutRequestAdmin(admin.ModelAdmin):
    list_display = ["stripe_session_id", "member", "plan", "completed_at", "created_at"]
    raw_id_fields = ["member", "created_by"]


@admin.register(MemberCharge)
class MemberChargeAdmin(admin.ModelAdmin):
    """Fees billed through Stripe. Made by the services that cause them (a penalty) and
    cancelled by waiving that cause; here staff see where each one is and send a refused
    one again once its cause is fixed (e.g. the member's email)."""

    list_display = ["description", "member", "amount", "status", "stripe_invoice_id", "created_at"]
    list_filter = ["status"]
    search_fields = ["description", "source", "member__first_name", "member__last_name"]
    raw_id_fields = ["member"]
    actions = ["send_again"]

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, obj):
        return format_money(obj.amount_minor, obj.currency)

    @admin.action(description=_("Send refused charges to Stripe again"), permissions=["send"])
    def send_again(self, request, queryset):
        sent = 0
        for charge in queryset:
            sent += charge_retry(charge=charge).status == "queued"
        self.message_user(request, _("%(count)d charge(s) sent again.") % {"count": sent})

    def has_send_permission(self, request):
        return request.user.has_perm("billing.change_membercharge")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
