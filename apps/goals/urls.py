"""Staff pages of the goals app, under /dashboard/goals/."""

from django.urls import path, re_path

from apps.goals import views_challenges, views_motivation

ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns: list = [
    # --- Challenges ---
    path("challenges/", views_challenges.ChallengeListView.as_view(), name="goals-challenges"),
    path(
        "challenges/new/",
        views_challenges.ChallengeFormView.as_view(),
        name="goals-challenge-new",
    ),
    re_path(
        rf"^challenges/{ID}/$",
        views_challenges.ChallengeDetailView.as_view(),
        name="goals-challenge",
    ),
    re_path(
        rf"^challenges/{ID}/edit/$",
        views_challenges.ChallengeFormView.as_view(),
        name="goals-challenge-edit",
    ),
    re_path(
        rf"^challenges/{ID}/archive/$",
        views_challenges.ChallengeArchiveView.as_view(),
        name="goals-challenge-archive",
    ),
    # --- Motivation ---
    path(
        "motivation/",
        views_motivation.MotivationStatsView.as_view(),
        name="goals-motivation",
    ),
]
