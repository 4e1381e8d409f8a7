"""Assessments API routes, included under /api/v1/ by config/urls_tenant.py."""

from django.urls import path

from apps.assessments.api import views

urlpatterns = [
    path("assessments/catalogue/", views.CatalogueView.as_view(), name="assessment-catalogue"),
    path(
        "assessments/attempts/", views.AttemptListCreateView.as_view(), name="assessment-attempts"
    ),
    path(
        "assessments/attempts/<int:pk>/",
        views.AttemptDetailView.as_view(),
        name="assessment-attempt",
    ),
    path(
        "assessments/attempts/<int:pk>/overlay/",
        views.AttemptOverlayView.as_view(),
        name="assessment-overlay",
    ),
    path(
        "assessments/history/<int:test_id>/",
        views.HistoryView.as_view(),
        name="assessment-history",
    ),
    path("assessments/report/", views.ReportView.as_view(), name="assessment-report"),
    path("assessments/video/<str:token>/", views.VideoView.as_view(), name="assessment-video"),
    path("assessments/blocks/", views.BlockListView.as_view(), name="assessment-blocks"),
    path(
        "assessments/blocks/<int:pk>/lift/",
        views.BlockLiftView.as_view(),
        name="assessment-block-lift",
    ),
]
