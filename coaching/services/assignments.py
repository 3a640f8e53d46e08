"""Coaching assignments: create one (from an agent's marks, from an evaluation, or per
agent when a group is dispatched), the agent's reviews that move its status, and the
follow-up reminder.

Creating one e-mails the agent a direct link after commit. A review locks the assignment
row, marks the item reviewed and moves the status in the same transaction:
``not_started → in_progress`` at the first reviewed item, ``→ completed`` once every
interaction and best-response example is reviewed. The e-mails never mention a group.

Dispatching a group locks the group row (``SELECT … FOR UPDATE``): two QA users
dispatching the same group at once — the second waits, sees it sent and is refused;
exactly one dispatch.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from quality.models import BestResponse, Evaluation
from quality.services.evaluations import agent_of
from tenancy.errors import same_tenant
from tenancy.models import Organization, User

from ..models import (
    AssignmentArea,
    AssignmentExample,
    AssignmentInteraction,
    AssignmentStatus,
    CoachingAssignment,
    CoachingGroup,
    CoachingMark,
    MarkState,
)
from .marks import CoachingError, check_may_coach, locked_group, refuse_sent

EXAMPLES_PER_AREA = 3
REMINDER_DAYS_BEFORE = 1


@dataclass
class MarkedInteraction:
    interaction: object  # work.WorkItem
    evaluation: Evaluation | None = None
    area_names: str = ""


def agent_link(assignment: CoachingAssignment) -> str:
    return settings.SITE_URL + reverse("coaching:my_assignment", kwargs={
        "org_slug": assignment.organization.slug, "pk": assignment.pk})


def _mail_agent(assignment: CoachingAssignment, template: str, subject: str) -> None:
    if not assignment.agent.email:
        return
    body = render_to_string(template, {"assignment": assignment, "link": agent_link(assignment),
                                       "areas": [a.attribute_name for a in assignment.areas.all()]})
    recipients = [assignment.agent.email]
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def today_for(organization: Organization) -> date:
    return timezone.localdate(timezone=organization.tzinfo)


def _check_dates(organization: Organization, follow_up_date: date | None) -> date:
    assigned = today_for(organization)
    if follow_up_date is None:
        raise CoachingError("Choose a follow-up date.", field="follow_up_date")
    if follow_up_date < assigned:
        raise CoachingError(
            f"The follow-up date ({follow_up_date:%d %b %Y}) is before the assigned date "
            f"({assigned:%d %b %Y}); choose that day or a later one.", field="follow_up_date")
    return assigned


@transaction.atomic
def create_assignment(
    *, organization: Organization, agent: User, assigner: User, name: str,
    areas: Iterable[tuple[str, str]], follow_up_date: date | None,
    interactions: Iterable[MarkedInteraction] = (), marks: Iterable[CoachingMark] = (),
    strengths: str = "", improvements: str = "", action_plan: Iterable[str] = (),
    origin_group: CoachingGroup | None = None,
) -> CoachingAssignment:
    """One agent's assignment with its areas, interactions (given, or those of ``marks``,
    which become assigned) and the tenant's best-response examples for the areas.
    E-mails the agent after commit."""
    check_may_coach(organization=organization, actor=assigner, agent=agent)
    name = (name or "").strip()
    if not name:
        raise CoachingError("Give the assignment a name.", field="name")
    areas = list(dict(areas).items())
    if not areas:
        raise CoachingError("Choose at least one coaching area.", field="areas")
    assigned = _check_dates(organization, follow_up_date)
    marks = list(marks)
    chosen = list(interactions)
    for mark in marks:
        if mark.agent_id != agent.pk or mark.organization_id != organization.pk:
            raise CoachingError("A mark belongs to another agent.", field="marks")
        if mark.state != MarkState.ACTIVE:
            raise CoachingError("A mark was already assigned or removed; reload the page.",
                                field="marks")
    by_interaction: dict[int, MarkedInteraction] = {}
    for item in chosen:
        by_interaction[item.interaction.pk] = item
    for mark in marks:
        item = by_interaction.setdefault(
            mark.interaction_id, MarkedInteraction(mark.interaction, mark.evaluation, ""))
        names = [n for n in item.area_names.split(", ") if n]
        if mark.attribute_name not in names:
            item.area_names = ", ".join([*names, mark.attribute_name])
    if not by_interaction:
        raise CoachingError("Choose at least one interaction to coach.", field="interactions")
    for item in by_interaction.values():
        interaction = item.interaction
        if interaction.organization_id != organization.pk:
            raise CoachingError("An interaction belongs to another organization.",
                                field="interactions")
        if agent_of(interaction) != agent:
            raise CoachingError(f"{interaction.label} is not an interaction of {agent}.",
                                field="interactions")
    steps = [s.strip() for s in action_plan if s and s.strip()]
    assignment = CoachingAssignment.objects.create(
        organization=organization, name=name[:150], agent=agent, assigner=assigner,
        assigned_date=assigned, follow_up_date=follow_up_date, strengths=strengths.strip(),
        improvements=improvements.strip(), action_plan=steps, origin_group=origin_group,
    )
    AssignmentArea.objects.bulk_create([
        AssignmentArea(organization=organization, assignment=assignment, attribute_key=key,
                       attribute_name=area_name, position=i)
        for i, (key, area_name) in enumerate(areas)])
    AssignmentInteraction.objects.bulk_create([
        AssignmentInteraction(organization=organization, assignment=assignment,
                              interaction=item.interaction, evaluation=item.evaluation,
                              area_names=item.area_names[:500])
        for item in by_interaction.values()])
    examples: list[BestResponse] = []
    for key, _area_name in areas:
        examples.extend(BestResponse.objects.filter(organization=organization, attribute_key=key)
                        .exclude(interaction_id__in=list(by_interaction))
                        .order_by("-created_at", "-id")[:EXAMPLES_PER_AREA])
    AssignmentExample.objects.bulk_create([
        AssignmentExample(organization=organization, assignment=assignment, best_response=br)
        for br in {br.pk: br for br in examples}.values()])
    if marks:
        CoachingMark.objects.filter(pk__in=[m.pk for m in marks]).update(
            state=MarkState.ASSIGNED, assignment=assignment)
    _mail_agent(assignment, "coaching/email/assignment_created.txt",
                f"New coaching assignment: {assignment.name}")
    return assignment


@transaction.atomic
def create_assignment_from_marks(*, organization: Organization, agent: User, assigner: User,
                                 name: str, follow_up_date: date | None,
                                 area_keys: Iterable[str] = (), **content) -> CoachingAssignment:
    """An individual assignment from the agent's waiting (ungrouped) marks; its areas are
    ``area_keys`` among the marks' areas, or all of them."""
    marks = list(CoachingMark.objects.select_for_update(of=("self",))
                 .filter(organization=organization, agent=agent, state=MarkState.ACTIVE,
                         group__isnull=True).select_related("interaction", "evaluation")
                 .order_by("id"))
    if not marks:
        raise CoachingError(f"{agent} has no marked conversations waiting.", field="agent")
    marked = {m.attribute_key: m.attribute_name for m in marks}
    keys = [k for k in area_keys if k] or list(marked)
    unknown = [k for k in keys if k not in marked]
    if unknown:
        raise CoachingError(f"“{unknown[0]}” is not an area {agent} was marked for.",
                            field="areas")
    return create_assignment(organization=organization, agent=agent, assigner=assigner,
                             name=name, areas=[(k, marked[k]) for k in keys], marks=marks,
                             follow_up_date=follow_up_date, **content)


