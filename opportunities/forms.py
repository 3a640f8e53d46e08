"""The opportunity form and its condition builder (works without JavaScript).

The builder edits a flat list of rules joined by "all" or "any": each row is a field, an
operator and a value typed as text, parsed by the field's kind. "Add a rule" and "Remove"
are submit buttons that re-render the form, so no script is needed; ``builder.js`` adds
rows in place and previews the count as you type. Conditions with nested groups are
edited as JSON (the JSON box always works too).
"""

import json
from dataclasses import dataclass

from django import forms
from django.db.models import Q

from learning.models import CourseItem
from skills.models import Skill, SkillLevel
from surveys.enums import Audience
from surveys.models import SurveyTemplate
from tenancy.models import User
from tenancy.validation import LONG_TEXT
from work.enums import WorkKind

from .conditions import NO_VALUE_OPS, OPERATOR_LABELS
from .enums import CoachChoice, FiresOn
from .fields import work_item_fields
from .services import OpportunityData

EXTRA_RULES = 1
EXTRA_SKILLS = 2
MAX_ROWS = 50


class OpportunityForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(required=False, max_length=LONG_TEXT,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(required=False, initial=True)
    kinds = forms.MultipleChoiceField(
        required=False, choices=WorkKind.choices, widget=forms.CheckboxSelectMultiple,
        label="Work-item kinds", help_text="None ticked: every kind.",
    )
    fires_on = forms.ChoiceField(choices=FiresOn.choices, initial=FiresOn.UPDATE,
                                 label="Fires")
    coach_choice = forms.ChoiceField(choices=CoachChoice.choices, label="Coach",
                                     initial=CoachChoice.TEAM_MANAGER,
                                     widget=forms.RadioSelect)
    named_coach = forms.ModelChoiceField(queryset=User.objects.none(), required=False,
                                         label="Named coach")
    due_in_days = forms.IntegerField(min_value=1, max_value=365, initial=7,
                                     label="Due in (days)")
    suppress_days = forms.IntegerField(
        min_value=0, max_value=365, initial=0, label="Suppression window (days)",
        help_text="No second assessment for the same agent within this many days; 0 is off.",
    )
    sample_rate = forms.IntegerField(min_value=0, max_value=100, initial=100,
                                     label="Sample rate (%)")
    exempt_first_days = forms.IntegerField(
        min_value=0, max_value=365, initial=0, label="Exempt new agents (days)",
        help_text="Agents who joined less than this many days ago are left alone.",
    )
    courses = forms.ModelMultipleChoiceField(
        queryset=CourseItem.objects.none(), required=False, label="Training",
        widget=forms.CheckboxSelectMultiple,
        help_text="Course items assigned to the agent when the assessment completes.",
    )
    coach_survey = forms.ModelChoiceField(
        queryset=SurveyTemplate.objects.none(), required=False, label="Coach survey",
        empty_label="None", help_text="The coach's survey about the agent; its score "
                                      "becomes the assessment rating.",
    )
    trainee_survey = forms.ModelChoiceField(
        queryset=SurveyTemplate.objects.none(), required=False, label="Agent survey",
        empty_label="None", help_text="The agent's survey about the coaching.",
    )
    virtual_coach_name = forms.CharField(
        required=False, max_length=150, label="Virtual coach",
        help_text="Name a virtual coach to complete these assessments at once with the "
                  "skills and training above, and send the agent survey (the coach survey "
                  "is not sent: there is no person to answer it); leave empty for none.",
    )

    def __init__(self, *args, organization, opportunity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["named_coach"].queryset = User.objects.filter(
            memberships__organization=organization, memberships__is_coach=True
        ).order_by("username")
        # Active choices, plus what the opportunity already has (a retired course or an
        # inactive survey stays selectable until someone removes it).
        courses = Q(active=True)
        coach_survey, trainee_survey = Q(active=True), Q(active=True)
        if opportunity is not None:
            courses |= Q(pk__in=opportunity.course_links.values("course_id"))
            coach_survey |= Q(pk=opportunity.coach_survey_id)
            trainee_survey |= Q(pk=opportunity.trainee_survey_id)
        self.fields["courses"].queryset = CourseItem.objects.filter(
            courses, organization=organization).order_by("title", "pk")
        templates = SurveyTemplate.objects.filter(organization=organization).order_by("name")
        self.fields["coach_survey"].queryset = templates.filter(
            coach_survey, audience=Audience.COACH_ABOUT_TRAINEE)
        self.fields["trainee_survey"].queryset = templates.filter(
            trainee_survey, audience=Audience.TRAINEE_ABOUT_COACH)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple
                          | forms.RadioSelect):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"


# --- the condition builder ------------------------------------------------------------


@dataclass
class Rule:
    field: str = ""
    op: str = ""
    value: str = ""


def _value_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    return str(value)


def rules_from_condition(condition) -> tuple[str, list[Rule]] | None:
    """The (match, rules) of a flat condition, or None when it needs the JSON editor."""
    if not isinstance(condition, dict):
        return None
    if "field" in condition:
        children, match = [condition], "all"
    elif set(condition) == {"all"} or set(condition) == {"any"}:
        match = next(iter(condition))
        children = condition[match]
        if not isinstance(children, list):
            return None
    else:
        return None
    rules = []
    for child in children:
        if not isinstance(child, dict) or "field" not in child:
            return None
        rules.append(Rule(str(child.get("field", "")), str(child.get("op", "")),
                          _value_text(child.get("value")) if "value" in child else ""))
    return match, rules


def _parse_scalar(kind: str, text: str):
    text = text.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        return text
    if kind == "json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return parsed if not isinstance(parsed, dict | list) else text
    return text


def rule_to_leaf(rule: Rule) -> dict:
    fields = work_item_fields()
    kind = "json" if rule.field.startswith("attributes.") else getattr(
        fields.get(rule.field), "kind", "str")
    leaf = {"field": rule.field, "op": rule.op}
    if rule.op in NO_VALUE_OPS:
        return leaf
    if rule.op == "is_empty":
        return leaf
    if rule.op in ("in", "not_in"):
        leaf["value"] = [_parse_scalar(kind, part) for part in rule.value.split(",")
                         if part.strip()]
        return leaf
    if kind in ("str", "datetime") and rule.value == "" and rule.op in ("eq", "ne"):
        leaf["value"] = ""
        return leaf
    leaf["value"] = _parse_scalar(kind, rule.value)
    return leaf


class ConditionBuilder:
    """Reads and writes the builder's rows and the JSON box of a posted form."""

    def __init__(self, data=None, *, condition=None):
        self.data = data
        self.error = ""
        if data is None:
            self.mode = "rules"
            flat = rules_from_condition(condition) if condition is not None else ("all", [])
            if flat is None:
                self.mode, self.match, self.rules = "json", "all", []
            else:
                self.match, self.rules = flat
            self.json_text = json.dumps(condition, indent=2) if condition is not None else ""
            self.rules = self.rules + [Rule() for _ in range(EXTRA_RULES)]
            return
        self.mode = "json" if data.get("condition_mode") == "json" else "rules"
        self.match = "any" if data.get("match") == "any" else "all"
        count = min(_int(data.get("rule_count"), 0), MAX_ROWS)
        self.rules = []
        action = data.get("_action", "")
        for index in range(count):
            if action == f"remove-{index}":
                continue
            field = data.get(f"rule-{index}-field", "").strip()
            attribute = data.get(f"rule-{index}-attribute", "").strip()
            if attribute:
                field = "attributes." + attribute.removeprefix("attributes.")
            rule = Rule(field, data.get(f"rule-{index}-op", "").strip(),
                        data.get(f"rule-{index}-value", ""))
            self.rules.append(rule)
        self.json_text = data.get("condition_json", "")
        if action == "add_rule" or not self.rules:
            self.rules.append(Rule())

    def condition(self):
        """The condition the form describes (not validated); sets ``error`` if unreadable."""
        if self.mode == "json":
            try:
                return json.loads(self.json_text)
            except ValueError as error:
                self.error = f"The condition is not valid JSON: {error}."
                return None
        leaves = [rule_to_leaf(r) for r in self.rules if r.field or r.op]
        if not leaves:
            self.error = "Add at least one rule."
            return None
        return {self.match: leaves}

    def field_choices(self):
        fields = work_item_fields()
        return sorted(((name, spec.label or name) for name, spec in fields.items()),
                      key=lambda pair: pair[1].lower())

    @staticmethod
    def operator_choices():
        return list(OPERATOR_LABELS.items())

    def rows(self):
        """The rows to render, with whether the field is a custom attribute."""
        return [
            {"index": i, "rule": rule,
             "attribute": rule.field.removeprefix("attributes.")
             if rule.field.startswith("attributes.") else ""}
            for i, rule in enumerate(self.rules)
        ]


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- the skills rows ------------------------------------------------------------------


class SkillRows:
    """Skill + level pairs of the form, as rows of two selects (no JavaScript needed)."""

    def __init__(self, organization, data=None, *, initial=()):
        self.skills = list(Skill.objects.filter(organization=organization, active=True)
                           .order_by("name"))
        self.levels = list(SkillLevel.objects.filter(organization=organization).order_by("rank"))
        self.error = ""
        if data is None:
            self.pairs = [(s.pk, lv.pk) for s, lv in initial]
        else:
            count = min(_int(data.get("skill_count"), 0), MAX_ROWS)
            self.pairs = []
            for index in range(count):
                skill_id = _int(data.get(f"skill-{index}-skill"), 0)
                level_id = _int(data.get(f"skill-{index}-level"), 0)
                if skill_id or level_id:
                    self.pairs.append((skill_id, level_id))
        self.rows = [*self.pairs, *[(0, 0)] * EXTRA_SKILLS]

    def cleaned(self):
        by_skill = {s.pk: s for s in self.skills}
        by_level = {lv.pk: lv for lv in self.levels}
        result = []
        for skill_id, level_id in self.pairs:
            if skill_id not in by_skill or level_id not in by_level:
                self.error = "Choose a skill and a level on every skill row."
                return None
            result.append((by_skill[skill_id], by_level[level_id]))
        return result


def opportunity_data(form: OpportunityForm, condition, skills) -> OpportunityData:
    data = form.cleaned_data
    return OpportunityData(
        name=data["name"], condition=condition, description=data["description"],
        active=data["active"], kinds=data["kinds"], fires_on=data["fires_on"],
        coach_choice=data["coach_choice"], named_coach=data["named_coach"],
        due_in_days=data["due_in_days"], suppress_days=data["suppress_days"],
        sample_rate=data["sample_rate"], exempt_first_days=data["exempt_first_days"],
        skills=skills,
        courses=list(data["courses"]),
        coach_survey=data["coach_survey"], trainee_survey=data["trainee_survey"],
        virtual_coach_name=data["virtual_coach_name"],
    )
