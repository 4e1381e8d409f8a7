"""Billing API routes, included under /api/v1/ by config/urls_tenant.py."""

from django.urls import path

from apps.billing.api import views

urlpatterns = [
    path("billing/plans/", views.PlanListView.as_view(), name="billing-plans"),
    path("billing/plans/<int:pk>/", views.PlanDetailView.as_view(), name="billing-plan"),
    path("billing/checkout/", views.CheckoutView.as_view(), name="billing-checkout"),
    path("billing/portal/", views.PortalView.as_view(), name="billing-portal"),
    path("billing/subscription/", views.MySubscriptionView.as_view(), name="billing-subscription"),
    path("billing/subscription/cancel/", views.CancelView.as_view(), name="billing-cancel"),
    path("billing/subscription/resume/", views.ResumeView.as_view(), name="billing-resume"),
    path("billing/subscription/freeze/", views.FreezeView.as_view(), name="billing-freeze"),
    path("billing/subscription/unfreeze/", views.UnfreezeView.as_view(), name="billing-unfreeze"),
    path(
        "billing/subscription/change-plan/",
        views.ChangePlanView.as_view(),
        name="billing-change-plan",
    ),
    path("billing/invoices/", views.MyInvoicesView.as_view(), name="billing-invoices"),
    path("billing/charges/", views.MyChargesView.as_view(), name="billing-charges"),
    path(
        "billing/failed-payments/",
        views.FailedPaymentsView.as_view(),
        name="billing-failed-payments",
    ),
    path("billing/reports/", views.ReportsView.as_view(), name="billing-reports"),
    path("billing/members/<int:pk>/", views.MemberBillingView.as_view(), name="billing-member"),
    path(
        "billing/members/<int:pk>/checkout/",
        views.MemberCheckoutView.as_view(),
        name="billing-member-checkout",
    ),
]