@transaction.atomic
def create_assignment_from_evaluation(*, evaluation: Evaluation, assigner: User, name: str,
                                      area_keys: Iterable[str], follow_up_date: date | None,
                                      **content) -> CoachingAssignment:
    """"Add coaching assignment" on an evaluation: its interaction, the chosen areas."""
    names = {a.key: a.name for a in evaluation.scorecard.attributes.all()}
    keys = list(dict.fromkeys(k for k in area_keys if k))
    if not keys:
        raise CoachingError("Choose at least one coaching area.", field="areas")
    unknown = [k for k in keys if k not in names]
    if unknown:
        raise CoachingError(f"“{unknown[0]}” is not an attribute of {evaluation.scorecard}.",
                            field="areas")
    item = MarkedInteraction(evaluation.interaction, evaluation,
                             ", ".join(names[k] for k in keys))
    return create_assignment(
        organization=evaluation.organization, agent=evaluation.agent, assigner=assigner,
        name=name, areas=[(k, names[k]) for k in keys], interactions=[item],
        follow_up_date=follow_up_date, **content)


@transaction.atomic
def review_item(*, assignment_id: int, kind: str, link_id: int,
                agent: User) -> CoachingAssignment:
    """The agent marks one interaction (``kind="interaction"``) or best-response example
    (``"example"``) reviewed; the status follows under the assignment's row lock."""
    assignment = CoachingAssignment.objects.select_for_update().get(pk=assignment_id)
    if assignment.agent_id != agent.pk:
        raise CoachingError("Only the agent of an assignment reviews its items.")
    model = {"interaction": AssignmentInteraction, "example": AssignmentExample}.get(kind)
    if model is None:
        raise CoachingError(f"Unknown item kind “{kind}”.", field="kind")
    link = model.objects.filter(assignment=assignment, pk=link_id).first()
    if link is None:
        raise CoachingError("This item is not part of the assignment.", field="item")
    if link.reviewed_at is None:
        link.reviewed_at = timezone.now()
        link.save(update_fields=["reviewed_at"])
    pending = (assignment.interaction_links.filter(reviewed_at__isnull=True).exists()
               or assignment.example_links.filter(reviewed_at__isnull=True).exists())
    if not pending and assignment.status != AssignmentStatus.COMPLETED:
        assignment.complete()
    elif assignment.status == AssignmentStatus.NOT_STARTED:
        assignment.start()
    else:
        return assignment
    assignment.save(update_fields=["status", "started_at", "completed_at"])
    return assignment


