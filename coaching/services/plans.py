"""Behaviour coaching plans (issue 18): create one (a draft), send it (the agent gets an
e-mail with a direct link), the agent opens it, meeting notes, delete, and the beat task's
decision at the target date; plus the thumbs up/down on generated advice.

Every status change locks the plan row (``SELECT … FOR UPDATE``), re-checks with
``can_proceed`` and transitions, so two sends (or two beat runs) at once move it once.
At the target date a plan that was sent is decided from the behaviour's score over
``start_date…target_date`` (:func:`coaching.selectors_behaviours.behaviour_score`):
**Improvement** when the score reached the target with at least the tenant's minimum of
reviews, else **Action required**, saying why ("missed the target" or "too little data").
"""

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from quality.models import BestResponse
from quality.services.evaluations import agent_of
from tenancy.errors import DomainError
from tenancy.models import Membership, Organization, User
from tenancy.selectors import coachable_agents, sees_everything
from tenancy.services import password_set_link
from tenancy.validation import LONG_TEXT
from work.models import WorkItem

from ..models import (
    PLAN_RUNNING,
    AdviceFeedback,
    CoachingPlan,
    PlanExample,
    PlanExampleKind,
    PlanNote,
    PlanStatus,
)
from ..selectors_behaviours import behaviour_score, scoring_of

MAX_EXAMPLES = 10


class PlanError(DomainError):
    """A coaching plan action is not possible; ``message`` says why, for a person."""


def today_for(organization: Organization) -> date:
    return timezone.localdate(timezone=organization.tzinfo)


def plan_link(plan: CoachingPlan) -> str:
    """The plan's absolute address (the e-mail's direct link)."""
    return settings.SITE_URL + reverse("coaching:plan_detail", kwargs={
        "org_slug": plan.organization.slug, "pk": plan.pk})


def check_may_plan_for(*, organization: Organization, manager: User, agent: User | None) -> None:
    """Refuse an agent who is not a member here, the manager themselves, or an agent the
    manager may not coach (org admins plan for every member, coaches for the agents of the
    teams they coach)."""
    if agent is None or not Membership.objects.filter(organization=organization,
                                                     user=agent).exists():
        raise PlanError("This agent is not a member of your organization.", field="agent")
    if agent.pk == manager.pk:
        raise PlanError("You cannot send yourself a coaching plan.", field="agent")
    if sees_everything(organization, manager):
        return
    if not coachable_agents(organization, manager).filter(user_id=agent.pk).exists():
        raise PlanError(f"You may not coach {agent}: they are not in a team you coach.",
                        field="agent")


def _check_target(organization: Organization, target_percent, target_date) -> None:
    if isinstance(target_percent, bool) or not isinstance(target_percent, int) \
            or not 0 <= target_percent <= 100:
        raise PlanError("The target goal is a whole percentage from 0 to 100.",
                        field="target_percent")
    if target_date is None:
        raise PlanError("Choose a target date.", field="target_date")
    today = today_for(organization)
    if target_date < today:
        raise PlanError(f"The target date ({target_date:%d %b %Y}) is in the past; choose "
                        f"today ({today:%d %b %Y}) or a later day.", field="target_date")


def _examples(organization: Organization, agent: User, attribute_key: str,
              example_ids: Iterable[int]) -> list[tuple[WorkItem, str]]:
    """The chosen interactions: the agent's own (a weak example) or a best response
    bookmarked for the behaviour (a best example); anything else is refused."""
    ids = list(dict.fromkeys(int(pk) for pk in example_ids))
    if len(ids) > MAX_EXAMPLES:
        raise PlanError(f"Attach at most {MAX_EXAMPLES} example interactions.",
                        field="examples")
    items = {item.pk: item for item in WorkItem.objects.filter(
        organization=organization, pk__in=ids).select_related("resolved_by", "assigned_to")}
    best = set(BestResponse.objects.filter(organization=organization, attribute_key=attribute_key,
                                           interaction_id__in=ids)
               .values_list("interaction_id", flat=True))
    chosen = []
    for pk in ids:
        item = items.get(pk)
        if item is None:
            raise PlanError(f"Interaction {pk} is not one of your organization's.",
                            field="examples")
        if pk in best:
            chosen.append((item, PlanExampleKind.BEST))
        elif agent_of(item) == agent:
            chosen.append((item, PlanExampleKind.WEAK))
        else:
            raise PlanError(f"{item.label} is neither {agent}'s interaction nor a best "
                            "response for this behaviour.", field="examples")
    return chosen


