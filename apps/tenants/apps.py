from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.dashboard import checklist


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = _("Gyms")

    def ready(self):
        from apps.tenants.selectors import setup_hours_done  # noqa: PLC0415 - needs models

        checklist.register_step(
            checklist.Step(
                "hours",
                _("Set your opening hours"),
                _("Members see them in the app, and the door lets people in only then."),
                "gym-settings",
                10,
                setup_hours_done,
            )
        )
