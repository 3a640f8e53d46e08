"""Strict readers for environment variables.

django-environ parses URLs and lists well but turns an unknown boolean into ``False`` and
lets ``int("ten")`` escape as a bare ``ValueError``. Start-up must instead stop with a
message that names the variable, so every value goes through these helpers.
"""

import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_dotenv = BASE_DIR / ".env"
if _dotenv.exists():
    env.read_env(str(_dotenv))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    return os.environ.get(name)


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _without_password(url: str) -> str:
    """The URL as it may appear in an error message: any password replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def env_db(name: str, default: str) -> dict:
    value = env_str(name, default)
    shown = _without_password(value)
    try:
        config = environ.Env.db_url_config(value)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(f"{name}={shown!r} is not a database URL: {exc}") from None
    # django-environ passes an unknown scheme ("foo://…") through as the ENGINE.
    if config.get("ENGINE") not in set(environ.Env.DB_SCHEMES.values()):
        raise ImproperlyConfigured(f"{name}={shown!r} names an unknown database scheme.")
    return config


def env_url(name: str, schemes: tuple[str, ...]) -> str | None:
    value = _raw(name)
    if not value:
        return None
    if not value.startswith(tuple(f"{s}://" for s in schemes)):
        raise ImproperlyConfigured(
            f"{name}={value!r} must be a URL starting with one of: "
            + ", ".join(f"{s}://" for s in schemes)
        )
    return value


def env_email(name: str, default: str) -> dict:
    value = env_str(name, default)
    try:
        return environ.Env.email_url_config(value)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an e-mail URL: {exc}") from None
