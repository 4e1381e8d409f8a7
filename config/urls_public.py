"""URLs on the platform domain (public schema)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.common.views import healthz
from apps.platform_billing.views import PlatformWebhookView
from apps.tenants.views import GymSignupView, landing

handler400 = "apps.common.views.error_400"
handler403 = "apps.common.views.error_403"
handler404 = "apps.common.views.error_404"
handler500 = "apps.common.views.error_500"

urlpatterns = [
    path("", landing, name="landing"),
    path("signup/", GymSignupView.as_view(), name="gym-signup"),
    path("billing/webhook/", PlatformWebhookView.as_view(), name="platform-billing-webhook"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("apps.tenants.api.urls")),
    path(
        "api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"), name="api-schema"
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
