"""Tenant-scoped admin of the quality app.

Scorecards are saved through the scorecard services with their attributes (so editing a
version that has evaluations makes the next version, as on the scorecard pages) and
archived through ``archive_scorecard`` instead of being deleted. Evaluations (with their
answers and history), audit assignments, agreement figures and learned scorers are records
the services write: shown, never added or changed here. A best-response bookmark can be
removed (through ``remove_best_response``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import construct_change_message

from tenancy.admin_mixins import (
    RecordAdminMixin,
    ServiceAdminMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    kept_rows,
)
from tenancy.errors import DomainError

from .enums import AnswerType
from .models import (
    Answer,
    Attribute,
    AttributeAgreement,
    AuditAssignment,
    BestResponse,
    Evaluation,
    EvaluationChange,
    LearnedScorer,
    Scorecard,
)
from .services.audits import remove_best_response
from .services.scorecards import (
    AttributeData,
    ScorecardData,
    archive_scorecard,
    create_scorecard,
    update_scorecard,
)

ATTRIBUTE_FIELDS = ["name", "section", "answer_type", "scale_max", "weight", "critical",
                    "na_allowed", "disputable", "guidance", "auto"]


class _ServiceValidatedForm(forms.ModelForm):
    """The service checks the default, the queue and answer types (and moves the default),
    with messages naming the attribute; the model's constraints must not refuse first."""

    service_checked: tuple[str, ...] = ()

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), *self.service_checked}


class ScorecardAdminForm(_ServiceValidatedForm):
    service_checked = ("is_default", "queue", "name")

    class Meta:
        model = Scorecard
        fields = ["name", "description", "queue", "is_default"]


class AttributeAdminForm(_ServiceValidatedForm):
    service_checked = ("answer_type", "scale_max")

    class Meta:
        model = Attribute
        fields = ATTRIBUTE_FIELDS


class AttributeInline(TenantInlineMixin, admin.StackedInline):
    model = Attribute
    form = AttributeAdminForm
    fields = ["key", *ATTRIBUTE_FIELDS]
    readonly_fields = ["key"]
    extra = 0


@admin.register(Scorecard)
class ScorecardAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    form = ScorecardAdminForm
    fields = ["name", "description", "queue", "is_default", "key", "version", "is_current",
              "created_by", "created_at"]
    readonly_fields = ["key", "version", "is_current", "created_by", "created_at"]
    list_display = ["name", "version", "is_current", "is_default", "queue", "created_at"]
    list_filter = ["is_current", "is_default"]
    search_fields = ["name", "key", "queue"]
    inlines = [AttributeInline]
    actions = ["archive_selected"]

    def save_model(self, request, obj, form, change):
        """Saved with its attributes in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        attributes = [
            AttributeData(
                key=row["id"].key if row.get("id") else "", name=row["name"],
                section=row.get("section") or "", guidance=row.get("guidance") or "",
                answer=("yes_no" if row["answer_type"] == AnswerType.YES_NO
                        else f"scale:{row.get('scale_max')}"),
                weight=row["weight"], critical=row["critical"], na_allowed=row["na_allowed"],
                disputable=row["disputable"], auto=row.get("auto"),
            )
            for row in kept_rows(formsets, Attribute)
        ]
        data = ScorecardData(name=cleaned["name"], default=cleaned["is_default"],
                             queue=cleaned.get("queue") or "",
                             description=cleaned.get("description") or "",
                             attributes=attributes)
        if change:
            saved = update_scorecard(scorecard=form.instance, data=data, actor=request.user)
        else:
            saved = create_scorecard(organization=form.instance.organization, data=data,
                                     actor=request.user)
        if change and saved.pk != form.instance.pk:
            self.message_user(request, f"Saved as version {saved.version}: version "
                                       f"{form.instance.version} has evaluations.",
                              messages.INFO)
        form.instance.pk, form.instance._state.adding = saved.pk, False

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def has_delete_permission(self, request, obj=None):
        return False  # archived instead: evaluations keep their version

    @admin.action(description="Archive the selected scorecards", permissions=["change"])
    def archive_selected(self, request, queryset):
        archived = 0
        for card in queryset.filter(is_current=True):
            try:
                archive_scorecard(scorecard=card, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{card}: {error.message}", messages.ERROR)
            else:
                archived += 1
        self.message_user(request, f"Archived {archived} scorecard{'s' if archived != 1 else ''}.",
                          messages.SUCCESS)


class ReadOnlyInline(TenantInlineMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = readonly_fields = ["attribute", "value", "na", "comment", "evidence", "scorer"]


class EvaluationChangeInline(ReadOnlyInline):
    model = EvaluationChange
    fields = readonly_fields = ["at", "actor", "action", "attribute", "before", "after", "note"]


@admin.register(Evaluation)
class EvaluationAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    records_deletable = False
    list_display = ["id", "interaction", "agent", "kind", "state", "scorecard", "total",
                    "interaction_at"]
    list_filter = ["kind", "state"]
    search_fields = ["interaction__external_id", "agent__username"]
    list_select_related = ["interaction", "agent", "scorecard"]
    readonly_fields = ["interaction", "agent", "scorecard", "kind", "state", "evaluator",
                       "scorer", "total", "critical_failed", "sentiment", "comment", "error",
                       "interaction_at", "created_at", "updated_at", "submitted_at",
                       "release_at", "released_at"]
    fields = readonly_fields
    inlines = [AnswerInline, EvaluationChangeInline]


@admin.register(BestResponse)
class BestResponseAdmin(ServiceAdminMixin, RecordAdminMixin, TenantAdminMixin,
                        admin.ModelAdmin):
    list_display = ["attribute_name", "interaction", "created_by", "created_at"]
    search_fields = ["attribute_name", "interaction__external_id"]
    list_select_related = ["interaction", "created_by"]
    fields = readonly_fields = ["interaction", "attribute_key", "attribute_name", "note",
                                "created_by", "created_at"]

    def delete_model(self, request, obj):
        remove_best_response(best_response=obj, actor=request.user)


@admin.register(AuditAssignment)
class AuditAssignmentAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    records_deletable = False
    list_display = ["interaction", "agent", "evaluator", "week", "reason", "completed_at"]
    list_filter = ["week"]
    list_select_related = ["interaction", "agent", "evaluator"]
    fields = readonly_fields = ["interaction", "agent", "evaluator", "week", "reason",
                                "evaluation", "created_at", "completed_at"]


@admin.register(AttributeAgreement)
class AttributeAgreementAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    records_deletable = False
    list_display = ["scorecard_key", "attribute_key", "scorer", "pairs", "agreement", "kappa",
                    "verified", "computed_at"]
    list_filter = ["verified"]
    fields = readonly_fields = list_display


@admin.register(LearnedScorer)
class LearnedScorerAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    records_deletable = False
    list_display = ["scorecard_key", "attribute_key", "version", "trained_at", "training_size",
                    "heldout_size", "heldout_agreement", "heldout_kappa"]
    fields = readonly_fields = list_display


# --- agent disputes: rounds with their items, and calibration candidates (records) -------

from .models import CalibrationCandidate, Dispute, DisputeItem  # noqa: E402


class DisputeItemInline(ReadOnlyInline):
    model = DisputeItem
    fields = readonly_fields = ["attribute", "original", "proposed", "reason", "decision",
                                "decided", "comment"]


@admin.register(Dispute)
class DisputeAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Dispute rounds are written by quality.services.disputes only: shown, never changed."""

    records_deletable = False
    list_display = ["id", "evaluation", "round", "reviewer", "raised_at", "due_at",
                    "decided_at", "total_before", "total_after"]
    list_filter = ["round", ("decided_at", admin.EmptyFieldListFilter)]
    search_fields = ["evaluation__interaction__external_id", "reviewer__username",
                     "raised_by__username"]
    list_select_related = ["evaluation", "reviewer"]
    fields = readonly_fields = ["evaluation", "round", "raised_by", "raised_at", "reviewer",
                                "due_at", "decided_by", "decided_at", "total_before",
                                "total_after"]
    inlines = [DisputeItemInline]


