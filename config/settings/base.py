"""Settings shared by every environment. Secrets and URLs come from the environment."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
# The platform's own host; gyms live on <slug>.<PLATFORM_DOMAIN>.
PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"])

# --- Tenancy -------------------------------------------------------------------------
# Shared apps get tables in the public schema only; tenant apps get tables in every
# gym's schema. Apps in both get both (users live per gym; operators in public).
SHARED_APPS = [
    # Before django_tenants so that our migrate_schemas (which also keeps the template
    # schema current) overrides its command. Gym + Domain: the tenant list is public.
    "apps.tenants",
    "django_tenants",
    "apps.common",
    # Auth, sessions and admin are in both: platform operators in public, gym users per gym.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "apps.common.admin.GymAdminConfig",  # django.contrib.admin, schema-aware
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "apps.accounts",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "axes",  # failed sign-ins, per schema like the accounts they were tried on
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    # One beat for the whole platform: its schedule lives in public and fans out per gym.
    "django_celery_beat",
    # Gyms paying the platform (the platform's own Stripe account): public tables only.
    # dj-stripe keeps that account's customers, subscriptions, prices and events; never a
    # tenant app (its migrations are slow, and the gyms' keys must not reach its tables).
    "djstripe",
    "apps.platform_billing",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "apps.common.admin.GymAdminConfig",
    "apps.accounts",
    "allauth",
    "allauth.account",
    "axes",
    "apps.members",  # member profiles belong to one gym
    "apps.billing",  # each gym's plans, subscriptions, invoices, Stripe events
    "apps.dashboard",  # staff pages shell and the set-up checklist
    "apps.portal",  # member web app shell (no tables)
    "apps.attendance",  # passes, kiosks and visits belong to one gym's door
    "apps.bookings",  # classes, sessions, bookings, trainers: per gym
    "apps.assessments",  # members' movement tests: clips, landmarks, results per gym
    "anymail",
    "apps.notifications",  # each gym's inbox, deliveries, devices, reminders, announcements
    "apps.audit",  # each gym's audit trail of sensitive staff actions
    "apps.goals",  # members' goals, check-ins, streaks, challenges: per gym
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Gym"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
# New gyms are cloned from this template schema (seconds) instead of being migrated
# (tens of seconds); `migrate_schemas` keeps the template current.
TENANT_BASE_SCHEMA = "gym_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Per schema: public-only apps' migrations (dj-stripe's: minutes) are recorded, not run.
TENANT_BASE_MIGRATE_COMMAND = "apps.tenants.schema_migrate.Command"
TENANT_LIMIT_SET_CALLS = True
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    "apps.common.middleware.RequestIdMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (settings below),
    # the tenant middleware's own "no gym here" page included.
    "apps.common.middleware.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "apps.tenants.middleware.GymTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.tenants.middleware.GymLocaleMiddleware",
    "apps.common.middleware.JsonDepthMiddleware",  # after the locale: its error is translated
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.tenants.middleware.GymTimezoneMiddleware",  # after auth: a member's own zone
    "django.contrib.messages.middleware.MessageMiddleware",
    # A gym whose platform subscription lapsed: staff warned, then read-only after grace.
    "apps.platform_billing.middleware.PlatformAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last: turns a refused sign-in into the lockout answer (apps/accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.tenants.context_processors.gym",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database ------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://localhost/gym")}
# A percent-encoded host is a Unix socket directory (the embedded server uses one).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Lets the timetable query be prepared once per connection (its own server-binding cursor
# asks for it: apps/bookings/selectors.py). Django's cursors bind on the client and are
# never prepared. Needs direct connections (no PgBouncer in transaction mode: docker/README).
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker -------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        # Django's RedisCache, keeping its redis-py client (apps/common/cache.py).
        "BACKEND": "apps.common.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every cache key carries the schema name, so gyms never share entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 would time out idle reads after 5 s and drop idle sockets
            # (channels_redis#422); no read timeout and a bigger pool avoid that.
            "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 1000}],
            "prefix": "gymws",
            # All sockets of a server process share one Redis queue; at the default of 100
            # a process 2 s behind at 50 door events/s silently dropped dashboard updates
            # (measured, benchmarks/kiosk.py). Late beats lost; messages still expire at 60 s.
            "capacity": 1000,
        },
    },
    # Door events for the occupancy dashboards (apps.attendance), 50 a second at peak:
    # Redis pub/sub costs one PUBLISH per event and one delivery per subscribed process,
    # where the default layer's queues took 4-5 Redis round trips per event and process
    # (benchmarks/kiosk.py). At most once, like any socket push here: a dashboard that
    # misses one (Redis restart) corrects its counter with the next event and re-reads
    # REST when its socket reconnects.
    "door": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
            "prefix": "gymdoor",
        },
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Worker processes are replaced after this many tasks: MediaPipe's native memory grows in
# long-lived processes (benchmarks/pose.py measures it); a new child loads the model again.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_BEAT_SCHEDULE = {
    # Goals: settle finished weeks/months (week streaks) and fail goals past their deadline.
    "goals-roll-periods": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 60 * 60,
        "args": ["apps.goals.tasks.goals_roll_periods"],
    },
    # Goals: settle members' day streaks once their days are final (freezes, breaks).
    "goals-streaks-settle": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 60 * 60,
        "args": ["apps.goals.tasks.streaks_settle"],
    },
    # Periodic jobs fan out one task per gym (see apps.tenants.tasks.fan_out).
    "refresh-gym-stats": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 15 * 60,
        "args": ["apps.members.tasks.refresh_gym_stats"],
    },
    # Visits left open (nobody scanned out) end after the gym's configured hours.
    "attendance-auto-checkout": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 10 * 60,
        "args": ["apps.attendance.tasks.auto_checkout"],
    },
    # Classes: publish the rolling timetable, mark no-shows (class reminders are
    # Reminder rows, sent by notifications-tick).
    "bookings-generate-sessions": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 60 * 60,
        "args": ["apps.bookings.tasks.generate_sessions"],
    },
    "bookings-mark-no-shows": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 15 * 60,
        "args": ["apps.bookings.tasks.mark_no_shows"],
    },
    "bookings-close-waitlists": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 5 * 60,
        "args": ["apps.bookings.tasks.close_waitlists"],
    },
    # Members past the grace period after a failed payment get the door flag.
    "billing-enforce-grace": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 60 * 60,
        "args": ["apps.billing.tasks.enforce_grace_period"],
    },
    "billing-retry-unprocessed-events": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 15 * 60,
        "args": ["apps.billing.tasks.retry_unprocessed_events"],
    },
    "billing-push-waiting-charges": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 15 * 60,
        "args": ["apps.billing.tasks.push_waiting_charges"],
    },
    # Attempts whose pipeline task never reached the broker (it was down) are queued again.
    # The platform's own Stripe events (public schema: not fanned out).
    "platform-billing-retry-unprocessed-events": {
        "task": "apps.platform_billing.tasks.retry_unprocessed_platform_events",
        "schedule": 15 * 60,
    },
    # Notifications: release deliveries past quiet hours or retry delays; send due
    # reminders (classes, retests, ...) and, on Sunday evenings, the weekly summaries
    # (apps/notifications).
    "notifications-tick": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 60,
        "args": ["apps.notifications.tasks.tick"],
    },
    # Member imports (CSV) whose task never started or stalled; files of abandoned ones.
    "members-sweep-imports": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 10 * 60,
        "args": ["apps.members.tasks.sweep_member_imports"],
    },
    "assessment-requeue-waiting-attempts": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 15 * 60,
        "args": ["apps.assessments.tasks.requeue_waiting_attempts"],
    },
    # Goals, motivation: check-ins of the last hour still without their message (the
    # queue was down when they were written) are queued again.
    "goals-motivation-requeue": {
        "task": "apps.tenants.tasks.fan_out",
        "schedule": 10 * 60,
        "args": ["apps.goals.tasks.motivation_requeue_recent"],
    },
}

# --- Auth ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (account, address) pair before any password check.
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.RolePermissionBackend",  # role perms without a query
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions (web cookies and app session tokens) are read from Redis, written through to
# the gym's schema; cache keys carry the schema like every other cache key.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A short code in the email works the same in the app and on the web (no deep links).
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "apps.accounts.adapters.GymAccountAdapter"
ACCOUNT_RATE_LIMITS = {
    # Per address only: the per-account limit ("5/5m/key") let anyone lock a member out
    # from anywhere; django-axes locks an (account, address) pair instead (below).
    "login_failed": "10/m/ip",
    # Each gym signup clones a schema: a script must not be able to make thousands.
    "gym_signup": env("GYM_SIGNUP_RATE", default="5/h/ip"),
}
# Login lockout for admin, web and app logins alike (apps/accounts/lockout.py says why).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (admin › Access attempts), not every login
AXES_CLIENT_IP_CALLABLE = "apps.accounts.lockout.client_ip"
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.username"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.locked_out"
# Proxies in front of Django that append to X-Forwarded-For (none in development; nginx
# alone: 1; a load balancer in front of nginx: 2). Login lockouts, allauth's and DRF's
# rate limits key on the client address found that many hops from the right; otherwise
# every visitor would share the proxy's address, or pick their own with a forged header.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
HEADLESS_CLIENTS = ("app",)
# One session read per app request instead of two (apps/common/api/authentication.py).
HEADLESS_TOKEN_STRATEGY = "apps.common.api.authentication.SessionTokenStrategy"
HEADLESS_ONLY = False
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")

# --- API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Apps send allauth.headless session tokens; the web uses the session cookie.
        "apps.common.api.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.common.api.pagination.StandardPagination",
    # Tags per app, the error shape on every operation (apps/common/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "apps.common.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.common.api.errors.exception_handler",
    # DRF's sliding windows, kept in Redis by one atomic script (apps/common/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.common.api.throttling.AnonRateThrottle",
        "apps.common.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gym platform API",
    "DESCRIPTION": """REST API for members' apps and staff tools. Each gym has its own
