"""Demo calibration sessions for ``manage.py seed_demo``: two finished sessions of three
evaluators (the QA analyst, who leads, and two coaches) on five demo interactions each,
through the calibration services — created, scored blind, revealed when everyone has
scored, final answers set and finished — so the agreement panel, the drift page and the
API have something to show.

The story: the evaluators agree with the automatic scorer on the rule-checked behaviours
(greeting, communication, compliance, problem solving, etiquette: they answer what the
scorer found), but read **Empathy** differently — α below 0.667 in both sessions, the
flagged attribute — and **Product knowledge** (0–4, scored by hand) moves from tentative
(α 0.705) in the first session to reliable (α 0.928) in the second. The automatic scorer's
answers are those of its evaluations of the same interactions (one more rater).

Idempotent: a session already there (by name) is not made again. Called from
:func:`quality.demo.seed_quality`.
"""

from datetime import timedelta

from django.utils import timezone

from tenancy.models import Organization, User

from .enums import AnswerType, EvaluationKind
from .models import Answer, CalibrationSession, Evaluation, Scorecard
from .services.answers import AnswerInput
from .services.calibration import (
    FinalAnswer,
    Pick,
    create_session,
    may_evaluate,
    save_scores,
    set_final_answers,
    start_scoring,
)

DEMO_PREFIX = "DEMO-QA-"  # quality.demo.DEMO_PREFIX (that module imports this one)
ITEMS = 5
STEP = 7  # take every 7th demo interaction, for a mix of agents, channels and topics

# Per session: its name, notes, and the hand-scored answers of the three evaluators
# (rows) on its five interactions (columns): Empathy yes (1) / no (0), Product knowledge
# on 0–4. The rule-checked attributes follow the automatic scorer's answers.
SESSIONS = [
    {"name": "Calibration round 1: empathy and product knowledge",
     "notes": "Empathy: we disagree on what counts as acknowledging frustration. "
              "Agreed to re-read the guidance and try again next round.",
     "empathy": [[1, 0, 1, 1, 0], [0, 0, 1, 0, 1], [1, 1, 0, 1, 0]],
     "product-knowledge": [[4, 2, 3, 1, 3], [4, 3, 3, 1, 3], [3, 2, 2, 1, 4]]},
    {"name": "Calibration round 2: empathy and product knowledge",
     "notes": "Product knowledge is aligned now; Empathy still is not — the guidance needs "
              "examples.",
     "empathy": [[1, 0, 1, 1, 0], [1, 0, 0, 1, 1], [0, 1, 1, 1, 0]],
     "product-knowledge": [[3, 4, 2, 3, 1], [3, 4, 2, 3, 1], [3, 4, 2, 2, 1]]},
]
SCRIPTED = ("empathy", "product-knowledge")


def _evaluators(people) -> tuple[User | None, list[User]]:
    """The lead (the QA analyst, else the org admin) and up to three evaluators: the QA
    analyst, then coaches, then the org admin."""
    lead = people.qa_analyst or people.org_admin
    chosen: list[User] = []
    for user in [people.qa_analyst, *people.coaches, people.org_admin]:
        if user is not None and user not in chosen and len(chosen) < 3:
            chosen.append(user)
    return lead, chosen


