"""Which rows of one tenant hold data about one person (subject access and erasure).

The map is explicit, so a reader sees what an export contains and what an erasure
touches, and it is checked against the model graph: :func:`uncovered_user_fields` lists
every foreign key to the user model that the map does not name, and a test fails while it
is not empty (a new model with a user column must be placed here).

- :data:`PERSON_FIELDS`: per tenant model, its user foreign keys and whether a row is
  *about* the person through it (their evaluation, their membership) or names them as
  the one who *acted* (the evaluator, the coach who wrote a note).
- :data:`CHILDREN`: rows that are about the person through a parent that is about them
  (the answers of their evaluation, the transcript of their interaction).
- :data:`NOT_TENANT_DATA`: user foreign keys outside any tenant, and why they stay.
- Text that *names* them (a username in a work event's changes, a name in a coach's
  comment, a label copied at the time) is found by :func:`mentions`, in every text and
  JSON column of every tenant table.

:mod:`privacy.subject_export` writes what this finds; :mod:`privacy.subject_erasure`
anonymises it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django_scopes import scopes_disabled

from tenancy import rls
from tenancy.models import Membership, Organization, TenantModel, User

ABOUT = "about"  # the row is about the person (their data)
ACTOR = "actor"  # the row names the person as the one who acted (someone else's data too)

PERSON_FIELDS: dict[str, dict[str, str]] = {
    "tenancy.Membership": {"user": ABOUT},
    "tenancy.Team": {"manager": ACTOR},
    "tenancy.TeamMember": {"user": ABOUT},
    "tenancy.TeamManager": {"user": ABOUT},
    "tenancy.Invitation": {"accepted_by": ABOUT, "invited_by": ACTOR},
    "tenancy.ApiToken": {"user": ABOUT, "created_by": ACTOR},
    "work.WorkItem": {"assigned_to": ABOUT, "resolved_by": ABOUT},
    "work.WorkImport": {"created_by": ACTOR},
    "skills.UserSkill": {"user": ABOUT, "awarded_by": ACTOR},
    "skills.SkillChange": {"user": ABOUT, "actor": ACTOR},
    "skills.SkillReview": {"user": ABOUT, "decided_by": ACTOR},
    "skills.SkillRecommendation": {"user": ABOUT, "decided_by": ACTOR},
    "skills.RecommendationActivity": {"actor": ACTOR},
    "learning.LearningCatalog": {"owner": ACTOR},
    "learning.CourseItem": {"created_by": ACTOR},
    "learning.LearningTask": {"assigned_to": ABOUT, "assigned_by": ACTOR,
                              "cancelled_by": ACTOR},
    "surveys.SurveyResponse": {"respondent": ABOUT, "subject": ABOUT},
    "quality.Scorecard": {"created_by": ACTOR},
    "quality.Evaluation": {"agent": ABOUT, "evaluator": ACTOR},
    "quality.EvaluationChange": {"actor": ACTOR},
    "quality.BestResponse": {"created_by": ACTOR},
    "quality.AuditAssignment": {"agent": ABOUT, "evaluator": ACTOR},
    "quality.ScoreRollup": {"agent": ABOUT},
    "quality.Dispute": {"raised_by": ABOUT, "reviewer": ACTOR, "decided_by": ACTOR},
    "quality.CalibrationCandidate": {"evaluator": ABOUT, "created_by": ACTOR},
    "quality.CalibrationSession": {"lead": ACTOR},
    "quality.CalibrationParticipant": {"evaluator": ABOUT},
    "quality.CalibrationReference": {"decided_by": ACTOR},
    "quality.CalibrationDeviation": {"evaluator": ABOUT},
    "opportunities.CoachingOpportunity": {"named_coach": ACTOR},
    "opportunities.OpportunityMatch": {"agent": ABOUT},
    "routing.RoutingDecision": {"assigned_to": ABOUT, "actor": ACTOR},
    "routing.AgentRoutingState": {"user": ABOUT},
    "routing.AgentOpenItems": {"user": ABOUT},
    "coaching.CoachingAssessment": {"trainee": ABOUT, "coach": ACTOR, "created_by": ACTOR},
    "coaching.AssessmentTransition": {"actor": ACTOR},
    "coaching.CoachingGroup": {"created_by": ACTOR, "sent_by": ACTOR},
    "coaching.CoachingGroupAgent": {"agent": ABOUT},
    "coaching.CoachingAssignment": {"agent": ABOUT, "assigner": ACTOR},
    "coaching.CoachingMark": {"agent": ABOUT, "marked_by": ACTOR},
    "coaching.CoachingPlan": {"agent": ABOUT, "manager": ACTOR, "deleted_by": ACTOR},
    "coaching.PlanNote": {"author": ACTOR},
    "coaching.AdviceFeedback": {"user": ABOUT},
    "privacy.AccessRecord": {"subject": ABOUT, "viewer": ACTOR},
    "privacy.PersonalDataRequest": {"subject": ABOUT},
}

# Rows about the person through a parent about them: model -> (foreign key, parent model).
CHILDREN: dict[str, tuple[str, str]] = {
    "work.Transcript": ("work_item", "work.WorkItem"),
    "work.WorkEvent": ("work_item", "work.WorkItem"),
    "quality.Answer": ("evaluation", "quality.Evaluation"),
    "quality.EvaluationChange": ("evaluation", "quality.Evaluation"),
    "quality.DisputeItem": ("dispute", "quality.Dispute"),
    "surveys.Answer": ("response", "surveys.SurveyResponse"),
    "skills.RecommendationActivity": ("recommendation", "skills.SkillRecommendation"),
    "coaching.AssessmentSkill": ("assessment", "coaching.CoachingAssessment"),
    "coaching.AssessmentCourse": ("assessment", "coaching.CoachingAssessment"),
    "coaching.AssessmentLearningTask": ("assessment", "coaching.CoachingAssessment"),
    "coaching.AssessmentSurvey": ("assessment", "coaching.CoachingAssessment"),
    "coaching.AssessmentTransition": ("assessment", "coaching.CoachingAssessment"),
    "coaching.AssignmentArea": ("assignment", "coaching.CoachingAssignment"),
    "coaching.AssignmentInteraction": ("assignment", "coaching.CoachingAssignment"),
    "coaching.AssignmentExample": ("assignment", "coaching.CoachingAssignment"),
    "coaching.PlanExample": ("plan", "coaching.CoachingPlan"),
    "coaching.PlanNote": ("plan", "coaching.CoachingPlan"),
}

# User foreign keys that hold no tenant's data, and why erasure leaves them alone.
NOT_TENANT_DATA: dict[str, str] = {
    "admin.LogEntry": "Django admin's log of platform staff actions; it is not a tenant's "
                      "data and names the staff member, not the person changed.",
}

# Columns never exported (secrets, storage paths) — the rest of a row is.
NOT_EXPORTED: dict[str, frozenset[str]] = {
    "tenancy.ApiToken": frozenset({"key_hash"}),
    "tenancy.Invitation": frozenset({"key"}),
    "work.WorkImport": frozenset({"file"}),
}


def user_fields_in_graph() -> dict[str, set[str]]:
    """Every concrete foreign key to the user model, per model label (introspection)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found: dict[str, set[str]] = {}
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields
                 if f.is_relation and f.related_model is user_model}
        if names:
            found[model._meta.label] = names
    return found


