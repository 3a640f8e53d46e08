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
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from opportunities import conditions
from opportunities.enums import CoachChoice, MatchOutcome
from opportunities.fields import event_changes, event_values, work_item_fields
from opportunities.models import OpportunityMatch
from opportunities.selectors import ActiveOpportunity, active_opportunities
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


@dataclass
class _Batch:
    """What the pipeline reads once for a batch of one tenant's matches instead of once
    per match: the agents, their memberships (locked in id order when a matched
    opportunity has a suppression window: two workers whose batches share agents then
    wait for each other instead of deadlocking), match-log lines and assessments a
    re-delivered event already has, each (opportunity, agent)'s latest assessment for the
    suppression window (kept up to date as the batch opens assessments), and the agents'
    teams. Log lines that open nothing are inserted together at the end."""

    organization: Organization
    users: dict[int, User]
    memberships: dict[int, Membership]
    seen: dict[tuple[int, int], OpportunityMatch]
    existing: dict[tuple[int, int, int], CoachingAssessment]
    latest: dict[tuple[int, int], datetime]
    lines: list[OpportunityMatch] = field(default_factory=list)
    _teams: dict[int, list[Team]] | None = None

    @classmethod
    def load(cls, organization: Organization,
             matches: list[tuple[WorkEvent, ActiveOpportunity]]) -> "_Batch":
        agent_ids = {_agent_id(event.work_item) for event, _o in matches} - {None}
        event_ids = {event.pk for event, _o in matches}
        opportunity_ids = {o.id for _e, o in matches}
        memberships = Membership.objects.filter(
            organization_id=organization.pk, user_id__in=agent_ids
        ).order_by("pk")  # never through the user table: that would lock user rows too
        suppress_days = max((o.suppress_days or 0 for _e, o in matches), default=0)
        if suppress_days:
            memberships = memberships.select_for_update(of=("self",), no_key=True)
        # Locked (and read) before the window's assessments: a concurrent worker's commit
        # that the lock waited for is then seen by the next statement.
        memberships = {m.user_id: m for m in memberships}
        latest: dict[tuple[int, int], datetime] = {}
        if suppress_days:
            for opportunity_id, trainee_id, created_at in CoachingAssessment.objects.filter(
                    opportunity_id__in=opportunity_ids, trainee_id__in=agent_ids,
                    created_at__gte=timezone.now() - timedelta(days=suppress_days),
            ).values_list("opportunity_id", "trainee_id", "created_at"):
                key = (opportunity_id, trainee_id)
                latest[key] = max(created_at, latest.get(key, created_at))
        return cls(
            organization=organization,
            users=User.objects.in_bulk(agent_ids),
            memberships=memberships,
            seen={(m.opportunity_id, m.event_id): m for m in OpportunityMatch.objects.filter(
                opportunity_id__in=opportunity_ids, event_id__in=event_ids)},
            existing={(a.opportunity_id, a.event_id, a.trainee_id): a
                      for a in CoachingAssessment.objects.filter(
                          opportunity_id__in=opportunity_ids, event_id__in=event_ids,
                          trainee_id__in=agent_ids)},
            latest=latest,
        )

    def teams_of(self, agent: User) -> list[Team]:
        """The agent's teams by name (every agent of the batch read in one query)."""
        if self._teams is None:
            self._teams = defaultdict(list)
            for member in TeamMember.objects.filter(user_id__in=self.users).select_related(
                    "team__manager"):
                self._teams[member.user_id].append(member.team)
            for teams in self._teams.values():
                teams.sort(key=lambda t: t.name)
        return self._teams.get(agent.pk, [])

    def flush(self) -> None:
        OpportunityMatch.objects.bulk_create(self.lines)
        self.lines = []


def open_assessments_for_events(*, events: list[WorkEvent]) -> list[CoachingAssessment]:
    """Evaluate every active opportunity of the events' tenant against each event, in
    order; return the assessments opened (or found, for a re-delivered event). Each
    event's matches are decided as if it came alone (the suppression window sees the
    assessments the earlier events opened); what they read is read once per batch
    (:class:`_Batch`)."""
    if not events:
        return []
    organization = events[0].organization
    opportunities = active_opportunities(organization.pk)
    fields = work_item_fields()
    matches = []
    for event in events:
        item = event.work_item
        candidates = [o for o in opportunities
                      if o.applies_to(event_type=event.type, kind=item.kind)]
        if not candidates:
            continue
        values = event_values(event)
        changes = event_changes(event)
        matches += [(event, o) for o in candidates
                    if conditions.evaluate(o.condition, fields, values, changes)]
    if not matches:
        return []
    batch = _Batch.load(organization, matches)
    results = []
    for event, opportunity in matches:
        assessment = _handle_match(batch, event, event.work_item, opportunity)
        if assessment is not None:
            results.append(assessment)
    batch.flush()
    return results


