"""Strict environment readers: a bad value stops start-up naming the variable."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.env import env_bool, env_db, env_email, env_int, env_list, env_str, env_url

REDIS_SCHEMES = ("redis", "rediss", "unix")


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), ("Yes", True), (" on ", True),
    ("0", False), ("FALSE", False), ("no", False), ("off", False), ("", False),
])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("COACHDESK_FLAG", raw)

    assert env_bool("COACHDESK_FLAG", not expected) is expected


def test_env_bool_missing_returns_default(monkeypatch):
    monkeypatch.delenv("COACHDESK_FLAG", raising=False)

    assert env_bool("COACHDESK_FLAG", True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_env_bool_bad_value_raises_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("COACHDESK_FLAG", raw)

    with pytest.raises(ImproperlyConfigured) as error:
        env_bool("COACHDESK_FLAG", False)

    assert str(error.value) == (
        f"COACHDESK_FLAG={raw!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0."
    )


def test_env_int_reads_a_number_and_default(monkeypatch):
    monkeypatch.setenv("COACHDESK_N", "42")
    assert env_int("COACHDESK_N", 5) == 42

    monkeypatch.setenv("COACHDESK_N", "")
    assert env_int("COACHDESK_N", 5) == 5


def test_env_int_bad_value_raises_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DB_CONN_MAX_AGE", "ten")

    with pytest.raises(ImproperlyConfigured) as error:
        env_int("DB_CONN_MAX_AGE", 0)

    assert str(error.value) == "DB_CONN_MAX_AGE='ten' is not an integer."


def test_env_int_below_minimum_raises_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DB_CONN_MAX_AGE", "-1")

    with pytest.raises(ImproperlyConfigured) as error:
        env_int("DB_CONN_MAX_AGE", 0, minimum=0)

    assert str(error.value) == "DB_CONN_MAX_AGE=-1 must be at least 0."


def test_env_str_required_without_default_raises(monkeypatch):
    monkeypatch.delenv("COACHDESK_SECRET", raising=False)

    with pytest.raises(ImproperlyConfigured) as error:
        env_str("COACHDESK_SECRET")

    assert str(error.value) == "COACHDESK_SECRET must be set."


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example, b.example ,,")

    assert env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_env_db_reads_postgres_and_sqlite_urls(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://coach:pw@db.example:5433/coachdesk")
    config = env_db("DATABASE_URL", "sqlite:///x.db")
    assert (config["ENGINE"], config["HOST"], config["PORT"], config["NAME"]) == (
        "django.db.backends.postgresql", "db.example", 5433, "coachdesk"
    )

    monkeypatch.delenv("DATABASE_URL")
    assert env_db("DATABASE_URL", "sqlite:////tmp/x.db")["ENGINE"] == (
        "django.db.backends.sqlite3"
    )


@pytest.mark.parametrize("raw", ["nonsense", "foo://db.example/coachdesk"])
def test_env_db_unknown_scheme_raises_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("DATABASE_URL", raw)

    with pytest.raises(ImproperlyConfigured) as error, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # django-environ warns before we raise
        env_db("DATABASE_URL", "sqlite:///x.db")

    assert str(error.value) == f"DATABASE_URL={raw!r} names an unknown database scheme."


def test_env_db_bad_port_raises_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://db.example:port/coachdesk")

    with pytest.raises(ImproperlyConfigured) as error:
        env_db("DATABASE_URL", "sqlite:///x.db")

    assert str(error.value).startswith(
        "DATABASE_URL='postgres://db.example:port/coachdesk' is not a database URL:"
    )


@pytest.mark.parametrize("raw", ["redis://127.0.0.1:6379/0", "rediss://r.example:6380/1",
                                 "unix:///run/redis.sock"])
def test_env_url_accepts_redis_urls(monkeypatch, raw):
    monkeypatch.setenv("REDIS_URL", raw)

    assert env_url("REDIS_URL", REDIS_SCHEMES) == raw


def test_env_url_missing_is_none(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)

    assert env_url("REDIS_URL", REDIS_SCHEMES) is None


@pytest.mark.parametrize("raw", ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis:/x"])
def test_env_url_bad_redis_url_raises_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("REDIS_URL", raw)

    with pytest.raises(ImproperlyConfigured) as error:
        env_url("REDIS_URL", REDIS_SCHEMES)

    assert str(error.value) == (
        f"REDIS_URL={raw!r} must be a URL starting with one of: redis://, rediss://, unix://"
    )


def test_env_email_bad_url_raises_naming_the_variable(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "pigeon://loft")

    with pytest.raises(ImproperlyConfigured) as error:
        env_email("EMAIL_URL", "consolemail://")

    assert str(error.value).startswith("EMAIL_URL='pigeon://loft' is not an e-mail URL:")


def test_django_setup_with_bad_debug_exits_non_zero_naming_debug():
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local",
                   "DEBUG": "maybe"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root, env=environment, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='maybe' is not a boolean" in result.stderr


def test_env_db_error_never_shows_the_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "foo://coach:s3cret-pass@db.example.com/coachdesk")
    with pytest.raises(ImproperlyConfigured) as info:
        env_db("DATABASE_URL", "sqlite:///x.sqlite3")
    assert str(info.value) == (
        "DATABASE_URL='foo://coach:***@db.example.com/coachdesk' names an unknown database scheme."
    )
