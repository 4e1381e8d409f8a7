"""What the gym pays the platform: its dashboard page, included under /dashboard/billing/platform/
by config/urls_tenant.py."""

from django.urls import path

from apps.platform_billing import views

urlpatterns = [
    path("", views.PlatformBillingView.as_view(), name="platform-billing"),
]
