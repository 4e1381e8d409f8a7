"""URLs on a gym's domain (the gym's schema)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from apps.accounts.views import StaffListView, StaffRoleView
from apps.assessments.urls import api_urls as assessment_api
from apps.assessments.urls import dashboard_urls as assessment_dashboard
from apps.assessments.urls import member_urls as assessment_member
from apps.attendance import urls as attendance_urls
from apps.billing import urls as billing_urls
from apps.bookings.api.views import (
    BookingViewSet,
    CalendarFeedView,
    PolicyView,
    PTBookingViewSet,
    SessionViewSet,
    TrainerViewSet,
)
from apps.bookings.calendar import calendar_feed_view
from apps.bookings.urls import dashboard_urls as classes_dashboard
from apps.common.views import healthz
from apps.dashboard.views import HomeView, root
from apps.members.api.views import MemberViewSet, MeView
from apps.members.views import (
    MemberCreateView,
    MemberDetailView,
    MemberGrantAccessView,
    MemberListView,
    MemberUpdateView,
)
from apps.platform_billing.views import PlatformBillingView
from apps.tenants.views import GymSettingsView

handler400 = "apps.common.views.error_400"
handler403 = "apps.common.views.error_403"
handler404 = "apps.common.views.error_404"
handler500 = "apps.common.views.error_500"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("members", MemberViewSet, basename="member")
router.register("classes/sessions", SessionViewSet, basename="class-session")
router.register("bookings", BookingViewSet, basename="booking")
router.register("trainers", TrainerViewSet, basename="trainer")
router.register("pt-bookings", PTBookingViewSet, basename="pt-booking")

api_v1 = [
    path("me/", MeView.as_view(), name="me"),
    path("classes/policy/", PolicyView.as_view(), name="class-policy"),
    path("calendar-feed/", CalendarFeedView.as_view(), name="calendar-feed"),
    path("billing/", include(billing_urls.api_urls)),
    path("assessments/", include(assessment_api)),
    *router.urls,
    *attendance_urls.api,
]

dashboard = [
    path("", HomeView.as_view(), name="dashboard-home"),
    path("members/", MemberListView.as_view(), name="member-list"),
    path("members/new/", MemberCreateView.as_view(), name="member-create"),
    path("members/<int:pk>/", MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:pk>/edit/", MemberUpdateView.as_view(), name="member-edit"),
    path(
        "members/<int:pk>/app-access/", MemberGrantAccessView.as_view(), name="member-grant-access"
    ),
    path("staff/", StaffListView.as_view(), name="staff-list"),
    path("staff/<int:pk>/", StaffRoleView.as_view(), name="staff-role"),
    path("settings/", GymSettingsView.as_view(), name="gym-settings"),
    path("check-ins/", include(attendance_urls.dashboard)),
    path("classes/", include(classes_dashboard)),
    *billing_urls.dashboard_urls,
    path("billing/platform/", PlatformBillingView.as_view(), name="platform-billing"),
    path("assessments/", include(assessment_dashboard)),
]

urlpatterns = [
    path("", root, name="root"),
    path("dashboard/", include(dashboard)),
    path("billing/", include(billing_urls.public_urls)),
    path("assessments/", include(assessment_member)),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("calendar/<str:token>.ics", calendar_feed_view, name="calendar-feed-ics"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path(
        "api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_tenant"), name="api-schema"
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    # Development only; production serves media from object storage.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
