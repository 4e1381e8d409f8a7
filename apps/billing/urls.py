"""Billing page of the staff dashboard, included under /dashboard/billing/ by
config/urls_tenant.py."""

from django.urls import path

from apps.billing import views

urlpatterns = [
    path("", views.BillingHomeView.as_view(), name="billing-home"),
]
