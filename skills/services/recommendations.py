"""Skill recommendations from resolved work: the rule, the rebuilds and the lifecycle.

- :func:`rebuild_recommendations` (nightly, ``manage.py recommend_skills``) refits the
  tenant's text index on its tagged resolved items, predicts the skills of the untagged
  ones, then applies the rule to every agent.
- :func:`update_recommendations_for_item` (work-event handler) scores one resolved item
  against the stored index (one query, no refit) and applies the rule to its agent only.
- The rule (:func:`apply_recommendation_rule`): per agent (``resolved_by``, else
  ``assigned_to``) and skill the agent does not hold, count the resolved items needing it
  (tagged, or predicted); at the threshold keep one pending recommendation with the count
  and the evidence, and e-mail the coaches of the agent's teams when it is new. A rejected
  recommendation blocks that agent and skill for good (until an org admin reopens it).
- Decisions: approve (award the lowest level, source recommendation), reject, reopen;
  holding the skill by any other path supersedes a pending recommendation.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenancy.models import Organization, User
from tenancy.selectors import coaches_of
from work.enums import DONE_STATES
from work.models import WorkItem

from ..enums import RecommendationState, RecommendationVerb, Source
from ..errors import SkillError
from ..models import (
    RecommendationActivity,
    RecommenderIndex,
    Skill,
    SkillRecommendation,
    UserSkill,
    WorkItemPrediction,
    WorkItemSkill,
)
from ..recommender import TextIndex, item_text, predict
from .awards import award_skill, supersede_recommendation
from .catalogue import ensure_level_scale

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 100  # evidence items kept per recommendation (the count keeps the total)


# ------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class RecommenderSettings:
    """``Organization.settings["recommender"]``; every key is optional."""

    threshold: int = 10  # resolved items needing a skill before it is recommended
    similarity_threshold: float = 0.3  # cosine a tagged neighbour needs to count
    neighbours: int = 5  # tagged neighbours consulted per untagged item
    min_score: float = 0.5  # share of the neighbours' similarity a predicted skill needs
    attribute_keys: tuple[str, ...] = ()  # attributes whose values join the text


def recommender_settings(organization: Organization) -> RecommenderSettings:
    raw = (organization.settings or {}).get("recommender") or {}
    defaults = RecommenderSettings()
    try:
        return RecommenderSettings(
            threshold=max(1, int(raw.get("threshold", defaults.threshold))),
            similarity_threshold=float(raw.get("similarity_threshold",
                                               defaults.similarity_threshold)),
            neighbours=max(1, int(raw.get("neighbours", defaults.neighbours))),
            min_score=float(raw.get("min_score", defaults.min_score)),
            attribute_keys=tuple(str(k) for k in raw.get("attribute_keys", ())),
        )
    except (TypeError, ValueError):
        logger.warning("Invalid recommender settings for %s; using defaults.", organization.slug)
        return defaults


# ------------------------------------------------------------------------ the rule


@dataclass
class RuleReport:
    created: list[SkillRecommendation] = field(default_factory=list)
    updated: int = 0
    superseded: int = 0


@dataclass(frozen=True)
class _Evidence:
    work_item: int
    external_id: str
    score: float
    tagged: bool
    neighbours: list

    def as_dict(self) -> dict:
        return {"work_item": self.work_item, "external_id": self.external_id,
                "score": self.score, "tagged": self.tagged, "neighbours": self.neighbours}


def _resolved(organization: Organization):
    return WorkItem.objects.filter(organization=organization, state__in=DONE_STATES)


def _evidence_by_agent_and_skill(
    organization: Organization, agent_ids: set[int] | None, skill_ids: set[int] | None
) -> dict[tuple[int, int], list[_Evidence]]:
    # The agent is the item's stored ``credited_to`` (resolver, else assignee), filtered
    # with the item's organization and state: the shape of its ``workitem_org_credited``
    # index, so one agent's resolved items are an index range, not a scan of every item.
    agent = F("work_item__credited_to")
    found: dict[tuple[int, int], list[_Evidence]] = defaultdict(list)
    sources = (
        (WorkItemSkill.objects.filter(organization=organization), True),
        (WorkItemPrediction.objects.filter(organization=organization), False),
    )
    for queryset, tagged in sources:
        rows = (queryset.filter(work_item__organization=organization,
                                work_item__state__in=DONE_STATES)
                .annotate(agent=agent))
        rows = rows.filter(agent__isnull=False)
        if agent_ids is not None:
            rows = rows.filter(agent__in=agent_ids)
        if skill_ids is not None:
            rows = rows.filter(skill_id__in=skill_ids)
        fields = ["agent", "skill_id", "work_item_id", "work_item__external_id"]
        if not tagged:
            fields += ["score", "neighbours"]
        for row in rows.values_list(*fields):
            score, neighbours = (1.0, []) if tagged else (row[4], row[5])
            found[(row[0], row[1])].append(_Evidence(row[2], row[3], score, tagged, neighbours))
    return found


@transaction.atomic
def apply_recommendation_rule(
    *,
    organization: Organization,
    agent_ids: set[int] | None = None,
    skill_ids: set[int] | None = None,
    threshold: int | None = None,
) -> RuleReport:
    """Create or refresh the pending recommendations of these agents and skills (all when
    None); each (agent, skill) pair is decided on its own, so a subset gives the same
    answer for its pairs as a full run.

    ``threshold`` replaces the tenant default for this run; a skill's own threshold still
    wins. New recommendations e-mail the agent's coaches after commit.
    """
    config = recommender_settings(organization)
    default_threshold = threshold if threshold is not None else config.threshold
    evidence = _evidence_by_agent_and_skill(organization, agent_ids, skill_ids)
    open_recs = SkillRecommendation.objects.select_for_update().filter(
        organization=organization,
        state__in=[RecommendationState.PENDING, RecommendationState.REJECTED],
    )
    if agent_ids is not None:
        open_recs = open_recs.filter(user_id__in=agent_ids)
    if skill_ids is not None:
        open_recs = open_recs.filter(skill_id__in=skill_ids)
    existing = {(r.user_id, r.skill_id): r for r in open_recs}
    users = {u for u, _ in evidence} | {u for u, _ in existing}
    held = set(UserSkill.objects.filter(organization=organization, user_id__in=users)
               .values_list("user_id", "skill_id"))
    skills = Skill.objects.filter(organization=organization, active=True)
    if skill_ids is not None:
        skills = skills.filter(pk__in=skill_ids)
    skills = {s.pk: s for s in skills}
    report = RuleReport()
    now = timezone.now()
    for (user_id, skill_id), rec in existing.items():
        if rec.is_pending and (user_id, skill_id) in held:
            supersede_recommendation(rec, when=now)
            report.superseded += 1
    for (user_id, skill_id), items in sorted(evidence.items()):
        skill = skills.get(skill_id)
        rec = existing.get((user_id, skill_id))
        if skill is None or (user_id, skill_id) in held:
            continue
        if rec is not None and not rec.is_pending:
            continue  # rejected: never again for this agent and skill
        needed = skill.recommendation_threshold or default_threshold
        if len(items) < needed:
            continue
        items.sort(key=lambda e: (-e.score, e.external_id))
        values = {
            "count": len(items), "threshold": needed,
            "score": round(sum(e.score for e in items) / len(items), 4),
            "evidence": [e.as_dict() for e in items[:MAX_EVIDENCE]],
        }
        if rec is None:
            rec = SkillRecommendation.objects.create(
                organization=organization, user_id=user_id, skill=skill, **values
            )
            _log(rec, RecommendationVerb.CREATED,
                 note=f"{rec.count} resolved items against a threshold of {needed}.")
            _notify_coaches(rec)
            report.created.append(rec)
        elif any(getattr(rec, k) != v for k, v in values.items()):
            note = f"Count {rec.count} → {values['count']}." if rec.count != values["count"] else ""
            for key, value in values.items():
                setattr(rec, key, value)
            rec.save(update_fields=[*values, "updated_at"])
            _log(rec, RecommendationVerb.UPDATED, note=note)
            report.updated += 1
    return report


# ------------------------------------------------------------------------ index


@dataclass
class RebuildReport:
    resolved: int = 0
    tagged: int = 0
    predicted: int = 0  # untagged items given at least one skill
    rule: RuleReport = field(default_factory=RuleReport)


def _texts(rows, keys) -> list[str]:
    return [item_text(short_description=r[1], description=r[2], category=r[3],
                      subcategory=r[4], attributes=r[5], attribute_keys=keys) for r in rows]


def _prediction_rows(organization, index, item_ids, texts, config) -> list[WorkItemPrediction]:
    if index is None or not item_ids:
        return []
    skills_of = index.skills_by_item()
    rows = []
    for item_id, found in zip(item_ids, index.neighbours(
            texts, k=config.neighbours, min_similarity=config.similarity_threshold),
            strict=True):
        for p in predict(found, skills_of, min_score=config.min_score):
            rows.append(WorkItemPrediction(
                organization=organization, work_item_id=item_id, skill_id=p.skill_id,
                score=p.score, neighbours=[list(n) for n in p.neighbours],
            ))
    return rows


_TEXT_FIELDS = ("id", "short_description", "description", "category", "subcategory",
                "attributes")


def rebuild_recommendations(
    *, organization: Organization, threshold: int | None = None
) -> RebuildReport:
    """Refit the index, recompute every prediction, then apply the rule to all agents.

    Reads outside the write transaction; replaces the predictions and the stored index and
    applies the rule in one transaction (locks the tenant's open recommendations).
    """
    config = recommender_settings(organization)
    tags: dict[int, set[int]] = defaultdict(set)
    for item_id, skill_id in WorkItemSkill.objects.filter(
            organization=organization, work_item__state__in=DONE_STATES,
            skill__active=True).values_list("work_item_id", "skill_id"):
        tags[item_id].add(skill_id)
    rows = list(_resolved(organization).order_by("id").values_list(*_TEXT_FIELDS))
    tagged_rows = [r for r in rows if r[0] in tags]
    untagged_rows = [r for r in rows if r[0] not in tags]
    index = TextIndex.fit(texts=_texts(tagged_rows, config.attribute_keys),
                          item_ids=[r[0] for r in tagged_rows],
                          skills=[tags[r[0]] for r in tagged_rows])
    predictions = _prediction_rows(organization, index, [r[0] for r in untagged_rows],
                                   _texts(untagged_rows, config.attribute_keys), config)
    with transaction.atomic():
        WorkItemPrediction.objects.filter(organization=organization).delete()
        WorkItemPrediction.objects.bulk_create(predictions, batch_size=5000)
        RecommenderIndex.objects.filter(organization=organization).delete()
        if index is not None:
            RecommenderIndex.objects.create(organization=organization, built_at=timezone.now(),
                                            item_count=len(index), blob=index.dumps())
        rule = apply_recommendation_rule(organization=organization, threshold=threshold)
    return RebuildReport(resolved=len(rows), tagged=len(tagged_rows),
                         predicted=len({p.work_item_id for p in predictions}), rule=rule)


_index_cache: dict[int, tuple[object, TextIndex]] = {}


def _stored_index(organization: Organization) -> TextIndex | None:
    """The tenant's index: one query for its stamp, the blob only when it changed."""
    stamp = (RecommenderIndex.objects.filter(organization=organization)
             .values_list("built_at", flat=True).first())
    if stamp is None:
        return None
    cached = _index_cache.get(organization.pk)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    blob = (RecommenderIndex.objects.filter(organization=organization)
            .values_list("blob", flat=True).first())
    if blob is None:
        return None
    index = TextIndex.loads(bytes(blob))
    _index_cache[organization.pk] = (stamp, index)
    return index


@transaction.atomic
def update_recommendations_for_item(*, organization: Organization,
                                    work_item: WorkItem) -> RuleReport | None:
    """Re-predict one resolved item against the stored index and re-apply the rule to its
    agent. Does nothing for an item that is not resolved or has no agent."""
    if work_item.state not in DONE_STATES:
        return None
    agent_id = work_item.resolved_by_id or work_item.assigned_to_id
    before = set(WorkItemPrediction.objects.filter(work_item=work_item)
                 .values_list("skill_id", flat=True))
    if before:
        WorkItemPrediction.objects.filter(work_item=work_item).delete()
    skill_ids = set(WorkItemSkill.objects.filter(work_item=work_item)
                    .values_list("skill_id", flat=True))
    if not skill_ids:
        config = recommender_settings(organization)
        row = (work_item.pk, work_item.short_description, work_item.description,
               work_item.category, work_item.subcategory, work_item.attributes)
        predictions = _prediction_rows(organization, _stored_index(organization),
                                       [work_item.pk], _texts([row], config.attribute_keys),
                                       config)
        WorkItemPrediction.objects.bulk_create(predictions)
        skill_ids = {p.skill_id for p in predictions}
    if agent_id is None or not (skill_ids | before):
        return None
    # Only this agent's counts for the skills this item touches can have changed.
    return apply_recommendation_rule(organization=organization, agent_ids={agent_id},
                                     skill_ids=skill_ids | before)


# ------------------------------------------------------------------------ lifecycle


def _log(rec: SkillRecommendation, verb: str, *, actor: User | None = None,
         note: str = "") -> None:
    RecommendationActivity.objects.create(organization_id=rec.organization_id,
                                          recommendation=rec, verb=verb, actor=actor, note=note)


def recommendation_link(rec: SkillRecommendation) -> str:
    return settings.SITE_URL + reverse("skills:recommendation_detail", kwargs={
        "org_slug": rec.organization.slug, "pk": rec.pk})


def _notify_coaches(rec: SkillRecommendation) -> None:
    agent = User.objects.get(pk=rec.user_id)
    recipients = [c.email for c in coaches_of(rec.organization, agent) if c.email]
    if not recipients:
        return
    body = render_to_string("skills/email/recommendation_created.txt", {
        "rec": rec, "agent": agent, "organization": rec.organization,
        "link": recommendation_link(rec),
    })
    subject = f"Skill recommendation: {rec.skill.name} for {agent}"
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def _locked(rec: SkillRecommendation, state: str) -> SkillRecommendation:
    locked = (SkillRecommendation.objects.select_for_update(of=("self",))
              .select_related("user", "skill", "organization").get(pk=rec.pk))
    if locked.state != state:
        raise SkillError(
            f"This recommendation is already {locked.get_state_display().lower()}; "
            "nothing changed."
        )
    return locked


def _check_decider(rec: SkillRecommendation, user: User) -> None:
    if user.pk == rec.user_id:
        raise SkillError("You cannot decide a recommendation for yourself; your coach does.")
    if not user.has_perm("skills.decide_recommendation", rec):
        raise SkillError(f"Only a coach of {rec.user}'s teams can decide this recommendation.")


@transaction.atomic
def approve_recommendation(*, recommendation: SkillRecommendation, decided_by: User,
                           comment: str = "") -> SkillRecommendation:
    """Approve: award the skill at the lowest level of the scale (source recommendation).
    Locks the recommendation row."""
    rec = _locked(recommendation, RecommendationState.PENDING)
    _check_decider(rec, decided_by)
    rec.approve(decided_by=decided_by, comment=comment.strip(), when=timezone.now())
    rec.save()
    lowest = ensure_level_scale(organization=rec.organization)[0]
    award_skill(user=rec.user, skill=rec.skill, level=lowest, source=Source.RECOMMENDATION,
                actor=decided_by, cause=rec)
    _log(rec, RecommendationVerb.APPROVED, actor=decided_by, note=rec.decision_comment)
    return rec


@transaction.atomic
def reject_recommendation(*, recommendation: SkillRecommendation, decided_by: User,
                          comment: str = "") -> SkillRecommendation:
    """Reject: this skill is never recommended to this agent again (unless reopened)."""
    rec = _locked(recommendation, RecommendationState.PENDING)
    _check_decider(rec, decided_by)
    rec.reject(decided_by=decided_by, comment=comment.strip(), when=timezone.now())
    rec.save()
    _log(rec, RecommendationVerb.REJECTED, actor=decided_by, note=rec.decision_comment)
    return rec


@transaction.atomic
def reopen_recommendation(*, recommendation: SkillRecommendation, reopened_by: User,
                          reason: str) -> SkillRecommendation:
    """An org admin puts a rejected recommendation back to pending, saying why."""
    reason = reason.strip()
    if not reason:
        raise SkillError("Say why the rejection is reopened; the reason is recorded.")
    rec = _locked(recommendation, RecommendationState.REJECTED)
    if not reopened_by.has_perm("skills.reopen_recommendation", rec):
        raise SkillError("Only an org admin can reopen a rejected recommendation.")
    rec.reopen()
    rec.save()
    _log(rec, RecommendationVerb.REOPENED, actor=reopened_by, note=reason)
    return rec
