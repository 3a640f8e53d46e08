"""The trigger pipeline: evaluate the tenant's active opportunities against a work event.

Runs inside the outbox's transaction for the event (see :mod:`work.services.events`). A
match opens one assessment for the work item's agent (unassigned, in the backlog, when no
coach is found) — idempotent per opportunity, event
and agent (a unique constraint; a re-delivered event finds the assessment it opened) —
unless the agent is exempt (joined recently), the match is sampled out, or an assessment
of the same opportunity was opened for the agent within the suppression window. Every
match writes a line to the opportunity's match log.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from opportunities import conditions
from opportunities.enums import CoachChoice, MatchOutcome
from opportunities.fields import event_changes, event_values, work_item_fields
from opportunities.models import OpportunityMatch
from opportunities.selectors import ActiveOpportunity, active_opportunities
from opportunities.services import record_match
from tenancy.errors import same_tenant
from tenancy.models import Membership, Organization, Team, TeamMember, User
from work.models import WorkEvent, WorkItem

from ..enums import Origin
from ..models import AssessmentCourse, AssessmentSkill, CoachingAssessment
from ..selectors_backlog import coaches_with_room
from .assessments import _log, complete_by_virtual_coach
from .errors import AssessmentError


def sampled_in(*, opportunity_id: int, event_id: int, sample_rate: int) -> bool:
    """Deterministic per (opportunity, event): a re-delivered event gets the same answer."""
    if sample_rate >= 100:
        return True
    if sample_rate <= 0:
        return False
    digest = hashlib.sha256(f"{opportunity_id}:{event_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < sample_rate


def open_assessments_for_events(*, events: list[WorkEvent]) -> list[CoachingAssessment]:
    """:func:`open_assessments_for_event` for a batch of one tenant's events, in order.

    When an opportunity with a suppression window applies to any of them, the membership
    rows of all their agents are locked first, at once and in id order: two workers whose
    batches share agents then wait for each other instead of deadlocking (each would
    otherwise lock its agents in the order of its own events)."""
    if not events:
        return []
    suppressing = [o for o in active_opportunities(events[0].organization_id)
                   if o.suppress_days]
    agent_ids = {
        agent_id for event in events
        if any(o.applies_to(event_type=event.type, kind=event.work_item.kind)
               for o in suppressing)
        for agent_id in [event.work_item.assigned_to_id or event.work_item.resolved_by_id]
        if agent_id is not None
    }
    if agent_ids:
        list(Membership.objects.filter(organization_id=events[0].organization_id,
                                       user_id__in=agent_ids)
             .order_by("pk").select_for_update(of=("self",), no_key=True)
             .values_list("pk", flat=True))
    results = []
    for event in events:
        results += open_assessments_for_event(event=event)
    return results


def open_assessments_for_event(*, event: WorkEvent) -> list[CoachingAssessment]:
    """Evaluate every active opportunity of the event's tenant; return the assessments
    opened (or found, for a re-delivered event). For an opportunity with a suppression
    window, locks the agent's membership row (that row only, ``FOR NO KEY UPDATE``) while
    deciding, so concurrent events of one agent respect the window."""
    item = event.work_item
    candidates = [
        o for o in active_opportunities(event.organization_id)
        if o.applies_to(event_type=event.type, kind=item.kind)
    ]
    if not candidates:
        return []
    fields = work_item_fields()
    values = event_values(event)
    changes = event_changes(event)
    matched = [o for o in candidates if conditions.evaluate(o.condition, fields, values, changes)]
    results = []
    for opportunity in matched:
        assessment = _handle_match(event, item, opportunity)
        if assessment is not None:
            results.append(assessment)
    return results


def _agent_of(item: WorkItem) -> User | None:
    if item.assigned_to_id:
        return item.assigned_to
    if item.resolved_by_id:
        return item.resolved_by
    return None


def _handle_match(event: WorkEvent, item: WorkItem,
                  opportunity: ActiveOpportunity) -> CoachingAssessment | None:
    seen = OpportunityMatch.objects.filter(opportunity_id=opportunity.id, event=event).first()
    if seen is not None:
        # A re-delivered event: same answer as the first time, no second log line.
        return CoachingAssessment.objects.filter(opportunity_match=seen).first()
    agent = _agent_of(item)

    def log(outcome: str) -> OpportunityMatch:
        return record_match(
            organization_id=event.organization_id, opportunity_id=opportunity.id,
            work_item_id=item.pk, event_id=event.pk, agent_id=agent.pk if agent else None,
            outcome=outcome,
        )

    if agent is None:
        log(MatchOutcome.NO_AGENT)
        return None
    memberships = Membership.objects.filter(
        organization_id=event.organization_id, user=agent
    ).order_by()  # no ordering through the user table: that would lock user rows too
    if opportunity.suppress_days:
        # Only the suppression window is decided across events: lock the membership row
        # alone (FOR NO KEY UPDATE of it, never of the user row the API's foreign-key
        # checks share-lock). Everything else is decided by the unique constraint on
        # (opportunity, event, trainee).
        memberships = memberships.select_for_update(of=("self",), no_key=True)
    membership = memberships.first()
    if membership is None:
        log(MatchOutcome.NO_AGENT)
        return None
    existing = CoachingAssessment.objects.filter(
        opportunity_id=opportunity.id, event=event, trainee=agent
    ).first()
    if existing is not None:
        return existing  # re-delivery: the assessment exists and its log line too
    if not sampled_in(opportunity_id=opportunity.id, event_id=event.pk,
                      sample_rate=opportunity.sample_rate):
        log(MatchOutcome.SAMPLED_OUT)
        return None
    when = event.occurred_at or timezone.now()
    if opportunity.exempt_first_days and \
            membership.joined_at > when - timedelta(days=opportunity.exempt_first_days):
        log(MatchOutcome.EXEMPT)
        return None
    if opportunity.suppress_days and CoachingAssessment.objects.filter(
        opportunity_id=opportunity.id, trainee=agent,
        created_at__gte=timezone.now() - timedelta(days=opportunity.suppress_days),
    ).exists():
        log(MatchOutcome.SUPPRESSED)
        return None
    coach = _choose_coach(item, agent, opportunity)
    # Without a coach (no team, a team without a manager) the assessment still opens,
    # unassigned, in the backlog coaches and org admins claim from: nothing is lost.
    unassigned = coach is None and opportunity.virtual_coach_id is None
    assessment = _create(event, item, agent, coach, opportunity)
    if assessment is None:
        return CoachingAssessment.objects.filter(
            opportunity_id=opportunity.id, event=event, trainee=agent
        ).first()
    _link_match(assessment, log(MatchOutcome.UNASSIGNED if unassigned else MatchOutcome.FIRED))
    if opportunity.virtual_coach_id is not None:
        assessment = complete_by_virtual_coach(assessment=assessment)
    return assessment


def _link_match(assessment: CoachingAssessment, match: OpportunityMatch) -> None:
    """Record the match-log line that opened the assessment (same tenant only)."""
    same_tenant(assessment, match, error=AssessmentError,
                message="A match of another organization cannot open this assessment.")
    assessment.opportunity_match = match
    assessment.save(update_fields=["opportunity_match"])


def _team_of(item: WorkItem, agent: User) -> Team | None:
    """The work item's team when the agent belongs to it, else the agent's first team."""
    memberships = TeamMember.objects.filter(user=agent).select_related("team__manager")
    teams = sorted((m.team for m in memberships), key=lambda t: t.name)
    for team in teams:
        if team.pk == item.team_id:
            return team
    return teams[0] if teams else None


def _choose_coach(item: WorkItem, agent: User, opportunity: ActiveOpportunity) -> User | None:
    if opportunity.coach_choice == CoachChoice.NAMED and opportunity.named_coach_id:
        return User.objects.filter(
            pk=opportunity.named_coach_id,
            memberships__organization_id=item.organization_id,
        ).first()
    team = _team_of(item, agent)
    if team is None:
        return None
    if opportunity.coach_choice == CoachChoice.ROUND_ROBIN:
        coaches = [u for u in [team.manager, *team.additional_managers.order_by("username")]
                   if u is not None and u.pk != agent.pk]
        coaches = list({u.pk: u for u in coaches}.values())
        # A coach at capacity is skipped; with nobody left it waits in the backlog.
        coaches = coaches_with_room(item.organization, coaches)
        if not coaches:
            return None
        counts = dict(
            CoachingAssessment.objects.filter(
                opportunity_id=opportunity.id, coach__in=coaches
            ).values_list("coach").annotate(n=Count("id")).values_list("coach", "n")
        )
        return min(coaches, key=lambda u: (counts.get(u.pk, 0), coaches.index(u)))
    if team.manager is not None and team.manager.pk != agent.pk:
        return next(iter(coaches_with_room(item.organization, [team.manager])), None)
    return None


def _create(event: WorkEvent, item: WorkItem, agent: User, coach: User | None,
            opportunity: ActiveOpportunity) -> CoachingAssessment | None:
    organization = Organization.objects.get(pk=event.organization_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            assessment = CoachingAssessment.objects.create(
                organization=organization, opportunity_id=opportunity.id, work_item=item,
                event=event, trainee=agent, coach=coach, origin=Origin.OPPORTUNITY,
                virtual_coach_id=opportunity.virtual_coach_id,
                due_date=timezone.localdate(timezone=organization.tzinfo)
                + timedelta(days=opportunity.due_in_days),
                coach_survey_id=opportunity.coach_survey_id,
                trainee_survey_id=opportunity.trainee_survey_id, created_at=now, updated_at=now,
            )
    except IntegrityError:
        return None  # opened by a concurrent delivery of the same event
    AssessmentCourse.objects.bulk_create([
        AssessmentCourse(organization=organization, assessment=assessment, course_id=course_id)
        for course_id in opportunity.course_ids
    ])
    AssessmentSkill.objects.bulk_create([
        AssessmentSkill(organization=organization, assessment=assessment, skill_id=skill_id,
                        level_id=level_id)
        for skill_id, level_id in opportunity.skills
    ])
    _log(assessment, from_state="", actor=None, actor_label=f"Opportunity “{opportunity.name}”")
    return assessment
