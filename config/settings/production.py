"""Production settings: secure defaults; ``manage.py check --deploy`` is clean.

Start-up refuses what would make a production install unsafe or silently broken: a
secret key that is short, published (the development default, ``.env.example``) or an
obvious placeholder, and an ``EMAIL_URL`` that only prints or drops e-mails.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MAILERS, SECRET_KEY
from .env import env_bool, env_int

DEBUG = False

# Keys anyone can read in this repository; never acceptable, whatever their length.
PUBLISHED_SECRET_KEYS = {
    "insecure-development-key-change-me-in-production",  # base.py's development default
    "change-me-to-50-or-more-random-characters-0123456789abcdef",  # .env.example
}
PLACEHOLDER_MARKERS = ("insecure", "change-me", "changeme", "change_me", "replace-me",
                       "your-secret", "secret-key-here", "example")


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not be a production SECRET_KEY (None when it is fine)."""
    lowered = key.lower()
    if key in PUBLISHED_SECRET_KEYS or any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return "is a placeholder (from .env.example or the development default)"
    if len(key) < 50:
        return f"has {len(key)} characters; it needs 50 or more"
    if len(set(key)) < 5:
        return "repeats too few characters to be random"
    return None


_problem = secret_key_problem(SECRET_KEY)
if _problem:
    raise ImproperlyConfigured(
        f"SECRET_KEY {_problem}. Set it to a random value of 50+ characters, for example "
        "the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

_DEVELOPMENT_MAILERS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
if MAILERS["default"]["BACKEND"] in _DEVELOPMENT_MAILERS:
    raise ImproperlyConfigured(
        "EMAIL_URL must name a mail server in production, for example "
        "smtp+tls://user:password@smtp.example.com:587 (invitations, password resets and "
        "survey links are sent by e-mail; the default consolemail:// only prints them)."
    )

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if not SECURE_SSL_REDIRECT:
    # Documented meaning of SECURE_SSL_REDIRECT=false: a proxy in front already redirects
    # to HTTPS, so the deploy check's reminder about it is answered.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
