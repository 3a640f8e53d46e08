"""Marks for coaching and coaching groups: mark an agent from an evaluation, remove a
mark, gather agents in a group. (Dispatching a group is
:func:`coaching.services.assignments.dispatch_group`.)
"""


from django.db import IntegrityError, transaction

from quality.models import Evaluation
from tenancy.errors import DomainError
from tenancy.models import Membership, Organization, User

from ..models import CoachingGroup, CoachingGroupAgent, CoachingMark, MarkState
from ..selectors_assignments import available_areas, group_name_taken


class CoachingError(DomainError):
    """A marks, groups or coaching-assignment action is not possible; ``message`` says why."""


def check_may_coach(*, organization: Organization, actor: User, agent: User | None) -> None:
    """Refuse an agent who is not a member here, or whom ``actor`` may not coach."""
    if agent is None or not Membership.objects.filter(organization=organization,
                                                     user=agent).exists():
        raise CoachingError("This agent is not a member of your organization.", field="agent")
    if not actor.has_perm("coaching.assign_coaching_to", agent):
        raise CoachingError(
            f"You may not coach {agent}: they are not in a team you coach.", field="agent")


def _duplicate_message(agent: User, area_name: str) -> str:
    return (f"You already marked {agent} for coaching in “{area_name}”; remove that mark "
            "before marking again.")


@transaction.atomic
def mark_for_coaching(*, evaluation: Evaluation, area_keys: list[str],
                      marked_by: User) -> list[CoachingMark]:
    """Mark the evaluated agent for coaching in each area (one mark per area) with the
    evaluation's interaction. Refuses an area already actively marked by the same user for
    this agent (the ``coachingmark_one_active`` constraint backs the check)."""
    organization = evaluation.organization
    agent = evaluation.agent
    check_may_coach(organization=organization, actor=marked_by, agent=agent)
    keys = list(dict.fromkeys(k for k in area_keys if k))
    if not keys:
        raise CoachingError("Choose at least one coaching area.", field="areas")
    names = {a.key: a.name for a in evaluation.scorecard.attributes.all()}
    unknown = [k for k in keys if k not in names]
    if unknown:
        raise CoachingError(f"“{unknown[0]}” is not an attribute of {evaluation.scorecard}.",
                            field="areas")
    held = (CoachingMark.objects.filter(organization=organization, marked_by=marked_by,
                                        agent=agent, state=MarkState.ACTIVE,
                                        attribute_key__in=keys)
            .order_by("attribute_name").values_list("attribute_name", flat=True).first())
    if held is not None:
        raise CoachingError(_duplicate_message(agent, held), field="areas")
    try:
        with transaction.atomic():
            return [CoachingMark.objects.create(
                organization=organization, agent=agent, attribute_key=key,
                attribute_name=names[key], interaction=evaluation.interaction,
                evaluation=evaluation, marked_by=marked_by,
            ) for key in keys]
    except IntegrityError:  # the same user marking twice at once
        raise CoachingError(_duplicate_message(agent, names[keys[0]]), field="areas") from None


@transaction.atomic
def remove_mark(*, mark: CoachingMark, actor: User) -> CoachingMark:
    mark = CoachingMark.objects.select_for_update().select_related("agent").get(pk=mark.pk)
    check_may_coach(organization=mark.organization, actor=actor, agent=mark.agent)
    if mark.state != MarkState.ACTIVE:
        raise CoachingError("This mark was already assigned or removed.")
    mark.state = MarkState.REMOVED
    mark.group = None
    mark.save(update_fields=["state", "group"])
    return mark


def _areas(organization: Organization, keys: list[str]) -> list[dict]:
    known = dict(available_areas(organization))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise CoachingError(f"“{unknown[0]}” is not a coaching area of your scorecards.",
                            field="areas")
    return [{"key": k, "name": known[k]} for k in dict.fromkeys(keys)]


def _taken_message(name: str) -> str:
    return f"A group named “{name}” is waiting to be sent; choose another name."


@transaction.atomic
def create_group(*, organization: Organization, name: str, description: str = "",
                 area_keys: list[str] = (), created_by: User) -> CoachingGroup:
    """A pending coaching group; its name unique among the tenant's unsent groups."""
    name = (name or "").strip()
    if not name:
        raise CoachingError("Give the group a name.", field="name")
    if group_name_taken(organization, name):
        raise CoachingError(_taken_message(name), field="name")
    areas = _areas(organization, list(area_keys))
    try:
        with transaction.atomic():
            return CoachingGroup.objects.create(
                organization=organization, name=name, description=description.strip(),
                areas=areas, created_by=created_by)
    except IntegrityError:
        raise CoachingError(_taken_message(name), field="name") from None


def locked_group(group_id: int) -> CoachingGroup:
    return CoachingGroup.objects.select_for_update().get(pk=group_id)


def refuse_sent(group: CoachingGroup) -> None:
    if group.sent_at is not None:
        raise CoachingError(
            f"“{group.name}” was already dispatched on {group.sent_at:%d %b %Y}; nothing "
            "was changed.")


@transaction.atomic
def add_agents_to_group(*, group: CoachingGroup, agents: list[User],
                        actor: User) -> CoachingGroup:
    """Move the agents' waiting (ungrouped, active) marks into the group."""
    group = locked_group(group.pk)
    refuse_sent(group)
    if not agents:
        raise CoachingError("Choose at least one agent.", field="agents")
    for agent in agents:
        check_may_coach(organization=group.organization, actor=actor, agent=agent)
        marks = CoachingMark.objects.filter(organization=group.organization, agent=agent,
                                            state=MarkState.ACTIVE, group__isnull=True)
        if not marks.exists():
            raise CoachingError(f"{agent} has no marked conversations waiting; mark them "
                                "from an evaluation first.", field="agents")
        CoachingGroupAgent.objects.get_or_create(organization=group.organization, group=group,
                                                 agent=agent)
        marks.update(group=group)
    return group