def open_assessments_for_event(*, event: WorkEvent) -> list[CoachingAssessment]:
    """:func:`open_assessments_for_events` for one event."""
    return open_assessments_for_events(events=[event])


def _agent_id(item: WorkItem) -> int | None:
    return item.assigned_to_id or item.resolved_by_id


def _handle_match(batch: _Batch, event: WorkEvent, item: WorkItem,
                  opportunity: ActiveOpportunity) -> CoachingAssessment | None:
    seen = batch.seen.get((opportunity.id, event.pk))
    if seen is not None:
        # A re-delivered event: same answer as the first time, no second log line.
        return CoachingAssessment.objects.filter(opportunity_match=seen).first()
    agent_id = _agent_id(item)
    agent = batch.users.get(agent_id) if agent_id is not None else None

    def line(outcome: str) -> OpportunityMatch:
        return OpportunityMatch(
            organization_id=event.organization_id, opportunity_id=opportunity.id,
            work_item_id=item.pk, event_id=event.pk, agent_id=agent.pk if agent else None,
            outcome=MatchOutcome(outcome),
        )

    def log(outcome: str) -> None:
        batch.lines.append(line(outcome))

    if agent is None:
        log(MatchOutcome.NO_AGENT)
        return None
    membership = batch.memberships.get(agent.pk)
    if membership is None:
        log(MatchOutcome.NO_AGENT)
        return None
    existing = batch.existing.get((opportunity.id, event.pk, agent.pk))
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
    latest = batch.latest.get((opportunity.id, agent.pk))
    if opportunity.suppress_days and latest is not None and \
            latest >= timezone.now() - timedelta(days=opportunity.suppress_days):
        log(MatchOutcome.SUPPRESSED)
        return None
    coach = _choose_coach(batch, item, agent, opportunity)
    # Without a coach (no team, a team without a manager) the assessment still opens,
    # unassigned, in the backlog coaches and org admins claim from: nothing is lost.
    unassigned = coach is None and opportunity.virtual_coach_id is None
    assessment = _create(batch.organization, event, item, agent, coach, opportunity)
    if assessment is None:
        return CoachingAssessment.objects.filter(
            opportunity_id=opportunity.id, event=event, trainee=agent
        ).first()
    batch.latest[(opportunity.id, agent.pk)] = assessment.created_at
    match = line(MatchOutcome.UNASSIGNED if unassigned else MatchOutcome.FIRED)
    match.save()
    _link_match(assessment, match)
    if opportunity.virtual_coach_id is not None:
        assessment = complete_by_virtual_coach(assessment=assessment)
    return assessment


def _link_match(assessment: CoachingAssessment, match: OpportunityMatch) -> None:
    """Record the match-log line that opened the assessment (same tenant only)."""
    same_tenant(assessment, match, error=AssessmentError,
                message="A match of another organization cannot open this assessment.")
    assessment.opportunity_match = match
    assessment.save(update_fields=["opportunity_match"])


def _team_of(batch: _Batch, item: WorkItem, agent: User) -> Team | None:
    """The work item's team when the agent belongs to it, else the agent's first team."""
    teams = batch.teams_of(agent)
    for team in teams:
        if team.pk == item.team_id:
            return team
    return teams[0] if teams else None


def _choose_coach(batch: _Batch, item: WorkItem, agent: User,
                  opportunity: ActiveOpportunity) -> User | None:
    if opportunity.coach_choice == CoachChoice.NAMED and opportunity.named_coach_id:
        return User.objects.filter(
            pk=opportunity.named_coach_id,
            memberships__organization_id=item.organization_id,
        ).first()
    team = _team_of(batch, item, agent)
    if team is None:
        return None
    if opportunity.coach_choice == CoachChoice.ROUND_ROBIN:
        coaches = [u for u in [team.manager, *team.additional_managers.order_by("username")]
                   if u is not None and u.pk != agent.pk]
        coaches = list({u.pk: u for u in coaches}.values())
        # A coach at capacity is skipped; with nobody left it waits in the backlog.
        coaches = coaches_with_room(batch.organization, coaches)
        if not coaches:
            return None
        counts = dict(
            CoachingAssessment.objects.filter(
                opportunity_id=opportunity.id, coach__in=coaches
            ).values_list("coach").annotate(n=Count("id")).values_list("coach", "n")
        )
        return min(coaches, key=lambda u: (counts.get(u.pk, 0), coaches.index(u)))
    if team.manager is not None and team.manager.pk != agent.pk:
        return next(iter(coaches_with_room(batch.organization, [team.manager])), None)
    return None


def _create(organization: Organization, event: WorkEvent, item: WorkItem, agent: User,
            coach: User | None, opportunity: ActiveOpportunity) -> CoachingAssessment | None:
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
