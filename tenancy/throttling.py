"""Brakes on guessing: wrong passwords (django-axes) and bad API tokens.

Sign-in: django-axes counts failed sign-ins per username *and* client address; at
``LOGIN_FAILURE_LIMIT`` failures that pair is locked for ``LOGIN_LOCKOUT_MINUTES`` (the right
password is refused too), and the login page — ours and the Django admin's — says until
when. A lockout never blocks the same person elsewhere or others on the same network. Org
admins unlock their members in the Django admin (``tenancy.admin_lockouts``).

API: a bad bearer token counts against the client address in the cache; after
``API_TOKEN_FAILURE_LIMIT`` of them within ``API_TOKEN_FAILURE_WINDOW_SECONDS`` the address
gets 429 with ``Retry-After`` until the window closes, whatever token it sends. Other
addresses are not affected. The counter fails open: a cache outage never stops the API.
"""

import ipaddress
import logging
import math
import time
from datetime import datetime

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` reverse
    proxies the address the outermost one saw (counted from the right of
    X-Forwarded-For, so a client cannot choose it by sending the header itself)."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (an address, not a bind)
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                logger.warning("Ignoring a malformed X-Forwarded-For address %r", candidate)
    return remote


# --- sign-in ---------------------------------------------------------------------------


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' lockout check for every sign-in that comes with a request (the login page, the
    Django admin). ``authenticate()`` without a request — the test client's ``login()``, a
    shell — has no client address to count, so it is not throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_until(request: HttpRequest, credentials: dict | None = None) -> datetime | None:
    """When the lockout of this username from this address ends (None if unknown)."""
    username = get_client_username(request, credentials)
    latest = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", client_ip(request)),
    ).aggregate(latest=Max("attempt_time"))["latest"]
    cool_off = get_cool_off(request)
    if latest is None or cool_off is None:
        return None
    return latest + cool_off


def lockout_response(request: HttpRequest, original_response=None,
                     credentials: dict | None = None) -> HttpResponse:
    """axes' lockout answer (``AXES_LOCKOUT_CALLABLE``): the login page again, status 429,
    saying until when signing in is paused, with ``Retry-After``."""
    until = locked_until(request, credentials)
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else None
    username = get_client_username(request, credentials) or ""
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "locked_until": until,
        "locked_minutes": math.ceil(seconds / 60) if seconds else None,
    }
    response = render(request, "registration/login.html", context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


# --- API tokens --------------------------------------------------------------------------


class TooManyBadTokens(Exception):
    """This address sent too many invalid API tokens; it may try again after ``retry_after``
    seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many invalid API tokens; retry after {retry_after} s.")
        self.retry_after = retry_after


def _keys(request: HttpRequest) -> tuple[str, str]:
    base = f"coachdesk:api-bad-token:{client_ip(request)}"
    return base, f"{base}:until"


def check_bad_token_budget(request: HttpRequest) -> None:
    """Raise :class:`TooManyBadTokens` if this address is over its budget of bad tokens."""
    count_key, until_key = _keys(request)
    try:
        found = cache.get_many([count_key, until_key])
    except Exception:  # a cache outage must not stop the API
        logger.warning("API token throttle skipped: the cache is unreachable", exc_info=True)
        return
    if found.get(count_key, 0) >= settings.API_TOKEN_FAILURE_LIMIT:
        until = found.get(until_key) or time.time() + settings.API_TOKEN_FAILURE_WINDOW_SECONDS
        raise TooManyBadTokens(max(1, math.ceil(until - time.time())))


def count_bad_token(request: HttpRequest) -> None:
    """Count one invalid token against this address (a window opens with the first)."""
    count_key, until_key = _keys(request)
    window = settings.API_TOKEN_FAILURE_WINDOW_SECONDS
    try:
        if cache.add(count_key, 0, timeout=window):
            cache.set(until_key, time.time() + window, timeout=window)
        cache.incr(count_key)
    except ValueError:
        pass  # the window closed between add() and incr(): this one starts no new window
    except Exception:
        logger.warning("API token throttle skipped: the cache is unreachable", exc_info=True)


def document_bad_token_limit(schema: dict) -> dict:
    """Add the 429 answer (with ``Retry-After``) to every operation that takes a token."""
    answer = {
        "description": "Too many requests with an invalid API token from this address: "
                       "wait the number of seconds in Retry-After.",
        "headers": {"Retry-After": {
            "description": "Seconds until this address may send a token again.",
            "schema": {"type": "integer", "minimum": 1},
        }},
        "content": {"application/json": {"schema": {
            "type": "object", "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }}},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security"):
                operation.setdefault("responses", {})["429"] = answer
    return schema