@admin.register(CalibrationCandidate)
class CalibrationCandidateAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Sent to calibration from the dispute analytics; taken up by a calibration session."""

    records_deletable = False
    list_display = ["subject", "evaluator", "attribute_name", "reason", "created_by",
                    "created_at", "taken_at"]
    list_filter = ["subject", ("taken_at", admin.EmptyFieldListFilter)]
    list_select_related = ["evaluator", "created_by"]
    fields = readonly_fields = ["subject", "evaluator", "attribute_key", "attribute_name",
                                "reason", "evaluations", "created_by", "created_at",
                                "taken_at"]


# --- calibration sessions (records the calibration services write) ---------------------

from .models import (  # noqa: E402
    CalibrationAgreement,
    CalibrationDeviation,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationReference,
    CalibrationSession,
)


class CalibrationItemInline(ReadOnlyInline):
    model = CalibrationItem
    fields = readonly_fields = ["position", "interaction", "source", "source_evaluation"]


class CalibrationParticipantInline(ReadOnlyInline):
    model = CalibrationParticipant
    fields = readonly_fields = ["evaluator", "invited_at", "submitted_at"]


class CalibrationAgreementInline(ReadOnlyInline):
    model = CalibrationAgreement
    fields = readonly_fields = ["attribute_name", "level", "alpha", "alpha_low", "alpha_high",
                                "alpha_with_auto", "percent_agreement", "units", "ratings",
                                "raters", "recorded_at"]


@admin.register(CalibrationSession)
class CalibrationSessionAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Sessions are opened, revealed and finished on the calibration pages (through
    quality.services.calibration): shown here with their interactions, evaluators and the
    recorded agreement, never changed. Deleting one removes its calibration evaluations."""

    list_display = ["name", "state", "lead", "scorecard", "deadline", "revealed_at",
                    "finished_at", "created_at"]
    list_filter = ["state"]
    search_fields = ["name", "lead__username"]
    list_select_related = ["lead", "scorecard"]
    fields = readonly_fields = ["name", "scorecard", "lead", "deadline", "state", "notes",
                                "created_at", "revealed_at", "finished_at"]
    inlines = [CalibrationItemInline, CalibrationParticipantInline, CalibrationAgreementInline]


@admin.register(CalibrationReference)
class CalibrationReferenceAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """The leads' final answers, as set on the session page."""

    records_deletable = False
    list_display = ["item", "attribute", "value", "na", "decided_by", "decided_at"]
    list_select_related = ["item__session", "attribute", "decided_by"]
    search_fields = ["item__session__name", "attribute__name"]
    fields = readonly_fields = ["item", "attribute", "value", "na", "note", "decided_by",
                                "decided_at"]


@admin.register(CalibrationDeviation)
class CalibrationDeviationAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Each rater's recorded deviation (points of 100) per session and attribute."""

    records_deletable = False
    list_display = ["session", "evaluator", "is_auto", "attribute_key", "n", "from_final",
                    "disagree_final", "from_group", "recorded_at"]
    list_filter = ["is_auto"]
    list_select_related = ["session", "evaluator"]
    search_fields = ["session__name", "evaluator__username", "attribute_key"]
    fields = readonly_fields = list_display
