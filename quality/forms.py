"""Forms of the scorecard editor (a scorecard with a formset of attribute rows) and the
quality settings page."""

import json

from django import forms

from tenancy.forms import BootstrapMixin
from tenancy.validation import LONG_TEXT

from .enums import AnswerType, ReleaseMode
from .scoring.rule_specs import validate_auto
from .services.scorecards import MAX_ATTRIBUTES, AttributeData, ScorecardData

RULE_HELP = (
    'Optional: how it is scored automatically, as JSON, e.g. {"rule": "agent_says", '
    '"phrases": ["thank you for calling"], "within_first_turns": 2}. Rules: agent_says, '
    "agent_never_says, handle_time_at_most, customer_negative_then_agent_says, "
    "silence_at_most, sentiment_at_least, learned. Empty: scored by hand only."
)


class ScorecardForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}),
    )
    queue = forms.CharField(
        required=False, max_length=100,
        help_text="Optional: used for interactions of this queue (one scorecard per queue).",
    )
    default = forms.BooleanField(
        label="Default scorecard", required=False,
        help_text="Used for interactions whose queue has no scorecard of its own "
                  "(one per organization: choosing it here moves it).",
    )


class RuleField(forms.CharField):
    """The automatic rule as a JSON text; cleans to the normalized rule or None."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return value

    def clean(self, value):
        text = (super().clean(value) or "").strip()
        if not text or text == "null":
            return None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not valid JSON (column {error.colno}: {error.msg}).") from None
        try:
            return validate_auto(raw)
        except ValueError as error:
            message = str(error)
            raise forms.ValidationError(message[:1].upper() + message[1:]) from None


class AttributeForm(BootstrapMixin, forms.Form):
    rule_help = RULE_HELP  # shown once above the attribute rows
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=150)
    section = forms.CharField(required=False, max_length=150)
    answer_type = forms.ChoiceField(label="Answer", choices=AnswerType.choices,
                                    initial=AnswerType.YES_NO)
    scale_max = forms.IntegerField(
        label="Scale top (N)", required=False, min_value=1, max_value=100,
        help_text="For a 0–N scale.",
    )
    weight = forms.IntegerField(min_value=0, max_value=1000, initial=1)
    critical = forms.BooleanField(
        required=False, help_text="A failed answer sets the total to 0.")
    na_allowed = forms.BooleanField(label="N/A allowed", required=False, initial=True)
    disputable = forms.BooleanField(required=False, initial=True)
    guidance = forms.CharField(required=False, max_length=LONG_TEXT,
                               widget=forms.Textarea(attrs={"rows": 2}))
    auto = RuleField(label="Automatic rule", required=False, max_length=5000,
                     help_text="Optional JSON; see “Automatic rules” above.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer_type") == AnswerType.SCALE and not cleaned.get("scale_max"):
            self.add_error("scale_max", "Give the top of the scale (1 to 100).")
        return cleaned

    def as_data(self) -> AttributeData:
        data = self.cleaned_data
        answer = ("yes_no" if data["answer_type"] == AnswerType.YES_NO
                  else f"scale:{data['scale_max']}")
        return AttributeData(
            key=data.get("key") or "", name=data["name"], section=data.get("section") or "",
            guidance=data.get("guidance") or "", answer=answer, weight=data["weight"],
            critical=data["critical"], na_allowed=data["na_allowed"],
            disputable=data["disputable"], auto=data.get("auto"),
        )


AttributeFormSet = forms.formset_factory(
    AttributeForm, extra=1, can_delete=True, max_num=MAX_ATTRIBUTES, validate_max=True,
)


def attribute_initial(attribute) -> dict:
    return {
        "key": attribute.key, "name": attribute.name, "section": attribute.section,
        "answer_type": attribute.answer_type, "scale_max": attribute.scale_max,
        "weight": attribute.weight, "critical": attribute.critical,
        "na_allowed": attribute.na_allowed, "disputable": attribute.disputable,
        "guidance": attribute.guidance, "auto": attribute.auto,
    }


def rows_of(formset) -> list[dict]:
    """What each kept row of a bound formset holds, as initial data for a fresh formset
    (the "add a row" button re-renders the form without validating it)."""
    rows = []
    for form in formset.forms:
        if form["DELETE"].value():
            continue
        row = {name: form[name].value() for name in AttributeForm.base_fields}
        if any(row[name] for name in ("name", "section", "guidance", "auto")):
            rows.append(row)
    return rows


def scorecard_data_from(form: ScorecardForm, formset) -> ScorecardData:
    kept = [f.as_data() for f in formset.forms
            if f.has_changed() or f.cleaned_data.get("key")
            if f.cleaned_data and not formset._should_delete_form(f)]
    data = form.cleaned_data
    return ScorecardData(name=data["name"], default=data["default"], queue=data["queue"],
                         description=data["description"], attributes=kept)


class QualitySettingsForm(BootstrapMixin, forms.Form):
    release_mode = forms.ChoiceField(
        label="Release audits to agents", choices=ReleaseMode.choices,
        widget=forms.RadioSelect,
    )
    release_delay_hours = forms.IntegerField(
        label="Delay (hours)", min_value=1, max_value=720,
        help_text="With release after a delay: hours between submitting and the agent "
                  "seeing the audit (1 to 720).",
    )
    verify_min_kappa = forms.FloatField(
        label="Agreement bar (Cohen's κ)", min_value=0, max_value=1,
        help_text="An attribute's automatic answers count once they agree with audits at "
                  "least this well (0 to 1; 0.6 is substantial agreement).",
    )
    verify_min_pairs = forms.IntegerField(
        label="Pairs needed to verify", min_value=5, max_value=10_000,
        help_text="Interactions with both an automatic and an audit answer (5 to 10,000).",
    )
    min_reviews = forms.IntegerField(
        label="Fewest reviews to act on", min_value=1, max_value=1_000,
        help_text="Below this, numbers say “too few reviews to act” (1 to 1,000).",
    )
    learned_min_answers = forms.IntegerField(
        label="Audit answers before a learned scorer", min_value=10, max_value=100_000,
        help_text="Per attribute (10 to 100,000).",
    )
    audits_per_agent_week = forms.IntegerField(
        label="Audits per agent per week", min_value=0, max_value=100,
        help_text="Every agent gets at least this many (0 to 100; 0: allocate none).",
    )
    audits_per_evaluator_day = forms.IntegerField(
        label="Audits per evaluator per day", min_value=1, max_value=500,
        help_text="At most (1 to 500).",
    )
    provider_enabled = forms.BooleanField(
        label="Use an outside scorer", required=False,
        help_text="An OpenAI-compatible chat endpoint that answers attributes; off by default.",
    )
    provider_url = forms.CharField(label="Outside scorer URL", required=False, max_length=500)
    provider_model = forms.CharField(label="Model", required=False, max_length=200)
    provider_api_key = forms.CharField(
        label="API key", required=False, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_provider_api_key = forms.BooleanField(label="Remove the stored API key",
                                                required=False)
    provider_timeout_seconds = forms.FloatField(
        label="Timeout (seconds)", min_value=1, max_value=120,
    )

    def __init__(self, *args, has_api_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider_api_key"].help_text = (
            "A key is stored; leave empty to keep it, or type a new one." if has_api_key
            else "No key stored. It is never shown again once saved."
        )
        if not has_api_key:  # nothing to remove
            del self.fields["clear_provider_api_key"]


class DisputeSettingsForm(BootstrapMixin, forms.Form):
    """"Agent accept & dispute" on the quality settings page (prefix ``disputes``)."""

    enabled = forms.BooleanField(
        label="Agents accept or dispute released audits", required=False,
        help_text="Off by default. When on, each audit released from then on waits for its "
                  "agent to accept it or dispute attributes.",
    )
    max_rounds = forms.IntegerField(
        label="Dispute rounds", min_value=1, max_value=5,
        help_text="How many times an agent may dispute one audit (1 to 5).",
    )
    window_days = forms.IntegerField(
        label="Dispute window (days)", min_value=1, max_value=90,
        help_text="Days after the release (or a decision) the agent has to answer (1 to 90); "
                  "then the score stands.",
    )
    sla_hours = forms.IntegerField(
        label="Reviewers decide within (hours)", min_value=1, max_value=720,
        help_text="The reviewers' service level (1 to 720); overdue disputes come first in "
                  "the queue and in a daily e-mail.",
    )
    arbitrator = forms.ModelChoiceField(
        label="Last round decided by", required=False, queryset=None,
        empty_label="The auditor",
        help_text="A QA analyst or org admin who decides every dispute's last round instead "
                  "of the auditor.",
    )

    def __init__(self, *args, organization, **kwargs):
        from django.db.models import Q

        from tenancy.models import Membership, User

        super().__init__(*args, prefix="disputes", **kwargs)
        field = self.fields["arbitrator"]
        deciders = Membership.objects.filter(organization=organization).filter(
            Q(is_qa_analyst=True) | Q(is_org_admin=True)).values("user_id")
        field.queryset = User.objects.filter(pk__in=deciders).order_by(
            "first_name", "last_name", "username")
        field.label_from_instance = lambda user: user.get_full_name() or user.username