@transaction.atomic
def create_plan(
    *, organization: Organization, manager: User, agent: User, attribute_key: str,
    advice: str, target_percent: int, target_date: date, example_ids: Iterable[int] = (),
    advice_variant: str = "",
) -> CoachingPlan:
    """A draft plan for one behaviour of the default scorecard with its example
    interactions. Nothing is sent (see :func:`send_plan`)."""
    check_may_plan_for(organization=organization, manager=manager, agent=agent)
    attribute = scoring_of(organization).attribute(attribute_key or "")
    if attribute is None:
        raise PlanError(f"“{attribute_key}” is not a behaviour of the scorecard.",
                        field="attribute_key")
    advice = (advice or "").strip()
    if not advice:
        raise PlanError("Write the advice to send.", field="advice")
    if len(advice) > LONG_TEXT:
        raise PlanError(f"The advice is longer than {LONG_TEXT:,} characters.", field="advice")
    _check_target(organization, target_percent, target_date)
    examples = _examples(organization, agent, attribute.key, example_ids)
    plan = CoachingPlan.objects.create(
        organization=organization, agent=agent, manager=manager, attribute_key=attribute.key,
        attribute_name=attribute.name[:150], advice=advice,
        advice_variant=(advice_variant or "")[:100], target_percent=target_percent,
        target_date=target_date,
    )
    PlanExample.objects.bulk_create([
        PlanExample(organization=organization, plan=plan, interaction=item, kind=kind)
        for item, kind in examples])
    return plan


def _locked(plan: CoachingPlan) -> CoachingPlan:
    return (CoachingPlan.objects.select_for_update(of=("self",))
            .select_related("agent", "manager", "organization").get(pk=plan.pk))


def _refuse_deleted(plan: CoachingPlan) -> None:
    if plan.deleted_at is not None:
        raise PlanError("This coaching plan was deleted.")


