"""The Celery application.

With a broker (``REDIS_URL``) tasks go to workers; without one, settings make them run
eagerly, and services enqueue them with ``transaction.on_commit`` so they still run after
the write is committed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("coachdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
