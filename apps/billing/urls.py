"""Billing URLs on the gym's domain: API (mounted under /api/v1/billing/), the webhook and
the Checkout return page (under /billing/), and the staff page (under /dashboard/)."""

from django.urls import path

from apps.billing import views
from apps.billing.api import views as api

api_urls = [
    path("plans/", api.PlanListView.as_view(), name="billing-plans"),
    path("plans/<int:pk>/", api.PlanDetailView.as_view(), name="billing-plan"),
    path("checkout/", api.CheckoutView.as_view(), name="billing-checkout"),
    path("portal/", api.PortalView.as_view(), name="billing-portal"),
    path("subscription/", api.MySubscriptionView.as_view(), name="billing-subscription"),
    path("subscription/cancel/", api.CancelView.as_view(), name="billing-cancel"),
    path("subscription/resume/", api.ResumeView.as_view(), name="billing-resume"),
    path("subscription/freeze/", api.FreezeView.as_view(), name="billing-freeze"),
    path("subscription/unfreeze/", api.UnfreezeView.as_view(), name="billing-unfreeze"),
    path("subscription/change-plan/", api.ChangePlanView.as_view(), name="billing-change-plan"),
    path("invoices/", api.MyInvoicesView.as_view(), name="billing-invoices"),
    path("charges/", api.MyChargesView.as_view(), name="billing-charges"),
    path("failed-payments/", api.FailedPaymentsView.as_view(), name="billing-failed-payments"),
    path("reports/", api.ReportsView.as_view(), name="billing-reports"),
    path("members/<int:pk>/", api.MemberBillingView.as_view(), name="billing-member"),
    path(
        "members/<int:pk>/checkout/",
        api.MemberCheckoutView.as_view(),
        name="billing-member-checkout",
    ),
]
public_urls = [
    path("webhook/", views.WebhookView.as_view(), name="billing-webhook"),
    path("return/", views.checkout_return, name="billing-return"),
]
dashboard_urls = [
    path("billing/", views.BillingHomeView.as_view(), name="billing-home"),
]
