from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "apps.bookings"
    verbose_name = _("Classes and bookings")

    def ready(self):
        # Models must be loaded first. `summary` registers the weekly summary's classes
        # section, `services.reminders` the class reminders' resolver.
        from apps.bookings import signals, summary  # noqa: F401, PLC0415
        from apps.bookings.services import reminders  # noqa: F401, PLC0415

        signals.connect()
