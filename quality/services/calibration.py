"""Calibration sessions: a QA lead picks interactions and evaluators; each evaluator scores
every interaction blind (evaluations of kind ``calibration``: they never count toward an
agent's scores and are never shown to agents); once everyone has scored or the deadline
passed the scores are revealed side by side; the lead sets the final answer per attribute,
and the agreement — Krippendorff's α per attribute and on the totals, percent agreement,
each rater's deviation from the final answers and from the group, with the automatic
scorer as one more rater — is recorded for the session and for the drift over sessions.

Every write locks the session row and re-checks its state under the lock.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tenancy.enums import Role
from tenancy.errors import same_tenant
from tenancy.models import Organization, User
from tenancy.selectors import membership_for, sees_everything

from .. import calibration_stats as stats
from ..enums import (
    AnswerType,
    CalibrationSource,
    CalibrationState,
    EvaluationKind,
    EvaluationState,
)
from ..models import (
    Answer,
    Attribute,
    CalibrationAgreement,
    CalibrationCandidate,
    CalibrationDeviation,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationReference,
    CalibrationSession,
    Evaluation,
    Scorecard,
)
from ..scoring.total import weighted_total
from .answers import AnswerInput, parse_answer, save_answers
from .errors import QualityError
from .evaluations import open_evaluation, start_counting

logger = logging.getLogger(__name__)

MAX_ITEMS = 50
MAX_EVALUATORS = 30
TOTAL_NAME = "Total score"


# --- who may do what -------------------------------------------------------------------


def may_lead(organization: Organization, user: User) -> bool:
    """QA analysts and org admins run calibration sessions."""
    return sees_everything(organization, user, Role.QA_ANALYST)


def _check_lead(session: CalibrationSession, actor: User) -> None:
    if actor.pk != session.lead_id and not may_lead(session.organization, actor):
        raise QualityError("Only the session's lead, a QA analyst or an org admin may do this.",
                           field="session")


def may_evaluate(organization: Organization, user: User) -> bool:
    """Who may be invited to score: members who audit (QA analysts, coaches, org admins)."""
    membership = membership_for(user, organization)
    return membership is not None and membership.has_role(
        Role.ORG_ADMIN, Role.QA_ANALYST, Role.COACH)


# --- creating a session ----------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """An interaction to calibrate on, and why (a disputed or flagged evaluation)."""

    interaction: object
    source: str = CalibrationSource.PICKED
    evaluation: Evaluation | None = None


def _locked_session(session: CalibrationSession) -> CalibrationSession:
    return (CalibrationSession.objects.select_for_update(of=("self",))
            .select_related("organization", "scorecard").get(pk=session.pk))


@transaction.atomic
def create_session(
    *, organization: Organization, actor: User, name: str, deadline: datetime,
    evaluators: Sequence[User], picks: Sequence[Pick] = (),
    disputed: Iterable[Evaluation] = (), candidates: Iterable[CalibrationCandidate] = (),
    scorecard: Scorecard | None = None, notes: str = "",
) -> CalibrationSession:
    """Open a session in blind scoring.

    Interactions come from ``picks``, from ``disputed`` evaluations (their interactions)
    and from the evaluations attached to calibration ``candidates`` sent by the dispute
    analytics (which are marked taken by this session). ``scorecard``: a current version,
    by default the current default scorecard. Needs a name, a deadline in the future,
    1–50 calls, chats or e-mails that have an agent, and 2–30 evaluators who audit, none of
    them the agent of an interaction. Raises :class:`QualityError` naming the field;
    nothing is written then.
    """
    if not may_lead(organization, actor):
        raise QualityError("Only QA analysts and org admins run calibration sessions.",
                           field="session")
    name = (name or "").strip()
    if not name:
        raise QualityError("Give the session a name.", field="name")
    if len(name) > 200:
        raise QualityError("The name is longer than 200 characters.", field="name")
    if deadline is None or deadline <= timezone.now():
        raise QualityError("The deadline is in the future.", field="deadline")
    if scorecard is None:
        scorecard = Scorecard.objects.filter(organization=organization, is_current=True,
                                             is_default=True).first()
        if scorecard is None:
            raise QualityError("There is no default scorecard to calibrate with: pick one.",
                               field="scorecard")
    same_tenant(organization, scorecard, message="That scorecard is not in this organization.")
    if not scorecard.is_current:
        raise QualityError(f"{scorecard} is an old version: calibrate with the current one.",
                           field="scorecard")

    chosen: dict[int, Pick] = {}
    for pick in picks:
        chosen.setdefault(pick.interaction.pk, pick)
    for evaluation in disputed:
        same_tenant(organization, evaluation, message="That evaluation is not in this "
                    "organization.")
        chosen.setdefault(evaluation.interaction_id, Pick(
            evaluation.interaction, CalibrationSource.DISPUTED, evaluation))
    candidates = list(candidates)
    for candidate in candidates:
        same_tenant(organization, candidate, message="That candidate is not in this "
                    "organization.")
        if candidate.taken_at is not None:
            raise QualityError("That calibration candidate was already taken up by a session.",
                               field="candidates")
        for evaluation in candidate.evaluations.select_related("interaction"):
            chosen.setdefault(evaluation.interaction_id, Pick(
                evaluation.interaction, CalibrationSource.FLAGGED, evaluation))
    if not chosen:
        raise QualityError("Pick at least one interaction.", field="interactions")
    if len(chosen) > MAX_ITEMS:
        raise QualityError(f"A session holds at most {MAX_ITEMS} interactions; "
                           f"{len(chosen)} were picked.", field="interactions")

    unique_evaluators = list({user.pk: user for user in evaluators}.values())
    if len(unique_evaluators) < 2:
        raise QualityError("Invite at least two evaluators: agreement needs two raters.",
                           field="evaluators")
    if len(unique_evaluators) > MAX_EVALUATORS:
        raise QualityError(f"Invite at most {MAX_EVALUATORS} evaluators.", field="evaluators")
    for user in unique_evaluators:
        if not may_evaluate(organization, user):
            raise QualityError(f"{user.get_full_name() or user.username} does not audit in "
                               "this organization (QA analysts, coaches and org admins do).",
                               field="evaluators")

    from work.enums import INTERACTION_KINDS

    agents = {}
    for pick in chosen.values():
        interaction = pick.interaction
        same_tenant(organization, interaction,
                    message="That interaction is not in this organization.")
        if interaction.kind not in INTERACTION_KINDS:
            raise QualityError(f"{interaction.label} is not a call, chat or e-mail.",
                               field="interactions")
        agent_id = interaction.resolved_by_id or interaction.assigned_to_id
        if agent_id is None:
            raise QualityError(f"{interaction.label} has no agent to evaluate.",
                               field="interactions")
        agents[interaction.pk] = agent_id
    own = [u for u in unique_evaluators if u.pk in agents.values()]
    if own:
        raise QualityError(f"{own[0].get_full_name() or own[0].username} handled one of the "
                           "interactions and cannot calibrate on their own work.",
                           field="evaluators")

    session = CalibrationSession.objects.create(
        organization=organization, name=name, scorecard=scorecard, lead=actor,
        deadline=deadline, notes=(notes or "").strip(),
    )
    CalibrationItem.objects.bulk_create([
        CalibrationItem(organization=organization, session=session,
                        interaction=pick.interaction, position=position, source=pick.source,
                        source_evaluation=pick.evaluation)
        for position, pick in enumerate(chosen.values(), start=1)
    ])
    CalibrationParticipant.objects.bulk_create([
        CalibrationParticipant(organization=organization, session=session, evaluator=user)
        for user in unique_evaluators
    ])
    if candidates:
        CalibrationCandidate.objects.filter(pk__in=[c.pk for c in candidates]).update(
            taken_at=timezone.now(), session=session)
    transaction.on_commit(lambda: _tell("invite_evaluators", session.pk))
    return session


def _tell(event: str, session_pk: int) -> None:
    """E-mail the people a session event concerns (invitations, the reveal); a session
    never fails because an e-mail could not be sent."""
    try:
        from .. import notifications_calibration

        getattr(notifications_calibration, event)(session_pk)
    except Exception:
        logger.exception("Could not send the %s e-mails of calibration session %s.", event,
                         session_pk)


# --- blind scoring ---------------------------------------------------------------------


def _participant(session: CalibrationSession, user: User) -> CalibrationParticipant:
    participant = CalibrationParticipant.objects.filter(session=session, evaluator=user).first()
    if participant is None:
        raise QualityError("You are not an evaluator of this session.", field="session")
    return participant


def _check_scoring(session: CalibrationSession) -> None:
    if session.state != CalibrationState.SCORING:
        raise QualityError("Scoring is over: the scores were revealed.", field="session")
    if session.deadline <= timezone.now():
        raise QualityError("The deadline passed: scores can no longer be given.",
                           field="session")


@transaction.atomic
def start_scoring(*, item: CalibrationItem, evaluator: User) -> Evaluation:
    """The evaluator's calibration evaluation of ``item`` (a draft is opened the first
    time)."""
    session = item.session
    _participant(session, evaluator)
    existing = Evaluation.objects.filter(calibration_item=item, evaluator=evaluator,
                                         kind=EvaluationKind.CALIBRATION).first()
    if existing is not None:
        return existing
    _check_scoring(session)
    return open_evaluation(interaction=item.interaction, scorecard=session.scorecard,
                           kind=EvaluationKind.CALIBRATION, evaluator=evaluator,
                           calibration_item=item)


@transaction.atomic
def save_scores(*, evaluation: Evaluation, answers: Iterable[AnswerInput], actor: User,
                submit: bool = False, comment: str | None = None) -> Evaluation:
    """Save the evaluator's answers (a draft may be incomplete); ``submit`` needs every
    attribute answered and ends their scoring of this interaction. When the evaluator has
    submitted every interaction they are done; when everyone is, the session is revealed."""
    if evaluation.kind != EvaluationKind.CALIBRATION or evaluation.calibration_item_id is None:
        raise QualityError("This is not a calibration evaluation.", field="evaluation")
    if evaluation.evaluator_id != actor.pk:
        raise QualityError("Only the evaluator scores their calibration.", field="evaluation")
    session = _locked_session(evaluation.calibration_item.session)
    _check_scoring(session)
    evaluation = (Evaluation.objects.select_for_update(of=("self",))
                  .select_related("organization", "scorecard", "interaction")
                  .get(pk=evaluation.pk))
    if evaluation.state != EvaluationState.DRAFT:
        raise QualityError("You already submitted this interaction.", field="evaluation")
    also = []
    if comment is not None:
        evaluation.comment = comment.strip()
        also.append("comment")
    save_answers(evaluation=evaluation, answers=answers, actor=actor, require_complete=submit,
                 action="calibration answered", also_save=also)
    if submit:
        evaluation.submit()
        start_counting(evaluation, actor=actor, action="submitted")  # counts stays False
        _after_submit(session, actor)
    return evaluation


def _after_submit(session: CalibrationSession, evaluator: User) -> None:
    items = session.items.count()
    done = Evaluation.objects.filter(
        calibration_item__session=session, evaluator=evaluator,
        kind=EvaluationKind.CALIBRATION, state=EvaluationState.SUBMITTED).count()
    if done < items:
        return
    CalibrationParticipant.objects.filter(session=session, evaluator=evaluator).update(
        submitted_at=timezone.now())
    if not session.participants.filter(submitted_at__isnull=True).exists():
        _reveal(session)


# --- the reveal ------------------------------------------------------------------------


def _reveal(session: CalibrationSession) -> None:
    session.reveal()
    session.revealed_at = timezone.now()
    session.save(update_fields=["state", "revealed_at"])
    record_agreement(session)
    transaction.on_commit(lambda: _tell("scores_revealed", session.pk))


@transaction.atomic
def reveal(*, session: CalibrationSession, actor: User | None) -> CalibrationSession:
    """Show every score side by side: once every evaluator has submitted, or after the
    deadline (``actor`` ``None``: the beat task at the deadline)."""
    session = _locked_session(session)
    if actor is not None:
        _check_lead(session, actor)
    if session.state != CalibrationState.SCORING:
        raise QualityError("The scores are already revealed.", field="session")
    waiting = session.participants.filter(submitted_at__isnull=True).count()
    if waiting and session.deadline > timezone.now():
        raise QualityError(f"{waiting} evaluator{'s' if waiting != 1 else ''} still scoring: "
                           "reveal once everyone has scored or the deadline passed.",
                           field="session")
    _reveal(session)
    return session


def reveal_due_sessions(*, organization: Organization) -> int:
    """Reveal the organization's sessions whose deadline passed (the beat task)."""
    due = list(CalibrationSession.objects.filter(
        organization=organization, state=CalibrationState.SCORING,
        deadline__lte=timezone.now()).values_list("pk", flat=True))
    revealed = 0
    for pk in due:
        try:
            reveal(session=CalibrationSession.objects.get(pk=pk), actor=None)
            revealed += 1
        except QualityError:  # revealed meanwhile
            continue
    return revealed


