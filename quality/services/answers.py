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

from ..enums import TOTAL_KEY, AnswerType, EvaluationKind
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


@transaction.atomic
def save_answers(
    *, evaluation: Evaluation, answers: Iterable[AnswerInput], actor: User | None,
    require_complete: bool = False, action: str = "answered", note: str = "",
    log_each: bool = True,
) -> Evaluation:
    """Validate and write ``answers`` (attribute keys of the evaluation's scorecard), then
    recompute the total and update the rollups.

    Attributes not in ``answers`` keep their stored answer. ``require_complete``: every
    attribute must end up answered (a value or N/A) — submitting an audit, an automatic
    scoring, an evaluation posted by the API. ``log_each``: one history line per changed
    attribute (audits); otherwise one line for the whole change (automatic rescoring).
    Raises :class:`QualityError` naming the attribute; nothing is written then. The caller
    holds the evaluation's row lock (or has just created it).
    """
    attributes = {a.key: a for a in evaluation.scorecard.attributes.all()}
    stored = {a.attribute.key: a for a in evaluation.answers.select_related("attribute")}
    turn_count = _turn_count(evaluation)
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

    counted = evaluation.counts
    if counted:
        apply_rollups(evaluation, sign=-1)

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
        answer.value, answer.na = value, na
        answer.comment = (given.comment or "").strip()
        answer.evidence = evidence
        answer.scorer = given.scorer
        answer.alternatives = dict(given.alternatives or {})
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
    evaluation.save(update_fields=["total", "critical_failed", "updated_at"])
    if not log_each and (to_create or to_update):
        changes.append(EvaluationChange(
            organization_id=evaluation.organization_id, evaluation=evaluation, actor=actor,
            at=now, action=action, before=before_total, after=evaluation.total, note=note,
        ))
    EvaluationChange.objects.bulk_create(changes)

    if counted:
        apply_rollups(evaluation, sign=1)
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


def _contributions(evaluation: Evaluation) -> Mapping[RollupKey, list[float]]:
    """What one counted evaluation adds to the rollups: ``key -> [n, sum, sum_sq, failures]``."""
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
    for answer in evaluation.answers.select_related("attribute"):
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


def apply_rollups(evaluation: Evaluation, *, sign: int) -> None:
    """Add (``sign=1``) or take away (``-1``) the evaluation's stored answers from the
    rollups, with one upsert. Rows are written in key order so concurrent scorers of the
    same agent and day cannot deadlock."""
    sums = _contributions(evaluation)
    if not sums:
        return
    table = ScoreRollup._meta.db_table
    columns = ("organization_id, agent_id, day, kind, scorecard_key, attribute_key, scorer, "
               "n, total, total_sq, failures")
    rows, params = [], []
    for key in sorted(sums, key=lambda k: (k[0], str(k[1]), k[2], k[3], k[4], k[5])):
        n, total, total_sq, failures = sums[key]
        rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params.extend([evaluation.organization_id, *key, sign * n, sign * total,
                       sign * total_sq, sign * failures])
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} "  # noqa: S608 (constants)
        "ON CONFLICT (organization_id, agent_id, day, kind, scorecard_key, attribute_key, scorer) "
        f"DO UPDATE SET n = {table}.n + excluded.n, total = {table}.total + excluded.total, "
        f"total_sq = {table}.total_sq + excluded.total_sq, "
        f"failures = {table}.failures + excluded.failures"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
