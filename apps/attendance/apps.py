from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.dashboard import checklist
from apps.portal import nav


class AttendanceConfig(AppConfig):
    """Door check-in: member passes, kiosks, visits, occupancy."""

    name = "apps.attendance"
    label = "attendance"
    verbose_name = _("Check-ins")

    def ready(self):
        # Models must be loaded first; `summary` registers the weekly summary's visits section.
        from apps.attendance import member, selectors, summary  # noqa: F401, PLC0415

        checklist.register_step(
            checklist.Step(
                "kiosk",
                _("Set up the door"),
                _("Register a kiosk at the entrance, or print members' pass cards."),
                "checkins-kiosks",
                60,
                selectors.setup_kiosk_done,
            )
        )
        nav.register_item(nav.NavItem("pass", _("My pass"), "member-pass", "qr", 30, primary=True))
        nav.register_item(nav.NavItem("occupancy", _("How busy"), "member-occupancy", "people", 70))
        nav.register_offline_asset("attendance/member_pass.js")  # the pass works offline
        nav.register_card(nav.HomeCard("pass", "portal/_tile.html", 10, member.pass_card))
        nav.register_card(nav.HomeCard("occupancy", "portal/_tile.html", 70, member.occupancy_card))
