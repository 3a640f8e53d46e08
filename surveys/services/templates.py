"""The template builder: templates and their questions (add, edit, reorder, delete)."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max

from tenancy.errors import same_tenant
from tenancy.models import Organization

from ..enums import Audience, QuestionKind
from ..models import Choice, Question, SurveyResponse, SurveyTemplate
from .errors import SurveyError

MAX_SCALE_POINTS = 11  # 0–10 is the widest scale people answer reliably


@transaction.atomic
def save_template(
    *,
    organization: Organization,
    name: str,
    audience: str,
    description: str = "",
    active: bool = True,
    template: SurveyTemplate | None = None,
) -> SurveyTemplate:
    """Create or update a survey template. Names are unique per organization.

    The audience cannot change once the template has been sent: its responses were
    collected from (and about) the people the old audience named.
    """
    name = name.strip()
    if not name:
        raise SurveyError("Give the survey a name.")
    if audience not in Audience.values:
        raise SurveyError(f"“{audience}” is not an audience; choose one of the listed ones.")
    clash = SurveyTemplate.objects.filter(organization=organization, name__iexact=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise SurveyError(f"A survey named “{name}” already exists.")
    if (
        template is not None
        and template.audience != audience
        and SurveyResponse.objects.filter(template=template).exists()
    ):
        raise SurveyError(
            "This survey has already been sent, so its audience can no longer change; "
            "create a new survey for the other audience."
        )
    if template is None:
        template = SurveyTemplate(organization=organization)
    else:
        same_tenant(organization, template, error=SurveyError,
                    message="That survey belongs to another organization.")
    template.name = name
    template.audience = audience
    template.description = description.strip()
    template.active = active
    template.save()
    return template


def _clean_choices(choices: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    cleaned = [(label.strip(), score) for label, score in choices if label.strip()]
    if len(cleaned) < 2:
        raise SurveyError("A single-choice question needs at least two options.")
    labels = [label.casefold() for label, _ in cleaned]
    if len(set(labels)) != len(labels):
        raise SurveyError("Each option needs a different label.")
    for label, score in cleaned:
        if not isinstance(score, int) or not 0 <= score <= 100:
            raise SurveyError(f"The option “{label}” must be worth 0 to 100 points.")
    return cleaned


@transaction.atomic
def save_question(
    *,
    template: SurveyTemplate,
    text: str,
    kind: str,
    help_text: str = "",
    scale_min: int = 1,
    scale_max: int = 5,
    min_label: str = "",
    max_label: str = "",
    weight: int = 1,
    required: bool = True,
    allows_na: bool = False,
    choices: Sequence[tuple[str, int]] = (),
    question: Question | None = None,
) -> Question:
    """Add a question at the end of ``template`` or update ``question``.

    Once a question has answers its kind, scale and options are fixed (old answers would
    no longer mean what they said); its wording, weight and flags may still change.
    Locks the template row so concurrent additions get distinct positions.
    """
    SurveyTemplate.objects.select_for_update().filter(pk=template.pk).first()
    text = text.strip()
    if not text:
        raise SurveyError("Write the question.")
    if kind not in QuestionKind.values:
        raise SurveyError(f"“{kind}” is not a question type; choose one of the listed ones.")
    if question is not None and question.template_id != template.pk:
        raise SurveyError("That question belongs to another survey.")
    if not 1 <= weight <= 100:
        raise SurveyError("The weight must be a whole number from 1 to 100.")
    cleaned_choices: list[tuple[str, int]] = []
    if kind == QuestionKind.RATING:
        if scale_min >= scale_max:
            raise SurveyError("The lowest value of the scale must be below its highest value.")
        if scale_min < 0 or scale_max - scale_min + 1 > MAX_SCALE_POINTS:
            raise SurveyError(
                f"Use a scale of at most {MAX_SCALE_POINTS} points starting at 0 or above "
                "(for example 1–5 or 0–10)."
            )
    else:
        scale_min, scale_max, min_label, max_label = 1, 5, "", ""
    if kind == QuestionKind.CHOICE:
        cleaned_choices = _clean_choices(choices)
    if kind == QuestionKind.TEXT:
        allows_na, weight = False, 1

    if question is not None and question.answers.exists():
        old_choices = [(c.label, c.score) for c in question.choices.all()]
        changed = (
            kind != question.kind
            or (kind == QuestionKind.RATING
                and (scale_min, scale_max) != (question.scale_min, question.scale_max))
            or (kind == QuestionKind.CHOICE and cleaned_choices != old_choices)
        )
        if changed:
            raise SurveyError(
                "This question has answers, so its type, scale and options can no longer "
                "change; add a new question instead."
            )

    if question is None:
        last = Question.objects.filter(template=template).aggregate(last=Max("order"))["last"]
        question = Question(
            organization=template.organization, template=template,
            order=0 if last is None else last + 1,
        )
    question.text = text
    question.help_text = help_text.strip()
    question.kind = kind
    question.scale_min, question.scale_max = scale_min, scale_max
    question.min_label, question.max_label = min_label.strip(), max_label.strip()
    question.weight = weight
    question.required = required
    question.allows_na = allows_na
    question.save()
    if not question.answers.exists():
        question.choices.all().delete()
        Choice.objects.bulk_create([
            Choice(organization=question.organization, question=question, label=label,
                   score=score, order=index)
            for index, (label, score) in enumerate(cleaned_choices)
        ])
    return question


def _renumber(template: SurveyTemplate) -> list[Question]:
    questions = list(Question.objects.filter(template=template).order_by("order", "id"))
    for index, q in enumerate(questions):
        if q.order != index:
            q.order = index
            q.save(update_fields=["order"])
    return questions


@transaction.atomic
def move_question(*, question: Question, direction: str) -> Question:
    """Swap the question with its neighbour above (``"up"``) or below (``"down"``).

    Moving the first question up or the last down leaves the order as it is.
    Locks the template row so concurrent moves do not interleave.
    """
    if direction not in ("up", "down"):
        raise SurveyError("Move a question up or down.")
    template = SurveyTemplate.objects.select_for_update().get(pk=question.template_id)
    questions = _renumber(template)
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(questions):
        a, b = questions[index], questions[other]
        a.order, b.order = b.order, a.order
        a.save(update_fields=["order"])
        b.save(update_fields=["order"])
        question.order = a.order
    return question


@transaction.atomic
def delete_question(*, question: Question) -> None:
    """Delete an unanswered question; answered questions stay so their answers keep meaning."""
    template = SurveyTemplate.objects.select_for_update().get(pk=question.template_id)
    count = question.answers.count()
    if count:
        raise SurveyError(
            f"This question has {count} answer{'s' if count != 1 else ''} and cannot be "
            "deleted; edit its wording or make it optional instead."
        )
    question.delete()
    _renumber(template)
