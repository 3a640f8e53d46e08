"""Reads of the calibration pages: which sessions a member sees, the sessions list with
each session's progress, one evaluator's scoring progress, who has submitted, and — once
the scores are revealed — the reveal table (attributes × raters per interaction, cells
that differ from the majority marked) read from
:func:`quality.services.calibration.ratings`.

Blindness lives here and in the views: nothing in this module returns anybody's answers
or totals while a session is scoring, except :func:`my_evaluations` (the asking
evaluator's own).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from tenancy.models import Organization, User

from .enums import AnswerType, CalibrationState, EvaluationKind, EvaluationState
from .models import (
    Answer,
    Attribute,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationReference,
    CalibrationSession,
    Evaluation,
    Scorecard,
)
from .services.calibration import may_evaluate, may_lead, ratings

TABS = {"mine": "Mine to score", "lead": "I lead", "all": "All"}
AUTO_NAME = "Automatic scorer"


def _name(user: User | None) -> str:
    if user is None:
        return AUTO_NAME
    return user.get_full_name() or user.username


# --- who sees what ---------------------------------------------------------------------


def may_see_calibration(organization: Organization, user: User) -> bool:
    """Agents (and anyone else who does not audit) never see a calibration page."""
    return may_lead(organization, user) or may_evaluate(organization, user)


def _mine(organization: Organization, user: User):
    return CalibrationParticipant.objects.filter(organization=organization, evaluator=user)


def visible_sessions(organization: Organization, user: User) -> QuerySet[CalibrationSession]:
    """Every session for QA analysts and org admins; the sessions a coach is invited to
    or leads; nothing for anyone else."""
    sessions = CalibrationSession.objects.filter(organization=organization)
    if may_lead(organization, user):
        return sessions
    if not may_evaluate(organization, user):
        return sessions.none()
    return sessions.filter(Q(lead=user) | Q(pk__in=_mine(organization, user)
                                            .values("session_id")))


def session_for(organization: Organization, user: User, pk: int) -> CalibrationSession:
    """One session the user may see, or ``CalibrationSession.DoesNotExist``."""
    return (visible_sessions(organization, user)
            .select_related("organization", "scorecard", "lead").get(pk=pk))


def is_participant(session: CalibrationSession, user: User) -> bool:
    return _mine(session.organization, user).filter(session=session).exists()


def may_run(session: CalibrationSession, user: User) -> bool:
    """Reveal and set final answers: the lead, QA analysts and org admins."""
    return user.pk == session.lead_id or may_lead(session.organization, user)


# --- the sessions list -----------------------------------------------------------------


def _count(queryset) -> Coalesce:
    """A correlated COUNT(*) of ``queryset`` (filtered on ``OuterRef``) as an int."""
    counted = (queryset.order_by().values("organization_id")
               .annotate(n=Count("pk")).values("n")[:1])
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def session_list(organization: Organization, user: User, tab: str) -> QuerySet:
    """The sessions of one tab (``mine``: invited to score, ``lead``: led by the user,
    ``all``: every session the user sees), scoring ones first, each with ``item_count``,
    ``evaluator_count``, ``submitted_count`` (evaluators done), ``my_scored`` (the user's
    submitted interactions) and ``is_mine`` (invited) — one query per page."""
    sessions = visible_sessions(organization, user)
    mine = _mine(organization, user)
    if tab == "mine":
        sessions = sessions.filter(pk__in=mine.values("session_id"))
    elif tab == "lead":
        sessions = sessions.filter(lead=user)
    participants = CalibrationParticipant.objects.filter(session=OuterRef("pk"))
    return (sessions.select_related("scorecard", "lead").annotate(
        item_count=_count(CalibrationItem.objects.filter(session=OuterRef("pk"))),
        evaluator_count=_count(participants),
        submitted_count=_count(participants.filter(submitted_at__isnull=False)),
        my_scored=_count(Evaluation.objects.filter(
            calibration_item__session=OuterRef("pk"), evaluator=user,
            kind=EvaluationKind.CALIBRATION, state=EvaluationState.SUBMITTED)),
        is_mine=Exists(mine.filter(session=OuterRef("pk"))),
        state_rank=Case(When(state=CalibrationState.SCORING, then=Value(0)),
                        When(state=CalibrationState.REVEALED, then=Value(1)),
                        default=Value(2), output_field=IntegerField()),
    ).order_by("state_rank", "-created_at", "-id"))


# --- one session: progress while scoring ----------------------------------------------


@dataclass(frozen=True)
class ParticipantProgress:
    user: User
    scored: int  # interactions submitted
    items: int
    submitted_at: object

    @property
    def name(self) -> str:
        return _name(self.user)

    @property
    def done(self) -> bool:
        return self.submitted_at is not None


def participants_progress(session: CalibrationSession, items: int) -> list[ParticipantProgress]:
    """Each invited evaluator with how many interactions they submitted (counts only: no
    answers), in invitation order — one query."""
    rows = (session.participants.select_related("evaluator").order_by("id").annotate(
        scored=_count(Evaluation.objects.filter(
            calibration_item__session=session, evaluator=OuterRef("evaluator_id"),
            kind=EvaluationKind.CALIBRATION, state=EvaluationState.SUBMITTED))))
    return [ParticipantProgress(p.evaluator, p.scored, items, p.submitted_at) for p in rows]


def session_items(session: CalibrationSession) -> list[CalibrationItem]:
    return list(session.items.select_related("interaction", "interaction__resolved_by",
                                             "interaction__assigned_to")
                .order_by("position", "id"))


def my_evaluations(session: CalibrationSession, user: User) -> dict[int, Evaluation]:
    """The user's own calibration evaluations in the session, by item id."""
    return {e.calibration_item_id: e for e in Evaluation.objects.filter(
        organization=session.organization, calibration_item__session=session,
        evaluator=user, kind=EvaluationKind.CALIBRATION)}