@transaction.atomic
def send_plan(*, plan: CoachingPlan, actor: User) -> CoachingPlan:
    """Draft → Shared: the plan starts today; the agent is e-mailed the advice with a
    direct link after commit (and a link to choose a password when they have none yet).
    Refuses a target date that passed while it was a draft."""
    plan = _locked(plan)
    _refuse_deleted(plan)
    check_may_plan_for(organization=plan.organization, manager=actor, agent=plan.agent)
    if not can_proceed(plan.share):
        raise PlanError(f"This plan was already sent (it is {plan.get_status_display()}).")
    today = today_for(plan.organization)
    if plan.target_date < today:
        raise PlanError(f"The target date ({plan.target_date:%d %b %Y}) has passed; choose a "
                        "later one in a new plan.", field="target_date")
    plan.share(today)
    plan.save()
    if plan.agent.email:
        # An agent who never chose a password (imported with their work) could not follow
        # the link: the e-mail carries a link to choose one first.
        set_password = (None if plan.agent.has_usable_password()
                        else password_set_link(plan.agent, base_url=settings.SITE_URL))
        body = render_to_string("coaching/email/plan_sent.txt", {
            "plan": plan, "link": plan_link(plan), "manager": actor,
            "set_password": set_password,
            "set_password_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)})
        subject = f"Coaching plan: {plan.attribute_name}"
        recipients = [plan.agent.email]
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
    return plan


@transaction.atomic
def open_plan(*, plan: CoachingPlan, user: User) -> CoachingPlan:
    """Shared → Working on it when the agent themselves opens it; anyone else opening it
    (or a plan in another status) changes nothing."""
    if user.pk != plan.agent_id or plan.status != PlanStatus.SHARED:
        return plan
    plan = _locked(plan)
    if plan.deleted_at is None and can_proceed(plan.acknowledge):
        plan.acknowledge()
        plan.save()
    return plan


@transaction.atomic
def add_note(*, plan: CoachingPlan, author: User, text: str) -> PlanNote:
    """A meeting note, until the target date (included), on a plan that was sent."""
    plan = _locked(plan)
    _refuse_deleted(plan)
    check_may_plan_for(organization=plan.organization, manager=author, agent=plan.agent)
    text = (text or "").strip()
    if not text:
        raise PlanError("Write the note.", field="text")
    if len(text) > LONG_TEXT:
        raise PlanError(f"The note is longer than {LONG_TEXT:,} characters.", field="text")
    if plan.status == PlanStatus.DRAFT:
        raise PlanError("Send the plan before adding meeting notes.", field="text")
    today = today_for(plan.organization)
    if today > plan.target_date:
        raise PlanError(f"The coaching period ended on {plan.target_date:%d %b %Y}; notes can "
                        "no longer be added.", field="text")
    return PlanNote.objects.create(organization=plan.organization, plan=plan, author=author,
                                   text=text)


@transaction.atomic
def delete_plan(*, plan: CoachingPlan, actor: User) -> CoachingPlan:
    """Soft delete, recorded (who and when): the plan leaves every page and the beat task."""
    plan = _locked(plan)
    _refuse_deleted(plan)
    check_may_plan_for(organization=plan.organization, manager=actor, agent=plan.agent)
    plan.deleted_at = timezone.now()
    plan.deleted_by = actor
    plan.save(update_fields=["deleted_at", "deleted_by"])
    return plan


def _outcome(plan: CoachingPlan) -> tuple[str, float | None, int, str]:
    """``(transition, score, n, note)`` of a plan whose period ended."""
    estimate = behaviour_score(plan.organization, plan.agent, plan.attribute_key,
                               plan.start_date or plan.target_date, plan.target_date)
    minimum = scoring_of(plan.organization).minimum
    if not estimate.enough or estimate.value is None:
        return ("require_action", estimate.value, estimate.n,
                f"too little data: {estimate.n} of {minimum} reviews")
    score = round(estimate.value, 1)
    if estimate.value >= plan.target_percent:
        return ("improve", score, estimate.n,
                f"reached the target: {score:g} % ≥ {plan.target_percent} %")
    return ("require_action", score, estimate.n,
            f"missed the target: {score:g} % < {plan.target_percent} %")


def evaluate_due_plans(*, organization: Organization, today: date | None = None) -> int:
    """Decide every sent plan whose target date is before ``today`` (the tenant's today by
    default): Improvement or Action required. Each plan in its own transaction, locked and
    re-checked (safe to run twice). Returns how many were decided."""
    today = today or today_for(organization)
    due = list(CoachingPlan.objects.filter(
        organization=organization, status__in=PLAN_RUNNING, deleted_at__isnull=True,
        target_date__lt=today).order_by("target_date", "id").values_list("pk", flat=True))
    decided = 0
    for pk in due:
        with transaction.atomic():
            plan = (CoachingPlan.objects.select_for_update(of=("self",))
                    .select_related("agent", "organization").filter(pk=pk).first())
            if plan is None or plan.deleted_at is not None or plan.status not in PLAN_RUNNING:
                continue
            name, score, n, note = _outcome(plan)
            if name == "improve":
                plan.improve(score, n, note)
            else:
                plan.require_action(score, n, note)
            plan.save()
            decided += 1
    return decided


@transaction.atomic
def record_advice_feedback(*, organization: Organization, user: User, attribute_key: str,
                           variant_key: str, vote: int) -> AdviceFeedback:
    """A thumbs up (+1) or down (−1) on an advice variant; voting again replaces the
    user's vote. Steers which variants :func:`coaching.advice.compose_advice` offers first."""
    if vote not in (1, -1):
        raise PlanError("Give a thumbs up or a thumbs down.", field="vote")
    attribute_key, variant_key = (attribute_key or "").strip(), (variant_key or "").strip()
    if not attribute_key or not variant_key or len(variant_key) > 100:
        raise PlanError("This advice cannot be rated; refresh it and try again.")
    try:
        with transaction.atomic():
            feedback, _ = AdviceFeedback.objects.update_or_create(
                organization=organization, user=user, attribute_key=attribute_key,
                variant_key=variant_key,
                defaults={"vote": vote, "created_at": timezone.now()})
    except IntegrityError:  # the same vote twice at once: the other one stands
        feedback = AdviceFeedback.objects.get(organization=organization, user=user,
                                              attribute_key=attribute_key,
                                              variant_key=variant_key)
    return feedback


# --- the optional outside advice provider (per tenant, off by default) -----------------

PROVIDER_TIMEOUT = (1.0, 30.0)
MAX_URL, MAX_MODEL, MAX_API_KEY = 500, 200, 500


@transaction.atomic
def update_advice_provider(
    *, organization: Organization, enabled: bool, url: str = "", model: str = "",
    api_key: str | None = None, clear_api_key: bool = False, timeout_seconds: float = 5.0,
) -> Organization:
    """Save the tenant's advice provider (every field at once; errors name their field).

    ``api_key``: ``None`` or empty keeps the stored key, ``clear_api_key`` removes it; a
    new key is stored sealed (:mod:`coaching.sealed`), never in clear. Turning it on needs
    an http(s) URL and a model. Locks the organization row so a concurrent save of another
    settings key is not lost."""
    from urllib.parse import urlsplit

    from tenancy.sealed import seal

    from ..advice_provider import PURPOSE, advice_provider_settings

    url, model = (url or "").strip(), (model or "").strip()
    if url:
        parts = urlsplit(url)
        if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
            raise PlanError(f"The advice service's URL starts with http:// or https:// (at "
                            f"most {MAX_URL} characters).", field="url")
    if len(model) > MAX_MODEL:
        raise PlanError(f"The model name is longer than {MAX_MODEL} characters.", field="model")
    if api_key and len(api_key) > MAX_API_KEY:
        raise PlanError(f"The API key is longer than {MAX_API_KEY} characters.",
                        field="api_key")
    low, high = PROVIDER_TIMEOUT
    if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, (int, float)) \
            or not low <= timeout_seconds <= high:
        raise PlanError(f"The timeout is {low:g} to {high:g} seconds.", field="timeout_seconds")
    if enabled and not url:
        raise PlanError("Give the advice service's URL to turn it on.", field="url")
    if enabled and not model:
        raise PlanError("Give the advice service's model to turn it on.", field="model")
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    sealed = advice_provider_settings(locked).api_key_sealed
    if clear_api_key:
        sealed = ""
    elif api_key and api_key.strip():
        sealed = seal(api_key.strip(), purpose=PURPOSE)
    current = locked.settings or {}
    locked.settings = {**current, "coaching": {
        **(current.get("coaching") or {}),
        "advice_provider": {"enabled": bool(enabled), "url": url, "model": model,
                            "api_key_sealed": sealed, "timeout_seconds": float(timeout_seconds)},
    }}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return organization
