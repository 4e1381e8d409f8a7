"""The member web app's shell, included under /app/ by config/urls_tenant.py (next to each
app's `member_urls.py`)."""

from django.urls import path

from apps.portal import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="portal-home"),
    path("more/", views.MoreView.as_view(), name="portal-more"),
    path("offline/", views.offline, name="portal-offline"),
    path("manifest.webmanifest", views.manifest, name="portal-manifest"),
    path("sw.js", views.ServiceWorkerView.as_view(), name="portal-sw"),
]