def scorecard_attributes(scorecard: Scorecard) -> list[Attribute]:
    return list(scorecard.attributes.order_by("position", "id"))


# --- one session: the reveal table -----------------------------------------------------


def _display(attribute: Attribute, value: float | None) -> str:
    if value is None:
        return ""
    if attribute.answer_type == AnswerType.YES_NO:
        return "Yes" if value else "No"
    return f"{value:g}/{attribute.scale_max}"


@dataclass
class Cell:
    text: str  # "Yes", "No", "3/5", "N/A", "—" (not scored)
    differs: bool = False  # unlike the majority of the raters
    is_auto: bool = False
    comment: str = ""


@dataclass
class AttributeLine:
    attribute: Attribute
    cells: list[Cell]
    majority: str  # the majority answer, or "" when the raters split without one
    final: str = ""  # the final answer's display, once set

    @property
    def disagreement(self) -> bool:
        """The evaluators disagree (the automatic scorer alone differing does not count)."""
        return any(c.differs for c in self.cells if not c.is_auto)


@dataclass
class RevealItem:
    item: CalibrationItem
    lines: list[AttributeLine]
    totals: list[str]  # per rater, formatted
    spread: float | None  # max − min of the evaluators' totals
    final_total: str = ""

    @property
    def disagreements(self) -> int:
        return sum(1 for line in self.lines if line.disagreement)


@dataclass
class RevealTable:
    raters: list[str]  # column headings: evaluators, then the automatic scorer
    auto_column: bool
    items: list[RevealItem] = field(default_factory=list)
    mean_totals: list[str] = field(default_factory=list)  # per rater over the interactions


def _majority(values: list[float]) -> float | None:
    """The answer more raters gave than any other (``None`` on a tie or without answers)."""
    counts = Counter(values).most_common()
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


