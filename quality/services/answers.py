"""Writing an evaluation's answers — the one writer every scorer, audit and API uses.

:func:`save_answers` validates the answers against the scorecard version, writes them,
recomputes the total, records the history, and keeps the per-agent, per-day rollups
(:class:`quality.models.ScoreRollup`) in step, all in one transaction. State changes that
make an evaluation start or stop counting call :func:`apply_rollups` themselves.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tenancy.models import User

from ..enums import TOTAL_KEY, AnswerType, EvaluationKind, EvaluationState
from ..models import Answer, Attribute, Evaluation, EvaluationChange, ScoreRollup
from ..scoring.total import weighted_total
from .errors import QualityError

YES_WORDS = {"yes": 1, "no": 0}


@dataclass
class AnswerInput:
    """One answer as a caller gives it. ``answer`` is ``"yes"``, ``"no"``, ``"na"`` or an
    int (scales), or ``None`` (not answered: allowed in drafts only)."""

    attribute_key: str
    answer: Any
    comment: str = ""
    evidence: list[int] = field(default_factory=list)
    scorer: str = ""
    alternatives: dict[str, Any] = field(default_factory=dict)


def parse_answer(attribute: Attribute, raw: Any) -> tuple[int | None, bool]:
    """``(value, na)`` for a raw answer, or :class:`QualityError` naming the attribute."""
    if raw is None or raw == "":
        return None, False
    if isinstance(raw, str) and raw.strip().lower() in ("na", "n/a"):
        if not attribute.na_allowed:
            raise QualityError(f"“{attribute.name}” cannot be answered N/A.", field=attribute.key)
        return None, True
    if attribute.answer_type == AnswerType.YES_NO:
        word = raw.strip().lower() if isinstance(raw, str) else raw
        if word in YES_WORDS:
            return YES_WORDS[word], False
        if isinstance(word, bool):
            return int(word), False
        raise QualityError(
            f"“{attribute.name}” is answered yes, no"
            f"{' or na' if attribute.na_allowed else ''}; got {raw!r}.",
            field=attribute.key,
        )
    value = raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        value = int(raw.strip())
    in_range = isinstance(value, int) and 0 <= value <= attribute.scale_max
    if isinstance(value, bool) or not in_range:
        raise QualityError(
            f"“{attribute.name}” is answered with a whole number from 0 to "
            f"{attribute.scale_max}{' or na' if attribute.na_allowed else ''}; got {raw!r}.",
            field=attribute.key,
        )
    return value, False


def _check_evidence(attribute: Attribute, evidence: Iterable, turn_count: int | None) -> list[int]:
    turns = []
    for index in evidence or ():
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise QualityError(
                f"Evidence for “{attribute.name}” must be turn numbers (0, 1, 2…).",
                field=attribute.key,
            )
        if turn_count is not None and index >= turn_count:
            raise QualityError(
                f"Evidence for “{attribute.name}” cites turn {index}, but the transcript has "
                f"{turn_count} turns.", field=attribute.key,
            )
        turns.append(index)
    return sorted(set(turns))


def _turn_count(evaluation: Evaluation) -> int | None:
    from work.models import Transcript

    return (Transcript.objects.filter(work_item_id=evaluation.interaction_id)
            .values_list("turn_count", flat=True).first())


_READ = object()  # "read it from the database"


def _validated(
    evaluation: Evaluation, attributes: Mapping[str, Attribute], stored: Mapping[str, Answer],
    answers: Iterable[AnswerInput], turn_count: int | None, require_complete: bool,
) -> tuple[dict, dict]:
    """``(parsed, final)``: the given answers checked against the scorecard version, and
    every attribute's ``(attribute, value, na)`` once they are written. Raises
    :class:`QualityError` naming the attribute."""
    parsed: dict[str, tuple[Attribute, int | None, bool, AnswerInput, list[int]]] = {}
    for given in answers:
        attribute = attributes.get(given.attribute_key)
        if attribute is None:
            raise QualityError(
                f"“{given.attribute_key}” is not an attribute of {evaluation.scorecard}.",
                field=given.attribute_key,
            )
        if given.attribute_key in parsed:
            raise QualityError(f"“{attribute.name}” is answered twice.", field=attribute.key)
        value, na = parse_answer(attribute, given.answer)
        evidence = _check_evidence(attribute, given.evidence, turn_count)
        parsed[attribute.key] = (attribute, value, na, given, evidence)

    final: dict[str, tuple[Attribute, int | None, bool]] = {}
    for key, attribute in attributes.items():
        if key in parsed:
            _, value, na, _, _ = parsed[key]
        elif key in stored:
            value, na = stored[key].value, stored[key].na
        else:
            value, na = None, False
        final[key] = (attribute, value, na)
    if require_complete:
        missing = [a.name for a, value, na in final.values() if value is None and not na]
        if missing:
            raise QualityError(
                "Answer every attribute before submitting: " + ", ".join(
                    f"“{name}”" for name in missing) + " not answered.",
                field=next(a.key for a, v, n in final.values() if a.name == missing[0]),
            )
    return parsed, final


def _fill(answer: Answer, value: int | None, na: bool, given: AnswerInput,
          evidence: list[int]) -> None:
    answer.value, answer.na = value, na
    answer.comment = (given.comment or "").strip()
    answer.evidence = evidence
    answer.scorer = given.scorer
    answer.alternatives = dict(given.alternatives or {})


@transaction.atomic
def save_answers(
    *, evaluation: Evaluation, answers: Iterable[AnswerInput], actor: User | None,
    require_complete: bool = False, action: str = "answered", note: str = "",
    log_each: bool = True, stored: Iterable[Answer] | None = None, turn_count=_READ,
    also_save: Iterable[str] = (),
) -> Evaluation:
    """Validate and write ``answers`` (attribute keys of the evaluation's scorecard), then
    recompute the total and update the rollups.

    Attributes not in ``answers`` keep their stored answer. ``require_complete``: every
    attribute must end up answered (a value or N/A) — submitting an audit, an automatic
    scoring, an evaluation posted by the API. ``log_each``: one history line per changed
    attribute (audits); otherwise one line for the whole change (automatic rescoring).
    Raises :class:`QualityError` naming the attribute; nothing is written then. The caller
    holds the evaluation's row lock (or has just created it).

    A caller that already holds what this reads may pass it: ``stored``, the evaluation's
    answers as read under the lock (each with its attribute); ``turn_count``, the
    transcript's (``None``: no transcript). ``also_save``: evaluation fields the caller
    changed, saved with the total.
    """
    attributes = {a.key: a for a in evaluation.scorecard.attributes.all()}
    if stored is None:
        stored = evaluation.answers.select_related("attribute")
    stored = {a.attribute.key: a for a in stored}
    if turn_count is _READ:
        turn_count = _turn_count(evaluation)
    parsed, final = _validated(evaluation, attributes, stored, answers, turn_count,
                               require_complete)

    counted = evaluation.counts
    before_sums = _contributions(evaluation, stored.values()) if counted else {}

    now = timezone.now()
    changes: list[EvaluationChange] = []
    to_create: list[Answer] = []
    to_update: list[Answer] = []
    for key, (attribute, value, na, given, evidence) in parsed.items():
        answer = stored.get(key)
        before = answer.display if answer is not None else None
        if answer is None:
            answer = Answer(organization_id=evaluation.organization_id, evaluation=evaluation,
                            attribute=attribute)
            to_create.append(answer)
        else:
            to_update.append(answer)
        _fill(answer, value, na, given, evidence)
        after = answer.display
        if log_each and before != after:
            changes.append(EvaluationChange(
                organization_id=evaluation.organization_id, evaluation=evaluation, actor=actor,
                at=now, action=action, attribute=attribute.name, before=before, after=after,
                note=note,
            ))
    Answer.objects.bulk_create(to_create)
    if to_update:
        Answer.objects.bulk_update(
            to_update, ["value", "na", "comment", "evidence", "scorer", "alternatives"]
        )

    before_total = evaluation.total
    evaluation.total, evaluation.critical_failed = weighted_total(final.values())
    evaluation.updated_at = now
    evaluation.save(update_fields=["total", "critical_failed", "updated_at", *also_save])
    if not log_each and (to_create or to_update):
        changes.append(EvaluationChange(
            organization_id=evaluation.organization_id, evaluation=evaluation, actor=actor,
            at=now, action=action, before=before_total, after=evaluation.total, note=note,
        ))
    EvaluationChange.objects.bulk_create(changes)

    if counted:
        after_sums = _contributions(evaluation, [*stored.values(), *to_create])
        _upsert_rollups(evaluation.organization_id, _difference(after_sums, before_sums))
    return evaluation


@transaction.atomic(savepoint=False)
def create_with_answers(
    *, evaluation: Evaluation, answers: Iterable[AnswerInput], actor: User | None,
    turn_count: int | None, action: str, state_action: str = "",
    require_complete: bool = False, note: str = "",
) -> Evaluation:
    """Insert ``evaluation`` — built by the caller in its final state, not saved yet — with
    its ``answers``, for a caller that opens and finishes an evaluation in one step (the
    automatic scorer).

    What :func:`save_answers` would do on a fresh evaluation, in fewer statements: the
    answers are validated the same way (``turn_count``: the transcript's, ``None`` without
    one; nothing is written on a :class:`QualityError`), the total is computed before the
    one INSERT of the evaluation, the answers go in one bulk insert, the history gets one
    line for the answers (``action``, before ``None``, after the total) and, with
    ``state_action``, one for the state; a submitted or released evaluation gets its
    ``submitted_at`` / ``released_at`` (both as :func:`~.evaluations.start_counting` writes
    them), and the rollups get the evaluation from the answers in memory when it counts.
    Runs in the caller's transaction without a savepoint of its own: an error rolls the
    caller's transaction back.
    """
    attributes = {a.key: a for a in evaluation.scorecard.attributes.all()}
    parsed, final = _validated(evaluation, attributes, {}, answers, turn_count,
                               require_complete)
    now = timezone.now()
    evaluation.total, evaluation.critical_failed = weighted_total(final.values())
    evaluation.updated_at = now
    if evaluation.state != EvaluationState.DRAFT:  # as start_counting stamps it
        evaluation.submitted_at = evaluation.submitted_at or now
        if evaluation.state == EvaluationState.RELEASED:
            evaluation.released_at = evaluation.released_at or now
    evaluation.save(force_insert=True)
    created = []
    for attribute, value, na, given, evidence in parsed.values():
        answer = Answer(organization_id=evaluation.organization_id, evaluation=evaluation,
                        attribute=attribute)
        _fill(answer, value, na, given, evidence)
        created.append(answer)
    Answer.objects.bulk_create(created)
    changes = []
    if created:
        changes.append(EvaluationChange(
            organization_id=evaluation.organization_id, evaluation=evaluation, actor=actor,
            at=now, action=action, before=None, after=evaluation.total, note=note,
        ))
    if state_action:
        changes.append(EvaluationChange(
            organization_id=evaluation.organization_id, evaluation=evaluation, actor=actor,
            at=now, action=state_action, before=None, after=evaluation.get_state_display(),
        ))
    EvaluationChange.objects.bulk_create(changes)
    if evaluation.counts:
        _upsert_rollups(evaluation.organization_id, _contributions(evaluation, created))
    return evaluation


def log_change(
    *, evaluation: Evaluation, actor: User | None, action: str, before: Any = None,
    after: Any = None, attribute: str = "", note: str = "",
) -> EvaluationChange:
    """Add one line to the evaluation's history (state changes, comments)."""
    return EvaluationChange.objects.create(
        organization_id=evaluation.organization_id, evaluation=evaluation, actor=actor,
        action=action, attribute=attribute, before=before, after=after, note=note[:500],
    )


# --- rollups --------------------------------------------------------------------------

RollupKey = tuple[int, Any, str, str, str, str]  # agent, day, kind, scorecard, attribute, scorer


def _contributions(
    evaluation: Evaluation, answers: Iterable[Answer] | None = None,
) -> dict[RollupKey, list[float]]:
    """What one counted evaluation adds to the rollups: ``key -> [n, sum, sum_sq, failures]``.
    ``answers``: its answers as the caller holds them (each with its attribute); read from
    the database when not given."""
    if evaluation.agent_id is None:
        return {}
    tz = evaluation.organization.tzinfo
    day = timezone.localtime(evaluation.interaction_at, tz).date()
    scorecard_key = evaluation.scorecard.key
    base = (evaluation.agent_id, day, evaluation.kind, scorecard_key)
    sums: dict[RollupKey, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0])
    scorer = evaluation.scorer if evaluation.kind == EvaluationKind.AUTO else ""
    if evaluation.total is not None:
        row = sums[(*base, TOTAL_KEY, scorer)]
        row[0] += 1
        row[1] += evaluation.total
        row[2] += evaluation.total ** 2
        row[3] += int(evaluation.critical_failed)
    if answers is None:
        answers = evaluation.answers.select_related("attribute")
    for answer in answers:
        if answer.na or answer.value is None:
            continue
        points = answer.attribute.points(answer.value)
        row = sums[(*base, answer.attribute.key,
                    answer.scorer if evaluation.kind == EvaluationKind.AUTO else "")]
        row[0] += 1
        row[1] += points
        row[2] += points ** 2
        row[3] += int(points <= 0)
    return sums


