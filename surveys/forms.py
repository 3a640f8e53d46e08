"""Forms of the template builder and settings, and the answer sheet respondents fill in."""

import re
from dataclasses import dataclass, field

from django import forms

from tenancy.forms import BootstrapMixin
from tenancy.validation import LONG_TEXT

from .enums import NOT_APPLICABLE, Audience, QuestionKind
from .models import Question

CHOICE_LINE = re.compile(r"^(?P<label>.+?)\s*=\s*(?P<score>-?\d+)\s*$")


class TemplateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=150)
    audience = forms.ChoiceField(
        choices=Audience.choices,
        help_text="Coach about trainee: the coach scores the trainee's work. Trainee about "
                  "coach: the trainee scores the coaching (feeds coach effectiveness).",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=LONG_TEXT,
        help_text="Shown to respondents above the first question.",
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Only active surveys can be sent."
    )


class QuestionForm(BootstrapMixin, forms.Form):
    text = forms.CharField(label="Question", max_length=500)
    help_text = forms.CharField(
        label="Hint", max_length=500, required=False,
        help_text="Optional: a line under the question that helps people answer it.",
    )
    kind = forms.ChoiceField(label="Type", choices=QuestionKind.choices)
    scale_min = forms.IntegerField(label="Lowest value", initial=1, required=False,
                                   max_value=100)
    scale_max = forms.IntegerField(label="Highest value", initial=5, required=False,
                                   max_value=100)
    min_label = forms.CharField(label="Label of the lowest value", max_length=60,
                                required=False)
    max_label = forms.CharField(label="Label of the highest value", max_length=60,
                                required=False)
    choices = forms.CharField(
        label="Options", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        max_length=LONG_TEXT,
        help_text="One per line as “label = points”, points from 0 to 100 "
                  "(for example: Fully = 100).",
    )
    weight = forms.IntegerField(
        initial=1, min_value=1, max_value=100,
        help_text="How much the question counts in the score relative to the others.",
    )
    required = forms.BooleanField(required=False, initial=True)
    allows_na = forms.BooleanField(
        label="Offer “not applicable”", required=False,
        help_text="A “not applicable” answer is left out of the score.",
    )

    def clean_choices(self):
        parsed = []
        for number, line in enumerate(self.cleaned_data["choices"].splitlines(), start=1):
            if not line.strip():
                continue
            match = CHOICE_LINE.match(line.strip())
            if match is None:
                raise forms.ValidationError(
                    f"Line {number} (“{line.strip()}”) needs the form “label = points”."
                )
            score = int(match["score"])
            if not 0 <= score <= 100:
                raise forms.ValidationError(
                    f"Line {number}: points must be from 0 to 100, not {score}."
                )
            parsed.append((match["label"].strip(), score))
        return parsed

    def clean(self):
        data = super().clean()
        if data.get("kind") == QuestionKind.RATING:
            for name in ("scale_min", "scale_max"):
                if data.get(name) is None:
                    self.add_error(name, "A rating scale needs its lowest and highest value.")
        if (data.get("kind") == QuestionKind.CHOICE and not self.errors.get("choices")
                and len(data.get("choices") or []) < 2):
            self.add_error("choices", "Give at least two options.")
        return data

    @staticmethod
    def initial_for(question: Question) -> dict:
        return {
            "text": question.text, "help_text": question.help_text, "kind": question.kind,
            "scale_min": question.scale_min, "scale_max": question.scale_max,
            "min_label": question.min_label, "max_label": question.max_label,
            "choices": "\n".join(f"{c.label} = {c.score}" for c in question.choices.all()),
            "weight": question.weight, "required": question.required,
            "allows_na": question.allows_na,
        }

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["scale_min"] = data.get("scale_min") if data.get("scale_min") is not None else 1
        data["scale_max"] = data.get("scale_max") if data.get("scale_max") is not None else 5
        return data


class SurveySettingsForm(BootstrapMixin, forms.Form):
    remind_after_days = forms.IntegerField(
        label="Remind after (days)", min_value=0, max_value=365,
        help_text="Send one reminder e-mail when a survey has been pending this many days "
                  "(0: no reminders).",
    )
    due_after_days = forms.IntegerField(
        label="Due after (days)", min_value=1, max_value=365,
        help_text="A survey expires this many days after it is sent, unless the sender "
                  "sets another due date.",
    )
    anonymous = forms.BooleanField(
        label="Trainee surveys are anonymous", required=False,
        help_text="On: nobody sees a trainee's answers about their coach with the trainee's "
                  "name. Off: org admins can read them with the name. Either way coaches see "
                  "only averages over at least 3 responses. Trainees are told which applies; "
                  "surveys already sent keep what they were told.",
    )


# --- the answer sheet ------------------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    checked: bool
    id: str


@dataclass
class SheetField:
    question: Question
    number: int
    name: str
    value: str
    error: str = ""
    options: list[Option] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def is_text(self) -> bool:
        return self.question.kind == QuestionKind.TEXT

    @property
    def is_scale(self) -> bool:
        return self.question.kind == QuestionKind.RATING


class AnswerSheet:
    """The questions of a survey as form fields (``q<id>``), bound to posted values.

    It does not judge the answers: :func:`surveys.services.submit_survey` does, and the
    view hands its per-question errors back with :meth:`add_errors`.
    """

    def __init__(self, questions, data=None, answers=None):
        self.questions = list(questions)
        self.data = data
        stored = {a.question_id: a for a in (answers or [])}
        self.fields: list[SheetField] = []
        for number, question in enumerate(self.questions, start=1):
            name = f"q{question.pk}"
            if data is not None:
                value = data.get(name, "")
            else:
                value = _stored_value(stored.get(question.pk))
            sheet_field = SheetField(question=question, number=number, name=name, value=value)
            sheet_field.options = [
                Option(v, label, value == v, f"id_{name}_{i}")
                for i, (v, label) in enumerate(_options(question))
            ]
            self.fields.append(sheet_field)

    @property
    def answers(self) -> dict[int, str]:
        return {f.question.pk: f.value for f in self.fields}

    def add_errors(self, errors: dict[int, str]) -> None:
        for sheet_field in self.fields:
            sheet_field.error = errors.get(sheet_field.question.pk, "")

    @property
    def first_error(self) -> SheetField | None:
        return next((f for f in self.fields if f.error), None)


def _options(question: Question) -> list[tuple[str, str]]:
    if question.kind == QuestionKind.RATING:
        options = [(str(v), str(v)) for v in question.scale_values]
    elif question.kind == QuestionKind.YES_NO:
        options = [("yes", "Yes"), ("no", "No")]
    elif question.kind == QuestionKind.CHOICE:
        options = [(str(c.pk), c.label) for c in question.choices.all()]
    else:
        return []
    if question.allows_na:
        options.append((NOT_APPLICABLE, "Not applicable"))
    return options


def _stored_value(answer) -> str:
    if answer is None:
        return ""
    if answer.not_applicable:
        return NOT_APPLICABLE
    if answer.rating is not None:
        return str(answer.rating)
    if answer.yes is not None:
        return "yes" if answer.yes else "no"
    if answer.choice_id:
        return str(answer.choice_id)
    return answer.text
