"""Billing URLs outside the dashboard and the API, included at the root of the gym's domain
by config/urls_tenant.py: the webhook Stripe calls and the page Checkout returns to."""

from django.urls import path

from apps.billing import views

urlpatterns = [
    path("billing/webhook/", views.WebhookView.as_view(), name="billing-webhook"),
    path("billing/return/", views.checkout_return, name="billing-return"),
]
