"""Giving users skills: ``award_skill`` (add or raise), ``lower_skill`` (explicit) and the
matrix's ``set_skill_level`` that picks between them.

Each writes the ``UserSkill`` row and one ``SkillChange`` history line in one transaction,
locking the user's row for that skill so concurrent awards serialize.
"""

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.errors import same_tenant
from tenancy.models import Membership, User

from ..enums import ChangeKind, RecommendationState, RecommendationVerb, Source
from ..errors import SkillError
from ..models import (
    RecommendationActivity,
    Skill,
    SkillChange,
    SkillLevel,
    SkillRecommendation,
    UserSkill,
)

# What caused a change: ("assessment", 42), ("learning_task", 7)… or a model instance.
Cause = tuple[str, int] | models.Model | None


def cause_of(cause: Cause) -> tuple[str, int | None]:
    """The (type, id) stored in history for a cause given as a tuple or a model instance."""
    if cause is None:
        return "", None
    if isinstance(cause, models.Model):
        return cause._meta.model_name, cause.pk
    cause_type, cause_id = cause
    return str(cause_type), int(cause_id)


def _check_same_tenant(*, user: User, skill: Skill, level: SkillLevel | None) -> None:
    same_tenant(skill, level, error=SkillError, message=lambda _: (
        f"The level “{level.name}” belongs to another organization's scale; "
        "choose a level of this organization."
    ))
    with scopes_disabled():
        is_member = Membership.objects.filter(
            organization_id=skill.organization_id, user_id=user.pk
        ).exists()
    if not is_member:
        raise SkillError(f"{user} is not a member of this organization.")


def _locked_holding(user: User, skill: Skill) -> UserSkill | None:
    return (
        UserSkill.objects.select_for_update(of=("self",))
        .select_related("level")
        .filter(user=user, skill=skill)
        .first()
    )


def _record(*, user, skill, kind, from_level, to_level, source, actor, cause, note) -> SkillChange:
    cause_type, cause_id = cause_of(cause)
    return SkillChange.objects.create(
        organization_id=skill.organization_id, user=user, skill=skill, kind=kind,
        from_level=from_level, to_level=to_level, source=source, actor=actor,
        cause_type=cause_type, cause_id=cause_id, note=note[:500],
    )


@transaction.atomic
def award_skill(
    *,
    user: User,
    skill: Skill,
    level: SkillLevel,
    source: str,
    actor: User | None = None,
    cause: Cause = None,
    note: str = "",
) -> UserSkill:
    """Give ``user`` the ``skill`` at ``level``, or raise the level they hold.

    Never lowers: awarding a level at or below the one held changes nothing and writes no
    history (idempotent), and returns the holding as it is. Otherwise saves the holding and
    one history line with the source, actor and cause. Locks the holding row.
    """
    source = Source(source)
    _check_same_tenant(user=user, skill=skill, level=level)
    if not skill.active:
        raise SkillError(f"“{skill.name}” is retired and can no longer be awarded.")
    now = timezone.now()
    held = _locked_holding(user, skill)
    if held is None:
        try:
            with transaction.atomic():
                held = UserSkill.objects.create(
                    organization_id=skill.organization_id, user=user, skill=skill, level=level,
                    source=source, awarded_by=actor, acquired_at=now, changed_at=now,
                )
        except IntegrityError:
            # Someone awarded it between our read and our insert: continue from their row.
            held = _locked_holding(user, skill)
        else:
            _record(user=user, skill=skill, kind=ChangeKind.ADDED, from_level=None,
                    to_level=level, source=source, actor=actor, cause=cause, note=note)
            # Held now, by whatever path: a pending recommendation of it has nothing to ask.
            supersede_recommendations(user=user, skill=skill)
            return held
    if level.rank <= held.level.rank:
        return held
    previous = held.level
    held.level, held.source, held.awarded_by, held.changed_at = level, source, actor, now
    held.save(update_fields=["level", "source", "awarded_by", "changed_at"])
    _record(user=user, skill=skill, kind=ChangeKind.RAISED, from_level=previous, to_level=level,
            source=source, actor=actor, cause=cause, note=note)
    return held


def supersede_recommendation(rec: SkillRecommendation, *, when) -> None:
    """Close one pending recommendation: the agent now holds its skill. Logs the activity."""
    rec.supersede(when=when)
    rec.save()
    RecommendationActivity.objects.create(
        organization_id=rec.organization_id, recommendation=rec,
        verb=RecommendationVerb.SUPERSEDED, note="The agent now holds the skill.",
    )


def supersede_recommendations(*, user: User, skill: Skill) -> int:
    """Close the pending recommendation of ``skill`` for ``user`` (who now holds it).

    Lives beside :func:`award_skill`, its caller: the recommender calls down to awards,
    never the other way. Locks the pending rows."""
    pending = list(SkillRecommendation.objects.select_for_update().filter(
        user=user, skill=skill, state=RecommendationState.PENDING))
    for rec in pending:
        supersede_recommendation(rec, when=timezone.now())
    return len(pending)


@transaction.atomic
def lower_skill(
    *,
    user: User,
    skill: Skill,
    level: SkillLevel | None,
    actor: User,
    source: str = Source.MANUAL,
    cause: Cause = None,
    note: str = "",
) -> UserSkill | None:
    """Lower the level ``user`` holds ``skill`` at, or remove it when ``level`` is None.

    The explicit counterpart of :func:`award_skill`; records one history line. Returns the
    holding, or None when removed. Locks the holding row.
    """
    source = Source(source)
    _check_same_tenant(user=user, skill=skill, level=level)
    held = _locked_holding(user, skill)
    if held is None:
        raise SkillError(f"{user} does not hold “{skill.name}”, so there is nothing to lower.")
    previous = held.level
    if level is None:
        held.delete()
        _record(user=user, skill=skill, kind=ChangeKind.REMOVED, from_level=previous,
                to_level=None, source=source, actor=actor, cause=cause, note=note)
        return None
    if level.rank >= previous.rank:
        raise SkillError(
            f"{user} holds “{skill.name}” at {previous.name}; {level.name} is not lower."
        )
    held.level, held.source, held.awarded_by = level, source, actor
    held.changed_at = timezone.now()
    held.save(update_fields=["level", "source", "awarded_by", "changed_at"])
    _record(user=user, skill=skill, kind=ChangeKind.LOWERED, from_level=previous, to_level=level,
            source=source, actor=actor, cause=cause, note=note)
    return held


@transaction.atomic
def set_skill_level(
    *,
    user: User,
    skill: Skill,
    level: SkillLevel | None,
    actor: User,
    allow_lower: bool,
    note: str = "",
) -> UserSkill | None:
    """A manager's direct edit (the skill matrix): award, raise, or — when ``allow_lower``
    confirms it — lower or remove. Refuses a lowering that was not confirmed."""
    held = UserSkill.objects.select_related("level").filter(user=user, skill=skill).first()
    lowering = held is not None and (level is None or level.rank < held.level.rank)
    if level is None and held is None:
        return None
    if lowering:
        if not allow_lower:
            target = level.name if level is not None else "removed"
            raise SkillError(
                f"{user} holds “{skill.name}” at {held.level.name}. Lowering it ({target}) "
                "must be confirmed: tick “Lower the level”."
            )
        return lower_skill(user=user, skill=skill, level=level, actor=actor, note=note)
    return award_skill(user=user, skill=skill, level=level, source=Source.MANUAL, actor=actor,
                       note=note)
