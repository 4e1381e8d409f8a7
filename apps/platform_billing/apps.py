import stripe
from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PlatformBillingConfig(AppConfig):
    name = "apps.platform_billing"
    label = "platform_billing"
    verbose_name = _("Platform billing")

    def ready(self):
        # dj-stripe calls the SDK's global resources (with the platform's key per call),
        # so the stand-in's address (STRIPE_API_BASE: tests, offline development) is set
        # there too; our own clients take it per client (apps.billing.stripe_api).
        if settings.STRIPE_API_BASE:
            stripe.api_base = settings.STRIPE_API_BASE
