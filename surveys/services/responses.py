"""Sending surveys to people, taking their answers, reminding them and expiring surveys."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenancy.models import Membership, User
from tenancy.validation import BadValue, check_text

from .. import scoring
from ..enums import NOT_APPLICABLE, Audience, QuestionKind, ResponseState
from ..extensions import run_after_survey_completed_committed
from ..models import Answer, Question, SurveyResponse, SurveyTemplate
from ..selectors import anonymity_promise, survey_settings
from .errors import SurveyAnswersInvalid, SurveyError

MAX_TEXT_ANSWER = 5000


def _day(moment: datetime, organization) -> str:
    return timezone.localtime(moment, organization.tzinfo).strftime("%-d %b %Y, %H:%M")


def response_url(response: SurveyResponse) -> str:
    path = reverse("surveys:take", kwargs={"org_slug": response.organization.slug,
                                           "pk": response.pk})
    return f"{settings.SITE_URL}{path}"


def _mail(response: SurveyResponse, *, template_name: str, subject: str) -> None:
    recipient = response.respondent.email
    if not recipient:
        return
    body = render_to_string(template_name, {
        "response": response, "link": response_url(response),
        "due": _day(response.due_at, response.organization),
        "organization": response.organization,
        "promise": anonymity_promise(response.template, anonymous=response.anonymous),
    })
    transaction.on_commit(partial(send_mail, subject, body, None, [recipient]))


@transaction.atomic
def dispatch_survey(
    *,
    template: SurveyTemplate,
    respondent: User,
    subject: User | None,
    opportunity_label: str = "",
    context_label: str = "",
    due_at: datetime | None = None,
    notify: bool = True,
    automatic: bool = False,
) -> SurveyResponse:
    """Send ``template`` to ``respondent`` (about ``subject``) and return the pending response.

    Every call sends a new survey: a caller that must send once per something (coaching,
    per assessment) records what it sent and asks before sending again.
    ``context_label`` says what the survey is about (shown to the respondent),
    ``opportunity_label`` what triggered it (the effectiveness report's rows). ``due_at``
    defaults to the organization's "due after N days" setting. A trainee survey is sent
    anonymous when the organization's surveys are (the flag never changes after). When
    ``notify``, the respondent gets an e-mail with a direct link after commit.
    ``automatic``: a coaching survey about automatic coaching (a virtual coach), which has
    no person as its subject (and so never counts toward a coach's results).
    """
    organization = template.organization
    if not template.active:
        raise SurveyError(f"The survey “{template.name}” is inactive and cannot be sent.")
    people = [u for u in (respondent, subject) if u is not None]
    member_ids = set(
        Membership.objects.filter(organization=organization, user__in=people)
        .values_list("user_id", flat=True)
    )
    outsiders = [u.username for u in people if u.pk not in member_ids]
    if outsiders:
        raise SurveyError(
            f"Surveys go only to members of {organization.name}: {', '.join(outsiders)} "
            "is not one."
        )
    if template.audience != Audience.GENERAL and not (automatic and subject is None):
        if subject is None:
            raise SurveyError(f"“{template.name}” is about a person: name who it is about.")
        if subject.pk == respondent.pk:
            raise SurveyError("Nobody answers a coaching survey about themselves.")
    now = timezone.now()
    settings_now = survey_settings(organization)
    if due_at is None:
        due_at = now + timedelta(days=settings_now.due_after_days)
    elif due_at <= now:
        raise SurveyError("The due date must be in the future.")
    response = SurveyResponse(
        organization=organization, template=template, respondent=respondent, subject=subject,
        opportunity_label=opportunity_label[:200], context_label=context_label[:200],
        due_at=due_at,
        # The promise made to the trainee holds for this response whatever the setting
        # becomes later.
        anonymous=template.audience == Audience.TRAINEE_ABOUT_COACH and settings_now.anonymous,
    )
    response.save()
    if notify:
        _mail(response, template_name="surveys/email/dispatched.txt",
              subject=f"Survey to take: {template.name}")
    return response


def _parse_answer(question: Question, raw: str, choices: dict[str, object]) -> Answer | str:
    """An unsaved :class:`Answer` for ``raw``, or the message that refuses it."""
    answer = Answer(organization=question.organization, question=question)
    if raw == NOT_APPLICABLE and question.kind != QuestionKind.TEXT:
        if not question.allows_na:
            return "“Not applicable” is not an option for this question; choose an answer."
        answer.not_applicable = True
        return answer
    if question.kind == QuestionKind.RATING:
        try:
            value = int(raw)
        except ValueError:
            return f"Choose a whole number from {question.scale_min} to {question.scale_max}."
        if not question.scale_min <= value <= question.scale_max:
            return (f"{value} is outside the scale: choose from {question.scale_min} "
                    f"to {question.scale_max}.")
        answer.rating = value
        answer.score = scoring.normalise_answer(
            kind=question.kind, rating=value,
            scale_min=question.scale_min, scale_max=question.scale_max,
        )
    elif question.kind == QuestionKind.YES_NO:
        if raw not in ("yes", "no"):
            return "Answer yes or no."
        answer.yes = raw == "yes"
        answer.score = scoring.normalise_answer(kind=question.kind, yes=answer.yes)
    elif question.kind == QuestionKind.CHOICE:
        choice = choices.get(raw)
        if choice is None:
            offered = ", ".join(f"“{c.label}”" for c in question.choices.all())
            return f"That option is not offered here; choose one of {offered}."
        answer.choice = choice
        answer.score = scoring.normalise_answer(kind=question.kind, choice_score=choice.score)
    else:
        if len(raw) > MAX_TEXT_ANSWER:
            return f"Keep the answer under {MAX_TEXT_ANSWER:,} characters (it has {len(raw):,})."
        try:
            answer.text = check_text(raw)
        except BadValue as error:
            return str(error)
    return answer


@transaction.atomic
def submit_survey(
    *,
    response: SurveyResponse,
    respondent: User,
    answers: Mapping[int | str, str],
    now: datetime | None = None,
) -> SurveyResponse:
    """Record ``respondent``'s answers, score the survey and complete it.

    ``answers`` maps question id → raw value: the scale value, ``"yes"``/``"no"``, the
    chosen option's id, the text, or ``"na"`` for not applicable. Every answer is checked
    first; if any is refused, :class:`SurveyAnswersInvalid` names them and nothing is saved.
    Locks the response row, so answering twice at once completes it once. After commit
    :data:`surveys.extensions.after_survey_completed_committed` runs with the completed
    response.
    """
    now = now or timezone.now()
    locked = (
        SurveyResponse.objects.select_for_update(of=("self",))
        .select_related("organization", "template")
        .get(pk=response.pk)
    )
    organization = locked.organization
    if locked.respondent_id != respondent.pk:
        raise SurveyError("This survey was sent to someone else; only they can answer it.")
    if locked.state == ResponseState.COMPLETED:
        raise SurveyError(
            f"You already answered this survey on {_day(locked.completed_at, organization)}; "
            "answers cannot be changed."
        )
    if locked.state == ResponseState.EXPIRED or locked.due_at <= now:
        raise SurveyError(
            f"This survey expired on {_day(locked.expired_at or locked.due_at, organization)}; "
            "it can no longer be answered."
        )
    raw_answers = {str(key): ("" if value is None else str(value).strip())
                   for key, value in answers.items()}
    questions = list(
        Question.objects.filter(template_id=locked.template_id).prefetch_related("choices")
    )
    errors: dict[int, str] = {}
    parsed: list[Answer] = []
    for question in questions:
        raw = raw_answers.get(str(question.pk), "")
        if raw == "":
            if question.required:
                errors[question.pk] = (
                    "Write an answer to this question." if question.kind == QuestionKind.TEXT
                    else "Answer this question; it is required."
                )
            continue
        choices = {str(c.pk): c for c in question.choices.all()}
        result = _parse_answer(question, raw, choices)
        if isinstance(result, str):
            errors[question.pk] = result
        else:
            parsed.append(result)
    if errors:
        raise SurveyAnswersInvalid(errors)
    for answer in parsed:
        answer.response = locked
    Answer.objects.bulk_create(parsed)
    by_id = {q.pk: q for q in questions}
    score = scoring.weighted_score(
        (by_id[a.question_id].weight, a.score) for a in parsed
    )
    locked.complete(at=now, score=score)
    locked.save()
    transaction.on_commit(partial(run_after_survey_completed_committed, locked))
    return locked


@transaction.atomic
def expire_overdue_surveys(*, organization, now: datetime | None = None) -> int:
    """Expire every pending survey of the organization whose due date has passed.

    Rows another worker holds are skipped (``skip_locked``) and caught by the next run,
    so running twice at once never expires a survey twice. Returns how many expired.
    """
    now = now or timezone.now()
    overdue = (
        SurveyResponse.objects.filter(
            organization=organization, state=ResponseState.PENDING, due_at__lte=now
        )
        .select_for_update(skip_locked=True)
        .order_by("pk")
    )
    count = 0
    for response in overdue:
        response.expire(at=now)
        response.save(update_fields=["state", "expired_at"])
        count += 1
    return count


@transaction.atomic
def send_survey_reminders(*, organization, now: datetime | None = None) -> int:
    """E-mail one reminder for each survey pending at least the tenant's "remind after" days.

    Each survey is reminded once: a conditional update claims it, so a second run (or a
    concurrent one) sends nothing more. Surveys already due are left to expiry. Returns how
    many reminders were sent (after commit).
    """
    now = now or timezone.now()
    days = survey_settings(organization).remind_after_days
    if days <= 0:
        return 0
    candidates = list(
        SurveyResponse.objects.filter(
            organization=organization, state=ResponseState.PENDING, reminded_at__isnull=True,
            dispatched_at__lte=now - timedelta(days=days), due_at__gt=now,
        ).select_related("organization", "template", "respondent", "subject")
    )
    sent = 0
    for response in candidates:
        claimed = SurveyResponse.objects.filter(
            pk=response.pk, reminded_at__isnull=True, state=ResponseState.PENDING
        ).update(reminded_at=now)
        if claimed != 1:
            continue
        _mail(response, template_name="surveys/email/reminder.txt",
              subject=f"Reminder: survey “{response.template.name}” is waiting for you")
        sent += 1
    return sent