def _total(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def reveal_table(session: CalibrationSession,
                 references: dict[tuple[int, str], CalibrationReference],
                 items: list[CalibrationItem]) -> RevealTable:
    """Every rater's answers side by side per interaction, each rater's total, the final
    answers (``references``, from :func:`references_of`) and the evaluators' comments;
    ``items`` from :func:`session_items` (with their interactions' agents).
    Only after the reveal (raises ``ValueError`` while the session is blind). Constant
    queries: :func:`ratings` and one for the comments."""
    if session.is_blind:
        raise ValueError("The session is blind: its scores are not revealed yet.")
    data = ratings(session)
    auto_column = bool(data.raters) and data.raters[-1] is None
    humans = len(data.raters) - (1 if auto_column else 0)
    comments = {
        (evaluator_id, item_id, key): comment
        for evaluator_id, item_id, key, comment in Answer.objects.filter(
            organization=session.organization,
            evaluation__calibration_item__session=session,
            evaluation__kind=EvaluationKind.CALIBRATION,
            evaluation__state=EvaluationState.SUBMITTED,
        ).exclude(comment="").values_list("evaluation__evaluator_id",
                                          "evaluation__calibration_item_id",
                                          "attribute__key", "comment")
    }
    table = RevealTable(raters=[_name(r) for r in data.raters], auto_column=auto_column)
    loaded = {item.pk: item for item in items}
    for unit, item in enumerate(data.units):
        item = loaded.get(item.pk, item)
        scored = [any(data.values[a.key][row][unit] is not None for a in data.attributes)
                  or data.totals[row][unit] is not None for row in range(len(data.raters))]
        lines = []
        for attribute in data.attributes:
            column = [data.values[attribute.key][row][unit] for row in range(len(data.raters))]
            majority = _majority([v for v in column[:humans] if v is not None])
            given = [v for v in column[:humans] if v is not None]
            cells = []
            for row, (rater, value) in enumerate(zip(data.raters, column, strict=True)):
                if value is None:
                    text = "N/A" if scored[row] and rater is not None else "—"
                else:
                    text = _display(attribute, value)
                differs = value is not None and len(given) > 1 and (
                    majority is None or value != majority)
                cells.append(Cell(text, differs, is_auto=rater is None, comment=comments.get(
                    (rater.pk if rater else None, item.pk, attribute.key), "")))
            reference = references.get((item.pk, attribute.key))
            lines.append(AttributeLine(
                attribute, cells,
                majority="" if majority is None else _display(attribute, majority),
                final=reference.display if reference else ""))
        human_totals = [t for t in (data.totals[row][unit] for row in range(humans))
                        if t is not None]
        table.items.append(RevealItem(
            item=item, lines=lines,
            totals=[_total(data.totals[row][unit]) for row in range(len(data.raters))],
            spread=(max(human_totals) - min(human_totals)) if len(human_totals) > 1 else None,
            final_total=_total(data.reference_totals[unit])
            if data.reference_totals[unit] is not None else "",
        ))
    for row in range(len(data.raters)):
        given = [t for t in data.totals[row] if t is not None]
        table.mean_totals.append(_total(sum(given) / len(given)) if given else "—")
    return table


def references_of(session: CalibrationSession) -> dict[tuple[int, str], CalibrationReference]:
    """The final answers set so far, by ``(item id, attribute key)``."""
    return {(r.item_id, r.attribute.key): r for r in CalibrationReference.objects.filter(
        organization=session.organization, item__session=session).select_related("attribute")}


# --- the create form's interaction search ---------------------------------------------

SEARCH_LIMIT = 20


def search_interactions(organization: Organization, user: User, query: str,
                        exclude: list[int] = ()) -> list:
    """Up to 20 calls, chats and e-mails with an agent that ``user`` may audit, matching
    ``query`` in their number, external ID, description, queue, topic or agent's name;
    newest first. One query."""
    from .selectors import auditable_interactions

    query = (query or "").strip()
    if not query:
        return []
    text = (Q(number__icontains=query) | Q(external_id__icontains=query)
            | Q(short_description__icontains=query) | Q(queue__icontains=query)
            | Q(topic__icontains=query) | Q(resolved_by__first_name__icontains=query)
            | Q(resolved_by__last_name__icontains=query)
            | Q(resolved_by__username__icontains=query))
    return list(auditable_interactions(organization, user)
                .filter(text).filter(Q(resolved_by__isnull=False)
                                     | Q(assigned_to__isnull=False))
                .exclude(pk__in=list(exclude))
                .select_related("resolved_by", "assigned_to")
                .order_by("-opened_at", "-id")[:SEARCH_LIMIT])
