from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.portal import nav


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        nav.register_item(nav.NavItem("profile", _("Profile"), "member-profile", "user", 80))
