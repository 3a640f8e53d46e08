"""Test settings: PostgreSQL when DATABASE_URL is set, otherwise SQLite (said loudly)."""

import os
import re
import tempfile

# Under pytest-xdist every worker process has its own test database (pytest-django adds
# the worker's suffix); give each its own Redis database too, so one worker's cache,
# throttling counters and Celery queues never meet another's. Set in the environment so
# the Celery workers a test starts inherit it.
# (The marker keeps a worker started by a test from moving again.)
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if (_xdist_worker.startswith("gw") and os.environ.get("REDIS_URL")
        and os.environ.get("COACHDESK_XDIST_REDIS") != _xdist_worker):
    _match = re.fullmatch(r"(.*?)(?:/(\d+))?/?", os.environ["REDIS_URL"])
    _base_db = int(_match.group(2) or 0)
    _db = (_base_db + 1 + int(_xdist_worker[2:])) % 16
    os.environ["REDIS_URL"] = f"{_match.group(1)}/{_db}"
    os.environ["COACHDESK_XDIST_REDIS"] = _xdist_worker

from .base import *  # noqa: E402, F403

DEBUG = False
# Test set-up (factories, fixtures) writes rows of several tenants outside any request or
# task: it runs as the platform. Requests, tasks and commands start their own unit of work
# (tenancy/rls.py), so what they do is checked by row-level security as in production.
RLS_TEST_SET_UP_AS_PLATFORM = True
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