# --- final answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class FinalAnswer:
    item_id: int
    attribute_key: str
    answer: object  # "yes" / "no" / "na" / int, as AnswerInput.answer
    note: str = ""


@transaction.atomic
def set_final_answers(*, session: CalibrationSession, actor: User,
                      answers: Iterable[FinalAnswer], finish: bool = False,
                      notes: str | None = None) -> CalibrationSession:
    """Save the lead's final (reference) answers; ``finish`` needs one for every attribute
    of every interaction, ends the session and records the agreement with the deviations
    from the final answers; after commit, the QA leads are e-mailed when the agreement
    crosses the tenant's thresholds (:mod:`.calibration_alerts`). Raises
    :class:`QualityError` naming ``<item>-<attribute>``; nothing is written then."""
    session = _locked_session(session)
    _check_lead(session, actor)
    if session.state == CalibrationState.SCORING:
        raise QualityError("Set the final answers once the scores are revealed.",
                           field="session")
    if session.state == CalibrationState.FINISHED:
        raise QualityError("The session is finished: its final answers are recorded.",
                           field="session")
    items = {item.pk: item for item in session.items.all()}
    attributes = {a.key: a for a in session.scorecard.attributes.all()}
    stored = {(r.item_id, r.attribute.key): r
              for r in CalibrationReference.objects.filter(item__session=session)
              .select_related("attribute")}
    now = timezone.now()
    to_save = []
    for given in answers:
        attribute = attributes.get(given.attribute_key)
        if given.item_id not in items or attribute is None:
            raise QualityError("That answer is not for an interaction and attribute of this "
                               "session.", field=f"{given.item_id}-{given.attribute_key}")
        field = f"{given.item_id}-{attribute.key}"
        try:
            value, na = parse_answer(attribute, given.answer)
        except QualityError as error:
            raise QualityError(error.message, field=field) from error
        if value is None and not na:
            continue  # left empty: keeps what was stored
        note = (given.note or "").strip()
        if len(note) > 5000:
            raise QualityError("A note is at most 5,000 characters.", field=field)
        reference = stored.get((given.item_id, attribute.key)) or CalibrationReference(
            organization=session.organization, item=items[given.item_id], attribute=attribute)
        reference.value, reference.na, reference.note = value, na, note
        reference.decided_by, reference.decided_at = actor, now
        stored[(given.item_id, attribute.key)] = reference
        to_save.append(reference)
    if finish:
        missing = [(item, a) for item in items.values() for a in attributes.values()
                   if (item.pk, a.key) not in stored]
        if missing:
            item, attribute = missing[0]
            raise QualityError(
                f"Set every final answer before finishing: {len(missing)} missing, the first "
                f"“{attribute.name}” of {item.interaction.label}.",
                field=f"{item.pk}-{attribute.key}")
    for reference in to_save:
        reference.save()
    if notes is not None:
        session.notes = notes.strip()
        session.save(update_fields=["notes"])
    if finish:
        session.finish()
        session.finished_at = now
        session.save(update_fields=["state", "finished_at"])
        record_agreement(session)
        transaction.on_commit(lambda: _alert_qa_leads(session.pk))
    return session


