"""The assessment lifecycle: open, start, resolve, complete, cancel, expire, and edits.

Every transition locks the assessment row (``SELECT … FOR UPDATE``), checks the state
again under the lock, runs the FSM transition, logs it, and on completion performs the
effects once (:func:`_on_completed`: skills, learning tasks, surveys). Two coaches
completing the same assessment at once: the second waits for the lock, sees it closed and
gets an :class:`AssessmentError`.
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from learning.models import CourseItem
from learning.selectors import assignable_courses
from skills.enums import Source
from skills.models import Skill, SkillLevel
from skills.services import award_skill
from surveys.enums import Audience
from surveys.models import SurveyResponse, SurveyTemplate
from tenancy.errors import same_tenant
from tenancy.models import Membership, Organization, User
from work.models import WorkItem

from ..enums import OPEN_STATES, AssessmentState, Origin
from ..models import (
    AssessmentCourse,
    AssessmentSkill,
    AssessmentSurvey,
    AssessmentTransition,
    CoachingAssessment,
)
from .effects import (
    assign_assessment_training,
    dispatch_assessment_surveys,
    dispatch_coach_survey,
    sent_survey,
)
from .errors import AssessmentError

MAX_DUE_DAYS = 365




ACTION_LABELS = {
    "start": "started",
    "resolve": "resolved",
    "complete": "completed",
    "complete_virtually": "completed",
    "cancel": "cancelled",
    "expire": "expired",
}


def _locked(assessment_id: int) -> CoachingAssessment:
    return (
        CoachingAssessment.objects.select_for_update(of=("self",))
        .select_related("trainee", "coach", "opportunity", "work_item", "coach_survey",
                        "trainee_survey")
        .get(pk=assessment_id)
    )


def _refuse(assessment: CoachingAssessment, action: str) -> AssessmentError:
    verb = {"start": "start", "resolve": "resolve", "complete": "complete",
            "complete_virtually": "complete", "cancel": "cancel",
            "expire": "expire"}.get(action, action)
    if not assessment.is_open:
        return AssessmentError(
            f"This assessment is already {assessment.get_state_display().lower()}; "
            f"it cannot be {ACTION_LABELS.get(action, action)} any more."
        )
    return AssessmentError(
        f"An assessment that is {assessment.get_state_display().lower()} cannot be "
        f"{ACTION_LABELS.get(action, verb)}."
    )


def _log(assessment: CoachingAssessment, *, from_state: str, actor: User | None,
         actor_label: str = "", note: str = "") -> AssessmentTransition:
    return AssessmentTransition.objects.create(
        organization_id=assessment.organization_id, assessment=assessment,
        from_state=from_state, to_state=assessment.state, actor=actor,
        actor_label=actor_label or (str(actor) if actor else "Coachdesk"), note=note[:500],
    )


def _award(assessment: CoachingAssessment, actor: User | None) -> None:
    rows = list(
        AssessmentSkill.objects.select_for_update(of=("self",))
        .filter(assessment=assessment, awarded=False)
        .select_related("skill", "level")
    )
    for row in rows:
        award_skill(user=assessment.trainee, skill=row.skill, level=row.level,
                    source=Source.ASSESSMENT, actor=actor, cause=assessment)
        row.awarded = True
        row.save(update_fields=["awarded"])


def _on_completed(assessment: CoachingAssessment, actor: User | None) -> None:
    """What completing an assessment does, once, inside the completion's transaction (an
    error rolls the completion back)."""
    _award(assessment, actor)  # its skills, at their levels
    assign_assessment_training(assessment)  # a learning task per active course
    dispatch_assessment_surveys(assessment)  # the coach and trainee surveys


def _run(
    assessment_id: int, action: str, *, actor: User | None, actor_label: str = "",
    note: str = "", check: Callable[[CoachingAssessment], None] | None = None, **kwargs,
) -> CoachingAssessment:
    with transaction.atomic():
        assessment = _locked(assessment_id)
        method = getattr(assessment, action)
        if not can_proceed(method):
            raise _refuse(assessment, action)
        if check is not None:
            check(assessment)
        from_state = assessment.state
        method(**kwargs)
        assessment.updated_at = timezone.now()
        assessment.save()
        _log(assessment, from_state=from_state, actor=actor, actor_label=actor_label, note=note)
        if assessment.state == AssessmentState.CLOSED_COMPLETE:
            _on_completed(assessment, actor)
    return assessment


def start_assessment(*, assessment: CoachingAssessment, actor: User) -> CoachingAssessment:
    """open → in_progress. Locks the row."""
    return _run(assessment.pk, "start", actor=actor)


def resolve_assessment(*, assessment: CoachingAssessment, actor: User) -> CoachingAssessment:
    """in_progress → resolved. Locks the row."""
    return _run(assessment.pk, "resolve", actor=actor)


def complete_assessment(*, assessment: CoachingAssessment, actor: User) -> CoachingAssessment:
    """resolved → closed_complete. Locks the row; awards the assessment's skills (source
    "assessment", cause the assessment), assigns its training and sends its surveys, once
    (:func:`_on_completed`)."""
    return _run(assessment.pk, "complete", actor=actor)


def cancel_assessment(
    *, assessment: CoachingAssessment, actor: User, reason: str
) -> CoachingAssessment:
    """Any open state → closed_incomplete, with the coach's reason. Locks the row."""
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError("Say why the assessment is cancelled.")
    return _run(assessment.pk, "cancel", actor=actor, note=reason, reason=reason)


