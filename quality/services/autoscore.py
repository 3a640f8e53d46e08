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

The evaluation is idempotent per interaction and scorecard version (a unique constraint);
scoring again writes only when something changed, through
:func:`quality.services.answers.save_answers` (one history line per rescoring), which
keeps the rollups right. ``Evaluation.scorer`` names the engine (:data:`ENGINE`), each
answer its scorer.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects

from work.enums import INTERACTION_KINDS
from work.models import Transcript

from ..enums import AnswerType, EvaluationKind, EvaluationState
from ..models import AttributeAgreement, Evaluation, LearnedScorer, Scorecard
from ..scoring import learned, provider
from ..scoring.rules import NA, RULES, Conversation, ScorerAnswer
from ..selectors import quality_settings, scorecard_for
from .answers import AnswerInput, apply_rollups, save_answers
from .evaluations import agent_of, open_evaluation, start_counting

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


def _stored_matches(evaluation: Evaluation, attributes: Sequence, inputs: list[AnswerInput],
                    sentiment: float | None, error: str) -> bool:
    if (evaluation.state != EvaluationState.RELEASED or evaluation.sentiment != sentiment
            or evaluation.error != error):
        return False
    stored = {a.attribute_id: a for a in evaluation.answers.all()}
    by_key = {a.key: a for a in attributes}
    for given in inputs:
        attribute = by_key[given.attribute_key]
        answer = stored.get(attribute.pk)
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


def _lock_or_open(interaction, scorecard: Scorecard) -> tuple[Evaluation, bool]:
    existing = Evaluation.objects.select_for_update().filter(
        interaction=interaction, scorecard=scorecard, kind=EvaluationKind.AUTO,
    )
    found = existing.first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return open_evaluation(interaction=interaction, scorecard=scorecard,
                                   kind=EvaluationKind.AUTO, scorer=ENGINE), True
    except IntegrityError:  # a concurrent worker created it first
        return existing.get(), False


def _follow_interaction(evaluation: Evaluation, interaction) -> None:
    """Move the evaluation (and its rollups) to the interaction's current agent and date."""
    agent = agent_of(interaction)
    when = interaction.opened_at or interaction.created_at
    if evaluation.agent_id == agent.pk and evaluation.interaction_at == when:
        return
    counted = evaluation.counts
    if counted:
        apply_rollups(evaluation, sign=-1)
    evaluation.agent, evaluation.interaction_at = agent, when
    evaluation.save(update_fields=["agent", "interaction_at"])
    if counted:
        apply_rollups(evaluation, sign=1)


def score_interaction(*, interaction, scorecard: Scorecard | None = None) -> Evaluation | None:
    """The released automatic evaluation of ``interaction`` against ``scorecard`` (default:
    the current scorecard for its queue), created or updated in place.

    Returns ``None`` and writes nothing for an interaction that is not a call, chat or
    e-mail, has no agent, no transcript (or an empty one), or no scorecard applies. Side
    effects: the evaluation, its answers and history, the rollups (through
    :func:`save_answers` / :func:`start_counting`). Locks the evaluation row.
    """
    if interaction.kind not in INTERACTION_KINDS or agent_of(interaction) is None:
        return None
    turns = (Transcript.objects.filter(work_item_id=interaction.pk)
             .values_list("turns", flat=True).first())
    if not turns:
        return None
    organization = interaction.organization
    if scorecard is None:
        scorecard = scorecard_for(organization, queue=interaction.queue)
        if scorecard is None:
            return None
    prefetch_related_objects([scorecard], "attributes")
    attributes = list(scorecard.attributes.all())

    outcome = run_scorers(organization=organization, scorecard=scorecard,
                          attributes=attributes, turns=turns,
                          handle_time=interaction.handle_time_seconds)
    inputs = choose_answers(attributes, outcome,
                            verified_scorers(organization, scorecard.key))
    error = "\n".join(outcome.errors)[:10_000]
    if outcome.errors:
        logger.warning("Automatic scoring of %s: %s", interaction.label, "; ".join(outcome.errors))

    with transaction.atomic():
        evaluation, created = _lock_or_open(interaction, scorecard)
        evaluation.scorecard = scorecard  # its attributes are prefetched
        evaluation.organization = organization
        if not created:
            _follow_interaction(evaluation, interaction)
            if _stored_matches(evaluation, attributes, inputs, outcome.sentiment, error):
                return evaluation
        evaluation.sentiment, evaluation.error = outcome.sentiment, error
        evaluation.save(update_fields=["sentiment", "error"])
        save_answers(evaluation=evaluation, answers=inputs, actor=None, log_each=False,
                     action="scored" if created else "rescored")
        if evaluation.state == EvaluationState.DRAFT:
            evaluation.publish()
            start_counting(evaluation, actor=None, action="released")
    return evaluation
