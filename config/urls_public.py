"""URLs on the platform domain (public schema)."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.common.views import favicon, healthz, media_file
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
    # The ESP's tracking webhooks (bounces, complaints): one URL for every gym, each event
    # handled in the gym its metadata names (apps/notifications/services/bounces.py).
    path("anymail/", include("anymail.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", include("apps.tenants.api.urls")),
    path(
        "api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"), name="api-schema"
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# Uploads kept on local disk (no bucket configured), for signed links of this host's
# schema only, as object storage serves them (apps/common/storage.py).
urlpatterns += [re_path(r"^media/(?P<path>.*)$", media_file, name="media")]
