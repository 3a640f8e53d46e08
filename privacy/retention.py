"""Retention: how long a tenant keeps each kind of personal data, and the run that applies it.

The policy lives in ``Organization.settings["retention"]``; every period is a number of days
or ``None`` (keep forever, the default: nothing is removed until an org admin sets a
period). :func:`apply_retention` runs the four kinds in a fixed order — transcripts, work
items, evaluations, access log — so a dry run counts exactly what a real run on the same
data changes (work items that still have evaluations are left to the evaluations' policy,
so deleting evaluations first could not make more work items eligible within one run).
Each kind is one function of :mod:`privacy.retention_kinds`.

Every run, real or dry, is recorded as a :class:`~privacy.models.PersonalDataRequest` of
kind ``retention`` with a summary per kind. The settings page's preview is a dry run that
records nothing (looking at a page changes nothing).

Aggregates survive by construction: dashboards read :class:`quality.models.ScoreRollup`
(running sums per agent and day), which retention never touches.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenancy.errors import DomainError
from tenancy.models import Organization

from .models import PersonalDataRequest, RequestKind

SETTINGS_KEY = "retention"
MINIMUM_DAYS = 30  # a shorter period is almost always a typo (days for months)
MAXIMUM_DAYS = 36_500  # 100 years

DELETE, ANONYMISE = "delete", "anonymise"
EVALUATION_MODES = {ANONYMISE: "Anonymise (keep the scores without the person)",
                    DELETE: "Delete"}

# The kinds in the order a run applies them (see the module docstring).
KINDS = ("transcripts", "work_items", "evaluations", "access_log")
KIND_LABELS = {
    "transcripts": "Transcripts",
    "work_items": "Work items",
    "evaluations": "Evaluations",
    "access_log": "Access log",
}
NOUNS = {"transcripts": "transcript", "work_items": "closed work item",
         "evaluations": "evaluation", "access_log": "access record"}


class RetentionError(DomainError):
    pass


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep each kind (``None``: forever) and what happens to old evaluations."""

    transcripts_days: int | None = None
    evaluations_days: int | None = None
    evaluations_mode: str = ANONYMISE
    access_log_days: int | None = None
    work_items_days: int | None = None

    def days(self, kind: str) -> int | None:
        return getattr(self, f"{kind}_days")

    @property
    def is_empty(self) -> bool:
        return all(self.days(kind) is None for kind in KINDS)

    def as_settings(self) -> dict[str, Any]:
        return asdict(self)


def retention_policy(organization: Organization) -> RetentionPolicy:
    """The organization's policy as stored; a value that is not a valid period reads as
    "keep forever" (never delete on a bad value)."""
    stored = (organization.settings or {}).get(SETTINGS_KEY) or {}
    values: dict[str, Any] = {}
    for kind in KINDS:
        days = stored.get(f"{kind}_days")
        valid = (isinstance(days, int) and not isinstance(days, bool)
                 and MINIMUM_DAYS <= days <= MAXIMUM_DAYS)
        values[f"{kind}_days"] = days if valid else None
    mode = stored.get("evaluations_mode")
    values["evaluations_mode"] = mode if mode in EVALUATION_MODES else ANONYMISE
    return RetentionPolicy(**values)


def check_days(kind: str, days: Any) -> int | None:
    """``days`` as a period for ``kind``, or :class:`RetentionError` naming the field."""
    name = f"{kind}_days"
    if days is None or days == "":
        return None
    if isinstance(days, bool) or not isinstance(days, int):
        raise RetentionError(f"{KIND_LABELS[kind]}: a whole number of days, or empty to keep "
                             f"them forever.", field=name)
    if days < MINIMUM_DAYS:
        raise RetentionError(
            f"{KIND_LABELS[kind]}: keep them at least {MINIMUM_DAYS} days (to avoid deleting "
            f"recent data by accident), or leave the field empty to keep them forever.",
            field=name)
    if days > MAXIMUM_DAYS:
        raise RetentionError(f"{KIND_LABELS[kind]}: at most {MAXIMUM_DAYS:,} days (100 years);"
                             f" leave the field empty to keep them forever.", field=name)
    return days


@transaction.atomic
def update_retention_policy(*, organization: Organization,
                            values: Mapping[str, Any]) -> RetentionPolicy:
    """Validate and store the policy (every field at once; errors name their field).

    ``values`` has ``<kind>_days`` for every kind and ``evaluations_mode``. Locks the
    organization row so a concurrent save of other settings is not lost.
    """
    policy_values = {f"{kind}_days": check_days(kind, values.get(f"{kind}_days"))
                     for kind in KINDS}
    mode = values.get("evaluations_mode") or ANONYMISE
    if mode not in EVALUATION_MODES:
        raise RetentionError("Old evaluations are either anonymised or deleted.",
                             field="evaluations_mode")
    policy = RetentionPolicy(**policy_values, evaluations_mode=mode)
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    locked.settings = {**(locked.settings or {}), SETTINGS_KEY: policy.as_settings()}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return policy


# --- a run --------------------------------------------------------------------------------


