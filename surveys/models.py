"""Survey templates, their questions, the responses people owe, and their answers.

Surveys know nothing of the apps above them: coaching records which assessment a response
belongs to in its own table. A response keeps two labels its sender gives
(:func:`surveys.services.dispatch_survey`): ``context_label`` (what it is about, shown to
the respondent) and ``opportunity_label`` (what triggered it, the rows of the coach
effectiveness report's "per opportunity" table).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, transition

from tenancy.models import TenantModel
from tenancy.validation import LONG_TEXT, text_limit

from .enums import Audience, QuestionKind, ResponseState


class SurveyTemplate(TenantModel):
    name = models.CharField(max_length=150)
    description = models.TextField(
        blank=True, help_text="Shown to respondents above the first question.",
        **text_limit(LONG_TEXT),
    )
    audience = models.CharField(max_length=32, choices=Audience.choices)
    active = models.BooleanField(
        default=True, help_text="Only active templates can be sent to people."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="surveytemplate_unique_name"
            )
        ]
        indexes = [models.Index(fields=["organization", "audience"], name="surveytemplate_org_aud")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(TenantModel):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    min_label = models.CharField(max_length=60, blank=True)
    max_label = models.CharField(max_length=60, blank=True)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How much this question counts in the score relative to the others.",
    )
    required = models.BooleanField(default=True)
    allows_na = models.BooleanField("allows “not applicable”", default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "template", "order"],
                         name="question_org_tpl_order")
        ]
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_scored(self) -> bool:
        return self.kind != QuestionKind.TEXT

    @property
    def scale_values(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))


class Choice(TenantModel):
    """An option of a single-choice question, worth ``score`` points out of 100."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=200)
    score = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(100)], help_text="Points out of 100 this answer is worth."
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["organization", "question"], name="choice_org_question")]
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label


class SurveyResponse(TenantModel):
    """One person's copy of a survey: pending until answered, or expired at its due date."""

    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="surveys_about",
        help_text="Who the survey is about (none for general surveys).",
    )
    opportunity_label = models.CharField(
        max_length=200, blank=True,
        help_text="What triggered it (a coaching opportunity's name), for the effectiveness "
                  "report.",
    )
    context_label = models.CharField(
        max_length=200, blank=True, help_text="What the survey is about, shown to the respondent."
    )
    state = FSMField(default=ResponseState.PENDING, choices=ResponseState.choices, protected=True)
    due_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="0–100; empty when no scored question was answered.",
    )
    anonymous = models.BooleanField(
        default=False, editable=False,
        help_text="Sent with the promise that nobody sees these answers with the respondent's "
                  "name (trainee surveys while the organization's surveys are anonymous). "
                  "Fixed when sent: changing the setting later never uncovers these answers.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["organization", "respondent", "state"],
                         name="surveyresp_org_resp_state"),
            models.Index(fields=["organization", "template", "state"],
                         name="surveyresp_org_tpl_state"),
            models.Index(fields=["organization", "state", "due_at"],
                         name="surveyresp_org_state_due"),
            # A survey's responses on its results page, latest first, a page at a time.
            models.Index(fields=["organization", "template", "-completed_at", "-dispatched_at",
                                 "-id"], name="surveyresp_org_tpl_latest"),
        ]
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.template} for {self.respondent}"

    @property
    def is_pending(self) -> bool:
        return self.state == ResponseState.PENDING

    @transition(field=state, source=ResponseState.PENDING, target=ResponseState.COMPLETED)
    def complete(self, *, at, score) -> None:
        self.completed_at = at
        self.score = score

    @transition(field=state, source=ResponseState.PENDING, target=ResponseState.EXPIRED)
    def expire(self, *, at) -> None:
        self.expired_at = at


class Answer(TenantModel):
    """The answer to one question; ``score`` is its normalised 0–100 value (empty: unscored)."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    rating = models.SmallIntegerField(null=True, blank=True)
    yes = models.BooleanField(null=True, blank=True)
    choice = models.ForeignKey(
        Choice, null=True, blank=True, on_delete=models.PROTECT, related_name="answers"
    )
    text = models.TextField(blank=True, **text_limit(5_000))  # as MAX_TEXT_ANSWER
    not_applicable = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_unique_per_question"
            )
        ]
        indexes = [models.Index(fields=["organization", "question"], name="answer_org_question")]
        ordering = ["question__order", "question_id"]

    def __str__(self) -> str:
        return f"Answer to {self.question_id}"

    @property
    def display_value(self) -> str:
        if self.not_applicable:
            return "Not applicable"
        if self.rating is not None:
            return str(self.rating)
        if self.yes is not None:
            return "Yes" if self.yes else "No"
        if self.choice_id:
            return self.choice.label
        return self.text
