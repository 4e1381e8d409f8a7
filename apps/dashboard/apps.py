from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The staff dashboard shell: home page with the set-up checklist, navigation, access rules."""

    name = "apps.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")
