"""Development settings: the embedded default used by ``make run``."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)

# `make run` runs tasks in-process: their "succeeded" lines would bury the server's own.
LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}  # noqa: F405