def complete_by_virtual_coach(*, assessment: CoachingAssessment) -> CoachingAssessment:
    """open → closed_complete on behalf of the opportunity's virtual coach, with its
    skills, training and surveys. Locks the row."""
    label = f"Virtual coach {assessment.virtual_coach}" if assessment.virtual_coach_id else ""
    return _run(assessment.pk, "complete_virtually", actor=None, actor_label=label)


def expire_overdue_assessments(*, organization: Organization, today: date | None = None) -> int:
    """Close as incomplete every open assessment whose due date is before ``today`` (the
    organization's local date by default). Each row is locked and re-checked; safe to run
    twice. Returns how many expired."""
    if today is None:
        today = timezone.localdate(timezone=organization.tzinfo)
    ids = list(
        CoachingAssessment.objects.filter(
            organization=organization, state__in=OPEN_STATES, due_date__lt=today
        ).values_list("pk", flat=True)
    )
    expired = 0
    for assessment_id in ids:
        try:
            _run(assessment_id, "expire", actor=None, actor_label="Coachdesk (due date passed)")
        except (AssessmentError, CoachingAssessment.DoesNotExist):
            continue
        expired += 1
    return expired


# --- opening --------------------------------------------------------------------------


def _due(organization: Organization, days: int) -> date:
    return timezone.localdate(timezone=organization.tzinfo) + timedelta(days=days)


def open_manual_assessment(
    *,
    organization: Organization,
    actor: User,
    trainee: User,
    work_item: WorkItem | None = None,
    due_in_days: int = 7,
    comments: str = "",
) -> CoachingAssessment:
    """A coach opens an assessment for one of their agents (optionally about a work
    item). Org admins may open one for any member (``coaching.open_assessment_for``). No
    virtual coach is ever attached."""
    if not actor.has_perm("coaching.open_assessment_for", trainee):
        raise AssessmentError("You can open assessments only for agents of the teams you coach.")
    if not Membership.objects.filter(organization=organization, user=trainee).exists():
        raise AssessmentError(f"{trainee} is not a member of this organization.")
    same_tenant(organization, work_item, error=AssessmentError,
                message="The work item belongs to another organization.")
    if isinstance(due_in_days, bool) or not 1 <= int(due_in_days) <= MAX_DUE_DAYS:
        raise AssessmentError(f"The due date is 1 to {MAX_DUE_DAYS} days away.")
    with transaction.atomic():
        now = timezone.now()
        assessment = CoachingAssessment.objects.create(
            organization=organization, trainee=trainee, coach=actor, work_item=work_item,
            origin=Origin.MANUAL, created_by=actor, due_date=_due(organization, due_in_days),
            comments=comments, created_at=now, updated_at=now,
        )
        _log(assessment, from_state="", actor=actor)
    return assessment


# --- edits while open -----------------------------------------------------------------


def _editable(assessment_id: int) -> CoachingAssessment:
    assessment = _locked(assessment_id)
    if not assessment.is_open:
        raise AssessmentError(
            f"This assessment is {assessment.get_state_display().lower()}; it can no longer "
            "be changed."
        )
    return assessment


