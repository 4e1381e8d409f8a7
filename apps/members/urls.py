"""Members pages of the staff dashboard, included under /dashboard/members/ by
config/urls_tenant.py."""

from django.urls import path

from apps.members import views

urlpatterns = [
    path("", views.MemberListView.as_view(), name="member-list"),
    path("new/", views.MemberCreateView.as_view(), name="member-create"),
    path("import/", views.MemberImportView.as_view(), name="member-import"),
    path("import/<int:pk>/", views.MemberImportDetailView.as_view(), name="member-import-detail"),
    path(
        "import/<int:pk>/progress/",
        views.MemberImportProgressView.as_view(),
        name="member-import-progress",
    ),
    path(
        "import/<int:pk>/failed.csv",
        views.MemberImportFailedRowsView.as_view(),
        name="member-import-failed-csv",
    ),
    path("<int:pk>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("<int:pk>/edit/", views.MemberUpdateView.as_view(), name="member-edit"),
    path("<int:pk>/app-access/", views.MemberGrantAccessView.as_view(), name="member-grant-access"),
]
