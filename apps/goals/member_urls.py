"""Members' pages of the goals app, included under /app/ by config/urls_tenant.py.
Ids: digits that fit PostgreSQL's bigint (anything else is a 404, not a 500)."""

from django.urls import path, re_path

from apps.goals import member_challenges, member_checkins, member_goals, member_motivation

ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns: list = [
    # --- Check-ins ---
    path("check-in/", member_checkins.CheckInView.as_view(), name="member-checkin"),
    # --- Challenges ---
    path("challenges/", member_challenges.ChallengeListView.as_view(), name="member-challenges"),
    re_path(
        rf"^challenges/{ID}/$",
        member_challenges.ChallengeDetailView.as_view(),
        name="member-challenge",
    ),
    re_path(
        rf"^challenges/{ID}/join/$",
        member_challenges.JoinView.as_view(),
        name="member-challenge-join",
    ),
    re_path(
        rf"^challenges/{ID}/leave/$",
        member_challenges.LeaveView.as_view(),
        name="member-challenge-leave",
    ),
    re_path(
        rf"^challenges/{ID}/leaderboard/$",
        member_challenges.LeaderboardChoiceView.as_view(),
        name="member-challenge-leaderboard",
    ),
    re_path(
        rf"^challenges/{ID}/entries/$",
        member_challenges.EntryView.as_view(),
        name="member-challenge-entry",
    ),
    # --- Goals ---
    path("goals/", member_goals.GoalListView.as_view(), name="member-goals"),
    path("goals/body-weight/", member_goals.BodyWeightView.as_view(), name="member-body-weight"),
    re_path(rf"^goals/{ID}/$", member_goals.GoalDetailView.as_view(), name="member-goal"),
    re_path(rf"^goals/{ID}/entries/$", member_goals.EntryView.as_view(), name="member-goal-entry"),
    re_path(
        rf"^goals/{ID}/archive/$", member_goals.ArchiveView.as_view(), name="member-goal-archive"
    ),
    # --- Motivation ---
    path("motivation/", member_motivation.MotivationListView.as_view(), name="member-motivation"),
    re_path(
        rf"^motivation/{ID}/rate/$",
        member_motivation.RateView.as_view(),
        name="member-motivation-rate",
    ),
]
