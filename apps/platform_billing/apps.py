from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformBillingConfig(AppConfig):
    name = "apps.platform_billing"
    label = "platform_billing"
    verbose_name = _("Platform billing")