def _alert_qa_leads(session_pk: int) -> None:
    """E-mail the QA leads when the finished session crosses the tenant's thresholds; a
    session never fails because an e-mail could not be sent."""
    from .calibration_alerts import send_calibration_alerts

    try:
        send_calibration_alerts(session_pk)
    except Exception:
        logger.exception("Could not send the alerts of calibration session %s.", session_pk)


# --- agreement -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    """Every rater's answers in a session: ``raters`` (evaluators in invitation order, then
    the automatic scorer when it scored any interaction), ``units`` (the session's items),
    and per attribute key a matrix rater × unit of values (``None``: not answered, N/A)."""

    raters: list[User | None]  # None: the automatic scorer
    units: list[CalibrationItem]
    attributes: list[Attribute]
    values: dict[str, list[list[float | None]]]
    totals: list[list[float | None]]
    references: dict[str, list[float | None]]
    reference_totals: list[float | None]


def ratings(session: CalibrationSession) -> Ratings:
    """The session's ratings read in a constant number of queries. The automatic scorer's
    answers are those of its evaluation of the interaction with the same scorecard
    (attributes matched by key), submitted calibration answers only for evaluators."""
    units = list(session.items.select_related("interaction").order_by("position", "id"))
    position = {item.pk: i for i, item in enumerate(units)}
    by_interaction = {item.interaction_id: i for i, item in enumerate(units)}
    attributes = list(session.scorecard.attributes.order_by("position", "id"))
    keys = [a.key for a in attributes]
    participants = list(session.participants.select_related("evaluator").order_by("id"))
    raters: list[User | None] = [p.evaluator for p in participants]
    row_of = {p.evaluator_id: i for i, p in enumerate(participants)}

    def empty():
        return [None] * len(units)

    values = {key: [empty() for _ in raters] for key in keys}
    totals = [empty() for _ in raters]
    human = (Evaluation.objects.filter(calibration_item__session=session,
                                       kind=EvaluationKind.CALIBRATION,
                                       state=EvaluationState.SUBMITTED)
             .values_list("pk", "evaluator_id", "calibration_item_id", "total"))
    evaluation_cell = {}
    for pk, evaluator_id, item_id, total in human:
        if evaluator_id in row_of:
            evaluation_cell[pk] = (row_of[evaluator_id], position[item_id])
            totals[row_of[evaluator_id]][position[item_id]] = total
    auto = list(Evaluation.objects.filter(
        organization=session.organization, kind=EvaluationKind.AUTO,
        interaction_id__in=list(by_interaction), scorecard__key=session.scorecard.key,
    ).exclude(state=EvaluationState.DRAFT).order_by("interaction_id", "-scorecard__version")
        .values_list("pk", "interaction_id", "total"))
    auto_cell = {}
    seen = set()
    for pk, interaction_id, _total in auto:
        if interaction_id in seen:
            continue
        seen.add(interaction_id)
        auto_cell[pk] = by_interaction[interaction_id]
    if auto_cell:
        raters.append(None)
        for key in keys:
            values[key].append(empty())
        totals.append(empty())
        auto_row = len(raters) - 1
        for pk, unit in auto_cell.items():
            totals[auto_row][unit] = next(t for p, _, t in auto if p == pk)
    answers = (Answer.objects.filter(evaluation_id__in=[*evaluation_cell, *auto_cell])
               .values_list("evaluation_id", "attribute__key", "attribute__answer_type",
                            "attribute__scale_max", "value", "na"))
    for evaluation_id, key, _type, _max, value, na in answers:
        if key not in values or na or value is None:
            continue
        if evaluation_id in evaluation_cell:
            row, unit = evaluation_cell[evaluation_id]
        else:
            row, unit = len(raters) - 1, auto_cell[evaluation_id]
        values[key][row][unit] = float(value)
    references = {key: empty() for key in keys}
    reference_answers: dict[int, list] = {}
    by_key = {a.key: a for a in attributes}
    for item_id, key, value, na in CalibrationReference.objects.filter(
            item__session=session).values_list("item_id", "attribute__key", "value", "na"):
        if key in references and not na and value is not None:
            references[key][position[item_id]] = float(value)
        if key in by_key:
            reference_answers.setdefault(position[item_id], []).append((by_key[key], value, na))
    reference_totals = empty()
    for unit, triples in reference_answers.items():
        if len(triples) == len(attributes):
            reference_totals[unit] = weighted_total(triples)[0]
    return Ratings(raters, units, attributes, values, totals, references, reference_totals)


def _level(attribute: Attribute) -> str:
    return "nominal" if attribute.answer_type == AnswerType.YES_NO else "ordinal"


def _scale(attribute: Attribute) -> float:
    return float(attribute.scale_max) if attribute.answer_type == AnswerType.SCALE else 1.0


def record_agreement(session: CalibrationSession) -> None:
    """(Re)compute and store the session's agreement per attribute and on the totals, and
    each rater's deviations (from the final answers once they are set). Seeded by the
    session, so the same ratings give the same intervals."""
    data = ratings(session)
    has_auto = bool(data.raters) and data.raters[-1] is None
    humans = len(data.raters) - (1 if has_auto else 0)
    now = timezone.now()
    org = session.organization
    rows = []
    subjects = [(a.key, a.name, _level(a), data.values[a.key], data.references[a.key],
                 _scale(a)) for a in data.attributes]
    subjects.append(("", TOTAL_NAME, "interval", data.totals, data.reference_totals, 100.0))
    deviations = []
    for key, name, level, matrix, reference, scale in subjects:
        result = stats.alpha(matrix[:humans], level, seed=session.pk)
        with_auto = stats.alpha(matrix, level, samples=0).alpha if has_auto else None
        rows.append(CalibrationAgreement(
            organization=org, session=session, attribute_key=key, attribute_name=name,
            level=level, alpha=result.alpha, alpha_low=result.low, alpha_high=result.high,
            alpha_with_auto=with_auto,
            percent_agreement=stats.percent_agreement(matrix[:humans]),
            units=result.units, ratings=result.ratings, raters=result.raters,
            recorded_at=now,
        ))
        has_reference = any(v is not None for v in reference)
        for row, rater in enumerate(data.raters):
            deviation = stats.deviation(matrix[:humans] + ([matrix[row]] if rater is None
                                                           else []),
                                        row if rater is not None else humans,
                                        reference if has_reference else None, scale=scale)
            if deviation.n == 0:
                continue
            deviations.append(CalibrationDeviation(
                organization=org, session=session, evaluator=rater,
                is_auto=rater is None, attribute_key=key, n=deviation.n,
                from_final=deviation.from_final, disagree_final=deviation.disagree_final,
                from_group=deviation.from_group, recorded_at=now,
            ))
    CalibrationAgreement.objects.filter(session=session).delete()
    CalibrationDeviation.objects.filter(session=session).delete()
    CalibrationAgreement.objects.bulk_create(rows)
    CalibrationDeviation.objects.bulk_create(deviations)


def final_answer_inputs(raw: Mapping[str, object]) -> list[FinalAnswer]:
    """Final answers from form fields named ``final-<item>-<attribute key>`` (and notes
    ``note-<item>-<attribute key>``)."""
    answers = []
    for name, value in raw.items():
        if not name.startswith("final-"):
            continue
        item, _, key = name[len("final-"):].partition("-")
        if not item.isdigit() or not key:
            continue
        answers.append(FinalAnswer(int(item), key, value,
                                   str(raw.get(f"note-{item}-{key}", "") or "")))
    return answers