def uncovered_user_fields() -> dict[str, set[str]]:
    """User foreign keys the map does not name (must be empty), and names it has that no
    longer exist (reported as ``{"-label": fields}``)."""
    graph = user_fields_in_graph()
    missing: dict[str, set[str]] = {}
    for label, names in graph.items():
        if label in NOT_TENANT_DATA:
            continue
        unknown = names - set(PERSON_FIELDS.get(label, {}))
        if unknown:
            missing[label] = unknown
    for label, fields in PERSON_FIELDS.items():
        stale = set(fields) - graph.get(label, set())
        if stale:
            missing[f"-{label}"] = stale
    return missing


def tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def installed(label: str) -> bool:
    app_label, name = label.split(".")
    return name.lower() in apps.all_models.get(app_label, {})


# --- finding the person ------------------------------------------------------------------


class SubjectError(Exception):
    """A request about a person that cannot be carried out (the message says why)."""


@dataclass(frozen=True)
class Subject:
    organization: Organization
    user: User
    membership: Membership | None

    @property
    def label(self) -> str:
        return str(self.user)


def find_user(reference: str) -> User:
    """The user with this username, else this e-mail address (case-insensitive)."""
    reference = (reference or "").strip()
    user = User.objects.filter(username=reference).first()
    if user is None and "@" in reference:
        matches = list(User.objects.filter(email__iexact=reference)[:2])
        if len(matches) > 1:
            raise SubjectError(f"Several accounts use the e-mail address “{reference}”; "
                               "give the username instead.")
        user = matches[0] if matches else None
    if user is None:
        raise SubjectError(f"No user with the username or e-mail address “{reference}”.")
    return user


def find_organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise SubjectError(f"No organization with slug “{slug}”.")
    return organization


def find_subject(*, organization: Organization, reference: str) -> Subject:
    """The person in this organization: a member, or someone its rows still name (a
    former member whose evaluations remain). Call inside the organization's scope."""
    user = find_user(reference)
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None and not any(
        rows.exists() for rows in direct_rows(organization, user).values()
    ):
        raise SubjectError(f"{user.username} has no data in {organization.name}.")
    return Subject(organization, user, membership)


