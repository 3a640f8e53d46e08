"""The form that opens a calibration session: name, scorecard, deadline (in the
organization's time zone), the evaluators (members who audit), and the interactions —
typed by number or external ID, ticked from a search of auditable interactions, or brought
by the dispute analytics' open calibration candidates and by disputed evaluations."""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone

from tenancy.forms import BootstrapMixin
from tenancy.models import Membership, Organization, User
from tenancy.validation import LONG_TEXT

from . import selectors
from .enums import EvaluationKind, EvaluationState
from .models import CalibrationCandidate, Evaluation
from .services.calibration import MAX_ITEMS

DEADLINE_FORMAT = "%Y-%m-%dT%H:%M"
TOKEN = re.compile(r"[\s,;]+")


def default_deadline(organization: Organization) -> str:
    """A week from now at 17:00 in the organization's time zone, as the input shows it."""
    day = timezone.localdate(timezone=organization.tzinfo) + timedelta(days=7)
    return datetime.combine(day, time(17, 0)).strftime(DEADLINE_FORMAT)


def evaluator_choices(organization: Organization) -> list[tuple[int, str]]:
    """Members who audit (org admins, QA analysts, coaches): ``(user id, "Name — roles")``."""
    members = (Membership.objects.filter(organization=organization)
               .filter(Q(is_org_admin=True) | Q(is_qa_analyst=True) | Q(is_coach=True))
               .select_related("user").order_by("user__first_name", "user__last_name",
                                                "user__username"))
    return [(m.user_id, f"{m.user.get_full_name() or m.user.username} — "
                        f"{', '.join(m.role_labels)}") for m in members]


def open_candidates(organization: Organization):
    return (CalibrationCandidate.objects.filter(organization=organization, taken_at__isnull=True)
            .select_related("evaluator").order_by("-created_at", "-id"))


def disputed_evaluations(organization: Organization, user: User):
    """Audits the lead may calibrate on: submitted or released manual evaluations they
    see."""
    return (selectors.visible_evaluations(organization, user)
            .filter(kind=EvaluationKind.MANUAL,
                    state__in=(EvaluationState.SUBMITTED, EvaluationState.RELEASED))
            .select_related("interaction", "agent"))


class CandidateChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CalibrationCandidate) -> str:
        if obj.subject == "evaluator" and obj.evaluator is not None:
            subject = f"Evaluator {obj.evaluator.get_full_name() or obj.evaluator.username}"
        else:
            subject = f"Attribute {obj.attribute_name or obj.attribute_key}"
        return f"{subject}: its disputed evaluations ({obj.reason})" if obj.reason else subject


class EvaluationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Evaluation) -> str:
        agent = obj.agent.get_full_name() or obj.agent.username if obj.agent else "no agent"
        total = "—" if obj.total is None else f"{obj.total:g}"
        return f"{obj.interaction.label} ({agent}, audit total {total})"


class SessionForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=200, help_text="What the evaluators see, e.g. "
                           "“Empathy on billing chats, November”.")
    scorecard = forms.ModelChoiceField(queryset=None, empty_label=None,
                                       help_text="Everyone scores with this version.")
    deadline = forms.DateTimeField(
        input_formats=[DEADLINE_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DEADLINE_FORMAT),
        help_text="The scores are revealed then at the latest (organization time).")
    evaluators = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text="Two or more members who audit. They get an e-mail with a link to score.",
        error_messages={"required": "Invite at least two evaluators: agreement needs two "
                                    "raters."})
    interactions = forms.CharField(
        label="Interactions by number or external ID", required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false",
                                     "placeholder": "CHAT-104, CALL-2231"}),
        help_text="Separated by commas, spaces or new lines; or tick them in the search.")
    picked = forms.ModelMultipleChoiceField(queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)
    candidates = CandidateChoice(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label="From the dispute analytics",
        help_text="Their disputed evaluations' interactions join the session; the "
                  "candidates are marked taken.")
    disputed = EvaluationChoice(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label="Disputed evaluations", help_text="Their interactions join the session.")
    notes = forms.CharField(required=False, max_length=LONG_TEXT,
                            widget=forms.Textarea(attrs={"rows": 2}),
                            help_text="Optional: what to pay attention to.")

    def __init__(self, data=None, *, organization: Organization, user: User,
                 evaluation_ids=(), initial=None):
        super().__init__(data, initial=initial)
        self.organization, self.user = organization, user
        self.tz = organization.tzinfo
        self.fields["scorecard"].queryset = selectors.current_scorecards(organization)
        self.fields["evaluators"].choices = evaluator_choices(organization)
        self.fields["picked"].queryset = selectors.auditable_interactions(organization, user)
        self.fields["candidates"].queryset = open_candidates(organization)
        # Only the evaluations brought here (a link from a dispute, or posted) are offered.
        self.fields["disputed"].queryset = disputed_evaluations(organization, user).filter(
            pk__in=list(evaluation_ids))
        self.resolved: list = []

    def full_clean(self):
        with timezone.override(self.tz):  # the deadline is typed in organization time
            super().full_clean()

    def clean_evaluators(self) -> list[User]:
        ids = list(dict.fromkeys(self.cleaned_data["evaluators"]))
        if len(ids) < 2:  # said here too, so every field's error shows at once
            raise forms.ValidationError(self.fields["evaluators"].error_messages["required"])
        users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
        return [users[i] for i in ids if i in users]

    def clean_interactions(self) -> list:
        """The interactions typed by number or external ID (each found once)."""
        tokens = [t for t in TOKEN.split(self.cleaned_data.get("interactions") or "") if t]
        if not tokens:
            return []
        if len(tokens) > MAX_ITEMS:
            raise forms.ValidationError(f"A session holds at most {MAX_ITEMS} interactions; "
                                        f"{len(tokens)} were typed.")
        found = list(selectors.auditable_interactions(self.organization, self.user)
                     .filter(Q(number__in=tokens) | Q(external_id__in=tokens))
                     .order_by("opened_at", "id"))
        known = {i.number for i in found} | {i.external_id for i in found}
        missing = [t for t in dict.fromkeys(tokens) if t not in known]
        if missing:
            raise forms.ValidationError(
                f"No call, chat or e-mail you may audit is numbered {', '.join(missing)}.")
        order = {t: n for n, t in enumerate(dict.fromkeys(tokens))}
        return sorted(found, key=lambda i: min(order.get(i.number, len(order)),
                                               order.get(i.external_id, len(order))))

    def chosen_interactions(self) -> list:
        """Typed, then ticked interactions, each once (after ``is_valid``)."""
        ticked = [str(v) for v in self.data.getlist("picked")] if self.is_bound else []
        picked = sorted(self.cleaned_data.get("picked", []),
                        key=lambda i: ticked.index(str(i.pk)) if str(i.pk) in ticked else 0)
        seen: dict[int, object] = {}
        for item in [*self.cleaned_data.get("interactions", []), *picked]:
            seen.setdefault(item.pk, item)
        return list(seen.values())