@transaction.atomic
def claim_assessment(*, assessment: CoachingAssessment, actor: User,
                     coach: User | None = None) -> CoachingAssessment:
    """Give an open assessment its coach: a coach claims an unassigned one (from the
    backlog) for themselves; an org admin gives any open one to a coach (``coach``), or
    claims it. Nobody coaches themselves. Locks the row: of two coaches claiming at once,
    the second is told who was first."""
    from tenancy.selectors import membership_for, sees_everything

    locked = _editable(assessment.pk)
    organization = locked.organization
    target = coach or actor
    is_admin = sees_everything(organization, actor)
    if target.pk != actor.pk and not is_admin:
        raise AssessmentError("Only org admins give an assessment to another coach.")
    if locked.virtual_coach_id is not None:
        raise AssessmentError("A virtual coach handles this assessment.")
    if locked.coach_id is not None and not is_admin:
        raise AssessmentError(f"{locked.coach} already coaches this assessment.")
    if locked.coach_id == target.pk:
        raise AssessmentError(f"{target} already coaches this assessment.")
    if target.pk == locked.trainee_id:
        raise AssessmentError("Nobody coaches their own assessment.")
    membership = membership_for(target, organization)
    if membership is None or not membership.is_coach:
        raise AssessmentError(f"{target} is not a coach in this organization.")
    before = str(locked.coach) if locked.coach_id else "nobody (backlog)"
    locked.coach = target
    locked.updated_at = timezone.now()
    locked.save(update_fields=["coach", "updated_at"])
    verb = "claimed it" if target.pk == actor.pk else f"gave it to {target}"
    _log(locked, from_state=locked.state, actor=actor,
         note=f"Coach: {before} → {target} ({actor} {verb}).")
    return locked


@transaction.atomic
def update_assessment(
    *,
    assessment: CoachingAssessment,
    actor: User,
    rating: int | None,
    comments: str,
    follow_up: bool,
) -> CoachingAssessment:
    """Set rating (0–100 or empty), comments and the follow-up flag. Locks the row."""
    if rating is not None and (isinstance(rating, bool) or not 0 <= rating <= 100):
        raise AssessmentError("The rating goes from 0 to 100.")
    locked = _editable(assessment.pk)
    locked.rating, locked.comments, locked.follow_up = rating, comments, follow_up
    locked.updated_at = timezone.now()
    locked.save(update_fields=["rating", "comments", "follow_up", "updated_at"])
    return locked


@transaction.atomic
def add_assessment_skill(
    *, assessment: CoachingAssessment, actor: User, skill: Skill, level: SkillLevel
) -> AssessmentSkill:
    """Add (or change the level of) a skill to award on completion. Locks the row."""
    locked = _editable(assessment.pk)
    same_tenant(locked, skill, level, error=AssessmentError,
                message="Skills and levels must belong to this organization.")
    if not skill.active:
        raise AssessmentError(f"“{skill.name}” is retired and can no longer be awarded.")
    row, created = AssessmentSkill.objects.get_or_create(
        organization_id=locked.organization_id, assessment=locked, skill=skill,
        defaults={"level": level},
    )
    if not created and row.level_id != level.pk:
        row.level = level
        row.save(update_fields=["level"])
    return row


@transaction.atomic
def remove_assessment_skill(*, assessment: CoachingAssessment, actor: User, skill_id: int) -> None:
    locked = _editable(assessment.pk)
    AssessmentSkill.objects.filter(assessment=locked, skill_id=skill_id).delete()


