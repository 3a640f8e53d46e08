"""Settings shared by every environment, read from environment variables.

See README.md for the table of variables. A bad value stops start-up with a message that
names the variable (``config.settings.env``).
"""

import zoneinfo
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from .env import (
    BASE_DIR,
    env_bool,
    env_db,
    env_email,
    env_int,
    env_list,
    env_str,
    env_url,
)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "tenancy",
    "work",
    "skills",
    "learning",
    "surveys",
    "quality",
    "opportunities",
    "routing",
    "coaching",
    "privacy",
]

MIDDLEWARE = [
    # First: every request starts with no tenant for row-level security (tenancy/rls.py).
    "tenancy.middleware.RowLevelSecurityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tenancy.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body: 413 for a declared body over its sender's limit.
    "tenancy.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenancy.middleware.TenantMiddleware",
    # Last: turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.workspace",
            ],
        },
    },
]

DATABASES = {"default": env_db("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL with row-level security: every statement carries its tenant
    # (tenancy/rls.py). Connect as a role that is neither superuser nor BYPASSRLS, or the
    # database lets everything through (``manage.py check --deploy`` warns).
    DATABASES["default"]["ENGINE"] = "tenancy.db"
# The role the application connects as; ``migrate`` (run as the tables' owner) grants it
# the rights it needs on every table. Empty: grant nothing (one role does both).
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "coachdesk_app")
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked username + address before any password is checked.
    "tenancy.throttling.LoginThrottleBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Reverse proxies in front of the app whose X-Forwarded-For is trusted for the client's
# address (0: use the connection's address). See tenancy.throttling.client_ip.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Sign-in throttling (django-axes, see tenancy.throttling): after LOGIN_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is locked for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it, so the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "tenancy.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "tenancy.throttling.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful sign-ins are not logged
AXES_ENABLE_ADMIN = False  # tenancy.admin_lockouts registers a tenant-scoped admin
AXES_VERBOSE = False  # no start-up banner on every command; failures are still logged

# Bad API tokens: after API_TOKEN_FAILURE_LIMIT of them from one address within the
# window, that address gets 429 until the window closes.
API_TOKEN_FAILURE_LIMIT = env_int("API_TOKEN_FAILURE_LIMIT", 20, minimum=1)
API_TOKEN_FAILURE_WINDOW_SECONDS = env_int("API_TOKEN_FAILURE_WINDOW_SECONDS", 60, minimum=1)

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known IANA time zone.") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files waiting for a worker (CSV imports). Never served over HTTP; web and workers
# must share this directory (a volume in docker compose).
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))

# E-mail: console by default; EMAIL_URL such as smtp+tls://user:pass@host:587 in production.
# Django 6.1's MAILERS replaces the EMAIL_* settings.
_email = env_email("EMAIL_URL", "consolemail://")
_email_options = {
    option: _email[key]
    for key, option in (
        ("EMAIL_HOST", "host"),
        ("EMAIL_PORT", "port"),
        ("EMAIL_HOST_USER", "username"),
        ("EMAIL_HOST_PASSWORD", "password"),
        ("EMAIL_USE_TLS", "use_tls"),
        ("EMAIL_USE_SSL", "use_ssl"),
    )
    if _email.get(key)
}
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Coachdesk <coachdesk@localhost>")

# Redis: Celery broker and the cache. Without it, tasks run in-process (after commit, since
# services enqueue them with transaction.on_commit) and the cache is local memory.
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One deployment per queue name when several share a Redis server.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# A broker outage must not hold a web request: enqueueing gives up within about a second
# (every enqueue is recorded in the database first and a beat sweeper sends it later), and
# no caller waits on task results, so none are stored (no result-store round trip).
CELERY_BROKER_CONNECTION_TIMEOUT = 0.3
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.3}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 0.3
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1}}

