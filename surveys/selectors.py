"""Read queries of the surveys app: what people owe, what admins build, what results say.

Each selector returns what its page needs with the joins it needs, so a page runs the
same number of queries however many surveys, questions or answers there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from tenancy.models import Organization, User

from .enums import (
    ANONYMOUS_DEFAULT,
    DUE_AFTER_DAYS_DEFAULT,
    MIN_AGGREGATE_RESPONSES,
    REMIND_AFTER_DAYS_DEFAULT,
    Audience,
    QuestionKind,
    ResponseState,
)
from .models import Answer, Question, SurveyResponse, SurveyTemplate


@dataclass(frozen=True)
class SurveySettings:
    remind_after_days: int
    due_after_days: int
    # Trainee surveys are anonymous: nobody sees a trainee's answers with their name.
    anonymous: bool = ANONYMOUS_DEFAULT


def survey_settings(organization: Organization) -> SurveySettings:
    stored = (organization.settings or {}).get("surveys") or {}
    return SurveySettings(
        remind_after_days=int(stored.get("remind_after_days", REMIND_AFTER_DAYS_DEFAULT)),
        due_after_days=int(stored.get("due_after_days", DUE_AFTER_DAYS_DEFAULT)),
        anonymous=stored.get("anonymous", ANONYMOUS_DEFAULT) is not False,
    )


# --- anonymity of trainee surveys ----------------------------------------------------------
#
# A trainee's answers about their coach are shown with the trainee's name only to the
# trainee and, for surveys sent while the organization's surveys were not anonymous, to its
# org admins (``surveys.view_response``). Everyone else — the coach first — sees them only
# inside aggregates over at least MIN_AGGREGATE_RESPONSES responses.


def anonymity_promise(template: SurveyTemplate, *, anonymous: bool) -> str:
    """What a trainee is told about who sees their answers ("" for other surveys).

    ``anonymous`` is the response's own flag (fixed when it was sent), or the current
    setting for a survey not sent yet (the builder's preview).
    """
    if template.audience != Audience.TRAINEE_ABOUT_COACH:
        return ""
    coach = (f"Your coach sees only averages over at least {MIN_AGGREGATE_RESPONSES} "
             "responses, never your name or your own answers.")
    if anonymous:
        return f"{coach} Your answers are anonymous: nobody sees them with your name."
    return f"{coach} Your organization's admins can read your answers with your name."


def enough_for_aggregate(count: int) -> bool:
    return count >= MIN_AGGREGATE_RESPONSES


def shown_individually(responses: QuerySet[SurveyResponse], *,
                       trainee_answers: bool) -> QuerySet[SurveyResponse]:
    """The responses that may be listed one by one with their respondent.

    ``trainee_answers``: the reader may see trainee-about-coach answers that were not sent
    anonymously (an org admin, or a token of the organization); otherwise no
    trainee-about-coach response is listed at all.
    """
    if not trainee_answers:
        return responses.exclude(template__audience=Audience.TRAINEE_ABOUT_COACH)
    return responses.exclude(template__audience=Audience.TRAINEE_ABOUT_COACH, anonymous=True)


# --- respondents -----------------------------------------------------------------------


def surveys_to_take(organization: Organization, user: User) -> QuerySet[SurveyResponse]:
    """The user's pending surveys, soonest due first."""
    return (
        SurveyResponse.objects.filter(
            organization=organization, respondent=user, state=ResponseState.PENDING
        )
        .select_related("template", "subject")
        .order_by("due_at", "id")
    )


def surveys_answered(organization: Organization, user: User, *, limit: int = 20):
    """The user's completed and expired surveys, most recent first."""
    return (
        SurveyResponse.objects.filter(organization=organization, respondent=user)
        .exclude(state=ResponseState.PENDING)
        .select_related("template", "subject")
        .order_by("-dispatched_at", "-id")[:limit]
    )


def response_for_respondent(organization: Organization, user: User, pk: int) -> SurveyResponse:
    """A survey sent to ``user`` with its template and questions; DoesNotExist for any other."""
    return (
        SurveyResponse.objects.filter(organization=organization, respondent=user, pk=pk)
        .select_related("template", "subject", "respondent", "organization")
        .prefetch_related(
            Prefetch("template__questions", queryset=Question.objects.prefetch_related("choices")),
            Prefetch("answers", queryset=Answer.objects.select_related("choice")),
        )
        .get()
    )


def active_templates(organization: Organization, audience: str | None = None):
    """Templates that can be sent now (for coaching's survey pickers)."""
    templates = SurveyTemplate.objects.filter(organization=organization, active=True)
    if audience:
        templates = templates.filter(audience=audience)
    return templates.order_by("name")


# --- the builder -----------------------------------------------------------------------


def templates_for_list(organization: Organization) -> QuerySet[SurveyTemplate]:
    return (
        SurveyTemplate.objects.filter(organization=organization)
        .annotate(
            question_count=Count("questions", distinct=True),
            pending_count=Count(
                "responses", filter=Q(responses__state=ResponseState.PENDING), distinct=True
            ),
            completed_count=Count(
                "responses", filter=Q(responses__state=ResponseState.COMPLETED), distinct=True
            ),
        )
        .order_by("-active", "name")
    )


def template_with_questions(organization: Organization, pk: int) -> SurveyTemplate:
    return (
        SurveyTemplate.objects.filter(organization=organization, pk=pk)
        .prefetch_related(
            Prefetch(
                "questions",
                # Explicit order: Meta.ordering is dropped from GROUP BY queries.
                queryset=Question.objects.annotate(answer_count=Count("answers"))
                .order_by("order", "id")
                .prefetch_related("choices"),
            )
        )
        .get()
    )


def question_for_builder(organization: Organization, pk: int) -> Question:
    return (
        Question.objects.filter(organization=organization, pk=pk)
        .select_related("template")
        .prefetch_related("choices")
        .get()
    )


# --- results ---------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int
    percent: int = 0
    score: Decimal | None = None


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    not_applicable: int = 0
    average: Decimal | None = None
    bars: list[Bar] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    comment_count: int = 0
    # Trainee surveys: fewer answers than an aggregate needs, so nothing is shown.
    too_few: bool = False
    # Trainee surveys: written answers given anonymously are counted, never quoted.
    comments_withheld: bool = False


@dataclass
class TemplateResults:
    template: SurveyTemplate
    completed: int
    pending: int
    expired: int
    average_score: Decimal | None
    scored_count: int
    questions: list[QuestionResult]
    too_few: bool = False


def _round1(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def template_results(
    organization: Organization, template: SurveyTemplate, *, comments: int = 10,
    trainee_answers: bool = False,
) -> TemplateResults:
    """Counts, the average score and each question's answer distribution (four queries).

    A trainee-about-coach template shows its average and each question's distribution only
    from MIN_AGGREGATE_RESPONSES answers on, and quotes written answers only to a reader
    who may see trainee answers (``trainee_answers``, see :func:`shown_individually`) and
    only those not given anonymously.
    """
    trainee_survey = template.audience == Audience.TRAINEE_ABOUT_COACH
    states = dict(
        SurveyResponse.objects.filter(organization=organization, template=template)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    overall = SurveyResponse.objects.filter(
        organization=organization, template=template, state=ResponseState.COMPLETED
    ).aggregate(avg=Avg("score"), scored=Count("score"),
                anonymous=Count("id", filter=Q(anonymous=True)))
    questions = list(
        Question.objects.filter(organization=organization, template=template)
        .prefetch_related("choices")
    )
    answers = (
        Answer.objects.filter(organization=organization, question__template=template,
                              response__state=ResponseState.COMPLETED)
        .values("question_id", "rating", "yes", "choice_id", "not_applicable")
        .annotate(n=Count("id"))
    )
    counts: dict[int, dict] = defaultdict(dict)
    for row in answers:
        if row["not_applicable"]:
            key = "na"
        elif row["rating"] is not None:
            key = row["rating"]
        elif row["yes"] is not None:
            key = row["yes"]
        elif row["choice_id"] is not None:
            key = row["choice_id"]
        else:
            key = "text"
        counts[row["question_id"]][key] = counts[row["question_id"]].get(key, 0) + row["n"]
    averages = dict(
        Answer.objects.filter(organization=organization, question__template=template,
                              response__state=ResponseState.COMPLETED, score__isnull=False)
        .values_list("question_id")
        .annotate(avg=Avg("score"))
        .values_list("question_id", "avg")
    )
    text_ids = [q.pk for q in questions if q.kind == QuestionKind.TEXT]
    quotable = Answer.objects.filter(organization=organization, question_id__in=text_ids,
                                     response__state=ResponseState.COMPLETED)
    if trainee_survey:
        quotable = quotable.filter(response__anonymous=False) if trainee_answers \
            else quotable.none()
    latest_texts: dict[int, list[str]] = defaultdict(list)
    if text_ids and not (trainee_survey and not trainee_answers):
        for question_id, text in (
            quotable.exclude(text="")
            .order_by("-id")
            .values_list("question_id", "text")[: comments * len(text_ids)]
        ):
            if len(latest_texts[question_id]) < comments:
                latest_texts[question_id].append(text)
    results = []
    for question in questions:
        found = counts.get(question.pk, {})
        result = QuestionResult(question=question, not_applicable=found.get("na", 0),
                                average=_round1(averages.get(question.pk)))
        if question.kind == QuestionKind.RATING:
            result.bars = [Bar(str(v), found.get(v, 0)) for v in question.scale_values]
        elif question.kind == QuestionKind.YES_NO:
            result.bars = [Bar("Yes", found.get(True, 0)), Bar("No", found.get(False, 0))]
        elif question.kind == QuestionKind.CHOICE:
            result.bars = [Bar(c.label, found.get(c.pk, 0), score=c.score)
                           for c in question.choices.all()]
        else:
            result.comment_count = found.get("text", 0)
            result.comments = latest_texts.get(question.pk, [])
        result.answered = sum(b.count for b in result.bars) + result.comment_count
        if result.bars and question.allows_na:
            result.bars.append(Bar("Not applicable", result.not_applicable))
        total = sum(b.count for b in result.bars)
        for bar in result.bars:
            bar.percent = round(bar.count * 100 / total) if total else 0
        if trainee_survey:
            _withhold_what_identifies(result, quotes_withheld=not trainee_answers
                                      or bool(overall["anonymous"]))
        results.append(result)
    average_score = _round1(overall["avg"])
    if trainee_survey and not enough_for_aggregate(overall["scored"]):
        average_score = None
    return TemplateResults(
        template=template,
        completed=states.get(ResponseState.COMPLETED, 0),
        pending=states.get(ResponseState.PENDING, 0),
        expired=states.get(ResponseState.EXPIRED, 0),
        average_score=average_score,
        scored_count=overall["scored"],
        questions=results,
        too_few=trainee_survey and not enough_for_aggregate(overall["scored"]),
    )


def _withhold_what_identifies(result: QuestionResult, *, quotes_withheld: bool) -> None:
    """A trainee survey's question: no distribution or average under the minimum; written
    answers are quoted only when not given anonymously (the query already left them out)."""
    if result.question.kind == QuestionKind.TEXT:
        result.comments_withheld = quotes_withheld and result.comment_count > 0
        return
    if not enough_for_aggregate(result.answered):
        result.too_few = True
        result.average = None
        result.bars = []


def responses_for_template(organization: Organization, template: SurveyTemplate, *,
                           trainee_answers: bool = False) -> QuerySet[SurveyResponse]:
    """The responses that may be listed with their respondent (see
    :func:`shown_individually`), latest first (pending ones, not completed yet, before
    them, on every database): the order of index ``surveyresp_org_tpl_latest``, for a page
    at a time."""
    responses = SurveyResponse.objects.filter(organization=organization, template=template)
    return (
        shown_individually(responses, trainee_answers=trainee_answers)
        .select_related("respondent", "subject")
        .order_by(F("completed_at").desc(nulls_first=True), "-dispatched_at", "-id")
    )


# --- coach effectiveness ----------------------------------------------------------------


@dataclass
class EffectivenessRow:
    label: str
    responses: int
    scored: int
    average: Decimal | None
    user_id: int | None = None

    @property
    def too_few(self) -> bool:
        """An average over fewer scores than an aggregate needs is not shown."""
        return not enough_for_aggregate(self.scored)


def coach_effectiveness(
    organization: Organization, *, since: datetime | None = None, coach: User | None = None
) -> tuple[list[EffectivenessRow], list[EffectivenessRow]]:
    """Average trainee-survey score per coach and per opportunity (two queries).

    Counts completed surveys of trainee-about-coach templates; the average is over those
    with a score (a survey of only free text has none) and is left out (None, ``too_few``)
    under MIN_AGGREGATE_RESPONSES scores. ``coach`` limits it to one coach.
    """
    completed = SurveyResponse.objects.filter(
        organization=organization, state=ResponseState.COMPLETED,
        template__audience=Audience.TRAINEE_ABOUT_COACH, subject__isnull=False,
    )
    if since is not None:
        completed = completed.filter(completed_at__gte=since)
    if coach is not None:
        completed = completed.filter(subject=coach)
    aggregates = {"responses": Count("id"), "scored": Count("score"), "average": Avg("score")}
    per_coach = [
        EffectivenessRow(
            label=f"{row['subject__first_name']} {row['subject__last_name']}".strip()
            or row["subject__username"],
            responses=row["responses"], scored=row["scored"],
            average=_shown_average(row), user_id=row["subject_id"],
        )
        for row in completed.values(
            "subject_id", "subject__first_name", "subject__last_name", "subject__username"
        ).annotate(**aggregates).order_by("subject__first_name", "subject__last_name",
                                          "subject_id")
    ]
    per_opportunity = [
        EffectivenessRow(
            label=row["opportunity_label"] or "No opportunity (manual assessments)",
            responses=row["responses"], scored=row["scored"], average=_shown_average(row),
        )
        for row in completed.values("opportunity_label")
        .annotate(**aggregates).order_by("opportunity_label")
    ]
    per_coach.sort(key=lambda r: (r.average is None, -(r.average or 0), r.label))
    return per_coach, per_opportunity


def _shown_average(row: dict) -> Decimal | None:
    return _round1(row["average"]) if enough_for_aggregate(row["scored"]) else None


def effectiveness_since(period: str, organization: Organization) -> datetime | None:
    days = {"30": 30, "90": 90, "365": 365}.get(period)
    if days is None:
        return None
    return timezone.now() - timedelta(days=days)


# --- API -------------------------------------------------------------------------------


def responses_for_api(
    organization: Organization, *, template_id: int | None = None, state: str | None = None,
    after: int | None = None, limit: int = 100,
):
    """Responses for the organization's API token, which reads what an org admin may: no
    trainee survey that was sent anonymously (:func:`shown_individually`)."""
    responses = (
        shown_individually(SurveyResponse.objects.filter(organization=organization),
                           trainee_answers=True)
        .select_related("template", "respondent", "subject")
        .prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question", "choice"))
        )
        .order_by("id")
    )
    if template_id is not None:
        responses = responses.filter(template_id=template_id)
    if state:
        responses = responses.filter(state=state)
    if after is not None:
        responses = responses.filter(id__gt=after)
    return responses[:limit]



def my_surveys_summary(request) -> dict | None:
    """The "Surveys to take" card of the agent's My coaching page."""
    from django.urls import reverse

    if not request.user.has_perm("surveys.take_surveys"):
        return None
    pending = list(surveys_to_take(request.organization, request.user).values_list(
        "due_at", flat=True)[:1])
    count = surveys_to_take(request.organization, request.user).count()
    caption = "nothing to answer"
    if pending and pending[0]:
        caption = f"next due {timezone.localtime(pending[0], request.organization.tzinfo):%b %d}"
    return {
        "title": "Surveys to take",
        "value": count,
        "caption": caption if count else "nothing to answer",
        "url": reverse("surveys:my_surveys", kwargs={"org_slug": request.organization.slug}),
        "tone": "warning" if count else None,
    }
