from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.portal import nav


class AssessmentsConfig(AppConfig):
    name = "apps.assessments"
    label = "assessments"
    verbose_name = _("Assessments")

    def ready(self):
        nav.register_item(
            nav.NavItem("assessments", _("Assessments"), "assessment-member", "video", 60)
        )
        # Registers the retest reminders' resolver with apps.notifications.kinds.
        from apps.assessments import services  # noqa: F401, PLC0415 - models must be loaded
