"""Django settings for Newsdesk, read only from the environment.

The defaults run the embedded mode: SQLite in the project's ``var/`` folder, email written
to ``outbox/`` as .eml files, no services. Set DATABASE_URL (PostgreSQL) and
NEWSDESK_BROKER_URL (Redis or RabbitMQ) to scale out.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from newsdesk.conf import cache_config, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("NEWSDESK_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("NEWSDESK_DEBUG", False)
# The embedded default key is only fit for a laptop; production settings refuse it.
SECRET_KEY = env_str(
    "NEWSDESK_SECRET_KEY", "embedded-insecure-key-change-me-for-any-public-instance"
)
ALLOWED_HOSTS = env_list("NEWSDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
SITE_URL = env_str("NEWSDESK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "newsdesk.sources",
    "newsdesk.articles",
    "newsdesk.topics",
    "newsdesk.accounts",
    "newsdesk.digests",
    "newsdesk.web",
    "newsdesk.sample",
    "newsdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy, Referrer-Policy, Permissions-Policy on every response.
    "newsdesk.web.middleware.SecurityHeadersMiddleware",
    # A %00 in a path or query string is a 400 (PostgreSQL cannot take it in a query).
    "newsdesk.web.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "newsdesk.accounts.middleware.ReaderTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "newsdesk.urls"
WSGI_APPLICATION = "newsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'newsdesk.sqlite3'}"),
        conn_max_age=env_int("NEWSDESK_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (fetcher, sender, web) share one file: wait for locks instead of
    # failing at once, and use WAL so readers never block the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

# Shared cache for rate limits and page fragments: set NEWSDESK_CACHE_URL (redis://...)
# when more than one process serves the site or the API.
CACHES = cache_config(env_str("NEWSDESK_CACHE_URL", ""))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Reader accounts (accounts/account_views.py): Django's auth views under /account/.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:for-you"
LOGOUT_REDIRECT_URL = "web:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# Email. The embedded default writes every message to OUTBOX_DIR as an .eml file.
EMAIL_BACKEND = env_str("NEWSDESK_EMAIL_BACKEND", "newsdesk.digests.outbox.OutboxBackend")
OUTBOX_DIR = Path(env_str("NEWSDESK_OUTBOX_DIR", str(BASE_DIR / "outbox")))
EMAIL_HOST = env_str("NEWSDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("NEWSDESK_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("NEWSDESK_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("NEWSDESK_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("NEWSDESK_EMAIL_USE_TLS", False)
# A stuck SMTP server must not hang a sender process.
EMAIL_TIMEOUT = env_int("NEWSDESK_EMAIL_TIMEOUT", 20)
DIGEST_FROM_EMAIL = env_str("NEWSDESK_DIGEST_FROM", "Newsdesk Digest <digest@newsdesk.localhost>")
DEFAULT_FROM_EMAIL = env_str("NEWSDESK_ACCOUNTS_FROM", "Newsdesk <accounts@newsdesk.localhost>")

# Fetching. The guarded client refuses private addresses; operators may allow some.
NEWSDESK_FETCH_ALLOW_NETWORKS = env_list("NEWSDESK_FETCH_ALLOW_NETWORKS", [])
NEWSDESK_FETCH_MAX_BYTES = env_int("NEWSDESK_FETCH_MAX_BYTES", 10 * 1024 * 1024)
NEWSDESK_FETCH_DEADLINE = env_float("NEWSDESK_FETCH_DEADLINE", 30.0)
# The source scheduler: fetch threads, and politeness per host name (one process).
NEWSDESK_FETCH_WORKERS = env_int("NEWSDESK_FETCH_WORKERS", 8)
NEWSDESK_FETCH_PER_HOST = env_int("NEWSDESK_FETCH_PER_HOST", 2)
NEWSDESK_FETCH_HOST_SPACING = env_float("NEWSDESK_FETCH_HOST_SPACING", 1.0)
NEWSDESK_FETCH_BATCH = env_int("NEWSDESK_FETCH_BATCH", 64)

# Digests: how late a morning digest may go out before it is skipped (hours).
NEWSDESK_DIGEST_MAX_LATE_HOURS = env_float("NEWSDESK_DIGEST_MAX_LATE_HOURS", 4.0)
# A delivery claimed longer ago than this without an outcome is marked unconfirmed.
NEWSDESK_DIGEST_STUCK_MINUTES = env_int("NEWSDESK_DIGEST_STUCK_MINUTES", 15)
# Instant alerts: at most this many per reader per hour; the rest wait for the digest.
NEWSDESK_ALERTS_PER_HOUR = env_int("NEWSDESK_ALERTS_PER_HOUR", 6)
# Shared secret for POST /email/events/ (bounce and complaint webhooks); empty: disabled.
NEWSDESK_EMAIL_WEBHOOK_SECRET = env_str("NEWSDESK_EMAIL_WEBHOOK_SECRET", "")

# Scale-out (newsdesk/celery.py, newsdesk/tasks.py): the same jobs as Celery tasks, on
# any number of workers. Empty broker URL: Celery is not used (the embedded mode runs the
# --loop commands). redis://host:6379/0 or amqp://user:password@host:5672//.
CELERY_BROKER_URL = env_str("NEWSDESK_BROKER_URL", "")
# One broker may serve several instances: each sends and consumes on its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("NEWSDESK_CELERY_QUEUE", "newsdesk")
CELERY_TASK_IGNORE_RESULT = True  # outcomes live on the rows; no result backend
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker takes one task at a time
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# A task stops itself within minutes; the hard limit ends a stuck one, whose rows are
# reclaimed when their leases end. Redis hands an unacknowledged task to another worker
# after visibility_timeout, so that must be longer than any task runs.
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 30 * 60}
# Seconds between two beat ticks of each job; a second beat only adds harmless ticks.
NEWSDESK_BEAT_SECONDS = env_float("NEWSDESK_BEAT_SECONDS", 60.0)
# A page worker's claim on an item lasts this long; then another worker may take it over.
NEWSDESK_PAGE_LEASE_SECONDS = env_int("NEWSDESK_PAGE_LEASE_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "newsdesk": {"handlers": ["console"], "level": env_str("NEWSDESK_LOG_LEVEL", "INFO")},
    },
}

# JSON API rate limit per token (or client address): requests per window of seconds.
NEWSDESK_API_RATE_LIMIT = env_int("NEWSDESK_API_RATE_LIMIT", 60)
NEWSDESK_API_RATE_WINDOW = env_int("NEWSDESK_API_RATE_WINDOW", 60)
# Where article images may load from (Content-Security-Policy img-src).
NEWSDESK_CSP_IMG_SRC = env_str("NEWSDESK_CSP_IMG_SRC", "'self' https:")
