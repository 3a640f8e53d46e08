"""Test settings: PostgreSQL when DATABASE_URL is set, otherwise SQLite (said loudly)."""

import os
import tempfile

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Every test client connects from 127.0.0.1 and the cache (Redis) outlives a test: a suite
# that sends many bad tokens on purpose must not throttle the tests after it. The
# throttling tests set their own limit and address.
API_TOKEN_FAILURE_LIMIT = 1_000_000
# Uploaded imports are written to MEDIA_ROOT; a test run keeps them out of the checkout in a
# directory of its own (a worker started by a test receives it through the environment).
if "MEDIA_ROOT" not in os.environ:
    MEDIA_ROOT = tempfile.mkdtemp(prefix="coachdesk-test-media-")
