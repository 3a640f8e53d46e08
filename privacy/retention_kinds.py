"""One function per kind of data a retention run applies to (see :mod:`privacy.retention`).

Each takes the organization, the cutoff (rows older than it are due), ``dry_run`` and the
policy, and returns a :class:`~privacy.retention.KindOutcome`: how many rows it changed (or
would change), the oldest date among them, a few identifiers, and how many older rows it
kept because open coaching or an open review still needs them. A real run first computes
the same figures as a dry run (the oldest date, the identifiers, the kept count), then
changes the rows in batches of :data:`BATCH`, each batch in its own transaction with its
rows locked (``FOR UPDATE SKIP LOCKED``: a row another transaction is changing waits for
the next night), and reports the rows it actually changed.

What each kind does:

- **transcripts**: the text of every turn is removed; who spoke and when stays (evidence
  still points at the right turn), and so do the interaction and its scores. Dated by the
  interaction (opened, else received).
- **work items**: closed ones (resolved, closed, cancelled) are deleted, dated by when they
  were closed (else resolved, else last changed). Kept: items with evaluations (they
  follow the evaluations' policy), bookmarked best responses, unprocessed events, and any
  in open coaching.
- **evaluations**: *anonymise* unlinks the agent and clears the free text written about
  them (the evaluation's and its answers' comments, dispute reasons and decisions, history
  notes), keeping every score; the interaction loses its assignee (and resolver) once none
  of its evaluations names an agent; *delete* removes them with their answers, history and
  disputes. Dated by the interaction. Either way the per-agent daily rollups the
  dashboards read are not touched.
- **access log**: records older than the period are deleted (inside
  :func:`privacy.access.deleting_expired_records`, which lets the append-only table's
  triggers allow it).
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from coaching.enums import OPEN_STATES as OPEN_ASSESSMENT_STATES
from coaching.models import (
    AssignmentInteraction,
    AssignmentStatus,
    CoachingAssessment,
    CoachingMark,
    MarkState,
    PlanExample,
    PlanStatus,
)
from quality.enums import CalibrationState, ReviewState
from quality.models import (
    Answer,
    AuditAssignment,
    BestResponse,
    CalibrationItem,
    Dispute,
    DisputeItem,
    Evaluation,
    EvaluationChange,
)
from tenancy.models import Organization
from work.enums import WorkState
from work.models import Transcript, WorkEvent, WorkItem

from .models import AccessRecord
from .retention import ANONYMISE, KindOutcome, RetentionPolicy

BATCH = 500
SAMPLES = 5

OPEN_REVIEW_STATES = (ReviewState.PENDING_AGENT, ReviewState.PENDING_SUPERVISOR,
                      ReviewState.RE_EVALUATED)
CLOSED_WORK_STATES = (WorkState.RESOLVED, WorkState.CLOSED, WorkState.CANCELLED)
OPEN_PLAN_STATES = (PlanStatus.DRAFT, PlanStatus.SHARED, PlanStatus.WORKING)


def in_open_coaching(ref: str) -> Q:
    """Rows whose interaction (the outer row's ``ref`` column, a work item id) is still in
    use: an open assessment about it, an active coaching mark, a coaching assignment not yet
    completed, a plan not yet decided (and not deleted), a calibration session not yet
    finished, or an evaluation of it under the agent's review."""
    item = OuterRef(ref)
    return (
        Q(Exists(CoachingAssessment.objects.filter(work_item=item,
                                                   state__in=OPEN_ASSESSMENT_STATES)))
        | Q(Exists(CoachingMark.objects.filter(interaction=item, state=MarkState.ACTIVE)))
        | Q(Exists(AssignmentInteraction.objects.filter(interaction=item).exclude(
            assignment__status=AssignmentStatus.COMPLETED)))
        | Q(Exists(PlanExample.objects.filter(interaction=item, plan__status__in=OPEN_PLAN_STATES,
                                              plan__deleted_at__isnull=True)))
        | Q(Exists(CalibrationItem.objects.filter(interaction=item).exclude(
            session__state=CalibrationState.FINISHED)))
        | Q(Exists(Evaluation.objects.filter(interaction=item,
                                             review_state__in=OPEN_REVIEW_STATES)))
    )


def _figures(outcome: KindOutcome, *, due: QuerySet, eligible: QuerySet,
             sample: tuple[str, ...], label: Callable[..., str]) -> None:
    """Fill the dry-run figures: how many eligible rows, the oldest, a few identifiers
    (oldest first), and how many due rows are kept (``due`` minus ``eligible``)."""
    outcome.count = eligible.count()
    if outcome.count:
        outcome.oldest = eligible.aggregate(oldest=Min("retention_at"))["oldest"]
        rows = eligible.order_by("retention_at", "pk").values_list(*sample)[:SAMPLES]
        outcome.samples = [label(*row) for row in rows]
    outcome.kept = due.count() - outcome.count


def _batches(eligible: QuerySet, *fields: str) -> Iterator[list]:
    """Yield the eligible rows ``fields`` (the pk first) in batches of :data:`BATCH`, each
    inside its own transaction with the batch's rows locked; rows locked by another
    transaction are skipped (the next run takes them)."""
    last = 0
    while True:
        with transaction.atomic():
            rows = list(eligible.filter(pk__gt=last).order_by("pk")
                        .select_for_update(of=("self",), skip_locked=True)
                        .values_list("pk", *fields)[:BATCH])
            if not rows:
                return
            last = rows[-1][0]
            yield rows


# --- transcripts --------------------------------------------------------------------------


def _has_text(turns) -> bool:
    return isinstance(turns, list) and any(
        isinstance(turn, dict) and turn.get("text") for turn in turns)


def _with_text(transcripts: QuerySet) -> QuerySet:
    """The transcripts that still hold text (in the database on PostgreSQL; SQLite, the
    embedded default, has no JSON path query, so Python looks)."""
    if connection.vendor == "postgresql":
        table = Transcript._meta.db_table
        # A constant statement (the table name is the model's): no input reaches it.
        return transcripts.alias(has_text=RawSQL(  # noqa: S611
            f"jsonb_path_exists({table}.turns, '$[*] ? (@.text != \"\")')", [],
            output_field=BooleanField())).filter(has_text=True)
    keep = [pk for pk, turns in transcripts.values_list("pk", "turns") if _has_text(turns)]
    return transcripts.filter(pk__in=keep)


def _without_text(turns) -> list:
    """The turns with who spoke and when, and no text."""
    kept = []
    for turn in turns if isinstance(turns, list) else []:
        turn = turn if isinstance(turn, dict) else {}
        stripped = {"speaker": turn.get("speaker", ""), "text": ""}
        if turn.get("at") is not None:
            stripped["at"] = turn["at"]
        kept.append(stripped)
    return kept


def retain_transcripts(*, organization: Organization, cutoff: datetime, dry_run: bool,
                       policy: RetentionPolicy) -> KindOutcome:
    """Remove the text of transcripts of interactions older than ``cutoff``."""
    outcome = KindOutcome(kind="transcripts", action="remove text", cutoff=cutoff)
    due = _with_text(
        Transcript.objects.filter(organization=organization)
        .annotate(retention_at=Coalesce("work_item__opened_at", "work_item__created_at"))
        .filter(retention_at__lt=cutoff))
    eligible = due.exclude(in_open_coaching("work_item_id"))
    _figures(outcome, due=due, eligible=eligible,
             sample=("work_item__number", "work_item__external_id"),
             label=lambda number, external_id: number or external_id)
    if dry_run:
        return outcome
    changed = 0
    for rows in _batches(eligible, "turns"):
        transcripts = [Transcript(pk=pk, turns=_without_text(turns)) for pk, turns in rows]
        Transcript.objects.bulk_update(transcripts, ["turns"])
        changed += len(transcripts)
    outcome.count = changed
    return outcome


# --- work items ---------------------------------------------------------------------------


def retain_work_items(*, organization: Organization, cutoff: datetime, dry_run: bool,
                      policy: RetentionPolicy) -> KindOutcome:
    """Delete closed work items closed before ``cutoff`` that nothing still needs."""
    outcome = KindOutcome(kind="work_items", action="delete", cutoff=cutoff)
    item = OuterRef("pk")
    due = (WorkItem.objects.filter(organization=organization, state__in=CLOSED_WORK_STATES)
           .annotate(retention_at=Coalesce("closed_at", "resolved_at", "updated_at"))
           .filter(retention_at__lt=cutoff)
           # Scored interactions follow the evaluations' policy; bookmarks and events not
           # yet processed are not this policy's to drop.
           .exclude(Exists(Evaluation.objects.filter(interaction=item)))
           .exclude(Exists(BestResponse.objects.filter(interaction=item)))
           .exclude(Exists(WorkEvent.objects.filter(work_item=item, processed_at__isnull=True))))
    eligible = due.exclude(in_open_coaching("pk"))
    _figures(outcome, due=due, eligible=eligible, sample=("number", "external_id"),
             label=lambda number, external_id: number or external_id)
    if dry_run:
        return outcome
    deleted = 0
    for rows in _batches(eligible):
        _, per_model = WorkItem.objects.filter(pk__in=[pk for pk, in rows]).delete()
        deleted += per_model.get(WorkItem._meta.label, 0)
    outcome.count = deleted
    return outcome


# --- evaluations --------------------------------------------------------------------------


PEOPLE_FIELDS = ("assigned_to", "resolved_by")  # work item fields that name the agent


def _anonymise_evaluations(rows: list[tuple[int, int | None]]) -> None:
    """Unlink the agent from these evaluations and clear what was written about them; an
    interaction none of whose evaluations names an agent any more loses its assignee too
    (its own fields, the change events that name them, and its audit allocation), or the
    scores would still lead to the person."""
    ids = [pk for pk, _ in rows]
    interaction_ids = set(Evaluation.objects.filter(pk__in=ids)
                          .values_list("interaction_id", flat=True))
    by_agent: dict[int, list[int]] = defaultdict(list)
    for pk, agent_id in rows:
        if agent_id is not None:
            by_agent[agent_id].append(pk)
    for agent_id, pks in by_agent.items():  # the agent's own lines (accepted, disputed)
        EvaluationChange.objects.filter(evaluation_id__in=pks, actor_id=agent_id).update(
            actor=None)
    EvaluationChange.objects.filter(evaluation_id__in=ids).exclude(note="").update(note="")
    EvaluationChange.objects.filter(evaluation_id__in=ids, action="commented").update(
        before=None, after=None)
    Answer.objects.filter(evaluation_id__in=ids).exclude(comment="").update(comment="")
    DisputeItem.objects.filter(dispute__evaluation_id__in=ids).update(reason="", comment="")
    Dispute.objects.filter(evaluation_id__in=ids).update(raised_by=None)
    Evaluation.objects.filter(pk__in=ids).update(agent=None, comment="")

    unlinked = list(WorkItem.objects.filter(pk__in=interaction_ids).exclude(
        Exists(Evaluation.objects.filter(interaction=OuterRef("pk"), agent__isnull=False)))
        .values_list("pk", flat=True))
    WorkItem.objects.filter(pk__in=unlinked).update(assigned_to=None, resolved_by=None)
    AuditAssignment.objects.filter(interaction_id__in=unlinked).delete()
    events = list(WorkEvent.objects.filter(work_item_id__in=unlinked,
                                           changes__has_any_keys=list(PEOPLE_FIELDS)))
    for event in events:
        event.changes = {field: [None, None] if field in PEOPLE_FIELDS else change
                         for field, change in event.changes.items()}
    WorkEvent.objects.bulk_update(events, ["changes"])


def retain_evaluations(*, organization: Organization, cutoff: datetime, dry_run: bool,
                       policy: RetentionPolicy) -> KindOutcome:
    """Anonymise or delete (the policy's ``evaluations_mode``) evaluations of interactions
    older than ``cutoff``; never one under review or whose interaction is in open
    coaching."""
    anonymise = policy.evaluations_mode == ANONYMISE
    outcome = KindOutcome(kind="evaluations", action="anonymise" if anonymise else "delete",
                          cutoff=cutoff)
    due = (Evaluation.objects.filter(organization=organization)
           .annotate(retention_at=F("interaction_at")).filter(retention_at__lt=cutoff))
    if anonymise:  # the ones not anonymised yet
        due = due.filter(Q(agent__isnull=False) | ~Q(comment=""))
    eligible = due.exclude(in_open_coaching("interaction_id"))
    _figures(outcome, due=due, eligible=eligible, sample=("pk",), label=lambda pk: f"#{pk}")
    if dry_run:
        return outcome
    changed = 0
    for rows in _batches(eligible, "agent_id"):
        if anonymise:
            _anonymise_evaluations(rows)
            changed += len(rows)
        else:
            _, per_model = Evaluation.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
            changed += per_model.get(Evaluation._meta.label, 0)
    outcome.count = changed
    return outcome


# --- access log ---------------------------------------------------------------------------


@contextmanager
def _deleting_access_records() -> Iterator[None]:
    """The access engineer's :func:`privacy.access.deleting_expired_records`; until it
    exists, the same transaction-local flag its triggers read."""
    try:
        from .access import deleting_expired_records
    except ImportError:  # pragma: no cover - only before privacy.access lands
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('app.retention', 'on', true)")
            yield
        return
    with deleting_expired_records():
        yield


def retain_access_log(*, organization: Organization, cutoff: datetime, dry_run: bool,
                      policy: RetentionPolicy) -> KindOutcome:
    """Delete access records older than ``cutoff``."""
    outcome = KindOutcome(kind="access_log", action="delete", cutoff=cutoff)
    due = (AccessRecord.objects.filter(organization=organization)
           .annotate(retention_at=F("viewed_at")).filter(retention_at__lt=cutoff))
    _figures(outcome, due=due, eligible=due, sample=("pk",), label=lambda pk: f"#{pk}")
    if dry_run:
        return outcome
    deleted = 0
    while True:
        with _deleting_access_records():
            ids = list(due.order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            deleted += AccessRecord.objects.filter(pk__in=ids).delete()[0]
    outcome.count = deleted
    return outcome
