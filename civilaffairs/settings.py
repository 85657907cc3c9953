"""Settings for the civil-affairs portal.

Every value that differs between machines comes from the environment, read here and nowhere
else. The defaults are safe for development on one machine; production sets at least
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# The development defaults below are public (they are in the repository): a production process
# (DEBUG=0) that fell back to them would sign sessions with a known key, so it refuses to start.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-0f3c9a1e7b4d4c2f9e8a6b5d3c1f0e9d"  # noqa: S105
DEVELOPMENT_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = [
    host.strip()
    for host in env.list("ALLOWED_HOSTS", default=DEVELOPMENT_ALLOWED_HOSTS if DEBUG else [])
    if host.strip()
]
if not DEBUG and SECRET_KEY.strip() in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "DEBUG=0 需要设置 SECRET_KEY（不能为空，也不能是仓库中的开发密钥）/ DEBUG=0 needs "
        "SECRET_KEY set to a secret of your own (not empty, not the development key in the "
        "repository), e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DEBUG=0 需要设置 ALLOWED_HOSTS（以逗号分隔的域名）/ DEBUG=0 needs ALLOWED_HOSTS set to "
        "the host names the portal answers to, comma-separated, e.g. ALLOWED_HOSTS=mz.example.gov.cn"
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Private data (uploads, embedded services) lives outside the web root.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_htmx",
    # The second factor of staff and administrators (accounts/second_factor.py). Before the
    # platform, so accounts/admin.py can take the device admins back off the admin site.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",  # its system checks catch a policy in the pre-4.0 format
    # The inter-agency API (civilaffairs/exchange): REST framework, its OpenAPI schema and
    # offline documentation, OAuth2 client credentials for each department.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    # The platform
    "civilaffairs.lib",
    "civilaffairs.people",
    "civilaffairs.accounts",
    "civilaffairs.casework",
    "civilaffairs.benefits",
    "civilaffairs.rules",
    "civilaffairs.exchange",
    "civilaffairs.imports",
    "civilaffairs.insight",
    "civilaffairs.portal",
    # The domains
    "assistance",
    "eldercare",
    "childwelfare",
    "marriage",
    "orgs",
]

MIDDLEWARE = [
    "civilaffairs.portal.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A lost database connection answers 503 with a retry page, not 500 (lib/unavailable.py).
    "civilaffairs.lib.unavailable.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civilaffairs.portal.middleware.LanguageMiddleware",
    # A NUL character anywhere in a request is answered 400 before any view reads it; uploads
    # keep the file name they were sent with (portal/middleware.py).
    "civilaffairs.portal.middleware.BadInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: ends an idle staff session and says so on the login page.
    "civilaffairs.portal.security.StaffIdleTimeoutMiddleware",
    # No browser or proxy keeps a copy of a page shown to a signed-in user.
    "civilaffairs.portal.security.NoStoreMiddleware",
    # Staff and administrators pass the second factor before any other page (a session flag,
    # no query: accounts/middleware.py).
    "civilaffairs.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's CSPMiddleware, its policy built once (portal/security.py).
    "civilaffairs.portal.security.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes last, as its documentation asks, so it sees the authenticated user.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civilaffairs.urls"
WSGI_APPLICATION = "civilaffairs.wsgi.application"

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
                "civilaffairs.portal.context_processors.portal",
                "civilaffairs.lib.jinja.csrf",
            ],
        },
    },
    # The page frame, the staff queue page and the figures tables (civilaffairs/lib/jinja.py);
    # found by name under jinja2/, never instead of a Django template. A page it renders with
    # its request gets what the frame reads from the same context processors.
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "civilaffairs.lib.jinja.environment",
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "civilaffairs.portal.context_processors.portal",
                "civilaffairs.lib.jinja.csrf",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/civilaffairs"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A connection kept across requests is checked before a request uses it, so a PostgreSQL
# restart costs the requests made while it is down (503, lib/unavailable.py), not a restart of
# the portal.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A server that does not answer at all (a host gone, packets dropped) fails a request in
# seconds instead of hanging it until the web server's timeout.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
)
# psycopg 3 sends each statement's values apart from its text (server-side binding), so the
# same read is the same text whatever its values, and a connection can prepare, at the
# protocol level, a statement it has run DATABASE_PREPARE_THRESHOLD times (0: never).
# PostgreSQL then plans it once, after five runs often with a generic plan, instead of every
# time: most of a short read's cost. The web processes prepare (gunicorn.conf.py sets 5):
# their reads are short and repeat on tables whose size does not move within a connection's
# life. Workers and commands do not: a generic plan chosen while a batch's table was small
# stayed in use as the table grew (the import of a million rows spent seconds per statement,
# docs/scaling.md). Behind PgBouncer in transaction mode keep it 0 unless PgBouncer is 1.21
# or later with max_prepared_statements set.
DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
DATABASES["default"]["OPTIONS"].setdefault(
    "prepare_threshold", env.int("DATABASE_PREPARE_THRESHOLD", default=0) or None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        # One client per pool, and a miss instead of an error while Redis is away
        # (lib/cache.py): the cache only holds copies of what PostgreSQL has.
        "BACKEND": "civilaffairs.lib.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="ca"),
        "OPTIONS": {
            # A cache call takes well under a millisecond; a Redis that does not answer in
            # these costs a request at most this much, once per retry_after seconds.
            "socket_connect_timeout": 0.25,
            "socket_timeout": 0.5,
            "retry_after": 5,
        },
    },
    # Django's {% cache %} tag uses this one when it exists, and so do the queue page's filter
    # fields (casework.views._filter_fields). The fragments kept here are built from code and
    # translations only (the filter form's choices, the service catalogue, the empty note and
    # upload fields), so each process keeps its own copy in memory: no network round trip per
    # fragment, and a new release (new processes) starts empty.
    # Every fragment is keyed by all it varies with (language, links, flags, a registry's
    # size); nothing of a user, a request or the database goes into one.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "template-fragments",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first so a locked-out login is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "civilaffairs.accounts.backends.PhoneOrUsernameBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# OWASP ASVS 4.0 L2, V2.1: at least 12 characters, up to 128, no composition rules, checked
# against common and breached-style passwords and the user's own data.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "civilaffairs.accounts.validators.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes: lock a username+address pair after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "civilaffairs.accounts.backends.axes_username"

# Second factor (django-otp) for everyone who is staff: TOTP in an authenticator app, and
# recovery codes. A wrong code makes the next try wait 1, 2, 4, 8 … seconds (per device), so
# guessing six digits takes years; a right one resets the wait.
OTP_TOTP_ISSUER = "智慧民政"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The device admins would show every secret; a device is only ever reset (accounts/admin.py).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sessions live in PostgreSQL only (not cached_db): a signed-in request never depends on Redis,
# and a logout made while Redis was away cannot come back from a stale copy there. Read with
# one plain statement (lib/sessions.py).
SESSION_ENGINE = "civilaffairs.lib.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A staff session unused this long is ended (portal/security.py); its last use is written to
# the session at most once a minute, so a busy caseworker costs no write per request.
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS: HTTPS only (HSTS) and plain-HTTP requests redirected. Off by default because the
# portal also runs on plain HTTP on 127.0.0.1 (make run, make bench, tests); a deployment turns
# them on (README, "Configuration"), and `check --deploy` says so while they are off.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every page, the admin's included: scripts, styles,
# images and fonts from this site only, no inline script or style, no plugins, no framing. Every
# script and style is a static file (no CDN); data: images are Bootstrap's and the admin's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "lang"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@minzheng.example.cn")
# Text messages (casework.notify): a dotted path to send(notification) -> bool, or empty for
# none. "civilaffairs.casework.notify.memory_sms_backend" keeps what it would send, for demos.
NOTIFY_SMS_BACKEND = env("NOTIFY_SMS_BACKEND", default="")

# Celery. Tasks take ids, are idempotent and are acknowledged only after they ran, so a worker
# killed mid-task hands its task back to the queue.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker and beat outlive any broker outage: they keep trying to reconnect (every few
# seconds, up to 30 s apart) instead of giving up after 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the broker connection drops cannot be acknowledged on the new one: it is
# cancelled and runs again (tasks are idempotent; screening is also swept).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Short socket timeouts so a request never hangs on a dead or hung broker: publishing is given
# up (casework.actions.enqueue_screening) and the sweep picks the work up.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 1,
    "socket_connect_timeout": 1,
}
CELERY_TIMEZONE = TIME_ZONE
# Screening is interactive work (a citizen waits for it): its own queue, so batch jobs on the
# default queue never delay it. `make run` starts a worker on both.
SCREENING_QUEUE = env("SCREENING_QUEUE", default="interactive")
# A submission still unscreened after this long is re-queued by the sweep.
SCREENING_SWEEP_AFTER_SECONDS = env.int("SCREENING_SWEEP_AFTER_SECONDS", default=120)
# How often beat runs that sweep.
SCREENING_SWEEP_EVERY_SECONDS = env.float("SCREENING_SWEEP_EVERY_SECONDS", default=60.0)
# Per-state counts above a staff queue: a queue of at least QUEUE_COUNTS_CACHE_FROM cases (a
# supervisor's, across a county or a city) is counted at most once per QUEUE_COUNTS_SECONDS and
# the page says when; a smaller one is counted live. Counting 100,000 rows on every page view
# costs far more than the page (docs/scaling.md).
QUEUE_COUNTS_CACHE_FROM = env.int("QUEUE_COUNTS_CACHE_FROM", default=2000)
QUEUE_COUNTS_SECONDS = env.int("QUEUE_COUNTS_SECONDS", default=60)
# A figures page's figures are kept in the cache until the next count (their key holds the
# time of the last count); this only bounds how long an unread page takes memory.
FIGURES_PAGE_SECONDS = env.int("FIGURES_PAGE_SECONDS", default=3600)
# Uploads: evidence documents (PDF, JPEG, PNG) up to this size.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Imports of legacy records (civilaffairs/imports): the largest file and row count taken, rows
# per committed chunk (a crash loses at most one chunk's work, done again on resume), the score
# from which a similar record is a possible duplicate (imports/matching.py), and how long a
# batch may go without progress before beat hands it to another worker.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=300 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=2_000_000)
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=5000)
IMPORT_CANDIDATE_SCORE = env.int("IMPORT_CANDIDATE_SCORE", default=80)
IMPORT_STALL_SECONDS = env.int("IMPORT_STALL_SECONDS", default=600)
# How often the dashboards' figures of the current month are counted again (seconds).
FIGURES_EVERY_SECONDS = env.int("FIGURES_EVERY_SECONDS", default=600)

CELERY_BEAT_SCHEDULE = {
    "sweep-submitted-cases": {
        "task": "casework.sweep_submitted_task",
        "schedule": SCREENING_SWEEP_EVERY_SECONDS,
    },
    "benefits-schedule-month": {
        # Every program's payments for the month. Daily, so a missed day is caught up; once
        # the month is scheduled the task adds nothing.
        "task": "benefits.schedule_month_task",
        "schedule": crontab(hour=2, minute=5),
    },
    "benefits-prepare-batches": {
        # Each county's batch of the month, prepared for a person to approve (idempotent: a
        # county with its batch for the month gets no second one).
        "task": "benefits.prepare_batches_task",
        "schedule": crontab(hour=6, minute=10),
    },
    "clear-expired-sessions": {
        "task": "civilaffairs.portal.tasks.clear_expired_sessions_task",
        "schedule": crontab(hour=3, minute=17),
    },
    "purge-old-access-logs": {
        "task": "civilaffairs.accounts.tasks.purge_access_logs_task",
        "schedule": crontab(hour=3, minute=41),
    },
    "send-due-webhooks": {
        "task": "civilaffairs.exchange.tasks.send_due_deliveries_task",
        "schedule": 60.0,
    },
    "purge-old-api-calls": {
        "task": "civilaffairs.exchange.tasks.purge_api_calls_task",
        "schedule": crontab(hour=3, minute=47),
    },
    # The figures of the dashboards: this month's counted again (insight/actions.py).
    "count-figures": {
        "task": "insight.count_recent_task",
        "schedule": FIGURES_EVERY_SECONDS,
    },
    # An import whose worker died is taken up again where it stopped (imports/tasks.py).
    "resume-stalled-imports": {
        "task": "civilaffairs.imports.tasks.resume_stalled_task",
        "schedule": 300.0,
    },
}
# Each domain adds its own periodic tasks (casework.registry.register_beat), merged in when
# beat starts (civilaffairs/celery.py).

# Where marriage records are checked (the national database's client can be plugged in here).
MARRIAGE_RECORDS_ADAPTER = env("MARRIAGE_RECORDS_ADAPTER", default="marriage.adapters.LocalRecords")

# Benchmark-only endpoints (a bare view as the floor of `make bench`); never on in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

# Network logs are kept at least 6 months (Cybersecurity Law Art. 21); we keep a year.
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=400)

# The inter-agency API (civilaffairs/exchange, docs/api.md). Every call is logged and the log
# kept as long as the access log (at least 6 months, Cybersecurity Law Art. 21).
API_LOG_RETENTION_DAYS = max(183, env.int("API_LOG_RETENTION_DAYS", default=400))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["civilaffairs.exchange.auth.ClientAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["civilaffairs.exchange.auth.GrantAllows"],
    "DEFAULT_THROTTLE_CLASSES": ["civilaffairs.exchange.auth.ClientThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser, refusing a NUL or a lone surrogate (exchange/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["civilaffairs.exchange.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "civilaffairs.exchange.errors.handle",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "智慧民政 inter-agency API / 民政数据共享接口",
    "DESCRIPTION": (
        "Reads and writes other departments exchange with the civil-affairs portal. Every call"
        " authenticates with OAuth2 client credentials and states its purpose (X-Purpose, and"
        " X-Reference where the purpose asks for one). Data elements: /standards/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}
# The household economic-status check: departments answer within this many working days;
# after that a missing answer is a warning on the case page.
ECONOMIC_CHECK_WORKING_DAYS = env.int("ECONOMIC_CHECK_WORKING_DAYS", default=5)
# Webhooks (civilaffairs/exchange/webhooks.py): retries after base × 2^(n-1) seconds.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Subscribers inside our own network (loopback, private addresses) only where allowed: tests,
# and a deployment whose departments sit on a government private network.
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    # Client credentials only: a department's system, not a person, holds the token.
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_TOKEN_SECONDS", default=3600),
    "SCOPES": {"api": "The inter-agency API, as far as the client's grant allows"},
    "DEFAULT_SCOPES": ["api"],
    # OAuth 2.0 Security BCP (RFC 9700) throughout, though only client credentials are used:
    # tokens kept hashed, no implicit or password grant, bearer tokens only in the header,
    # PKCE (S256) and https redirects for any flow a later client might use.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
}

# The demo province: the one whose townships and villages ship with the region data and where
# the demo offices, staff and people live. 宁夏回族自治区.
DEMO_PROVINCE_CODE = env("DEMO_PROVINCE_CODE", default="640000")

# Every handler carries the filters of lib/logsafety.py: no ID, mobile or bank-card number is
# written (the last defence; nothing should log one), and a 4xx is one line, not a traceback.
# Django's own handlers (its "django" logger's console copy, runserver's) are replaced, so each
# record is written once, by the root handler.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "personal_numbers": {"()": "civilaffairs.lib.logsafety.RedactPersonalNumbers"},
        "client_errors": {"()": "civilaffairs.lib.logsafety.OneLineClientErrors"},
        "without_query": {"()": "civilaffairs.lib.logsafety.WithoutQueryString"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": LOG_LEVEL,
            "filters": ["client_errors", "personal_numbers"],
        },
        "requests": {
            "class": "logging.StreamHandler",
            "filters": ["without_query", "personal_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["requests"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
AXES_VERBOSE = False
