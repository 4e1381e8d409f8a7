from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.dashboard import checklist
from apps.portal import nav


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        from apps.members.selectors import setup_members_done  # noqa: PLC0415 - needs models

        checklist.register_step(
            checklist.Step(
                "members",
                _("Add or import your members"),
                _("One by one, or all at once from your old system."),
                "member-import",
                50,
                setup_members_done,
            )
        )
        nav.register_item(nav.NavItem("profile", _("Profile"), "member-profile", "user", 80))
