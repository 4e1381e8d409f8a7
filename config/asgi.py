"""ASGI entry point: HTTP and WebSocket. WebSocket connections are resolved to a gym by
their Host header before any consumer runs."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - after Django set-up
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.common.asgi import BodyLimitMiddleware  # noqa: E402
from apps.common.channels import SameHostOriginValidator, TenantAuthMiddleware  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            SameHostOriginValidator(TenantAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
