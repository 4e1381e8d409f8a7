from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The member web app's shell: layout, bottom navigation, home, PWA manifest and
    service worker. Each app registers its own pages into the navigation (`nav.py`)."""

    name = "apps.portal"
    label = "portal"
    verbose_name = _("Member web app")
