"""Production: every secret and address from the environment, no defaults for secrets.

docker/.env.example documents every variable read here and in base.py.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env


def _required(name: str) -> str:
    """The variable's value; a missing or empty one stops the process at start."""
    value = env(name)  # raises ImproperlyConfigured when unset
    if not value.strip():
        raise ImproperlyConfigured(f"The {name} environment variable is empty.")
    return value


DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY")
# Gyms live on <slug>.<PLATFORM_DOMAIN>; a wrong value here misroutes every gym.
PLATFORM_DOMAIN = _required("PLATFORM_DOMAIN")
_required("DJANGO_ALLOWED_HOSTS")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Addresses too: base.py falls back to localhost, which production must never do silently.
_required("DATABASE_URL")
_required("REDIS_URL")

# Behind the reverse proxy (docker/nginx.conf): TLS ends before Django, the proxy says so.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx in front (docker/nginx.conf): see TRUSTED_PROXY_COUNT in base.py.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=1)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": TRUSTED_PROXY_COUNT}

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# A slow SMTP server must not hold a web worker (or a Celery task) forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"noreply@{PLATFORM_DOMAIN}")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

if env("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible object storage for uploads; URLs are signed and expire. Credentials
    # come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (boto3 reads them itself) or
    # from the host's IAM role.
    STORAGES["default"] = {  # noqa: F405
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "querystring_auth": True,
            "querystring_expire": 600,
            "file_overwrite": False,
            "default_acl": "private",
        },
    }

LOGGING["root"]["level"] = env("LOG_LEVEL", default="INFO")  # noqa: F405