host; find it with the public directory `GET /api/v1/gyms/?q=` on the platform host.

**Signing in** on the gym's host (tag `auth`, allauth.headless):
`POST /_allauth/app/v1/auth/login` with `{"email", "password"}` answers
`meta.session_token`; send it as the `X-Session-Token` header of every `/api/v1/`
request. `DELETE /_allauth/app/v1/auth/session` signs out.

**Errors**: every 4xx and 5xx of `/api/v1/` has one shape, the `Error` schema:
`{"error": {"code", "message", "details", "request_id"}}`; programs read `code`. The
`/_allauth/` endpoints answer allauth's own (`{"status", "errors": [...]}`).

**Live updates** over WebSocket on the gym's host: `/ws/me/` (your notifications),
`/ws/assessments/` (your attempts' status), `/ws/staff/` and `/ws/occupancy/` (staff
dashboards), `/ws/kiosk/` (door kiosks). URLs, sign-in, every message with an example,
close codes and reconnecting: `docs/sockets.md` in the source tree. The sockets are the
fast path; this API is the truth to re-read after reconnecting.""",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One tag per app (apps/common/openapi.py), listed in this order.
    "TAGS": [
        {
            "name": "auth",
            "description": "Sign in, sign up, sign out, reset a password "
            "(allauth.headless, app client).",
        },
        {
            "name": "members",
            "description": "The member's own profile (`/me/`); staff manage members.",
        },
        {
            "name": "bookings",
            "description": "Timetable, class bookings and waitlists, "
            "trainers and 1:1 sessions, the calendar feed.",
        },
        {
            "name": "attendance",
            "description": "The member's door pass and visits, occupancy, front-desk check-ins.",
        },
        {
            "name": "assessments",
            "description": "Movement test catalogue, clip uploads, results, reports; staff blocks.",
        },
        {
            "name": "billing",
            "description": "Plans, the member's subscription, invoices, "
            "fees, Stripe Checkout and portal links; staff reports.",
        },
        {"name": "notifications", "description": "The in-app inbox, preferences, push devices."},
        {
            "name": "goals",
            "description": "Goals, daily check-ins, streaks, challenges and their "
            "leaderboards, motivation messages.",
        },
        {"name": "tenants", "description": "The public gym directory (platform host)."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # allauth's own specification of the app login endpoints, under `auth`.
        "apps.common.openapi.merge_allauth_headless",
        "apps.common.openapi.keep_used_tags",
    ],
    # Several models have a `status` or a tier field: name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "apps.billing.tiers.Tier",
        "MemberStatusEnum": "apps.members.models.MemberStatus",
        "BookingStatusEnum": "apps.bookings.models.BookingStatus",
        "SessionStatusEnum": "apps.bookings.models.SessionStatus",
        "AttemptStatusEnum": "apps.assessments.models.AttemptStatus",
        "NotificationCategoryEnum": "apps.notifications.models.Category",
        "GoalTypeEnum": "apps.goals.models.GoalType",
        "ChallengeTypeEnum": "apps.goals.models.ChallengeType",
        "DailyCheckInStatusEnum": "apps.goals.models.CheckInStatus",
        "DailyCheckInSourceEnum": "apps.goals.models.CheckInSource",
        "GoalEntrySourceEnum": "apps.goals.models.EntrySource",
        "MotivationSourceEnum": "apps.goals.models.MessageSource",
    },
}
# Bodies bigger than this are refused with the API error shape (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- I18n ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    # Local disk with signed, expiring links (prod.py switches to S3 when a bucket is set).
    "default": {"BACKEND": "apps.common.storage.SignedFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MAX_IMAGE_UPLOAD_BYTES = 5 * 1024 * 1024

# --- Assessments (pose pipeline) -----------------------------------------------------
# The MediaPipe pose bundle is configuration (a path), never downloaded at request time.
# Offline machines use the shared copy in `../shared` next to the checkout (a nested
# worktree looks further up); without one, setup (`manage.py fetch_pose_model`, run by
# `make run`/`make test` and the image build) downloads the official file to var/models/.
SHARED_DIR = Path(
    env(
        "SHARED_DIR",
        default=next(
            (str(p / "shared") for p in BASE_DIR.parents if (p / "shared" / "models").is_dir()),
            str(BASE_DIR.parent / "shared"),
        ),
    )
)
_SHARED_POSE_MODEL = SHARED_DIR / "models/pose_landmarker_full.task"
POSE_MODEL_PATH = env(
    "POSE_MODEL_PATH",
    default=str(
        _SHARED_POSE_MODEL
        if _SHARED_POSE_MODEL.is_file()
        else BASE_DIR / "var/models/pose_landmarker_full.task"
    ),
)
ASSESSMENT_MAX_UPLOAD_BYTES = env.int("ASSESSMENT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
ASSESSMENT_MAX_SECONDS = 45
# The largest request body any URL accepts (a clip and its form), refused by Content-Length
# before it is read (under uvicorn too; nginx caps bodies in front in production).
MAX_REQUEST_BODY_BYTES = env.int(
    "MAX_REQUEST_BODY_BYTES", default=ASSESSMENT_MAX_UPLOAD_BYTES + 1024 * 1024
)
# Signed video links (owner, trainers, staff) expire after this many seconds.
ASSESSMENT_VIDEO_URL_MAX_AGE = env.int("ASSESSMENT_VIDEO_URL_MAX_AGE", default=15 * 60)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# Every line carries the request id of the request it belongs to ("-" outside one);
# handled errors log one line each, without a traceback (apps/common/request_log.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "apps.common.request_log.RequestContextFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
# A CSRF refusal logs one line too (Django's page, without Django's own warning).
CSRF_FAILURE_VIEW = "apps.common.views.csrf_failure"

# --- Content-Security-Policy and Permissions-Policy -----------------------------------
# Enforced on every response (django-csp). Scripts and <style> blocks come from our own
# origin, or inline with the response's nonce (`nonce="{{ request.csp_nonce }}"`): no
# 'unsafe-inline', so no inline event handlers or style="" attributes either (static JS
# adds listeners, CSS classes replace the attributes). Media in object storage: prod.py
# adds its origin to img-src and media-src.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the SVG icons inside Swagger UI's and the admin's stylesheets.
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        # 'self' covers same-host ws:/wss: in current browsers; the middleware also names
        # the request's own socket origin for older Safari (before 16).
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Browsers check form-action on the redirect that follows a POST too: the billing
        # forms answer with a redirect to Stripe Checkout or the customer portal.
        "form-action": [SELF, "https://checkout.stripe.com", "https://billing.stripe.com"],
    }
}
# Powerful browser features nobody here uses are off for every page and any frame
# (django-permissions-policy). Assessment clips are picked with a file input (the phone's
# own camera app), not getUserMedia, so the camera stays off too. Fullscreen stays on for
# our own pages (the clip player's fullscreen button).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "fullscreen": ["self"],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# Unknown or inactive host names get a friendly 404 page instead of an exception.
DEFAULT_NOT_FOUND_TENANT_VIEW = "apps.tenants.views.unknown_gym"
# Classes: seconds the shared part of a timetable may be served from the cache (0: off).
# Every booking or class change invalidates it at once; see apps/bookings/cache.py.
BOOKINGS_TIMETABLE_CACHE_SECONDS = env.int("BOOKINGS_TIMETABLE_CACHE_SECONDS", default=60)
# How long a process may serve a gym's settings (branding, active flag) from memory.
TENANT_CACHE_SECONDS = env.int("TENANT_CACHE_SECONDS", default=30)

# --- Billing (Stripe) ------------------------------------------------------------------
# Each gym's own keys live encrypted in its schema (apps.billing); nothing global holds a
# key. STRIPE_API_BASE points the SDK elsewhere (the local stand-in: devtools/stripe_standin).
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# A Fernet key (base64, 32 bytes); unset, one is derived from SECRET_KEY.
BILLING_ENCRYPTION_KEY = env("BILLING_ENCRYPTION_KEY", default="")
# The platform's own Stripe account (gyms pay the platform). Unset: platform billing off.
PLATFORM_STRIPE_SECRET_KEY = env("PLATFORM_STRIPE_SECRET_KEY", default="")
PLATFORM_STRIPE_WEBHOOK_SECRET = env("PLATFORM_STRIPE_WEBHOOK_SECRET", default="")
# Stripe Connect (gyms connect their Stripe account with a button): on when the platform
# key above is set, and every gym's calls go with it and the gym's `Stripe-Account`. The
# platform's Connect webhook endpoint (https://<platform>/billing/connect/webhook/) has
# its own signing secret. Without a platform key, gyms paste their own keys instead.
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
PLATFORM_TRIAL_DAYS = env.int("PLATFORM_TRIAL_DAYS", default=14)
# Days a lapsed gym's staff are warned before the gym becomes read-only for them.
PLATFORM_GRACE_DAYS = env.int("PLATFORM_GRACE_DAYS", default=14)
# dj-stripe (the platform's account only: apps.platform_billing passes the key on every
# call; these are the names dj-stripe itself reads, for its admin and sync commands). The
# mode follows the key, so development and test keys (sk_test_) are test mode.
STRIPE_SECRET_KEY = PLATFORM_STRIPE_SECRET_KEY
STRIPE_LIVE_MODE = PLATFORM_STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
# New installation: dj-stripe's foreign keys hold Stripe ids.
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
# The platform's customers are gyms (public schema), never users (who live per gym).
DJSTRIPE_SUBSCRIBER_MODEL = "tenants.Gym"

# --- AI (optional) ---------------------------------------------------------------------
# Any OpenAI-compatible endpoint (apps/common/ai.py). Empty key or model: off, and every
# feature uses its deterministic method instead. Calls time out fast and are not retried.
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="")
OPENAI_EMBEDDING_MODEL = env("OPENAI_EMBEDDING_MODEL", default="")
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=3.0)
# API calls per gym per UTC day (cache hits are free); past it, the fallback is used.
OPENAI_DAILY_CALLS_PER_GYM = env.int("OPENAI_DAILY_CALLS_PER_GYM", default=500)
# Motivation messages (apps/goals/services/motivation.py): the chat model, empty = off
# (every message then comes from the written library). Per gym and UTC day, at most
# this many calls and tokens (prompt + completion, from the answer's `usage`); past
# either, the library. An answer is cut at MAX_TOKENS (a message is <= 280 characters).
OPENAI_CHAT_MODEL = env("OPENAI_CHAT_MODEL", default="")
OPENAI_MOTIVATION_DAILY_CALLS = env.int("OPENAI_MOTIVATION_DAILY_CALLS", default=300)
OPENAI_MOTIVATION_DAILY_TOKENS = env.int("OPENAI_MOTIVATION_DAILY_TOKENS", default=150_000)
OPENAI_MOTIVATION_MAX_TOKENS = env.int("OPENAI_MOTIVATION_MAX_TOKENS", default=150)

# --- Notifications (apps/notifications) ---------------------------------------------------
# Links in emails and pushes: <scheme>://<gym's primary domain><path>.
SITE_SCHEME = env("SITE_SCHEME", default="https")
SITE_PORT = env("SITE_PORT", default="")  # `make run` serves gyms on a port
# Web push (VAPID, RFC 8292): off when the keys are not set. `make run` makes dev keys.
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env("VAPID_SUBJECT", default=f"mailto:{DEFAULT_FROM_EMAIL}")
# Mobile push through FCM HTTP v1: off without a service-account file.
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", default="")
FCM_ENDPOINT = env("FCM_ENDPOINT", default="https://fcm.googleapis.com")
# Push endpoints must be public https URLs; only the dev/test stand-in is let through
# (URL prefixes). Production leaves this empty.
PUSH_ALLOWED_TEST_ENDPOINTS = env.list("PUSH_ALLOWED_TEST_ENDPOINTS", default=[])
# Anymail: the ESP's keys and webhook secrets come from the environment in production.
ANYMAIL = {
    "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default=""),
    "MAILGUN_API_KEY": env("MAILGUN_API_KEY", default=""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
}