def _difference(after: Mapping[RollupKey, list[float]],
                before: Mapping[RollupKey, list[float]]) -> dict[RollupKey, list[float]]:
    """``after − before`` per rollup row, leaving out rows that do not change."""
    zero = [0, 0.0, 0.0, 0]
    change = {}
    for key in {*after, *before}:
        row = [a - b for a, b in zip(after.get(key, zero), before.get(key, zero), strict=True)]
        if any(row):
            change[key] = row
    return change


def apply_rollups(evaluation: Evaluation, *, sign: int,
                  answers: Iterable[Answer] | None = None) -> None:
    """Add (``sign=1``) or take away (``-1``) the evaluation's answers from the rollups,
    with one upsert. ``answers``: its answers as the caller holds them (each with its
    attribute); read from the database when not given."""
    sums = _contributions(evaluation, answers)
    _upsert_rollups(evaluation.organization_id,
                    {key: [sign * part for part in row] for key, row in sums.items()})


def _upsert_rollups(organization_id: int, sums: Mapping[RollupKey, list[float]]) -> None:
    """Add ``sums`` to the rollups with one upsert. Rows are written in key order so
    concurrent scorers of the same agent and day cannot deadlock."""
    if not sums:
        return
    table = ScoreRollup._meta.db_table
    columns = ("organization_id, agent_id, day, kind, scorecard_key, attribute_key, scorer, "
               "n, total, total_sq, failures")
    rows, params = [], []
    for key in sorted(sums, key=lambda k: (k[0], str(k[1]), k[2], k[3], k[4], k[5])):
        n, total, total_sq, failures = sums[key]
        rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params.extend([organization_id, *key, n, total, total_sq, failures])
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} "  # noqa: S608 (constants)
        "ON CONFLICT (organization_id, agent_id, day, kind, scorecard_key, attribute_key, scorer) "
        f"DO UPDATE SET n = {table}.n + excluded.n, total = {table}.total + excluded.total, "
        f"total_sq = {table}.total_sq + excluded.total_sq, "
        f"failures = {table}.failures + excluded.failures"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
