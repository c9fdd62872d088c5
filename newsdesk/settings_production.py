"""Settings for a public instance: the base settings plus HTTPS-only and a real secret.

Use ``DJANGO_SETTINGS_MODULE=newsdesk.settings_production`` (or ``--settings``). Start-up
fails unless NEWSDESK_SECRET_KEY holds a long random value of your own; serve the site
over HTTPS. ``python -m newsdesk check --deploy --settings=newsdesk.settings_production``
is clean with these settings (newsdesk/web/tests/test_security_headers.py runs it;
test_static_production.py serves the collected static files with them).

Environment, beyond the base settings':
- NEWSDESK_ALLOWED_HOSTS: defaults to the host name of NEWSDESK_SITE_URL.
- NEWSDESK_TRUST_X_FORWARDED_PROTO: true only behind a proxy that sets (and strips)
  X-Forwarded-Proto; then Django knows a request came in over HTTPS.
- NEWSDESK_SSL_REDIRECT (default true), NEWSDESK_HSTS_SECONDS (default one year),
  NEWSDESK_HSTS_PRELOAD (default true).
- NEWSDESK_STATIC_ROOT: an absolute folder that holds only the collected static files
  (default: ``static`` in NEWSDESK_DATA_DIR). Everything in it is public.

Static files (CSS, JS, the admin's) are served by the site itself through WhiteNoise.
``newsdesk collectstatic --noinput`` must run on each serving machine before the server
starts (deploy/ does it): it writes content-hashed copies with gzip and brotli variants,
which are served with a cache lifetime of ten years. Until it has run, every page fails,
because ``{% static %}`` finds no manifest.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from newsdesk.conf import env_bool, env_int, env_list, env_str
from newsdesk.settings import *  # noqa: F403
from newsdesk.settings import (
    BASE_DIR,
    DATA_DIR,
    DATABASES,
    MIDDLEWARE,
    OUTBOX_DIR,
    SECRET_KEY,
    SITE_URL,
)

# The embedded default key is public (it is in the source); so is any short one.
EMBEDDED_SECRET_KEY = "embedded-insecure-key-change-me-for-any-public-instance"
MIN_SECRET_KEY_LENGTH = 50

if SECRET_KEY == EMBEDDED_SECRET_KEY:
    raise ImproperlyConfigured(
        "NEWSDESK_SECRET_KEY is not set: a public instance needs a long random value of "
        'its own, e.g. python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        f"NEWSDESK_SECRET_KEY must be a random value of at least {MIN_SECRET_KEY_LENGTH} characters"
    )

DEBUG = False
ALLOWED_HOSTS = env_list("NEWSDESK_ALLOWED_HOSTS", [urlsplit(SITE_URL).hostname or ""])
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []

if env_bool("NEWSDESK_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("NEWSDESK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("NEWSDESK_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("NEWSDESK_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"


def public_static_root(raw: str, private: list[Path]) -> Path:
    """STATIC_ROOT from its setting. Every file in it is served to anyone, so it must be an
    absolute folder of its own, not one that is or holds the code, the data or the mail."""
    root = Path(raw)
    if not root.is_absolute():
        raise ImproperlyConfigured(f"NEWSDESK_STATIC_ROOT must be an absolute path, not {raw!r}")
    root = root.resolve()
    for path in private:
        path = path.resolve()
        if path == root or root in path.parents:
            raise ImproperlyConfigured(
                f"NEWSDESK_STATIC_ROOT={raw!r} would publish {path}: use a folder that holds "
                "only the collected static files, e.g. /var/lib/newsdesk/static"
            )
    return root


def with_static_files(middleware: list[str]) -> list[str]:
    """WhiteNoise answers static requests itself, before the rest of the stack, so it goes
    right after the two middlewares that set security headers: SecurityMiddleware (SSL
    redirect, HSTS, nosniff) and the site's own (Content-Security-Policy, nosniff,
    Referrer- and Permissions-Policy). Static responses carry all of them."""
    after = middleware.index("newsdesk.web.middleware.SecurityHeadersMiddleware") + 1
    return [*middleware[:after], "whitenoise.middleware.WhiteNoiseMiddleware", *middleware[after:]]


# Static files: collectstatic copies them to STATIC_ROOT under content-hashed names, with
# gzip and brotli variants; WhiteNoise serves those with far-future cache headers.
_database = DATABASES["default"]
STATIC_ROOT = public_static_root(
    env_str("NEWSDESK_STATIC_ROOT", str(DATA_DIR / "static")),
    [BASE_DIR, DATA_DIR, OUTBOX_DIR]
    + ([Path(_database["NAME"])] if _database["ENGINE"].endswith("sqlite3") else []),
)
MIDDLEWARE = with_static_files(MIDDLEWARE)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
