"""The test suite: real PostgreSQL and Redis (started by `make test`)."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-not-secret-" + "x" * 40
DEBUG = False
SITE_SCHEME = "http"
PLATFORM_DOMAIN = "localhost"
ALLOWED_HOSTS = ["localhost", ".localhost", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Generous limits so the suite is not throttled; throttling has its own test.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"},
}
ACCOUNT_RATE_LIMITS = False
WHITENOISE_AUTOREFRESH = True  # no collected static files in tests
# Several suites may share one embedded server (e.g. parallel checkouts): name the test DB.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_gym")}  # noqa: F405
