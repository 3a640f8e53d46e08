"""Generated coaching advice for one agent and one behaviour (issue 18), without any outside
service: composed from the attribute's guidance, what the agent did in their weakest
interactions for the behaviour (cited by interaction id) and what bookmarked best
responses of colleagues did (``quality.BestResponse``).

The same material is written up in several *variants* (a stable ``variant_key`` each).
Managers' thumbs up/down (:class:`coaching.models.AdviceFeedback`, summed over the
tenant for the behaviour) order the variants; ``exclude`` (the variants already shown)
gives the next one — "Refresh". When every variant was shown the best one comes back.
"""

from dataclasses import dataclass, field

from django.db.models import Q, Sum

from quality.models import Answer, Attribute, BestResponse
from tenancy.models import Organization, User
from work.models import Transcript

from .advice_provider import (
    AdviceProviderError,
    advice_provider_settings,
    variant_key_of,
    write_advice,
)
from .models import AdviceFeedback
from .selectors_behaviours import scoring_of, weakest_interactions

WEAK_EXAMPLES = 3
BEST_EXAMPLES = 2
QUOTE = 160


@dataclass(frozen=True)
class Advice:
    text: str
    variant_key: str
    examples: list = field(default_factory=list)  # work.WorkItem where the behaviour failed
    best_examples: list = field(default_factory=list)  # quality.BestResponse of colleagues
    source: str = "embedded"
    note: str = ""


@dataclass(frozen=True)
class Material:
    name: str
    guidance: str
    weak: list  # [(WorkItem, what the agent did)]
    best: list  # [(BestResponse, what it did)]


def _quote(text: str) -> str:
    text = " ".join((text or "").split())
    return f"“{text[:QUOTE - 1]}…”" if len(text) > QUOTE else f"“{text}”"


def _agent_turns(transcripts: dict, item_id: int, evidence: list) -> list[str]:
    turns = transcripts.get(item_id) or []
    chosen = [turns[i] for i in evidence if isinstance(i, int) and 0 <= i < len(turns)]
    return [t.get("text") or "" for t in chosen or turns if t.get("speaker") == "agent"]


def material(organization: Organization, agent: User, attribute_key: str) -> Material:
    """What advice is composed from (a handful of queries whatever the history)."""
    scoring = scoring_of(organization)
    attribute = (Attribute.objects.filter(organization=organization, scorecard=scoring.scorecard,
                                          key=attribute_key).first()
                 if scoring.scorecard else None)
    name = attribute.name if attribute else attribute_key
    weak_pairs = weakest_interactions(organization, agent, attribute_key, limit=WEAK_EXAMPLES)
    best = list(BestResponse.objects.filter(organization=organization,
                                            attribute_key=attribute_key)
                .exclude(Q(interaction__resolved_by=agent)
                         | Q(interaction__resolved_by__isnull=True,
                             interaction__assigned_to=agent))
                .select_related("interaction").order_by("-created_at", "-id")[:BEST_EXAMPLES])
    item_ids = [item.pk for item, _ in weak_pairs] + [b.interaction_id for b in best]
    transcripts = dict(Transcript.objects.filter(organization=organization,
                                                 work_item_id__in=item_ids)
                       .values_list("work_item_id", "turns"))
    answers = {a.evaluation_id: a for a in Answer.objects.filter(
        organization=organization, attribute__key=attribute_key,
        evaluation_id__in=[e.pk for _, e in weak_pairs])}
    weak = []
    for item, evaluation in weak_pairs:
        answer = answers.get(evaluation.pk)
        said = _agent_turns(transcripts, item.pk, answer.evidence if answer else [])
        if answer is not None and answer.comment:
            what = f"the reviewer noted {_quote(answer.comment)}"
        elif said:
            what = f"you said {_quote(said[0])}"
        else:
            what = "the behaviour was missed"
        weak.append((item, what))
    strong = []
    for response in best:
        said = _agent_turns(transcripts, response.interaction_id, [])
        if response.note:
            what = _quote(response.note)
        elif said:
            what = f"the agent said {_quote(said[0])}"
        else:
            what = "bookmarked as doing this well"
        strong.append((response, what))
    return Material(name=name, guidance=" ".join((attribute.guidance if attribute else "")
                                                 .split()), weak=weak, best=strong)


