from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.contrib.django_allauth import XSessionTokenAuthenticationScheme


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth.headless app session tokens (header `X-Session-Token`).

    Naming a challenge makes DRF answer a missing/invalid token with 401, so apps can tell
    "log in again" (401) from "not allowed" (403).
    """

    def authenticate_header(self, request) -> str:
        return 'Session-Token header="X-Session-Token"'


class SessionTokenAuthenticationScheme(XSessionTokenAuthenticationScheme):
    """Documents the header in the OpenAPI schema (registered by being defined)."""

    target_class = "apps.common.api.authentication.SessionTokenAuthentication"
