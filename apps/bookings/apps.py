from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "apps.bookings"
    verbose_name = _("Classes and bookings")

    def ready(self):
        from apps.bookings import signals  # noqa: PLC0415 - models must be loaded first

        signals.connect()