@dataclass
class KindOutcome:
    """What a run did (or would do) to one kind."""

    kind: str
    action: str  # "keep", "remove text", "delete", "anonymise"
    days: int | None = None
    cutoff: datetime | None = None
    count: int = 0
    oldest: datetime | None = None
    samples: list[str] = field(default_factory=list)
    kept: int = 0  # older than the period but kept: open coaching or an open review

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def summary(self) -> dict[str, Any]:
        return {
            "action": self.action, "days": self.days,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "count": self.count, "oldest": self.oldest.isoformat() if self.oldest else None,
            "samples": self.samples, "kept": self.kept,
        }

    def sentence(self, *, dry_run: bool) -> str:
        """One line saying what happened (or would happen), as the command prints it."""
        if self.action == "keep":
            return f"{self.label}: kept forever (no retention period set)."
        noun = NOUNS[self.kind]
        plural = noun if self.count == 1 else f"{noun}s"
        verb = {"remove text": "remove the text of", "delete": "delete",
                "anonymise": "anonymise"}[self.action]
        past = {"remove text": "removed the text of", "delete": "deleted",
                "anonymise": "anonymised"}[self.action]
        line = (f"{self.label}: {'would ' + verb if dry_run else past} {self.count} {plural} "
                f"older than {self.days} days (before {self.cutoff:%Y-%m-%d})")
        if self.oldest is not None:
            line += f"; oldest {self.oldest:%Y-%m-%d}"
        if self.samples:
            line += f"; e.g. {', '.join(self.samples)}"
        line += "."
        if self.kept:
            line += (f" {self.kept} older {'one is' if self.kept == 1 else 'ones are'} kept: "
                     f"in open coaching or an open review.")
        return line


@dataclass
class RetentionRun:
    organization: Organization
    dry_run: bool
    outcomes: list[KindOutcome]
    record: PersonalDataRequest | None = None

    def outcome(self, kind: str) -> KindOutcome:
        return next(o for o in self.outcomes if o.kind == kind)

    @property
    def changed(self) -> int:
        return sum(o.count for o in self.outcomes)

    def headline(self) -> str:
        """"A run today would …" for the kinds with a period, in one sentence."""
        parts = []
        for o in self.outcomes:
            if o.action == "keep":
                continue
            noun = NOUNS[o.kind]
            verb = "remove the text of" if o.action == "remove text" else o.action
            parts.append(f"{verb} {o.count} {noun}{'' if o.count == 1 else 's'}")
        if not parts:
            return "Nothing is removed: no retention period is set."
        listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        return f"A run today would {listed}."


def apply_retention(*, organization: Organization, dry_run: bool, requested_by: str,
                    now: datetime | None = None, record: bool = True,
                    policy: RetentionPolicy | None = None) -> RetentionRun:
    """Apply the organization's policy to every kind (or, ``dry_run``, count what it would
    change, with the oldest date and a few identifiers, changing nothing).

    Runs in the organization's scope. Each kind works in batches, each batch in its own
    transaction (a failure keeps the batches before it). ``record``: write the run to the
    audit trail (:class:`PersonalDataRequest`, kind retention) — every real run does; the
    settings page's preview does not. ``policy``: another policy than the stored one (the
    settings page previews values before they are saved; dry runs only).
    """
    from . import retention_kinds

    if policy is not None and not dry_run:
        raise ValueError("Only a dry run may use a policy that is not stored.")
    now = now or timezone.now()
    policy = policy or retention_policy(organization)
    appliers = {
        "transcripts": retention_kinds.retain_transcripts,
        "work_items": retention_kinds.retain_work_items,
        "evaluations": retention_kinds.retain_evaluations,
        "access_log": retention_kinds.retain_access_log,
    }
    outcomes = []
    for kind in KINDS:
        days = policy.days(kind)
        if days is None:
            outcomes.append(KindOutcome(kind=kind, action="keep"))
            continue
        cutoff = now - timedelta(days=days)
        outcome = appliers[kind](organization=organization, cutoff=cutoff, dry_run=dry_run,
                                 policy=policy)
        outcome.days = days
        outcomes.append(outcome)
    run = RetentionRun(organization=organization, dry_run=dry_run, outcomes=outcomes)
    if record:
        run.record = PersonalDataRequest.objects.create(
            organization=organization, kind=RequestKind.RETENTION,
            requested_by=requested_by[:200], dry_run=dry_run,
            summary={o.kind: o.summary() for o in outcomes},
        )
    return run


def preview_retention(organization: Organization, *, policy: RetentionPolicy | None = None,
                      now: datetime | None = None) -> RetentionRun:
    """What a run now would do under ``policy`` (default: the stored one), recording
    nothing (the settings page)."""
    return apply_retention(organization=organization, dry_run=True, requested_by="",
                           now=now, record=False, policy=policy)


def recent_runs(organization: Organization, *, limit: int = 5):
    """The last retention runs recorded (real and dry), newest first."""
    return PersonalDataRequest.objects.filter(
        organization=organization, kind=RequestKind.RETENTION)[:limit]
