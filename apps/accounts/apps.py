from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.dashboard import checklist


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from apps.accounts.selectors import setup_staff_done  # noqa: PLC0415 - needs models

        checklist.register_step(
            checklist.Step(
                "staff",
                _("Invite your team"),
                _("Managers, trainers and the front desk get their own login and role."),
                "staff-list",
                40,
                setup_staff_done,
            )
        )