def _weak_lines(m: Material) -> list[str]:
    return [f"- {item.label} (interaction {item.pk}): {what}." for item, what in m.weak] or [
        "- No recent interaction shows it failing; keep an eye on it."]


def _best_lines(m: Material) -> list[str]:
    return [f"- {r.interaction.label} (interaction {r.interaction_id}): {what}."
            for r, what in m.best] or ["- No best response is bookmarked for this behaviour "
                                       "yet; ask your coach for one."]


def _standard(m: Material) -> str:
    return m.guidance or f"Meet the scorecard's standard for {m.name} in every conversation."


def _steps(m: Material) -> str:
    return "\n".join([
        f"Focus: {m.name}", "", f"What good looks like: {_standard(m)}", "",
        "Where it slipped recently:", *_weak_lines(m), "",
        "What colleagues did well:", *_best_lines(m), "",
        "Next steps:",
        f"1. Reread the standard for {m.name} before your next shift.",
        "2. Open one of your examples and write down what you would say instead.",
        "3. Use that wording in your next five conversations, then compare.",
    ])


def _contrast(m: Material) -> str:
    return "\n".join([
        f"{m.name}: your conversations next to strong ones", "",
        "In your conversations:", *_weak_lines(m), "",
        "In the best responses:", *_best_lines(m), "",
        f"The difference to close: {_standard(m)}",
        "Pick the one habit from the best responses you can copy tomorrow.",
    ])


def _questions(m: Material) -> str:
    return "\n".join([
        f"Questions to work through on {m.name}", "",
        f"The standard: {_standard(m)}", "",
        "Look back at these conversations:", *_weak_lines(m), "",
        "- At which moment could the customer have felt this was missing?",
        "- What would you say at that moment next time?", "",
        "For comparison:", *_best_lines(m),
    ])


def _habit(m: Material) -> str:
    return "\n".join([
        f"One week, one habit: {m.name}", "",
        f"Every conversation this week, check one thing: {_standard(m)}", "",
        "Recent misses to learn from:", *_weak_lines(m), "",
        "Borrow from:", *_best_lines(m), "",
        "At the end of the week, note one conversation where it went well.",
    ])


VARIANTS = {
    "embedded:steps": _steps,
    "embedded:contrast": _contrast,
    "embedded:questions": _questions,
    "embedded:habit": _habit,
}


def variant_order(organization: Organization, attribute_key: str) -> list[str]:
    """The variants, best-rated first (votes summed over the tenant), then in their
    default order."""
    votes = dict(AdviceFeedback.objects.filter(organization=organization,
                                               attribute_key=attribute_key)
                 .values("variant_key").order_by().annotate(score=Sum("vote"))
                 .values_list("variant_key", "score"))
    defaults = list(VARIANTS)
    return sorted(defaults, key=lambda key: (-(votes.get(key) or 0), defaults.index(key)))


def compose_advice(organization: Organization, agent: User, attribute_key: str, *,
                   exclude=()) -> Advice:
    """Advice for ``agent`` on the behaviour ``attribute_key``.

    With the tenant's outside provider on, its text (``source`` "provider"); when it cannot
    be used (unreachable, slow, a bad reply) the embedded advice with a ``note`` saying so.
    Embedded: the best-rated variant not in ``exclude`` (the first again once every
    variant was shown)."""
    m = material(organization, agent, attribute_key)
    examples = [item for item, _ in m.weak]
    best = [response for response, _ in m.best]
    note = ""
    provider = advice_provider_settings(organization)
    if provider.enabled:
        try:
            text = write_advice(provider, m, attempt=len(set(exclude)) + 1)
        except AdviceProviderError as error:
            note = (f"The outside advice service was not used: {error}. This is the built-in "
                    "advice.")
        else:
            return Advice(text=text, variant_key=variant_key_of(text), examples=examples,
                          best_examples=best, source="provider")
    order = variant_order(organization, attribute_key)
    key = next((k for k in order if k not in set(exclude)), order[0])
    return Advice(text=VARIANTS[key](m), variant_key=key, examples=examples,
                  best_examples=best, note=note)
