"""Automatic scoring of an interaction: every scorer answers, the one that agrees best with
humans decides, and the ``auto`` evaluation is written (or rewritten in place) and
released.

Scorers, per attribute that has an automatic rule (``Attribute.auto``):

- the rule scorer (:mod:`quality.scoring.rules`, name ``rules:<n>``), always;
- the learned scorer of the attribute (``learned:<version>``), once the tenant has one;
- the tenant's outside provider (``provider:<model>``), when enabled.

Every scorer's answer is kept in ``Answer.alternatives`` (``{scorer: value | "na"}``), so
agreement with audits is measured per scorer (:mod:`.agreement`). The answer that counts is
the one of the *verified* scorer with the highest κ for that attribute, else the rule
scorer's, else the learned scorer's, else the provider's.

Attributes no scorer answered (no rule, a ``learned`` rule without a model, a failed
scorer) are N/A when N/A is allowed; otherwise they stay unanswered and are left out of the
total (the weighted total skips them), so an automatic evaluation always has a total when
anything was answered. A rule's own N/A on an attribute that does not allow N/A is also
left unanswered.

A scorer that fails (a bad rule, a model that cannot be read, a provider that times out or
answers nonsense) leaves its answers out and its message in ``Evaluation.error``; the
others still answer and other interactions are never affected.

The evaluation is idempotent per interaction and scorecard version (a unique constraint).
A new one is written in its final, released state through
:func:`quality.services.answers.create_with_answers` (the evaluation, its answers, two
history lines, the rollups: one statement each); scoring again writes only when something
changed, through :func:`quality.services.answers.save_answers` (one history line per
rescoring), which keeps the rollups right. ``Evaluation.scorer`` names the engine
(:data:`ENGINE`), each answer its scorer.

Cost: what scoring reads besides the interaction (the scorecard version with its
attributes, learned and verified scorers) is kept for a batch in a :class:`ScoringContext`;
in a batch a new interaction takes 7 queries (its transcript together with whether it was
scored before, then BEGIN, the evaluation, its answers, its history, its rollups, COMMIT),
an unchanged one 5, or 3 inside the outbox's transaction (``bench/autoqa.py``).
"""

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Subquery, prefetch_related_objects

from tenancy.errors import same_tenant
from work.enums import INTERACTION_KINDS
from work.models import Transcript

from ..enums import AnswerType, EvaluationKind, EvaluationState
from ..models import Answer, AttributeAgreement, Evaluation, LearnedScorer, Scorecard
from ..scoring import learned, provider
from ..scoring.rules import NA, RULES, Conversation, ScorerAnswer
from ..selectors import quality_settings, scorecard_for
from .answers import AnswerInput, apply_rollups, create_with_answers, save_answers
from .evaluations import start_counting

logger = logging.getLogger(__name__)

ENGINE = "autoqa:1"


