from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    """Door check-in: member passes, kiosks, visits, occupancy."""

    name = "apps.attendance"
    label = "attendance"
    verbose_name = _("Check-ins")

    def ready(self):
        from apps.attendance import summary  # noqa: F401, PLC0415 - weekly summary section
