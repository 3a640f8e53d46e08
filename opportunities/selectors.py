"""Read queries for opportunities, including the per-tenant cache the trigger pipeline uses."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from tenancy.models import Organization
from work.models import WorkItem

from . import conditions
from .enums import FIRES_ON_EVENTS
from .fields import work_item_fields
from .models import CoachingOpportunity, OpportunityCourse, OpportunityMatch, OpportunitySkill

CACHE_SECONDS = 300
# A worker handles many events a second; a per-process copy saves a cache round trip on
# each. Other processes see a change within this many seconds; this one at once.
LOCAL_SECONDS = 1.0
_local: dict[str, tuple[float, list]] = {}
MATCH_LOG_LENGTH = 50


@dataclass(frozen=True)
class ActiveOpportunity:
    """What the trigger pipeline needs of an active opportunity (plain data, cacheable)."""

    id: int
    name: str
    kinds: frozenset[str]
    event_types: frozenset[str]
    condition: dict
    coach_choice: str
    named_coach_id: int | None
    due_in_days: int
    suppress_days: int
    sample_rate: int
    exempt_first_days: int
    virtual_coach_id: int | None
    skills: tuple[tuple[int, int], ...]  # (skill_id, level_id)
    course_ids: tuple[int, ...]
    coach_survey_id: int | None
    trainee_survey_id: int | None

    def applies_to(self, *, event_type: str, kind: str) -> bool:
        return event_type in self.event_types and (not self.kinds or kind in self.kinds)


def active_cache_key(organization_id: int) -> str:
    # The database name keeps test databases (one per process) from sharing entries.
    # v2: courses and surveys are ids (entries of the older shape are never read back).
    return f"opportunities:active:v2:{connection.settings_dict['NAME']}:{organization_id}"


def active_opportunities(organization_id: int) -> list[ActiveOpportunity]:
    """The tenant's active opportunities, cached until one of them changes."""
    key = active_cache_key(organization_id)
    now = time.monotonic()
    local = _local.get(key)
    if local is not None and now - local[0] < LOCAL_SECONDS:
        return local[1]
    cached = cache.get(key)
    if cached is not None:
        _local[key] = (now, cached)
        return cached
    rows = (
        CoachingOpportunity.objects.filter(organization_id=organization_id, active=True)
        .select_related("virtual_coach")
        .prefetch_related("skill_awards", "course_links")
        .order_by("id")
    )
    result = [
        ActiveOpportunity(
            id=row.pk, name=row.name, kinds=frozenset(row.kinds or ()),
            event_types=FIRES_ON_EVENTS[row.fires_on], condition=row.condition,
            coach_choice=row.coach_choice, named_coach_id=row.named_coach_id,
            due_in_days=row.due_in_days, suppress_days=row.suppress_days,
            sample_rate=row.sample_rate, exempt_first_days=row.exempt_first_days,
            virtual_coach_id=getattr(getattr(row, "virtual_coach", None), "pk", None),
            skills=tuple((s.skill_id, s.level_id) for s in row.skill_awards.all()),
            course_ids=tuple(sorted(link.course_id for link in row.course_links.all())),
            coach_survey_id=row.coach_survey_id, trainee_survey_id=row.trainee_survey_id,
        )
        for row in rows
    ]
    cache.set(key, result, CACHE_SECONDS)
    _local[key] = (now, result)
    return result


def forget_active_opportunities(organization_id: int) -> None:
    key = active_cache_key(organization_id)
    _local.pop(key, None)
    cache.delete(key)


def opportunity_list(organization: Organization) -> QuerySet[CoachingOpportunity]:
    since = timezone.now() - timedelta(days=30)
    return (
        CoachingOpportunity.objects.filter(organization=organization)
        .select_related("virtual_coach", "named_coach")
        .annotate(
            recent_fired=Count(
                "matches", filter=Q(matches__outcome__in=("fired", "unassigned"),
                               matches__matched_at__gte=since)
            ),
        )
        .order_by("name")
    )


def opportunity_detail(organization: Organization, pk: int) -> CoachingOpportunity:
    return (
        CoachingOpportunity.objects.filter(organization=organization)
        .select_related("virtual_coach", "named_coach", "coach_survey", "trainee_survey")
        .prefetch_related(
            Prefetch("skill_awards",
                     queryset=OpportunitySkill.objects.select_related("skill", "level")),
            Prefetch("course_links",
                     queryset=OpportunityCourse.objects.select_related("course")),
        )
        .get(pk=pk)
    )


def match_log(opportunity: CoachingOpportunity, *, limit: int = MATCH_LOG_LENGTH):
    return list(
        OpportunityMatch.objects.filter(opportunity=opportunity)
        .select_related("work_item", "agent")
        .order_by("-matched_at", "-id")[:limit]
    )


def preview_count(
    *, organization: Organization, condition: dict, kinds=(), days: int = 30
) -> int:
    """How many work items updated in the last ``days`` match the condition's static parts
    (change operators count as "maybe", so this is an upper bound for them)."""
    fields = work_item_fields()
    conditions.validate(condition, fields)
    since = timezone.now() - timedelta(days=days)
    items = WorkItem.objects.filter(organization=organization, updated_at__gte=since)
    if kinds:
        items = items.filter(kind__in=list(kinds))
    return items.filter(conditions.to_q(condition, fields)).count()


def export_opportunities(organization: Organization) -> list[dict]:
    """Every opportunity as the import file format (see ``import_opportunities``)."""
    rows = (
        CoachingOpportunity.objects.filter(organization=organization)
        .select_related("virtual_coach", "named_coach", "coach_survey", "trainee_survey")
        .prefetch_related(
            Prefetch("skill_awards",
                     queryset=OpportunitySkill.objects.select_related("skill", "level")),
            Prefetch("course_links",
                     queryset=OpportunityCourse.objects.select_related("course")),
        )
        .order_by("name")
    )
    result = []
    for row in rows:
        coach = row.coach_choice
        if coach == "named":
            coach = row.named_coach.username if row.named_coach else "team_manager"
        virtual = getattr(row, "virtual_coach", None)
        result.append({
            "name": row.name,
            "description": row.description,
            "active": row.active,
            "kinds": list(row.kinds or []),
            "fires_on": row.fires_on,
            "condition": row.condition,
            "due_in_days": row.due_in_days,
            "suppress_days": row.suppress_days,
            "sample_rate": row.sample_rate,
            "exempt_first_days": row.exempt_first_days,
            "coach": coach,
            "virtual_coach": {"name": virtual.name} if virtual else None,
            "skills": [{"skill": s.skill.name, "level": s.level.name}
                       for s in row.skill_awards.all()],
            "courses": [link.course.title for link in row.course_links.all()],
            "coach_survey": row.coach_survey.name if row.coach_survey else None,
            "trainee_survey": row.trainee_survey.name if row.trainee_survey else None,
        })
    return result
