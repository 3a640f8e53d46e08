"""Skill recommendations from resolved work: the rule, the rebuilds and the lifecycle.

- :func:`rebuild_recommendations` (nightly, ``manage.py recommend_skills``) refits the
  tenant's text index on its tagged resolved items, predicts the skills of the untagged
  ones, then applies the rule to every agent.
- :func:`update_recommendations_for_items` (work-event handler, per batch of events)
  scores resolved items against the stored index (no refit) and applies the rule to the
  (agent, skill) pairs they touch only.
- The rule (:func:`apply_recommendation_rule`): per agent (``resolved_by``, else
  ``assigned_to``) and skill the agent does not hold, count the resolved items needing it
  (tagged, or predicted); at the threshold keep one pending recommendation with the count
  and the evidence, and e-mail the coaches of the agent's teams when it is new. A rejected
  recommendation blocks that agent and skill for good (until an org admin reopens it).
- Decisions: approve (award the lowest level, source recommendation), reject, reopen;
  holding the skill by any other path supersedes a pending recommendation.
"""

import gc
import itertools
import logging
import operator
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import partial, reduce

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Exists,
    F,
    FloatField,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenancy.background import enqueue
from tenancy.models import Organization, User
from tenancy.scoping import organization_scope
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
from ..recommender import ModelSettings, TextIndex, item_fields, item_text
from .awards import award_skill, supersede_recommendation
from .catalogue import ensure_level_scale

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 100  # evidence items kept per recommendation (the count keeps the total)


# ------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class RecommenderSettings:
    """``Organization.settings["recommender"]``; every key is optional. The model's keys
    and their defaults are :class:`skills.recommender.ModelSettings`'s (``min_score`` is
    the older name of ``min_probability``)."""

    threshold: int = 10  # resolved items needing a skill before it is recommended
    attribute_keys: tuple[str, ...] = ()  # attributes that join the text and the fields
    model: ModelSettings = ModelSettings()

    @property
    def min_probability(self) -> float:
        return self.model.min_probability


_MODEL_KEYS = {f.name: f.type for f in fields(ModelSettings)}