def other_memberships(subject: Subject) -> int:
    """How many other organizations the person belongs to (reads across tenants)."""
    with rls.platform("privacy: does the erased person belong to another organization"), \
            scopes_disabled():
        return (Membership.objects.filter(user=subject.user)
                .exclude(organization=subject.organization).count())


# --- rows about the person ---------------------------------------------------------------


def _person_q(fields: dict[str, str], user: User, *, kinds=(ABOUT, ACTOR)) -> Q | None:
    q = None
    for name, kind in fields.items():
        if kind in kinds:
            q = Q(**{name: user}) if q is None else q | Q(**{name: user})
    return q


def direct_rows(organization: Organization, user: User, *,
                kinds=(ABOUT, ACTOR)) -> dict[str, models.QuerySet]:
    """Per model label, the rows naming the person in a user column of the given kinds."""
    found = {}
    for label, fields in PERSON_FIELDS.items():
        if not installed(label):  # a model being added in the same checkout: nothing yet
            continue
        q = _person_q(fields, user, kinds=kinds)
        if q is not None:
            found[label] = model(label).objects.filter(q, organization=organization)
    return found


def about_rows(organization: Organization, user: User) -> dict[str, models.QuerySet]:
    """Per model label, the rows about the person: directly (an ``about`` column) or
    through a parent about them (:data:`CHILDREN`)."""
    about = direct_rows(organization, user, kinds=(ABOUT,))
    for label, (field, parent) in CHILDREN.items():
        parents = about[parent].values("pk")
        children = model(label).objects.filter(organization=organization,
                                               **{f"{field}__in": parents})
        about[label] = about[label] | children if label in about else children
    return about


def person_rows(organization: Organization, user: User) -> dict[str, models.QuerySet]:
    """Everything that names the person through a user column or a parent about them."""
    rows = about_rows(organization, user)
    for label, qs in direct_rows(organization, user, kinds=(ACTOR,)).items():
        rows[label] = rows[label] | qs if label in rows else qs
    return rows


# --- text that names the person ----------------------------------------------------------

TEXT_FIELDS = (models.CharField, models.TextField)  # EmailField, SlugField are CharFields


def needles(user: User) -> list[str]:
    """What names the person in text: the e-mail address, the full name, the username
    (longest first, so an address is replaced before the username inside it)."""
    found = {user.email.strip(), user.get_full_name().strip(), user.username.strip()}
    return sorted((n for n in found if len(n) >= 2), key=len, reverse=True)


def pattern(words: list[str]) -> re.Pattern:
    """Whole words only: the username ``ann`` names nobody in "annual"."""
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w@.+-])(?:{alternatives})(?![\w@+-]|\.\w)", re.IGNORECASE)


def text_columns(model_class) -> list[models.Field]:
    return [f for f in model_class._meta.concrete_fields
            if isinstance(f, TEXT_FIELDS + (models.JSONField,)) and not f.choices
            and f.name not in NOT_EXPORTED.get(model_class._meta.label, ())]


def _contains_any(field: models.Field, words: list[str]) -> tuple[dict, Q]:
    if isinstance(field, models.JSONField):
        alias = f"_text_{field.name}"
        q = Q()
        for word in words:
            escaped = json.dumps(word)[1:-1]  # how a JSON encoder may have written it
            q |= Q(**{f"{alias}__icontains": word})
            if escaped != word:
                q |= Q(**{f"{alias}__icontains": escaped})
        return {alias: Cast(field.name, models.TextField())}, q
    q = Q()
    for word in words:
        q |= Q(**{f"{field.name}__icontains": word})
    return {}, q


def _has_word(value, regex: re.Pattern) -> bool:
    if isinstance(value, str):
        return bool(regex.search(value))
    if isinstance(value, dict):
        return any(_has_word(k, regex) or _has_word(v, regex) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_word(v, regex) for v in value)
    return False


@dataclass
class Mention:
    """Rows of one model whose text columns name the person, and which columns."""

    model: type[models.Model]
    pks: list[int]
    fields: dict[int, list[str]]  # pk -> the columns that name the person


def mentions(organization: Organization, user: User) -> Iterator[Mention]:
    """Every row of the tenant whose text or JSON columns name the person (whole words,
    any case). The database narrows by substring; Python decides by whole word."""
    words = needles(user)
    if not words:
        return
    regex = pattern(words)
    for model_class in tenant_models():
        columns = text_columns(model_class)
        if not columns:
            continue
        annotations, q = {}, Q()
        for field in columns:
            extra, condition = _contains_any(field, words)
            annotations.update(extra)
            q |= condition
        rows = (model_class.objects.filter(organization=organization).alias(**annotations)
                .filter(q).values_list("pk", *[f.name for f in columns]))
        found: dict[int, list[str]] = {}
        for pk, *values in rows:
            named = [f.name for f, v in zip(columns, values, strict=True) if _has_word(v, regex)]
            if named:
                found[pk] = named
        if found:
            yield Mention(model_class, sorted(found), found)