# Work items: the outbox sweeper re-dispatches events still unprocessed this long after
# their last dispatch, and gives up on an event after this many dispatches.
WORK_EVENT_REDISPATCH_AFTER_SECONDS = env_int("WORK_EVENT_REDISPATCH_AFTER_SECONDS", 60, minimum=1)
WORK_EVENT_MAX_DISPATCHES = env_int("WORK_EVENT_MAX_DISPATCHES", 20, minimum=1)
# An event whose handlers fail is retried with exponential backoff (the redispatch delay,
# doubled per failed try, at most an hour) until this many tries have failed.
WORK_EVENT_MAX_ATTEMPTS = env_int("WORK_EVENT_MAX_ATTEMPTS", 10, minimum=1)
# The outbox worker claims and processes events in batches of at most this many (one
# transaction each; every handler runs once over the batch).
WORK_EVENT_BATCH_SIZE = env_int("WORK_EVENT_BATCH_SIZE", 200, minimum=1)
WORK_SWEEP_INTERVAL_SECONDS = env_int("WORK_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
WORK_IMPORT_MAX_UPLOAD_BYTES = env_int("WORK_IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1)
# Request bodies. MAX_REQUEST_BODY_BYTES: the largest body without a file (the API takes
# batches of up to 1,000 work items) and anything sent without signing in; 413 above it,
# before it is read (tenancy.middleware.RequestBodyLimitMiddleware). A signed-in person may
# upload up to WORK_IMPORT_MAX_UPLOAD_BYTES + 1 MiB; uploads over FILE_UPLOAD_MAX_MEMORY_SIZE
# go to a temporary file instead of memory. The reverse proxy limit should match (README).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_BYTES", 2_621_440, minimum=0)

CELERY_BEAT_SCHEDULE: dict = {
    "surveys-expire-overdue": {"task": "surveys.expire_overdue", "schedule": 900.0},
    "surveys-send-reminders": {"task": "surveys.send_reminders", "schedule": 3600.0},
    "coaching-expire-overdue-assessments": {
        "task": "coaching.expire_overdue_assessments",
        "schedule": 3600.0,
    },
    "coaching-prune-match-logs": {
        "task": "coaching.prune_match_logs",
        "schedule": 86400.0,
    },
    # Coaching assignments: remind the agent before the follow-up date, once each.
    "coaching-send-assignment-reminders": {
        "task": "coaching.send_assignment_reminders",
        "schedule": 3600.0,
    },
    # Coaching plans past their target date: Improvement or Action required (hourly; each
    # plan is decided once, locked and re-checked).
    "coaching-evaluate-due-plans": {
        "task": "coaching.evaluate_due_plans",
        "schedule": 3600.0,
    },
    # The coaching backlog: each coach's overdue items, weekly (hourly runs; the week is
    # claimed in the database, so a repeated or missed run is harmless).
    "coaching-send-backlog-digests": {
        "task": "coaching.send_backlog_digests",
        "schedule": 3600.0,
    },
    "work-sweep-unprocessed-events": {
        "task": "work.sweep_unprocessed_events",
        "schedule": float(WORK_SWEEP_INTERVAL_SECONDS),
    },
    "work-sweep-queued-imports": {
        "task": "work.sweep_queued_imports",
        "schedule": float(WORK_SWEEP_INTERVAL_SECONDS),
    },
    # Quality: agreement of automatic scorers with audits, and the learned scorers, nightly.
    "quality-refresh-agreement": {"task": "quality.refresh_agreement", "schedule": 86400.0},
    "quality-train-learned-scorers": {
        "task": "quality.train_learned_scorers",
        "schedule": 86400.0,
    },
    # Learning reminders (due tomorrow, overdue): hourly, each sent once per due date.
    "learning-send-reminders": {"task": "learning.send_reminders", "schedule": 3600.0},
    # Skill recommendations: refit every tenant's index and recount from scratch, daily.
    "skills-rebuild-recommendations": {
        "task": "skills.rebuild_all_recommendations",
        "schedule": 86400.0,
    },
    # Quality: release delayed audits every 5 minutes; allocate last week's audits daily
    # (idempotent: only the first run of a week allocates).
    "quality-release-due-audits": {"task": "quality.release_due_audits", "schedule": 300.0},
    "quality-allocate-audits": {"task": "quality.allocate_audits", "schedule": 86400.0},
    # Agent accept & dispute: close reviews past their window hourly.
    "quality-close-expired-reviews": {
        "task": "quality.close_expired_reviews", "schedule": 3600.0,
    },
    # Disputes past their deadline: a digest to each reviewer once a day per tenant (hourly
    # runs; the day is claimed in the database, so a missed or repeated run is harmless).
    "quality-send-dispute-digests": {
        "task": "quality.send_dispute_digests", "schedule": 3600.0,
    },
    # Calibration sessions past their deadline are revealed.
    "quality-reveal-due-calibrations": {
        "task": "quality.reveal_due_calibrations", "schedule": 900.0,
    },
    # Privacy: each organization's retention policy, nightly (a tenant without any period
    # set is skipped; every run is recorded in its privacy audit trail).
    "privacy-apply-retention": {"task": "privacy.apply_retention", "schedule": 86400.0},
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Django's built-in Content Security Policy: everything is vendored and served from self.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_without_traceback": {
            "()": "config.logging.ClientErrorsWithoutTraceback",
        },
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default configuration prints django.* itself when DEBUG is on and the
        # root handler printed it again: one handler, so each line appears once.
        "django": {"handlers": ["console", "mail_admins"], "propagate": False,
                   "level": env_str("LOG_LEVEL", "INFO")},
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
}
