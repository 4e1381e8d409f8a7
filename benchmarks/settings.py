"""Benchmark settings: the dev settings, made to behave like production where it matters
for speed (DEBUG off, persistent database connections, no static autorefresh)."""

import warnings

from config.settings.dev import *  # noqa: F403
from config.settings.dev import DATABASES, REST_FRAMEWORK, env

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The tenant URLs plus two baselines (benchmarks/urls.py).
ROOT_URLCONF = "benchmarks.urls"
# Persistent connections as gunicorn runs them in production; the ASGI run sets 0, as
# Django recommends for ASGI servers (each request runs in a thread of its own).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("BENCH_CONN_MAX_AGE", default=600)
WHITENOISE_AUTOREFRESH = False
# Static files come from the finders (no collectstatic for a benchmark).
warnings.filterwarnings("ignore", message="No directory at")

# Throttling stays on (two Redis round trips per API request, as in production), with
# rates no benchmark reaches: 20 clients share one user here. A per-second window keeps
# DRF's per-user history (a list stored in the cache) as long as a real user's at the
# production limit (600 a minute), instead of growing with the whole run.
if env.bool("BENCH_THROTTLE", default=True):
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/s", "user": "100000/s"},
    }
else:
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
