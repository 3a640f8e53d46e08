"""Erasure: anonymise one person in one tenant while its aggregates stay what they were.

One rule for every user column (:data:`privacy.subject.PERSON_FIELDS`): the row keeps
its place in counts and averages but points at a **pseudonymous identity** — a placeholder
account "Erased person N" made for this erasure in this tenant, which can never sign in
(inactive, no usable password, no e-mail). So a team's average score, the coaching
monitor's counts, the leaderboard's rows are the same numbers after, under the pseudonym.
The person's own membership becomes the pseudonym's (agent role only, "about me"
emptied); they are no longer a member of the tenant.

What is *set to nothing* instead is what would make the placeholder act in the future:
team management (manager cleared, co-manager links deleted, as removing a member does),
an opportunity's named coach, the tenant's dispute arbitrator; their personal API tokens
are revoked.

Free text:

- text the person wrote for themselves or that is about them is replaced by
  :data:`ERASED` (:data:`ERASED_TEXT`: "about me", dispute reasons, self-review
  justifications, survey answers they gave or that are about them, coaches' comments on
  their assessments, evaluations, assignments, plans and plan notes);
- every other text or JSON column of the tenant that names them (a username in a work
  event, a name in someone else's note, a label copied at the time, a transcript turn) has
  the name, username and e-mail address replaced by the pseudonym's.
- **Transcripts are kept**: they are the customer's record too, and evaluations cite their
  turns by position; the agent's name, username and address are replaced in every turn.
  The tenant's retention policy removes transcript text by age.

A shared account (the person also belongs to another tenant) changes only in this tenant;
an account that belongs to no other tenant is itself emptied (name, e-mail address,
username) and made unusable. Recorded as a :class:`~privacy.models.PersonalDataRequest`
of kind ``erasure`` whose label is the pseudonym and whose summary counts the rows per
model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from tenancy.enums import Role
from tenancy.models import Membership, Organization, Team, TeamManager, User

from .access import deleting_expired_records
from .models import PersonalDataRequest, RequestKind
from .subject import (
    ABOUT,
    CHILDREN,
    PERSON_FIELDS,
    Subject,
    SubjectError,
    direct_rows,
    installed,
    mentions,
    model,
    other_memberships,
    pattern,
)

ERASED = "[erased]"
PSEUDONYM_NAME = "Erased person"

# Free text removed: model -> (how its rows are about the person, the text columns).
# "how" is a user column of the model, or "<fk>__<user column>" through a parent.
ERASED_TEXT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "tenancy.Membership": (("user",), ("about",)),
    "skills.SkillReview": (("user",), ("justification", "decision_comment")),
    "skills.SkillRecommendation": (("user",), ("decision_comment",)),
    "skills.RecommendationActivity": (("recommendation__user",), ("note",)),
    "quality.Evaluation": (("agent",), ("comment",)),
    "quality.Answer": (("evaluation__agent",), ("comment",)),
    "quality.DisputeItem": (("dispute__raised_by",), ("reason", "comment")),
    "surveys.Answer": (("response__respondent", "response__subject"), ("text",)),
    "coaching.CoachingAssessment": (("trainee",), ("comments",)),
    "coaching.CoachingAssignment": (("agent",), ("strengths", "improvements", "action_plan")),
    "coaching.CoachingPlan": (("agent",), ("advice", "outcome_note")),
    "coaching.PlanNote": (("plan__agent",), ("text",)),
}


@dataclass
class Erasure:
    subject: Subject
    pseudonym_label: str
    dry_run: bool
    summary: dict = field(default_factory=dict)
    request: PersonalDataRequest | None = None
    pseudonym: User | None = None
    account_emptied: bool = False


def _next_number(organization: Organization) -> int:
    return PersonalDataRequest.objects.filter(
        organization=organization, kind=RequestKind.ERASURE, dry_run=False).count() + 1


def _pseudonym_username(organization: Organization, number: int) -> str:
    base = f"erased-{organization.pk}-{number}"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def check_erasable(subject: Subject) -> None:
    """Refuse what would leave the tenant without an org admin."""
    membership = subject.membership
    if membership is None or not membership.is_org_admin:
        return
    others = (Membership.objects.filter(organization=subject.organization, is_org_admin=True,
                                        user__is_active=True)
              .exclude(pk=membership.pk).exists())
    if not others:
        raise SubjectError(f"{subject.user.username} is the last org admin of "
                           f"{subject.organization.name}; make someone else org admin first.")


def _blank(f: models.Field):
    if isinstance(f, models.JSONField):
        return []
    return "" if f.blank else ERASED


def _erased_text(organization: Organization, user: User, *,
                 apply: bool) -> tuple[Counter, set[tuple[str, int, str]]]:
    """Erase the text about the person; rows per model, and the ``(model, pk, column)``
    erased (so a dry run does not count them again as names to replace)."""
    counts: Counter = Counter()
    erased: set[tuple[str, int, str]] = set()
    for label, (paths, columns) in ERASED_TEXT.items():
        model_class = model(label)
        who = Q()
        for path in paths:
            who |= Q(**{path: user})
        fields = [model_class._meta.get_field(c) for c in columns]
        not_empty = Q()
        for f in fields:
            not_empty |= (~Q(**{f.name: []}) if isinstance(f, models.JSONField)
                          else ~Q(**{f"{f.name}__in": ["", ERASED]}))
        qs = model_class.objects.filter(who, not_empty, organization=organization)
        pks = list(qs.values_list("pk", flat=True).distinct())
        if not pks:
            continue
        counts[label] += len(pks)
        erased |= {(label, pk, f.name) for pk in pks for f in fields}
        if apply:
            model_class.objects.filter(pk__in=pks).update(**{f.name: _blank(f) for f in fields})
    return counts, erased


def _replace(value, regex, replacement):
    if isinstance(value, str):
        return regex.sub(replacement, value)
    if isinstance(value, dict):
        return {_replace(k, regex, replacement): _replace(v, regex, replacement)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, regex, replacement) for v in value]
    return value


def _replacements(user: User, pseudonym: User):
    """One regex for what names the person, and what each match becomes."""
    table = {}
    if user.email.strip():
        table[user.email.strip().lower()] = f"{pseudonym.username}@erased.invalid"
    if user.get_full_name().strip():
        table[user.get_full_name().strip().lower()] = pseudonym.get_full_name()
    table[user.username.strip().lower()] = pseudonym.username
    regex = pattern(sorted(table, key=len, reverse=True))
    return regex, lambda match: table[match.group(0).lower()]


def _mentions(organization: Organization, user: User, pseudonym: User | None,
              erased: set[tuple[str, int, str]]) -> Counter:
    counts: Counter = Counter()
    regex = replacement = None
    if pseudonym is not None:
        regex, replacement = _replacements(user, pseudonym)
    for mention in mentions(organization, user):
        label = mention.model._meta.label
        left = [pk for pk in mention.pks
                if any((label, pk, c) not in erased for c in mention.fields[pk])]
        if left:
            counts[label] += len(left)
        if pseudonym is None:
            continue
        columns = sorted({c for cs in mention.fields.values() for c in cs})
        for obj in mention.model.objects.filter(pk__in=mention.pks).only("pk", *columns):
            changed = {c: _replace(getattr(obj, c), regex, replacement)
                       for c in mention.fields[obj.pk]}
            mention.model.objects.filter(pk=obj.pk).update(**changed)
    return counts


def _future_references(organization: Organization, user: User, *, apply: bool) -> Counter:
    """Clear what would make the placeholder act later (see the module docstring)."""
    counts: Counter = Counter()
    managed = Team.objects.filter(organization=organization, manager=user)
    co_managed = TeamManager.objects.filter(organization=organization, user=user)
    named = model("opportunities.CoachingOpportunity").objects.filter(
        organization=organization, named_coach=user)
    tokens = model("tenancy.ApiToken").objects.filter(
        organization=organization, user=user, revoked_at__isnull=True)
    counts["tenancy.Team (manager cleared)"] = managed.count()
    counts["tenancy.TeamManager (deleted)"] = co_managed.count()
    counts["opportunities.CoachingOpportunity (named coach cleared)"] = named.count()
    counts["tenancy.ApiToken (revoked)"] = tokens.count()
    disputes = ((organization.settings or {}).get("quality") or {}).get("disputes") or {}
    arbitrator = disputes.get("arbitrator_id") == user.pk
    counts["quality settings (arbitrator cleared)"] = int(arbitrator)
    if apply:
        managed.update(manager=None)
        co_managed.delete()
        named.update(named_coach=None)
        tokens.update(revoked_at=timezone.now())
        if arbitrator:
            locked = Organization.objects.select_for_update().get(pk=organization.pk)
            quality = dict(locked.settings.get("quality") or {})
            quality["disputes"] = {**quality["disputes"], "arbitrator_id": None}
            locked.settings = {**locked.settings, "quality": quality}
            locked.save(update_fields=["settings"])
            organization.settings = locked.settings
    return Counter({k: v for k, v in counts.items() if v})


# Columns cleared by :func:`_future_references` instead of pointed at the pseudonym.
CLEARED = {
    "tenancy.Team": {"manager"},
    "tenancy.TeamManager": {"user"},
    "opportunities.CoachingOpportunity": {"named_coach"},
}


def _repoint(organization: Organization, user: User, pseudonym: User | None) -> Counter:
    """Point every user column naming the person at the pseudonym; rows per model."""
    counts: Counter = Counter()
    for label, fields in PERSON_FIELDS.items():
        names = [name for name in fields if name not in CLEARED.get(label, ())]
        if not names or not installed(label):
            continue
        person = Q()
        for name in names:
            person |= Q(**{name: user})
        rows = model(label).objects.filter(person, organization=organization)
        n = rows.count()
        if not n:
            continue
        counts[label] = n
        if pseudonym is None:
            continue
        for name in names:
            model(label).objects.filter(organization=organization, **{name: user}).update(
                **{name: pseudonym})
    return counts


def _children(organization: Organization, user: User) -> Counter:
    """Rows about the person only through a parent (counted; they follow the parent)."""
    counts: Counter = Counter()
    about = direct_rows(organization, user, kinds=(ABOUT,))
    for label, (fk, parent) in CHILDREN.items():
        if label in PERSON_FIELDS:
            continue
        n = model(label).objects.filter(organization=organization,
                                        **{f"{fk}__in": about[parent].values("pk")}).count()
        if n:
            counts[label] = n
    return counts


def _membership_of_pseudonym(subject: Subject, pseudonym: User) -> None:
    """The membership moved to the pseudonym keeps the agent role only (so agent counts
    stay), and no other role: the placeholder manages nothing."""
    Membership.objects.filter(organization=subject.organization, user=pseudonym).update(
        **{f"is_{role.value}": False for role in Role if role != Role.AGENT})


def _empty_account(user: User) -> None:
    user.first_name = user.last_name = user.email = ""
    user.username = f"erased-user-{user.pk}"
    user.is_active = False
    user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()


def erase_person(*, subject: Subject, requested_by: str, dry_run: bool) -> Erasure:
    """Anonymise the person in the subject's organization (call inside its scope).

    ``dry_run``: count what would change and write nothing (no audit record either: it
    would name the person). Otherwise, in one transaction that locks the organization's
    admin memberships: the pseudonymous account, the text, the references, the account
    itself when it belongs to no other tenant, and the :class:`PersonalDataRequest`.
    Raises :class:`SubjectError` for the last org admin.
    """
    organization, user = subject.organization, subject.user
    with transaction.atomic():
        list(Membership.objects.select_for_update(of=("self",))
             .filter(organization=organization, is_org_admin=True).values_list("pk"))
        check_erasable(subject)
        number = _next_number(organization)
        erasure = Erasure(subject, f"{PSEUDONYM_NAME} {number}", dry_run)
        pseudonym = None
        if not dry_run:
            pseudonym = User(username=_pseudonym_username(organization, number),
                             first_name=PSEUDONYM_NAME, last_name=str(number),
                             email="", is_active=False)
            pseudonym.set_unusable_password()
            pseudonym.save()
            erasure.pseudonym = pseudonym
        with deleting_expired_records():  # the access log's triggers let an erasure through
            text, erased = _erased_text(organization, user, apply=not dry_run)
            references = _future_references(organization, user, apply=not dry_run)
            named = _mentions(organization, user, pseudonym, erased)
            children = _children(organization, user)
            repointed = _repoint(organization, user, pseudonym)
        summary = {
            "rows_pseudonymised": dict(sorted(repointed.items())),
            "rows_through_parent": dict(sorted(children.items())),
            "texts_erased": dict(sorted(text.items())),
            "names_replaced": dict(sorted(named.items())),
            "references_cleared": dict(sorted(references.items())),
        }
        erasure.summary = summary
        if dry_run:
            return erasure
        _membership_of_pseudonym(subject, pseudonym)
        if other_memberships(subject) == 0:
            _empty_account(user)
            erasure.account_emptied = True
        summary["account_emptied"] = erasure.account_emptied
        erasure.request = PersonalDataRequest.objects.create(
            organization=organization, kind=RequestKind.ERASURE, subject=pseudonym,
            subject_label=erasure.pseudonym_label, requested_by=requested_by,
            summary=summary,
        )
    return erasure
