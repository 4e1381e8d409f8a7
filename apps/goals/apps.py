from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.portal import nav


class GoalsConfig(AppConfig):
    """Goals, daily check-ins, streaks, badges, challenges and motivation messages."""

    name = "apps.goals"
    label = "goals"
    verbose_name = _("Goals")

    def ready(self):
        # Models must be loaded first.
        from apps.attendance.signals import visit_entered  # noqa: PLC0415
        from apps.bookings.signals import booking_attended  # noqa: PLC0415
        from apps.goals import activity, member_challenges  # noqa: PLC0415
        from apps.goals import member_checkins as checkin_pages  # noqa: PLC0415
        from apps.goals import member_goals as goal_pages  # noqa: PLC0415
        from apps.goals.services import challenges, checkins  # noqa: PLC0415
        from apps.goals.services import goals as goals_services  # noqa: PLC0415

        # --- Activity: the door and the class roster feed the listeners below ---
        visit_entered.connect(activity.on_visit_entered, dispatch_uid="goals-visit")
        booking_attended.connect(activity.on_booking_attended, dispatch_uid="goals-class")

        # --- Check-ins and streaks ---
        activity.register_listener("checkins", checkins.checkin_from_activity)
        nav.register_item(nav.NavItem("checkin", _("Check-in"), "member-checkin", "check", 40))
        nav.register_card(
            nav.HomeCard(
                "checkin", "goals/member/checkin_home_card.html", 20, checkin_pages.home_card
            )
        )

        # --- Challenges ---
        activity.register_listener("challenges", challenges.challenges_from_activity)
        nav.register_item(
            nav.NavItem("challenges", _("Challenges"), "member-challenges", "trophy", 50)
        )
        nav.register_card(
            nav.HomeCard(
                "challenges",
                "goals/member/challenges_home_card.html",
                40,
                member_challenges.home_card,
            )
        )

        # --- Goals ---
        activity.register_listener("goals", goals_services.goals_from_activity)
        nav.register_item(nav.NavItem("goals", _("Goals"), "member-goals", "target", 45))
        nav.register_card(
            nav.HomeCard("goals", "goals/member/goals_home_card.html", 35, goal_pages.home_card)
        )

        # --- Motivation ---
        from apps.goals import member_motivation  # noqa: PLC0415

        nav.register_item(
            nav.NavItem("motivation", _("Motivation"), "member-motivation", "bell", 60)
        )
        nav.register_card(
            nav.HomeCard(
                "motivation",
                "goals/member/motivation_home_card.html",
                30,
                member_motivation.home_card,
            )
        )
