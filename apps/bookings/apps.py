from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.portal import nav


class BookingsConfig(AppConfig):
    name = "apps.bookings"
    verbose_name = _("Classes and bookings")

    def ready(self):
        from apps.bookings import member, signals  # noqa: PLC0415 - models must be loaded first

        signals.connect()
        nav.register_item(
            nav.NavItem("classes", _("Classes"), "member-classes", "calendar", 20, primary=True)
        )
        nav.register_card(nav.HomeCard("classes", "portal/_tile.html", 20, member.home_card))
