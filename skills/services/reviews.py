"""Skill self-reviews: an agent asks for a skill (or a higher level), a coach decides.

Requests e-mail the agent's coaches; decisions e-mail the agent. Links in e-mails are
absolute (``settings.SITE_URL``). Each decision locks the review row.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenancy.models import User
from tenancy.selectors import coaches_of

from ..enums import ReviewState, Source
from ..errors import SkillError
from ..models import Skill, SkillLevel, SkillReview, UserSkill
from .awards import _check_same_tenant, award_skill


def _absolute(name: str, organization, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"org_slug": organization.slug, **kwargs})


def _mail_after_commit(subject: str, template: str, context: dict, recipients: list[str]) -> None:
    recipients = [r for r in recipients if r]
    if not recipients:
        return
    body = render_to_string(template, context)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


@transaction.atomic
def request_skill_review(
    *,
    user: User,
    skill: Skill,
    level: SkillLevel,
    justification: str,
    requested_by: User,
) -> SkillReview:
    """Open a review asking for ``skill`` at ``level`` for ``user`` (who must be the asker).

    E-mails the coaches of the user's teams after commit.
    """
    if requested_by.pk != user.pk:
        raise SkillError("You can only ask for a review of your own skills.")
    _check_same_tenant(user=user, skill=skill, level=level)
    if not skill.active:
        raise SkillError(f"“{skill.name}” is retired; choose another skill.")
    justification = justification.strip()
    if not justification:
        raise SkillError("Say why you should hold this skill at this level.")
    held = UserSkill.objects.select_related("level").filter(user=user, skill=skill).first()
    if held is not None and held.level.rank >= level.rank:
        raise SkillError(
            f"You already hold “{skill.name}” at {held.level.name}; ask for a higher level."
        )
    if SkillReview.objects.filter(user=user, skill=skill, state=ReviewState.REQUESTED).exists():
        raise SkillError(f"You already have an open request for “{skill.name}”.")
    review = SkillReview.objects.create(
        organization_id=skill.organization_id, user=user, skill=skill, level=level,
        held_level=held.level if held else None, justification=justification,
    )
    organization = skill.organization
    coaches = coaches_of(organization, user)
    _mail_after_commit(
        f"Skill review: {user} asks for {skill.name} ({level.name})",
        "skills/email/review_requested.txt",
        {"review": review, "organization": organization,
         "link": _absolute("skills:review_detail", organization, pk=review.pk)},
        [c.email for c in coaches],
    )
    return review


def _locked(review: SkillReview) -> SkillReview:
    locked = (
        SkillReview.objects.select_for_update(of=("self",))
        .select_related("user", "skill", "level", "organization")
        .get(pk=review.pk)
    )
    if locked.state != ReviewState.REQUESTED:
        raise SkillError(
            f"This request is already {locked.get_state_display().lower()}; nothing changed."
        )
    return locked


def _check_decider(review: SkillReview, decided_by: User) -> None:
    if decided_by.pk == review.user_id:
        raise SkillError("You cannot decide your own skill review; your coach does.")
    if not decided_by.has_perm("skills.decide_review", review):
        raise SkillError(f"Only a coach of {review.user}'s teams can decide this request.")


def _notify_agent(review: SkillReview) -> None:
    _mail_after_commit(
        f"Your skill review for {review.skill.name} was {review.get_state_display().lower()}",
        "skills/email/review_decided.txt",
        {"review": review, "organization": review.organization,
         "link": _absolute("skills:my_skills", review.organization)},
        [review.user.email],
    )


@transaction.atomic
def approve_skill_review(
    *, review: SkillReview, decided_by: User, comment: str = ""
) -> SkillReview:
    """Approve: award the skill at the requested level (source review), e-mail the agent."""
    review = _locked(review)
    _check_decider(review, decided_by)
    review.approve(decided_by=decided_by, comment=comment.strip(), when=timezone.now())
    review.save()
    award_skill(user=review.user, skill=review.skill, level=review.level, source=Source.REVIEW,
                actor=decided_by, cause=review)
    _notify_agent(review)
    return review


@transaction.atomic
def reject_skill_review(*, review: SkillReview, decided_by: User, comment: str) -> SkillReview:
    """Reject with a comment the agent reads; e-mail the agent."""
    comment = comment.strip()
    if not comment:
        raise SkillError("Tell the agent why: a rejection needs a comment.")
    review = _locked(review)
    _check_decider(review, decided_by)
    review.reject(decided_by=decided_by, comment=comment, when=timezone.now())
    review.save()
    _notify_agent(review)
    return review


@transaction.atomic
def withdraw_skill_review(*, review: SkillReview, withdrawn_by: User) -> SkillReview:
    review = _locked(review)
    if withdrawn_by.pk != review.user_id:
        raise SkillError("Only the person who asked can withdraw a request.")
    review.withdraw(when=timezone.now())
    review.save()
    return review
