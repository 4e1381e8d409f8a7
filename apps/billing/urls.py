"""Billing pages of the staff dashboard (billing, plans, Stripe connection), included
under /dashboard/billing/ by config/urls_tenant.py."""

from django.urls import path

from apps.billing import views

urlpatterns = [
    path("", views.BillingHomeView.as_view(), name="billing-home"),
    path("plans/", views.PlanListView.as_view(), name="billing-plans"),
    path("plans/new/", views.PlanCreateView.as_view(), name="billing-plan-new"),
    path("plans/<int:pk>/", views.PlanEditView.as_view(), name="billing-plan-edit"),
    path("plans/<int:pk>/archive/", views.PlanArchiveView.as_view(), name="billing-plan-archive"),
    path("stripe/", views.StripeConnectionView.as_view(), name="billing-stripe"),
    path("stripe/connect/", views.StripeConnectStartView.as_view(), name="billing-stripe-connect"),
    path("stripe/return/", views.StripeConnectReturnView.as_view(), name="billing-stripe-return"),
]
