from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.dashboard import checklist
from apps.portal import nav


class BookingsConfig(AppConfig):
    name = "apps.bookings"
    verbose_name = _("Classes and bookings")

    def ready(self):
        # Models must be loaded first. `summary` registers the weekly summary's classes
        # section, `services.reminders` the class reminders' resolver.
        from apps.bookings import member, selectors, signals, summary  # noqa: F401, PLC0415
        from apps.bookings.services import reminders  # noqa: F401, PLC0415

        signals.connect()
        checklist.register_step(
            checklist.Step(
                "schedule",
                _("Create your first class schedule"),
                _("Classes then appear in the timetable and members can book them."),
                "class-week",
                20,
                selectors.setup_schedule_done,
            )
        )
        nav.register_item(
            nav.NavItem("classes", _("Classes"), "member-classes", "calendar", 20, primary=True)
        )
        nav.register_card(nav.HomeCard("classes", "portal/_tile.html", 20, member.home_card))