def recommender_settings(organization: Organization) -> RecommenderSettings:
    raw = (organization.settings or {}).get("recommender") or {}
    defaults = RecommenderSettings()
    try:
        model = {}
        for key in _MODEL_KEYS:
            source = "min_score" if key == "min_probability" and key not in raw else key
            if source in raw:
                default = getattr(defaults.model, key)
                model[key] = type(default)(raw[source])
        model = ModelSettings(**model)
        if model.neighbours < 1 or model.min_df < 1 or model.c <= 0:
            raise ValueError("neighbours, min_df and c must be positive")
        return RecommenderSettings(
            threshold=max(1, int(raw.get("threshold", defaults.threshold))),
            attribute_keys=tuple(str(k) for k in raw.get("attribute_keys", ())),
            model=model,
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


@dataclass
class _RuleInputs:
    evidence: dict[tuple[int, int], list[_Evidence]]
    held: set[tuple[int, int]]  # (user, skill) held
    thresholds: dict[int, int | None]  # active skill → its own threshold


_PREDICTED, _TAGGED, _HELD, _SKILL = range(4)  # what a row of _rule_inputs' query is
_RULE_COLUMNS = ("r_agent", "r_skill", "r_item", "r_number", "r_score", "r_neighbours",
                 "r_kind", "r_threshold")


def _kind(kind: int) -> Cast:
    # Typed in the SQL: a bare parameter in a UNION's select list is taken for text.
    return Cast(Value(kind), output_field=IntegerField())


def _columns(queryset, **expressions):
    """One part of _rule_inputs' UNION: every column an annotation, added in one order
    (the SELECT lists annotations in the order they were added)."""
    return (queryset.annotate(**{name: expressions[name] for name in _RULE_COLUMNS})
            .order_by().values_list(*_RULE_COLUMNS))


def _rule_inputs(
    organization: Organization, agent_ids: set[int] | None, skill_ids: set[int] | None,
    pairs: set[tuple[int, int]] | None = None,
) -> _RuleInputs:
    """What the rule reads besides the open recommendations, in one round trip (UNION
    ALL): the tagged and predicted evidence of these agents and skills (or pairs), the
    skills these agents hold, and the active skills' own thresholds."""
    # The agent is the item's ``credited_to`` (resolver, else assignee). On PostgreSQL the
    # database copies it, and whether the item is resolved, onto every required and
    # predicted skill (skills migration 0007): a pair's evidence is an index range of
    # its own rows (``skills_wis_evidence``, ``skills_pred_evidence``), however many
    # items the agent resolved. Elsewhere it is read from the item, filtered with the
    # item's organization and state: the shape of ``workitem_org_credited``.
    copied = connection.vendor == "postgresql"
    # A few pairs' rows name their items' numbers by primary key, one row at a time:
    # joined, the planner could walk the item table's whole key to meet a few rows.
    # (The plain manager: the scoped one would add the organization, which the planner of a
    # tenant newer than the table's statistics takes for one row and prefers to the key.
    # Row-level security still limits it to the tenant.)
    number = (Subquery(WorkItem._base_manager.filter(pk=OuterRef("work_item_id"))
                       .order_by().values("external_id")[:1])
              if pairs is not None and copied else F("work_item__external_id"))
    nothing = {"r_item": Value(None, output_field=BigIntegerField()),
               "r_number": Value(None, output_field=CharField()),
               "r_score": Value(None, output_field=FloatField()),
               "r_neighbours": Value(None, output_field=JSONField())}
    no_threshold = Cast(Value(None), output_field=IntegerField())  # typed: see _kind
    selected = []
    for queryset, kind in ((WorkItemPrediction.objects.all(), _PREDICTED),
                           (WorkItemSkill.objects.all(), _TAGGED)):
        rows = queryset.filter(organization=organization)
        if copied:
            rows = rows.filter(done=True).annotate(agent=F("credited_to"))
        else:
            rows = (rows.filter(work_item__organization=organization,
                                work_item__state__in=DONE_STATES)
                    .annotate(agent=F("work_item__credited_to")))
        rows = rows.filter(agent__isnull=False)
        if pairs is not None:  # not every agent × skill: an index range per pair
            rows = rows.filter(reduce(operator.or_, (
                Q(agent=agent_id, skill_id=skill_id) for agent_id, skill_id in sorted(pairs))))
        else:
            if agent_ids is not None:
                rows = rows.filter(agent__in=agent_ids)
            if skill_ids is not None:
                rows = rows.filter(skill_id__in=skill_ids)
        selected.append(_columns(
            rows, r_agent=F("agent"), r_skill=F("skill_id"), r_item=F("work_item_id"),
            r_number=number,
            # a tagged item counts fully and names no neighbours
            r_score=(Value(1.0, output_field=FloatField()) if kind == _TAGGED
                     else F("score")),
            r_neighbours=(nothing["r_neighbours"] if kind == _TAGGED else F("neighbours")),
            r_kind=_kind(kind), r_threshold=no_threshold))
    held = UserSkill.objects.filter(organization=organization)
    if agent_ids is not None:
        held = held.filter(user_id__in=agent_ids)
    if skill_ids is not None:
        held = held.filter(skill_id__in=skill_ids)
    selected.append(_columns(held, r_agent=F("user_id"), r_skill=F("skill_id"),
                             r_kind=_kind(_HELD), r_threshold=no_threshold, **nothing))
    skills = Skill.objects.filter(organization=organization, active=True)
    if skill_ids is not None:
        skills = skills.filter(pk__in=skill_ids)
    selected.append(_columns(skills, r_agent=Value(None, output_field=BigIntegerField()),
                             r_skill=F("pk"), r_kind=_kind(_SKILL),
                             r_threshold=F("recommendation_threshold"), **nothing))
    found = _RuleInputs(defaultdict(list), set(), {})
    for agent, skill_id, item_id, external_id, score, neighbours, kind, own in (
            selected[0].union(*selected[1:], all=True).order_by()):
        if kind == _SKILL:
            found.thresholds[skill_id] = own
        elif kind == _HELD:
            found.held.add((agent, skill_id))
        else:
            found.evidence[(agent, skill_id)].append(
                _Evidence(item_id, external_id, score, kind == _TAGGED, neighbours or []))
    return found


@transaction.atomic(savepoint=False)
def apply_recommendation_rule(
    *,
    organization: Organization,
    agent_ids: set[int] | None = None,
    skill_ids: set[int] | None = None,
    pairs: set[tuple[int, int]] | None = None,
    threshold: int | None = None,
) -> RuleReport:
    """Create or refresh the pending recommendations of these agents and skills (all when
    None), or of exactly these ``pairs`` of (agent, skill); each pair is decided on its
    own, so a subset gives the same answer for its pairs as a full run.

    ``threshold`` replaces the tenant default for this run; a skill's own threshold still
    wins. New recommendations e-mail the agent's coaches after commit.
    """
    config = recommender_settings(organization)
    default_threshold = threshold if threshold is not None else config.threshold
    if pairs is not None:
        agent_ids = {agent for agent, _skill in pairs}
        skill_ids = {skill for _agent, skill in pairs}
    inputs = _rule_inputs(organization, agent_ids, skill_ids, pairs)
    evidence, held, thresholds = inputs.evidence, inputs.held, inputs.thresholds
    # Locked in id order, so two workers whose batches share agents never deadlock here.
    open_recs = SkillRecommendation.objects.select_for_update().filter(
        organization=organization,
        state__in=[RecommendationState.PENDING, RecommendationState.REJECTED],
    ).order_by("pk")
    if agent_ids is not None:
        open_recs = open_recs.filter(user_id__in=agent_ids)
    if skill_ids is not None:
        open_recs = open_recs.filter(skill_id__in=skill_ids)
    existing = {(r.user_id, r.skill_id): r for r in open_recs
                if pairs is None or (r.user_id, r.skill_id) in pairs}
    report = RuleReport()
    now = timezone.now()
    for (user_id, skill_id), rec in existing.items():
        if rec.is_pending and (user_id, skill_id) in held:
            supersede_recommendation(rec, when=now)
            report.superseded += 1
    for (user_id, skill_id), items in sorted(evidence.items()):
        rec = existing.get((user_id, skill_id))
        if skill_id not in thresholds or (user_id, skill_id) in held:
            continue  # an inactive skill, or one the agent holds
        if rec is not None and not rec.is_pending:
            continue  # rejected: never again for this agent and skill
        needed = thresholds[skill_id] or default_threshold
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
                organization=organization, user_id=user_id, skill_id=skill_id, **values
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
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _texts(rows, keys) -> list[str]:
    return [item_text(short_description=r[1], description=r[2], category=r[3],
                      subcategory=r[4], attributes=r[5], attribute_keys=keys) for r in rows]


def _fields(rows, keys) -> list[str]:
    return [item_fields(category=r[3], subcategory=r[4], attributes=r[5], attribute_keys=keys)
            for r in rows]


_Predicted = tuple[int, int, float, tuple]  # (work item, skill, score, neighbours)


def _predictions(index, items: "_Items", config) -> list[_Predicted]:
    """The predictions of these untagged items (see :func:`_prediction_rows`) as plain
    tuples: a million model instances would cost a gigabyte until they are written."""
    if index is None or not items.ids:
        return []
    found = index.predict(items.texts, fields=items.fields, agents=items.agents,
                          min_probability=config.min_probability)
    return [(item_id, p.skill_id, p.score, tuple(p.neighbours))
            for item_id, predictions in zip(items.ids, found, strict=True)
            for p in predictions]


WRITE_BATCH = 5000  # predictions per INSERT of the rebuild


def _write_predictions(organization: Organization, rows: list[_Predicted]) -> None:
    for batch in itertools.batched(rows, WRITE_BATCH):
        WorkItemPrediction.objects.bulk_create([
            WorkItemPrediction(organization=organization, work_item_id=item_id,
                               skill_id=skill_id, score=score, neighbours=neighbours)
            for item_id, skill_id, score, neighbours in batch])


@contextmanager
def _cyclic_gc_paused():
    """Python's cyclic garbage collector off for the rebuild. The rebuild holds millions of
    container objects (rows, features, predictions) for its whole length, and the collector
    walked them again at every full collection: a quarter of a 1M-item rebuild's time
    (bench/recommender.py --db-sizes). Reference counting still frees everything; what
    forms a cycle meanwhile is collected at the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def _prediction_rows(organization, index, rows, config) -> list[WorkItemPrediction]:
    """The predictions of these untagged rows (``_TEXT_FIELDS``): each skill whose combined
    probability reaches the tenant's ``min_probability``, with the neighbours that needed
    it."""
    if index is None or not rows:
        return []
    found = index.predict(_texts(rows, config.attribute_keys),
                          fields=_fields(rows, config.attribute_keys),
                          agents=[r[6] for r in rows], min_probability=config.min_probability)
    return [WorkItemPrediction(organization=organization, work_item_id=row[0],
                               skill_id=p.skill_id, score=p.score,
                               neighbours=[list(n) for n in p.neighbours])
            for row, predictions in zip(rows, found, strict=True) for p in predictions]


_TEXT_FIELDS = ("id", "short_description", "description", "category", "subcategory",
                "attributes", "credited_to")


READ_CHUNK = 5000  # resolved rows fetched per round trip by the rebuild


@dataclass
class _Items:
    """The columns the model needs, one list each (rows are not kept)."""

    ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    agents: list[int | None] = field(default_factory=list)

    def append(self, row, keys) -> None:
        self.ids.append(row[0])
        self.texts.append(item_text(short_description=row[1], description=row[2],
                                    category=row[3], subcategory=row[4], attributes=row[5],
                                    attribute_keys=keys))
        self.fields.append(item_fields(category=row[3], subcategory=row[4],
                                       attributes=row[5], attribute_keys=keys))
        self.agents.append(row[6])


def _read_resolved(organization: Organization, tags: dict[int, set[int]],
                   keys) -> tuple[_Items, _Items]:
    """The tenant's resolved items as (tagged, untagged) columns, streamed from a cursor
    ``READ_CHUNK`` rows at a time (in a transaction, so PostgreSQL keeps no copy)."""
    tagged, untagged = _Items(), _Items()
    with transaction.atomic():
        for row in (_resolved(organization).order_by("id").values_list(*_TEXT_FIELDS)
                    .iterator(chunk_size=READ_CHUNK)):
            (tagged if row[0] in tags else untagged).append(row, keys)
    return tagged, untagged


def rebuild_recommendations(
    *, organization: Organization, threshold: int | None = None
) -> RebuildReport:
    """Refit the index, recompute every prediction, then apply the rule to all agents.

    Reads outside the write transaction; replaces the predictions and the stored index and
    applies the rule in one transaction (locks the tenant's open recommendations). The
    report's ``timings`` give each stage's seconds.
    """
    with _cyclic_gc_paused():
        return _rebuild(organization, threshold)


def _rebuild(organization: Organization, threshold: int | None) -> RebuildReport:
    config = recommender_settings(organization)
    clock = _Stopwatch()
    # Items tagged after this moment join the neighbours through _stored_index's freshness
    # check, so the stamp is taken before anything is read.
    started = timezone.now()
    tags: dict[int, set[int]] = defaultdict(set)
    for item_id, skill_id in WorkItemSkill.objects.filter(
            organization=organization, work_item__state__in=DONE_STATES,
            skill__active=True).values_list("work_item_id", "skill_id").iterator(
            chunk_size=READ_CHUNK * 4):
        tags[item_id].add(skill_id)
    tagged, untagged = _read_resolved(organization, tags, config.attribute_keys)
    clock.lap("read")
    index = TextIndex.fit(texts=tagged.texts, fields=tagged.fields, item_ids=tagged.ids,
                          skills=[tags[i] for i in tagged.ids], agents=tagged.agents,
                          settings=config.model)
    del tagged.texts, tagged.fields
    gc.collect()  # what fitting left in cycles, before predicting adds its own
    clock.lap("fit")
    resolved = len(tagged.ids) + len(untagged.ids)
    predictions = _predictions(index, untagged, config)
    del untagged
    clock.lap("predict")
    with transaction.atomic():
        WorkItemPrediction.objects.filter(organization=organization).delete()
        _write_predictions(organization, predictions)
        RecommenderIndex.objects.filter(organization=organization).delete()
        if index is not None:
            RecommenderIndex.objects.create(organization=organization, built_at=started,
                                            item_count=len(index), blob=index.dumps())
        clock.lap("write")
        rule = apply_recommendation_rule(organization=organization, threshold=threshold)
        clock.lap("rule")
    return RebuildReport(resolved=resolved, tagged=len(tagged.ids),
                         predicted=len({p[0] for p in predictions}), rule=rule,
                         timings=clock.laps)


@dataclass
class _CachedIndex:
    stamp: object
    index: TextIndex
    fresh: dict[int, object] = field(default_factory=dict)  # item id → updated_at added
    checked: object = None  # when the changed items were last read


# Items changed since the last check, less this margin, are read again: a transaction that
# stamped an item's updated_at before the last check but committed after it is still seen.
FRESH_MARGIN = timedelta(minutes=10)


_index_cache: dict[int, _CachedIndex] = {}


def _stored_index(organization: Organization) -> TextIndex | None:
    """The tenant's index as of now, the tagged resolved items changed since it was built
    among its neighbours (:meth:`TextIndex.add`, vocabulary and classifier as fitted)
    instead of from the next nightly rebuild.

    This process keeps its copy. A call is one query when nothing changed: the index's
    stamp together with the tagged resolved items changed since this process last looked
    (less ``FRESH_MARGIN``; an index range scan of ``workitem_org_updated``); one more reads
    those it has not added yet, and the blob is read again only after a rebuild."""
    cached = _index_cache.get(organization.pk)
    if cached is not None:
        now = timezone.now()
        stamp, changed = _changed_tagged(
            organization, since=max(cached.stamp, cached.checked - FRESH_MARGIN))
        if stamp == cached.stamp:
            cached.checked = now
            _add_fresh(organization, cached, changed)
            return cached.index
    stamp = (RecommenderIndex.objects.filter(organization=organization)
             .values_list("built_at", flat=True).first())
    if stamp is None:
        return None
    blob = (RecommenderIndex.objects.filter(organization=organization, built_at=stamp)
            .values_list("blob", flat=True).first())
    if blob is None:  # rebuilt meanwhile: the next call reads the new one
        return None
    now = timezone.now()
    cached = _CachedIndex(stamp, TextIndex.loads(bytes(blob)), checked=now)
    _index_cache[organization.pk] = cached
    _add_fresh(organization, cached, _changed_tagged(organization, since=stamp)[1])
    return cached.index


def _changed_tagged(organization: Organization, *, since) -> tuple[object, dict[int, object]]:
    """(the stored index's stamp or None, {item id: updated_at} of the resolved items
    with an active required skill changed since ``since``), in one round trip."""
    stamp_row = (RecommenderIndex.objects.filter(organization=organization)
                 .annotate(item=Value(None, output_field=BigIntegerField()),
                           item_state=Value(None, output_field=CharField()))
                 .order_by().values_list("item", "built_at", "item_state"))
    # Only the organization and updated_at in the item's condition (its state is checked
    # here), only the item in the skill rows': each matches one index exactly
    # (``workitem_org_updated``, the skill rows' item key).
    # The plain manager, by item only (see the item numbers in _rule_inputs); active skills
    # are checked by _add_fresh.
    tagged = WorkItemSkill._base_manager.filter(work_item=OuterRef("pk"))
    changed = (WorkItem.objects.filter(organization=organization, updated_at__gte=since)
               .filter(Exists(tagged)).order_by().values_list("id", "updated_at", "state"))
    stamp, items = None, {}
    for item_id, when, state in stamp_row.union(changed, all=True).order_by():
        if item_id is None:
            stamp = when
        elif state in DONE_STATES:
            items[item_id] = when
    return stamp, items


def _add_fresh(organization: Organization, cached: _CachedIndex,
               changed: dict[int, object]) -> None:
    """Add (or replace) the changed tagged items this process's copy does not have as they
    are now: their text and skills in one query."""
    changed = {pk: when for pk, when in changed.items() if cached.fresh.get(pk) != when}
    if not changed:
        return
    config = recommender_settings(organization)
    rows: dict[int, tuple] = {}
    tags: dict[int, set[int]] = defaultdict(set)
    for skill_id, *row in (WorkItemSkill.objects.filter(
            organization=organization, work_item_id__in=changed, skill__active=True,
            work_item__state__in=DONE_STATES).order_by("work_item_id")
            .values_list("skill_id", *(f"work_item__{f}" for f in _TEXT_FIELDS))):
        rows[row[0]] = tuple(row)
        tags[row[0]].add(skill_id)
    rows = list(rows.values())
    for row, text, fields_ in zip(rows, _texts(rows, config.attribute_keys),
                                  _fields(rows, config.attribute_keys), strict=True):
        cached.index.add(text=text, fields=fields_, item_id=row[0], skills=tags[row[0]])
        cached.fresh[row[0]] = changed[row[0]]


@transaction.atomic(savepoint=False)
def update_recommendations_for_items(*, organization: Organization,
                                     work_items: list[WorkItem]) -> RuleReport:
    """Re-predict resolved items against the stored index and re-apply the rule to the
    (agent, skill) pairs they touch — the work-event handler's batch: a few queries for
    the whole batch, whatever its size. Items that are not resolved are left alone."""
    items = {item.pk: item for item in work_items if item.state in DONE_STATES}
    if not items:
        return RuleReport()
    # The items' earlier predictions and their required skills, in one round trip.
    before: dict[int, set[int]] = defaultdict(set)
    skills_of: dict[int, set[int]] = defaultdict(set)
    predicted = (WorkItemPrediction.objects.filter(organization=organization,
                                                   work_item_id__in=items)
                 .annotate(tagged=Value(False)).order_by()
                 .values_list("work_item_id", "skill_id", "tagged"))
    required = (WorkItemSkill.objects.filter(organization=organization, work_item_id__in=items)
                .annotate(tagged=Value(True)).order_by()
                .values_list("work_item_id", "skill_id", "tagged"))
    for item_id, skill_id, tagged in predicted.union(required, all=True).order_by():
        (skills_of if tagged else before)[item_id].add(skill_id)
    if before:
        WorkItemPrediction.objects.filter(organization=organization,
                                          work_item_id__in=before).delete()
    untagged = [item for item in items.values() if item.pk not in skills_of]
    if untagged:
        config = recommender_settings(organization)
        rows = [(item.pk, item.short_description, item.description, item.category,
                 item.subcategory, item.attributes,
                 item.resolved_by_id or item.assigned_to_id) for item in untagged]
        predictions = _prediction_rows(organization, _stored_index(organization), rows,
                                       config)
        WorkItemPrediction.objects.bulk_create(predictions)
        for prediction in predictions:
            skills_of[prediction.work_item_id].add(prediction.skill_id)
    # Only these agents' counts for the skills these items touch can have changed.
    pairs = set()
    for item in items.values():
        agent_id = item.resolved_by_id or item.assigned_to_id
        if agent_id is not None:
            pairs.update((agent_id, skill_id)
                         for skill_id in skills_of[item.pk] | before[item.pk])
    if not pairs:
        return RuleReport()
    return apply_recommendation_rule(organization=organization, pairs=pairs)


def update_recommendations_for_item(*, organization: Organization,
                                    work_item: WorkItem) -> RuleReport | None:
    """Re-predict one resolved item and re-apply the rule to its agent (see
    :func:`update_recommendations_for_items`). Does nothing for an item that is not
    resolved."""
    if work_item.state not in DONE_STATES:
        return None
    return update_recommendations_for_items(organization=organization,
                                            work_items=[work_item])


# ------------------------------------------------------------------------ lifecycle


def _log(rec: SkillRecommendation, verb: str, *, actor: User | None = None,
         note: str = "") -> None:
    RecommendationActivity.objects.create(organization_id=rec.organization_id,
                                          recommendation=rec, verb=verb, actor=actor, note=note)


def recommendation_link(rec: SkillRecommendation) -> str:
    return settings.SITE_URL + reverse("skills:recommendation_detail", kwargs={
        "org_slug": rec.organization.slug, "pk": rec.pk})


NOTIFY_TASK = "skills.notify_recommendation_coaches"


def _notify_coaches(rec: SkillRecommendation) -> None:
    """After commit, a task e-mails the coaches (the rule does not wait for the mail)."""
    transaction.on_commit(partial(_enqueue_notification, rec.organization_id, rec.pk))


def _enqueue_notification(organization_id: int, recommendation_id: int) -> None:
    try:
        enqueue(NOTIFY_TASK, organization_id=organization_id,
                recommendation_id=recommendation_id)
    except Exception:
        logger.warning("Could not enqueue the e-mail of recommendation %s; sending it now.",
                       recommendation_id, exc_info=True)
        with organization_scope(organization_id) as organization:
            if organization is not None:
                notify_recommendation_coaches(organization=organization,
                                              recommendation_id=recommendation_id)


@transaction.atomic
def notify_recommendation_coaches(*, organization: Organization,
                                  recommendation_id: int) -> bool:
    """E-mail the coaches of the agent's teams that a recommendation was made, with a
    direct link to it — once: the recommendation is claimed (``coaches_notified_at``, a
    conditional UPDATE) in the transaction that sends, so a task run twice sends nothing
    the second time and a failed send can be retried. Returns whether this call claimed
    it; a recommendation that is gone is skipped."""
    claimed = SkillRecommendation.objects.filter(
        organization=organization, pk=recommendation_id, coaches_notified_at__isnull=True,
    ).update(coaches_notified_at=timezone.now())
    if not claimed:
        return False
    rec = (SkillRecommendation.objects.select_related("user", "skill", "organization")
           .get(pk=recommendation_id))
    agent = rec.user
    recipients = [c.email for c in coaches_of(organization, agent) if c.email]
    if recipients:
        body = render_to_string("skills/email/recommendation_created.txt", {
            "rec": rec, "agent": agent, "organization": rec.organization,
            "link": recommendation_link(rec),
        })
        send_mail(f"Skill recommendation: {rec.skill.name} for {agent}", body, None,
                  recipients)
    return True


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