@transaction.atomic
def set_assessment_courses(
    *, assessment: CoachingAssessment, actor: User, courses: Iterable[CourseItem]
) -> CoachingAssessment:
    """Replace the training (course items assigned on completion). Each course must be of
    the assessment's organization and either already on it or one the actor may assign
    (:func:`learning.selectors.assignable_courses`). Locks the row."""
    locked = _editable(assessment.pk)
    wanted = list(dict.fromkeys(courses))
    same_tenant(locked, *wanted, error=AssessmentError,
                message="Courses must belong to this organization.")
    current = set(AssessmentCourse.objects.filter(assessment=locked)
                  .values_list("course_id", flat=True))
    added = [c for c in wanted if c.pk not in current]
    if added:
        allowed = set(assignable_courses(locked.organization, actor)
                      .filter(pk__in=[c.pk for c in added]).values_list("pk", flat=True))
        refused = sorted(c.title for c in added if c.pk not in allowed)
        if refused:
            raise AssessmentError(
                f"You cannot assign these courses (retired, or on no catalog of your teams): "
                f"{', '.join(refused)}."
            )
    AssessmentCourse.objects.filter(assessment=locked).exclude(
        course_id__in=[c.pk for c in wanted]).delete()
    AssessmentCourse.objects.bulk_create([
        AssessmentCourse(organization_id=locked.organization_id, assessment=locked, course=c)
        for c in added
    ])
    locked.updated_at = timezone.now()
    locked.save(update_fields=["updated_at"])
    return locked


SURVEY_KINDS = {
    "coach_survey": (Audience.COACH_ABOUT_TRAINEE, "coach survey"),
    "trainee_survey": (Audience.TRAINEE_ABOUT_COACH, "agent survey"),
}


def survey_given_by_opportunity(assessment: CoachingAssessment, kind: str) -> bool:
    """Whether the assessment's opportunity sets this survey (the coach cannot change it)."""
    opportunity = assessment.opportunity
    return opportunity is not None and getattr(opportunity, f"{kind}_id") is not None


@transaction.atomic
def set_assessment_surveys(
    *,
    assessment: CoachingAssessment,
    actor: User,
    coach_survey: SurveyTemplate | None,
    trainee_survey: SurveyTemplate | None,
) -> CoachingAssessment:
    """Choose the coach and trainee surveys of an open assessment. A survey the
    opportunity gave cannot be changed, nor one already sent for this assessment; each
    template must be of this organization, active and of the right audience. Locks the
    row."""
    locked = _editable(assessment.pk)
    sent = set(AssessmentSurvey.objects.filter(assessment=locked)
               .values_list("response__template_id", flat=True))
    for kind, template in (("coach_survey", coach_survey), ("trainee_survey", trainee_survey)):
        audience, label = SURVEY_KINDS[kind]
        current_id = getattr(locked, f"{kind}_id")
        new_id = template.pk if template is not None else None
        if new_id == current_id:
            continue
        if survey_given_by_opportunity(locked, kind):
            raise AssessmentError(
                f"The opportunity “{locked.opportunity.name}” sets the {label}; "
                "it cannot be changed here."
            )
        if current_id in sent:
            raise AssessmentError(f"The {label} was already sent; it cannot be changed.")
        if template is not None:
            same_tenant(locked, template, error=AssessmentError,
                        message="Surveys must belong to this organization.")
            if template.audience != audience:
                raise AssessmentError(
                    f"“{template.name}” is a {template.get_audience_display().lower()} "
                    f"survey; the {label} must be {Audience(audience).label.lower()}."
                )
            if not template.active:
                raise AssessmentError(f"“{template.name}” is inactive and cannot be sent.")
        setattr(locked, kind, template)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["coach_survey", "trainee_survey", "updated_at"])
    return locked


@transaction.atomic
def take_coach_survey(*, assessment: CoachingAssessment, actor: User) -> SurveyResponse:
    """The coach's survey of this assessment for the coach to answer now: sent if it was
    not yet (no e-mail), or the one already sent. Only the assessment's coach takes it, and
    not on a cancelled or expired assessment. Locks the row."""
    locked = _locked(assessment.pk)
    if locked.coach_survey_id is None:
        raise AssessmentError("This assessment has no coach survey; choose one first.")
    if locked.coach_id != actor.pk:
        raise AssessmentError("Only the assessment's coach answers its coach survey.")
    if locked.state == AssessmentState.CLOSED_INCOMPLETE:
        raise AssessmentError("This assessment was closed incomplete; its survey is not sent.")
    existing = sent_survey(locked, locked.coach_survey, actor)
    if existing is not None:
        return existing
    if not locked.coach_survey.active:
        raise AssessmentError(f"“{locked.coach_survey.name}” is inactive and cannot be sent.")
    response = dispatch_coach_survey(locked)
    if response is None:
        raise AssessmentError("The coach survey cannot be sent for this assessment.")
    return response