@dataclass
class ScoringOutcome:
    """What the scorers said about one interaction."""

    answers: dict[str, dict[str, ScorerAnswer]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sentiment: float | None = None
    learned_names: dict[str, str] = field(default_factory=dict)
    provider_name: str = ""


def run_scorers(
    *, organization, scorecard: Scorecard, attributes: Sequence, turns: Sequence[Mapping],
    handle_time: float | None = None, learned_scorers: Sequence[LearnedScorer] | None = None,
) -> ScoringOutcome:
    """Ask every available scorer about the attributes that have a rule; never raises for
    a scorer's failure (it is in ``errors``)."""
    outcome = ScoringOutcome()
    conversation = Conversation(turns, handle_time=handle_time)
    outcome.sentiment = conversation.sentiment()
    auto = [a for a in attributes if a.auto]
    if not auto:
        return outcome

    rule_answers, rule_errors = RULES.score(auto, conversation)
    for key, answer in rule_answers.items():
        outcome.answers.setdefault(key, {})[RULES.name] = answer
    outcome.errors.extend(f"{RULES.name} on {key}: {message}"
                          for key, message in sorted(rule_errors.items()))

    if learned_scorers is None:
        learned_scorers = list(LearnedScorer.objects.filter(
            organization=organization, scorecard_key=scorecard.key,
            attribute_key__in=[a.key for a in auto],
        ))
    if learned_scorers:
        by_key = {a.key: a for a in auto}
        text = learned.agent_text(turns)
        for scorer in learned_scorers:
            attribute = by_key.get(scorer.attribute_key)
            if attribute is None:
                continue
            try:
                answer = learned.predict(learned.load(scorer), text)
                top = attribute.scale_max or 1
                if not 0 <= int(answer.value) <= top:
                    raise ValueError(f"predicted {answer.value}, outside 0–{top}")
            except Exception as error:
                outcome.errors.append(f"{scorer.name} on {attribute.key}: {error}")
                continue
            outcome.answers.setdefault(attribute.key, {})[scorer.name] = answer
            outcome.learned_names[attribute.key] = scorer.name

    settings = quality_settings(organization).provider
    if settings.enabled and settings.url:
        outcome.provider_name = provider.scorer_name(settings)
        try:
            answers = provider.score(settings, auto, turns)
        except Exception as error:
            outcome.errors.append(f"{outcome.provider_name}: {error}")
        else:
            for key, answer in answers.items():
                outcome.answers.setdefault(key, {})[outcome.provider_name] = answer
    return outcome


def verified_scorers(organization, scorecard_key: str) -> dict[str, list[str]]:
    """``{attribute key: [verified scorer, …]}``, best κ first."""
    rows = (AttributeAgreement.objects
            .filter(organization=organization, scorecard_key=scorecard_key, verified=True)
            .order_by("attribute_key", "-kappa", "-pairs", "scorer")
            .values_list("attribute_key", "scorer"))
    preference: dict[str, list[str]] = {}
    for attribute_key, scorer in rows:
        preference.setdefault(attribute_key, []).append(scorer)
    return preference


def _as_input(attribute, value) -> object:
    if value == NA:
        return NA if attribute.na_allowed else None
    if attribute.answer_type == AnswerType.YES_NO:
        return "yes" if value else "no"
    return int(value)


def choose_answers(attributes: Sequence, outcome: ScoringOutcome,
                   verified: Mapping[str, Sequence[str]]) -> list[AnswerInput]:
    """One :class:`AnswerInput` per attribute (see the module docstring for the choice)."""
    inputs = []
    for attribute in attributes:
        given = outcome.answers.get(attribute.key, {})
        order = [*verified.get(attribute.key, ()), RULES.name,
                 outcome.learned_names.get(attribute.key, ""), outcome.provider_name]
        chosen = next((name for name in order if name and name in given), None)
        if chosen is None:
            inputs.append(AnswerInput(attribute.key, NA if attribute.na_allowed else None))
            continue
        answer = given[chosen]
        inputs.append(AnswerInput(
            attribute.key, _as_input(attribute, answer.value),
            evidence=list(answer.evidence) if answer.value != NA else [],
            scorer=chosen,
            alternatives={name: a.value for name, a in sorted(given.items())},
        ))
    return inputs


def _stored_matches(evaluation: Evaluation, stored: Sequence, attributes: Sequence,
                    inputs: list[AnswerInput], sentiment: float | None, error: str) -> bool:
    if (evaluation.state != EvaluationState.RELEASED or evaluation.sentiment != sentiment
            or evaluation.error != error):
        return False
    stored_by_attribute = {a.attribute_id: a for a in stored}
    by_key = {a.key: a for a in attributes}
    for given in inputs:
        attribute = by_key[given.attribute_key]
        answer = stored_by_attribute.get(attribute.pk)
        if given.answer == NA:
            value, na = None, True
        elif given.answer is None:
            value, na = None, False
        elif given.answer in ("yes", "no"):
            value, na = int(given.answer == "yes"), False
        else:
            value, na = given.answer, False
        if answer is None:
            if value is not None or na:
                return False
            continue
        if ((answer.value, answer.na, list(answer.evidence), answer.scorer, answer.alternatives)
                != (value, na, given.evidence, given.scorer, given.alternatives)):
            return False
    return True


def _agent_id(interaction) -> int | None:
    """:func:`~.evaluations.agent_of` by id, without loading the user."""
    return interaction.resolved_by_id or interaction.assigned_to_id


def _follow_interaction(evaluation: Evaluation, interaction, stored: Sequence) -> None:
    """Move the evaluation (and its rollups) to the interaction's current agent and date."""
    agent_id = _agent_id(interaction)
    when = interaction.opened_at or interaction.created_at
    if evaluation.agent_id == agent_id and evaluation.interaction_at == when:
        return
    counted = evaluation.counts
    if counted:
        apply_rollups(evaluation, sign=-1, answers=stored)
    evaluation.agent_id, evaluation.interaction_at = agent_id, when
    evaluation.save(update_fields=["agent", "interaction_at"])
    if counted:
        apply_rollups(evaluation, sign=1, answers=stored)


class ScoringContext:
    """What scoring reads besides the interaction, kept for a batch of interactions: the
    scorecard version that applies to a queue (with its attributes), the tenant's learned
    scorers (their pickled models stay in the database; :func:`learned.load` unpickles each
    once per process) and its verified scorers.

    Each entry is read again after ``ttl`` seconds, so a long batch sees a new scorecard
    version, a retrained model or a refreshed agreement within that time. Without a context
    every scoring reads them afresh. The worker's handler keeps one context per batch of
    work events (:mod:`quality.handlers`).
    """

    def __init__(self, *, ttl: float = 60.0):
        self.ttl = ttl
        self._entries: dict[tuple, tuple[float, object]] = {}

    def _get(self, key: tuple, load):
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        value = load()
        self._entries[key] = (now, value)
        return value

    def scorecard(self, organization, queue: str) -> Scorecard | None:
        def load():
            scorecard = scorecard_for(organization, queue=queue)
            if scorecard is not None:
                prefetch_related_objects([scorecard], "attributes")
            return scorecard
        return self._get(("scorecard", organization.pk, queue), load)

    def attributes(self, scorecard: Scorecard) -> list:
        def load():
            prefetch_related_objects([scorecard], "attributes")
            return list(scorecard.attributes.all())
        attributes = self._get(("attributes", scorecard.pk), load)
        if "attributes" not in getattr(scorecard, "_prefetched_objects_cache", {}):
            prefetch_related_objects([scorecard], "attributes")  # another instance
        return attributes

    def learned_scorers(self, organization, scorecard_key: str) -> list[LearnedScorer]:
        return self._get(("learned", organization.pk, scorecard_key), lambda: list(
            LearnedScorer.objects.filter(organization=organization, scorecard_key=scorecard_key)
            .defer("model")))

    def verified(self, organization, scorecard_key: str) -> dict[str, list[str]]:
        return self._get(("verified", organization.pk, scorecard_key),
                         lambda: verified_scorers(organization, scorecard_key))


def score_interaction(*, interaction, scorecard: Scorecard | None = None,
                      context: ScoringContext | None = None) -> Evaluation | None:
    """The released automatic evaluation of ``interaction`` against ``scorecard`` (default:
    the current scorecard for its queue), created or updated in place.

    Returns ``None`` and writes nothing for an interaction that is not a call, chat or
    e-mail, has no agent, no transcript (or an empty one), or no scorecard applies. Side
    effects: the evaluation, its answers and history, the rollups (through
    :func:`create_with_answers` for a new one, :func:`save_answers` when rescoring).
    Locks the evaluation row. ``context``: what a batch of scorings shares
    (:class:`ScoringContext`); by default everything is read afresh.
    """
    if interaction.kind not in INTERACTION_KINDS or _agent_id(interaction) is None:
        return None
    organization = interaction.organization
    if context is None:
        context = ScoringContext(ttl=0)
    if scorecard is None:
        scorecard = context.scorecard(organization, interaction.queue)
        if scorecard is None:
            return None
    else:
        same_tenant(scorecard, interaction, message="The interaction and the scorecard "
                                                    "belong to different organizations.")
    # The transcript, and whether the evaluation exists already, in one query: a new one is
    # inserted without a look-up (a concurrent insert fails on the unique constraint and
    # the scoring is retried against the row it wrote).
    existing = Evaluation.objects.filter(interaction_id=interaction.pk, scorecard=scorecard,
                                         kind=EvaluationKind.AUTO).values("pk")[:1]
    transcript = (Transcript.objects.filter(work_item_id=interaction.pk)
                  .values_list("turns", "turn_count", Subquery(existing)).first())
    if transcript is None or not transcript[0]:
        return None
    turns, turn_count, existing_pk = transcript
    attributes = context.attributes(scorecard)

    auto_keys = {a.key for a in attributes if a.auto}
    outcome = run_scorers(
        organization=organization, scorecard=scorecard, attributes=attributes, turns=turns,
        handle_time=interaction.handle_time_seconds,
        learned_scorers=[s for s in context.learned_scorers(organization, scorecard.key)
                         if s.attribute_key in auto_keys] if auto_keys else [],
    )
    inputs = choose_answers(attributes, outcome, context.verified(organization, scorecard.key))
    error = "\n".join(outcome.errors)[:10_000]
    if outcome.errors:
        logger.warning("Automatic scoring of %s: %s", interaction.label, "; ".join(outcome.errors))

    try:
        return _write(interaction=interaction, organization=organization, scorecard=scorecard,
                      attributes=attributes, inputs=inputs, sentiment=outcome.sentiment,
                      error=error, turn_count=turn_count, look_up=existing_pk is not None)
    except IntegrityError:
        if existing_pk is not None:
            raise
    # A concurrent worker created the evaluation first: rescore it in place.
    return _write(interaction=interaction, organization=organization, scorecard=scorecard,
                  attributes=attributes, inputs=inputs, sentiment=outcome.sentiment,
                  error=error, turn_count=turn_count, look_up=True)


def _write(*, interaction, organization, scorecard: Scorecard, attributes: Sequence,
           inputs: list[AnswerInput], sentiment: float | None, error: str,
           turn_count: int, look_up: bool) -> Evaluation:
    # Inserting a new evaluation needs a savepoint inside a caller's transaction (the
    # outbox's), so a concurrent insert can be retried; rescoring raises on any error, so
    # it needs none.
    with transaction.atomic(savepoint=not look_up):
        evaluation = None
        if look_up:
            evaluation = (Evaluation.objects.select_for_update()
                          .filter(interaction=interaction, scorecard=scorecard,
                                  kind=EvaluationKind.AUTO).first())
        if evaluation is None:
            evaluation = Evaluation(
                organization=organization, interaction=interaction, scorecard=scorecard,
                agent_id=_agent_id(interaction), kind=EvaluationKind.AUTO, scorer=ENGINE,
                interaction_at=interaction.opened_at or interaction.created_at,
                sentiment=sentiment, error=error,
            )
            evaluation.publish()
            return create_with_answers(evaluation=evaluation, answers=inputs, actor=None,
                                       turn_count=turn_count, action="scored",
                                       state_action="released")

        evaluation.scorecard = scorecard  # its attributes are prefetched
        evaluation.organization = organization
        by_pk = {a.pk: a for a in attributes}
        stored = list(Answer.objects.filter(evaluation=evaluation).order_by())
        for answer in stored:
            answer.attribute = by_pk[answer.attribute_id]
        _follow_interaction(evaluation, interaction, stored)
        if _stored_matches(evaluation, stored, attributes, inputs, sentiment, error):
            return evaluation
        evaluation.sentiment, evaluation.error = sentiment, error
        save_answers(evaluation=evaluation, answers=inputs, actor=None, log_each=False,
                     action="rescored", stored=stored, turn_count=turn_count,
                     also_save=("sentiment", "error"))
        if evaluation.state == EvaluationState.DRAFT:
            evaluation.publish()
            start_counting(evaluation, actor=None, action="released")
    return evaluation