def send_follow_up_reminders(*, organization: Organization, today: date | None = None) -> int:
    """E-mail the agent of each unfinished assignment whose follow-up date is within
    :data:`REMINDER_DAYS_BEFORE` days, once per assignment (a conditional UPDATE claims it,
    so running twice sends nothing twice). Returns how many were sent."""
    today = today or today_for(organization)
    due = (CoachingAssignment.objects.filter(
        organization=organization, reminder_sent_at__isnull=True,
        follow_up_date__gte=today, follow_up_date__lte=today + timedelta(days=REMINDER_DAYS_BEFORE))
        .exclude(status=AssignmentStatus.COMPLETED).select_related("agent", "organization"))
    sent = 0
    for assignment in due:
        with transaction.atomic():
            claimed = CoachingAssignment.objects.filter(
                pk=assignment.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=timezone.now())
            if claimed:
                _mail_agent(assignment, "coaching/email/assignment_reminder.txt",
                            f"Coaching follow-up on {assignment.follow_up_date:%d %b %Y}: "
                            f"{assignment.name}")
                sent += 1
    return sent


@transaction.atomic
def dispatch_group(*, group_id: int, actor: User, follow_up_date: date, name: str,
                   strengths: str = "", improvements: str = "",
                   action_plan: list[str] = ()) -> list:
    """Create one individual assignment per agent of the group from their marks in it, and
    mark the group sent — all or nothing. Locks the group row first. ``name`` is the
    assignments' own (the agents see it; the group's name stays with supervisors)."""
    group = locked_group(group_id)
    refuse_sent(group)
    marks = list(group.marks.filter(state=MarkState.ACTIVE)
                 .select_related("agent", "interaction", "evaluation").order_by("id"))
    if not marks:
        raise CoachingError(f"“{group.name}” has no marked conversations; add agents with "
                            "marks before assigning coaching.")
    by_agent: dict[int, list[CoachingMark]] = {}
    for mark in marks:
        by_agent.setdefault(mark.agent_id, []).append(mark)
    created = []
    for agent_marks in by_agent.values():
        same_tenant(group, agent_marks[0], message="The marks belong to another organization.")
        areas = [(a["key"], a["name"]) for a in group.areas] or [
            (m.attribute_key, m.attribute_name) for m in agent_marks]
        created.append(create_assignment(
            organization=group.organization, agent=agent_marks[0].agent, assigner=actor,
            name=name, areas=areas, marks=agent_marks,
            follow_up_date=follow_up_date, strengths=strengths, improvements=improvements,
            action_plan=action_plan, origin_group=group,
        ))
    group.sent_at = timezone.now()
    group.sent_by = actor
    group.save(update_fields=["sent_at", "sent_by"])
    return created
