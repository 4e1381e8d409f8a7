"""The staff dashboard's home page, included under /dashboard/ by config/urls_tenant.py."""

from django.urls import path

from apps.dashboard import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="dashboard-home"),
    path("setup/<slug:key>/skip/", views.SetupSkipView.as_view(), name="dashboard-setup-skip"),
]
