"""What an assessment brings from the apps below coaching: learning tasks and surveys.

- :func:`assign_assessment_training` and :func:`dispatch_assessment_surveys` are called
  by the completion (:func:`coaching.services.assessments._on_completed`) inside its
  transaction, after the skills were awarded, once per assessment (the completion locks the
  row and the FSM refuses a second completion).
- :func:`set_rating_from_coach_survey` is registered in surveys'
  ``after_survey_completed_committed``: the score of the assessment's coach survey becomes
  the assessment rating.

Learning and surveys know nothing of assessments: these functions record what they created
for an assessment in coaching's own tables (:class:`~coaching.models.AssessmentLearningTask`,
:class:`~coaching.models.AssessmentSurvey`), and read them back to send nothing twice.

A virtual coach has nobody to answer the coach survey, so an assessment it completes sends
only the trainee survey (about the assessment's human coach, when it has one).
"""

import logging
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from learning.models import LearningTask
from learning.services import LearningError, assign_courses
from surveys.enums import Audience
from surveys.models import SurveyResponse, SurveyTemplate
from surveys.services import SurveyError, dispatch_survey
from tenancy.errors import same_tenant
from tenancy.models import User

from ..models import AssessmentLearningTask, AssessmentSurvey, CoachingAssessment
from .errors import AssessmentError

logger = logging.getLogger(__name__)


def _require_same_tenant(assessment: CoachingAssessment, rows: Iterable, what: str) -> None:
    same_tenant(assessment, *rows, error=AssessmentError,
                message=f"{what} of another organization cannot belong to this assessment.")


def assign_assessment_training(assessment: CoachingAssessment) -> list[LearningTask]:
    """Give the trainee a learning task for every active course of the assessment, assigned
    by the coach (nobody for a virtual coach), and record the new tasks as the
    assessment's. Retired courses are skipped; a course the trainee already has open keeps
    its task, which stays another assessment's or none (see
    :func:`learning.services.assign_courses`)."""
    courses = list(assessment.courses.filter(active=True).order_by("title", "pk"))
    if not courses:
        return []
    assigned_by = None if assessment.virtual_coach_id else assessment.coach
    try:
        tasks = assign_courses(course_items=courses, assignees=[assessment.trainee],
                               assigned_by=assigned_by)
    except LearningError as error:
        raise AssessmentError(f"The training cannot be assigned: {error.message}") from None
    new = [task for task in tasks if task.is_new]
    _require_same_tenant(assessment, new, "Learning tasks")
    AssessmentLearningTask.objects.bulk_create([
        AssessmentLearningTask(organization_id=assessment.organization_id,
                               assessment=assessment, task=task)
        for task in new
    ])
    return tasks


def _labels(assessment: CoachingAssessment) -> dict:
    opportunity = assessment.opportunity
    context = f"Assessment #{assessment.pk}"
    if assessment.work_item_id:
        context += f" · {assessment.work_item.external_id}"
    if opportunity is not None:
        context += f" · {opportunity.name}"
    return {
        "opportunity_label": opportunity.name if opportunity is not None else "",
        "context_label": context,
    }


def sent_survey(assessment: CoachingAssessment, template: SurveyTemplate,
                respondent: User) -> SurveyResponse | None:
    """The response of ``template`` already sent to ``respondent`` for this assessment."""
    link = (
        AssessmentSurvey.objects.filter(assessment=assessment, response__template=template,
                                        response__respondent=respondent)
        .select_related("response").first()
    )
    return link.response if link is not None else None


def _dispatch(assessment: CoachingAssessment, template: SurveyTemplate | None, *,
              respondent: User | None, subject: User | None,
              notify: bool = True, automatic: bool = False) -> SurveyResponse | None:
    """Send ``template`` for the assessment unless it was (once per template, assessment and
    respondent: the caller holds the assessment's row lock) and record it as the
    assessment's. ``automatic``: the survey is about automatic coaching (a virtual coach),
    so it has no person as its subject."""
    if template is None or respondent is None or (subject is None and not automatic):
        return None
    if subject is not None and respondent.pk == subject.pk:
        return None  # nobody answers a coaching survey about themselves
    existing = sent_survey(assessment, template, respondent)
    if existing is not None:
        return existing
    try:
        labels = _labels(assessment)
        if automatic:
            labels["context_label"] += (f" · automatic coaching by the virtual coach "
                                        f"“{assessment.virtual_coach}”")
        response = dispatch_survey(template=template, respondent=respondent, subject=subject,
                                   notify=notify, automatic=automatic, **labels)
    except SurveyError as error:
        # An inactive template or a person who left the tenant must not stop the
        # completion; the assessment page shows which survey was not sent.
        logger.warning("Survey %s not sent for assessment %s: %s", template.pk,
                       assessment.pk, error.message)
        return None
    _require_same_tenant(assessment, [response], "A survey")
    AssessmentSurvey.objects.create(organization_id=assessment.organization_id,
                                    assessment=assessment, response=response)
    return response


def dispatch_assessment_surveys(assessment: CoachingAssessment) -> list[SurveyResponse]:
    """Send the surveys of a completed assessment that were not sent yet: the coach survey
    to the coach about the trainee (not for a virtual coach), the trainee survey to the
    trainee about the coach — about the automatic coaching when a virtual coach completed
    it (never about a human coach who did not coach). Idempotent per template, assessment
    and respondent."""
    sent = []
    if not assessment.virtual_coach_id:
        sent.append(_dispatch(assessment, assessment.coach_survey,
                              respondent=assessment.coach, subject=assessment.trainee))
        sent.append(_dispatch(assessment, assessment.trainee_survey,
                              respondent=assessment.trainee, subject=assessment.coach))
    else:
        sent.append(_dispatch(assessment, assessment.trainee_survey,
                              respondent=assessment.trainee, subject=None, automatic=True))
    return [response for response in sent if response is not None]


def dispatch_coach_survey(assessment: CoachingAssessment) -> SurveyResponse | None:
    """The coach's survey for this assessment, sent now if it was not (no e-mail: the
    coach is about to open it)."""
    return _dispatch(assessment, assessment.coach_survey, respondent=assessment.coach,
                     subject=assessment.trainee, notify=False)


def rating_from_score(score: Decimal) -> int:
    """A survey score (0–100, two decimals) as an assessment rating: rounded half up."""
    rating = int(Decimal(score).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return max(0, min(100, rating))


def set_rating_from_coach_survey(response: SurveyResponse) -> None:
    """After a survey completed (surveys' ``after_survey_completed_committed``): the
    completed coach survey of an assessment sets its rating (a survey without a score leaves
    the rating as it was). Only the assessment's own coach survey, answered by its coach,
    counts. Locks the assessment row."""
    if response.template.audience != Audience.COACH_ABOUT_TRAINEE or response.score is None:
        return
    assessment_id = (
        AssessmentSurvey.objects.filter(organization_id=response.organization_id,
                                        response=response)
        .values_list("assessment_id", flat=True).first()
    )
    if assessment_id is None:
        return
    with transaction.atomic():
        assessment = (
            CoachingAssessment.objects.select_for_update(of=("self",))
            .filter(organization_id=response.organization_id, pk=assessment_id)
            .first()
        )
        if assessment is None or assessment.coach_survey_id != response.template_id \
                or assessment.coach_id != response.respondent_id:
            return
        assessment.rating = rating_from_score(response.score)
        assessment.updated_at = timezone.now()
        assessment.save(update_fields=["rating", "updated_at"])
