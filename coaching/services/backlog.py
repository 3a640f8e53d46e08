"""The coaching backlog's writes: its tenant settings (SLA hours per kind, the coaches'
capacity and per-coach overrides) and the coaches' weekly digest of overdue items.

Settings live in ``Organization.settings["coaching"]["backlog"]``; every write locks the
organization row so a concurrent save of another settings key is not lost. The digest
claims the ISO week in the same place (``["coaching"]["backlog_digest_week"]``), under the
row lock in the transaction that picks the items, so a repeated run, two runners at once
or a beat restart send nothing twice (the pattern of :mod:`quality.services.dispute_digest`).
"""

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenancy.errors import DomainError
from tenancy.models import Membership, Organization, User

from ..selectors_backlog import (
    CAPACITY_BOUNDS,
    DEFAULT_SLA_HOURS,
    KINDS_BY_KEY,
    SLA_HOURS_BOUNDS,
    BacklogItem,
    overdue_owned_items,
)

DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 7
DIGEST_CLAIM_KEY = "backlog_digest_week"


class BacklogError(DomainError):
    """A backlog setting is not possible; ``message`` says why, ``field`` where."""


def _check_int(value, bounds: tuple[int, int], *, what: str, field: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BacklogError(f"{what} is a whole number from {low} to {high}.", field=field)
    return value


def _save_backlog(organization: Organization, change) -> Organization:
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    current = locked.settings or {}
    coaching = dict(current.get("coaching") or {})
    coaching["backlog"] = change(dict(coaching.get("backlog") or {}))
    locked.settings = {**current, "coaching": coaching}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return organization


@transaction.atomic
def update_backlog_settings(*, organization: Organization, sla_hours: dict[str, int],
                            capacity: int) -> Organization:
    """Save the SLA hours of every kind and the default capacity (all at once; an error
    names its field — ``sla_<kind>`` or ``capacity`` — and nothing is written). Keeps the
    per-coach overrides. Locks the organization row."""
    unknown = set(sla_hours) - set(DEFAULT_SLA_HOURS)
    if unknown:
        raise BacklogError(f"Unknown kind: {', '.join(sorted(unknown))}.")
    hours = {}
    for kind in DEFAULT_SLA_HOURS:
        if kind not in sla_hours:
            raise BacklogError(f"Give the SLA of {KINDS_BY_KEY[kind].label.lower()}s.",
                               field=f"sla_{kind}")
        hours[kind] = _check_int(sla_hours[kind], SLA_HOURS_BOUNDS,
                                 what=f"The SLA of {KINDS_BY_KEY[kind].label.lower()}s (hours)",
                                 field=f"sla_{kind}")
    capacity = _check_int(capacity, CAPACITY_BOUNDS, what="The capacity", field="capacity")
    return _save_backlog(organization, lambda backlog: {
        **backlog, "sla_hours": hours, "capacity": capacity})


@transaction.atomic
def set_coach_capacity(*, organization: Organization, coach: User,
                       capacity: int | None) -> Organization:
    """Give one coach their own maximum of open items (``None``: the tenant default
    again). Only members holding the coach role. Locks the organization row."""
    if not Membership.objects.filter(organization=organization, user=coach,
                                     is_coach=True).exists():
        raise BacklogError(f"{coach} is not a coach in this organization.", field="coach")
    if capacity is not None:
        capacity = _check_int(capacity, CAPACITY_BOUNDS, what="The capacity", field="capacity")

    def change(backlog: dict) -> dict:
        overrides = {k: v for k, v in (backlog.get("capacity_overrides") or {}).items()
                     if k != str(coach.pk)}
        if capacity is not None:
            overrides[str(coach.pk)] = capacity
        return {**backlog, "capacity_overrides": overrides}

    return _save_backlog(organization, change)


# --- the weekly digest -----------------------------------------------------------------


def _absolute(item: BacklogItem) -> str:
    return settings.SITE_URL + item.url


@transaction.atomic
def send_backlog_digests(*, organization: Organization, now: datetime | None = None) -> int:
    """E-mail each coach the overdue coaching items they own, once a week; return how many
    items were listed (0 before Monday's hour, when the week was already claimed, or when
    nothing is overdue — the week is then left unclaimed, so an item overdue later that
    week still goes). The e-mails leave after the commit."""
    now = now or timezone.now()
    local = timezone.localtime(now, organization.tzinfo)
    if (local.weekday(), local.hour) < (DIGEST_WEEKDAY, DIGEST_HOUR):
        return 0
    year, week, _ = local.isocalendar()
    claim = f"{year}-W{week:02d}"
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    coaching = dict((locked.settings or {}).get("coaching") or {})
    if coaching.get(DIGEST_CLAIM_KEY) == claim:
        return 0
    overdue = overdue_owned_items(organization=locked, now=now)
    if not overdue:
        return 0
    coaching[DIGEST_CLAIM_KEY] = claim
    locked.settings = {**(locked.settings or {}), "coaching": coaching}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    by_owner: dict[User, list[BacklogItem]] = defaultdict(list)
    for item in overdue:
        by_owner[item.owner].append(item)
    backlog_link = settings.SITE_URL + reverse(
        "coaching:backlog", kwargs={"org_slug": locked.slug}) + "?owner="
    for owner, items in by_owner.items():
        if not owner.email:
            continue
        body = render_to_string("coaching/email/backlog_digest.txt", {
            "owner": owner, "organization": locked, "week": claim,
            "lines": [{"item": i, "link": _absolute(i)} for i in items],
            "backlog_link": f"{backlog_link}{owner.pk}",
        })
        subject = (f"1 overdue coaching item: {items[0].title}" if len(items) == 1
                   else f"{len(items)} overdue coaching items")
        recipients = [owner.email]
        transaction.on_commit(lambda s=subject, b=body, r=recipients: send_mail(s, b, None, r))
    return len(overdue)
