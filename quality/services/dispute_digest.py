"""The reviewers' daily digest of overdue dispute rounds.

Once a day per organization, from :data:`DIGEST_HOUR` in its time zone, every reviewer with
undecided rounds past their deadline gets one e-mail listing them. The beat runs the task
hourly; the day is claimed in the database — ``Organization.settings["quality"]
["dispute_digest_on"]``, written under the organization's row lock in the transaction that
picks the rounds — so a second run that day, two runners at once, a beat restart or a
missed hour send nothing twice and lose nothing (a later hour sends). The e-mails leave
after the commit. No new table: the claim is one date per tenant, and a round overdue on
several days is listed once on each of them.
"""

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tenancy.models import Organization

from .. import notifications
from ..models import Dispute

DIGEST_HOUR = 7
CLAIM_KEY = "dispute_digest_on"


@transaction.atomic
def send_overdue_dispute_digests(*, organization: Organization,
                                 now: datetime | None = None) -> int:
    """E-mail each reviewer their overdue rounds, once a day; return how many rounds were
    listed (0 before the hour, when the day was already claimed, or when none is
    overdue — the day is then left unclaimed, so a round overdue later today still goes)."""
    now = now or timezone.now()
    local = timezone.localtime(now, organization.tzinfo)
    if local.hour < DIGEST_HOUR:
        return 0
    today = local.date().isoformat()
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    quality = dict((locked.settings or {}).get("quality") or {})
    if quality.get(CLAIM_KEY) == today:
        return 0
    overdue = list(Dispute.objects.filter(organization=locked, decided_at__isnull=True,
                                          due_at__lte=now, reviewer__isnull=False)
                   .select_related("reviewer", "evaluation__interaction", "evaluation__agent")
                   .order_by("due_at", "pk"))
    if not overdue:
        return 0
    quality[CLAIM_KEY] = today
    locked.settings = {**(locked.settings or {}), "quality": quality}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    by_reviewer = defaultdict(list)
    for dispute in overdue:
        dispute.organization = locked
        by_reviewer[dispute.reviewer].append(dispute)
    for reviewer, disputes in by_reviewer.items():
        transaction.on_commit(
            lambda reviewer=reviewer, disputes=disputes: notifications.overdue_digest(
                locked, reviewer, disputes, now))
    return len(overdue)