def _interactions(organization: Organization, scorecard: Scorecard, evaluators) -> list:
    """Demo interactions scored automatically with the scorecard, none handled by an
    evaluator, every ``STEP``-th in order of external id (closer together when there are
    few)."""
    evaluator_ids = {u.pk for u in evaluators}
    autos = (Evaluation.objects.filter(
        organization=organization, kind=EvaluationKind.AUTO, scorecard=scorecard,
        interaction__external_id__startswith=DEMO_PREFIX)
        .select_related("interaction").order_by("interaction__external_id"))
    items = [e.interaction for e in autos
             if (e.interaction.resolved_by_id or e.interaction.assigned_to_id)
             not in evaluator_ids]
    step = max(1, min(STEP, len(items) // (ITEMS * len(SESSIONS))))
    return items[::step]


def _auto_answers(organization: Organization, scorecard: Scorecard, interactions) -> dict:
    """``{(interaction id, attribute key): "yes" / "no"}`` of the automatic scorer."""
    answers = {}
    for interaction_id, key, value, na in Answer.objects.filter(
            organization=organization, evaluation__kind=EvaluationKind.AUTO,
            evaluation__scorecard=scorecard,
            evaluation__interaction_id__in=[i.pk for i in interactions],
            attribute__answer_type=AnswerType.YES_NO).values_list(
            "evaluation__interaction_id", "attribute__key", "value", "na"):
        if not na and value is not None:
            answers[(interaction_id, key)] = "yes" if value else "no"
    return answers


def _answer(attribute, value) -> object:
    if attribute.answer_type == AnswerType.YES_NO:
        return "yes" if value else "no"
    return value


def _median(values: list) -> object:
    return sorted(values)[len(values) // 2]


def _run(organization: Organization, scorecard: Scorecard, lead: User,
         evaluators: list[User], interactions: list, script: dict) -> CalibrationSession:
    session = create_session(
        organization=organization, actor=lead, name=script["name"],
        deadline=timezone.now() + timedelta(days=7), evaluators=evaluators,
        picks=[Pick(i) for i in interactions], scorecard=scorecard)
    attributes = list(scorecard.attributes.order_by("position", "id"))
    auto = _auto_answers(organization, scorecard, interactions)
    units = list(session.items.select_related("interaction").order_by("position"))
    given: dict[tuple[int, str], list] = {}
    for row, evaluator in enumerate(evaluators):
        for column, unit in enumerate(units):
            answers = []
            for attribute in attributes:
                if attribute.key in SCRIPTED:
                    value = _answer(attribute, script[attribute.key][row][column])
                elif attribute.answer_type == AnswerType.YES_NO:
                    value = auto.get((unit.interaction_id, attribute.key), "yes")
                else:  # another hand-scored scale: the middle of it
                    value = (attribute.scale_max or 0) // 2
                answers.append(AnswerInput(attribute.key, value))
                given.setdefault((unit.pk, attribute.key), []).append(value)
            evaluation = start_scoring(item=unit, evaluator=evaluator)
            save_scores(evaluation=evaluation, actor=evaluator, answers=answers, submit=True)
    session.refresh_from_db()  # revealed: everyone scored everything
    finals = [FinalAnswer(item_id, key, _median(values),
                          "Decided in the calibration call." if key in SCRIPTED else "")
              for (item_id, key), values in given.items()]
    return set_final_answers(session=session, actor=lead, answers=finals, finish=True,
                             notes=script["notes"])


def seed_calibration(organization: Organization, people, stdout=None) -> int:
    """Make the demo's finished calibration sessions that are not there yet; returns how
    many were made (0 when the tenant has too few evaluators or interactions)."""
    scorecard = Scorecard.objects.filter(organization=organization, is_current=True,
                                         is_default=True).first()
    lead, evaluators = _evaluators(people)
    if scorecard is None or lead is None or len(evaluators) < 2:
        return 0
    evaluators = [u for u in evaluators if may_evaluate(organization, u)]
    interactions = _interactions(organization, scorecard, evaluators)
    made = 0
    for number, script in enumerate(SESSIONS):
        picked = interactions[number * ITEMS:(number + 1) * ITEMS]
        if len(picked) < ITEMS or len(evaluators) < 2:
            break
        if CalibrationSession.objects.filter(organization=organization,
                                             name=script["name"]).exists():
            continue
        rows = {k: script[k][:len(evaluators)] for k in SCRIPTED}
        _run(organization, scorecard, lead, evaluators, picked, {**script, **rows})
        made += 1
    if stdout is not None and made:
        stdout.write(f"  quality: {made} calibration session{'s' if made != 1 else ''} "
                     f"finished in {organization.slug}\n")
    return made
