"""URLs on a gym's domain (the gym's schema).

Each app brings its own URL modules, one include line each: `apps/<app>/api/urls.py` under
/api/v1/, `apps/<app>/urls.py` (staff dashboard pages) under /dashboard/<section>/, and
`apps/<app>/member_urls.py` (member web app pages) under /app/, and
`apps/<app>/root_urls.py` for what lives at the site's root (webhooks, feeds, old links)."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.common.views import api_not_found, favicon, healthz, media_file
from apps.dashboard.views import root

handler400 = "apps.common.views.error_400"
handler403 = "apps.common.views.error_403"
handler404 = "apps.common.views.error_404"
handler500 = "apps.common.views.error_500"

api_v1 = [
    path("", include("apps.members.api.urls")),
    path("", include("apps.bookings.api.urls")),
    path("", include("apps.billing.api.urls")),
    path("", include("apps.assessments.api.urls")),
    path("", include("apps.attendance.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.goals.api.urls")),
    # Last: any other /api/v1/ path gets the JSON error shape, also with DEBUG on (where
    # Django would answer its HTML 404 page instead of handler404).
    re_path(r"^.*$", api_not_found),
]

dashboard = [
    path("", include("apps.dashboard.urls")),
    path("members/", include("apps.members.urls")),
    path("staff/", include("apps.accounts.urls")),
    path("settings/", include("apps.tenants.urls")),
    path("check-ins/", include("apps.attendance.urls")),
    path("classes/", include("apps.bookings.urls")),
    path("billing/", include("apps.billing.urls")),
    path("billing/platform/", include("apps.platform_billing.urls")),
    path("assessments/", include("apps.assessments.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("goals/", include("apps.goals.urls")),
]

# The member web app: the shell (apps/portal) and each app's member pages.
member_app = [
    path("", include("apps.portal.urls")),
    path("", include("apps.assessments.member_urls")),
    path("", include("apps.bookings.member_urls")),
    path("", include("apps.attendance.member_urls")),
    path("", include("apps.notifications.member_urls")),
    path("", include("apps.members.member_urls")),
    path("", include("apps.billing.member_urls")),
    path("", include("apps.goals.member_urls")),
]

urlpatterns = [
    path("", root, name="root"),
    path("app/", include(member_app)),
    path("dashboard/", include(dashboard)),
    path("", include("apps.billing.root_urls")),
    path("", include("apps.assessments.root_urls")),
    path("", include("apps.accounts.root_urls")),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("apps.bookings.root_urls")),
    path("notifications/", include("apps.notifications.root_urls")),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path(
        "api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_tenant"), name="api-schema"
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# Uploads kept on local disk (no bucket configured), for signed links of this host's
# schema only, as object storage serves them (apps/common/storage.py).
urlpatterns += [re_path(r"^media/(?P<path>.*)$", media_file, name="media")]
