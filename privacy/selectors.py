"""Reads of the access log: one member's entries, the tenant's with filters, and where
each entry's object can be opened."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from quality.selectors import visible_evaluations
from tenancy.models import Organization, User

from .models import AccessKind, AccessRecord

# Where the agent opens their own data of each kind (transcripts: agents have no page of
# their interactions; they read them through the evaluation).
AGENT_VIEWS = {
    AccessKind.EVALUATION: ("quality:evaluation", "pk"),
    AccessKind.DISPUTE: ("quality:evaluation", "pk"),
    AccessKind.ASSESSMENT: ("coaching:detail", "pk"),
    AccessKind.PLAN: ("coaching:plan_detail", "pk"),
    AccessKind.ASSIGNMENT: ("coaching:my_assignment", "pk"),
    AccessKind.OVERVIEW: ("coaching:my_overview", None),
    AccessKind.SKILLS: ("skills:my_skills", None),
}

# Where an org admin opens what was viewed.
ADMIN_VIEWS = {
    AccessKind.EVALUATION: ("quality:evaluation", "pk"),
    AccessKind.DISPUTE: ("quality:evaluation", "pk"),
    AccessKind.TRANSCRIPT: ("quality:interaction", "pk"),
    AccessKind.ASSESSMENT: ("coaching:detail", "pk"),
    AccessKind.PLAN: ("coaching:plan_detail", "pk"),
    AccessKind.ASSIGNMENT: ("coaching:assignment_detail", "pk"),
    AccessKind.OVERVIEW: ("coaching:behaviours_agent", "agent_id"),
    AccessKind.SKILLS: ("skills:person", "user_id"),
}


def records_about(organization: Organization, user: User) -> QuerySet[AccessRecord]:
    """Who looked at ``user``'s data, newest first (the viewer's name as recorded)."""
    return AccessRecord.objects.filter(organization=organization, subject=user).order_by(
        "-viewed_at", "-pk")


# Kinds whose object is an evaluation (a dispute's record names the disputed evaluation).
EVALUATION_KINDS = (AccessKind.EVALUATION, AccessKind.DISPUTE)


def evaluations_hidden_from(organization: Organization, user: User,
                            records: list[AccessRecord]) -> set[str]:
    """The evaluation ids among ``records`` that ``user`` may not open — an audit not released
    to them yet, or a calibration evaluation — so their own log neither links nor names it.
    One query, and none when no record is about an evaluation."""
    ids = {r.object_id for r in records if r.kind in EVALUATION_KINDS and r.object_id.isdigit()}
    if not ids:
        return set()
    visible = visible_evaluations(organization, user).filter(
        pk__in=[int(i) for i in ids]).values_list("pk", flat=True)
    return ids - {str(pk) for pk in visible}


@dataclass(frozen=True)
class AccessFilters:
    subject: int | None = None
    viewer: str | None = None  # a user id, or "token:<name>" for an organization token
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date, organization: Organization) -> datetime:
    return datetime.combine(day, time.min, tzinfo=organization.tzinfo)


def tenant_records(organization: Organization,
                   filters: AccessFilters = AccessFilters()) -> QuerySet[AccessRecord]:  # noqa: B008
    """The tenant's access log, newest first, filtered; dates are the organization's days."""
    qs = AccessRecord.objects.filter(organization=organization).select_related("subject")
    if filters.subject:
        qs = qs.filter(subject_id=filters.subject)
    if filters.viewer:
        if filters.viewer.startswith("token:"):
            qs = qs.filter(viewer__isnull=True, viewer_label=filters.viewer[len("token:"):])
        else:
            qs = qs.filter(viewer_id=int(filters.viewer))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.date_from:
        qs = qs.filter(viewed_at__gte=_start_of(filters.date_from, organization))
    if filters.date_to:
        qs = qs.filter(viewed_at__lt=_start_of(filters.date_to + timedelta(days=1),
                                               organization))
    return qs.order_by("-viewed_at", "-pk")


def filter_choices(organization: Organization) -> tuple[QuerySet, list]:
    """``(people, tokens)`` for the filters: the tenant's members (a queryset the filter's
    type-ahead searches) and the names of the organization tokens that appear in the log
    (one query, a few names)."""
    people = User.objects.filter(memberships__organization=organization)
    tokens = list(AccessRecord.objects.filter(organization=organization, viewer__isnull=True)
                  .order_by("viewer_label").values_list("viewer_label", flat=True).distinct())
    return people, tokens


def object_url(organization: Organization, record: AccessRecord, *, for_agent: bool) -> str:
    """Where ``record``'s object opens (for the agent: only where they see it), or ""."""
    views = AGENT_VIEWS if for_agent else ADMIN_VIEWS
    target = views.get(record.kind)
    if target is None:
        return ""
    name, argument = target
    kwargs = {"org_slug": organization.slug}
    if argument == "pk":
        if not record.object_id.isdigit():
            return ""
        kwargs["pk"] = int(record.object_id)
    elif argument is not None:
        if record.subject_id is None:
            return ""
        kwargs[argument] = record.subject_id
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""
