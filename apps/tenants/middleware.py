"""Host name -> gym (schema), and the gym's default language."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django_tenants.middleware.main import TenantMainMiddleware


class GymTenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        # A deactivated gym is as unknown as a host that never existed.
        domain = domain_model.objects.select_related("tenant").get(
            domain=hostname, tenant__is_active=True
        )
        return domain.tenant


class GymLocaleMiddleware(LocaleMiddleware):
    """Language: the visitor's explicit choice (cookie), else the gym's default."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        tenant = getattr(request, "tenant", None)
        if not chosen and tenant is not None and not tenant.is_public:
            translation.activate(tenant.default_language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)
