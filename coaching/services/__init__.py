"""Every write to coaching assessments goes through this package."""

from .assessments import (
    AssessmentError,
    add_assessment_skill,
    cancel_assessment,
    claim_assessment,
    complete_assessment,
    complete_by_virtual_coach,
    expire_overdue_assessments,
    open_manual_assessment,
    remove_assessment_skill,
    resolve_assessment,
    set_assessment_courses,
    set_assessment_surveys,
    start_assessment,
    survey_given_by_opportunity,
    take_coach_survey,
    update_assessment,
)
from .effects import (
    assign_assessment_training,
    dispatch_assessment_surveys,
    rating_from_score,
    set_rating_from_coach_survey,
)
from .triggers import open_assessments_for_event, open_assessments_for_events, sampled_in

__all__ = [
    "AssessmentError",
    "add_assessment_skill",
    "cancel_assessment",
    "complete_assessment",
    "complete_by_virtual_coach",
    "expire_overdue_assessments",
    "open_assessments_for_event",
    "open_assessments_for_events",
    "open_manual_assessment",
    "remove_assessment_skill",
    "resolve_assessment",
    "sampled_in",
    "assign_assessment_training",
    "dispatch_assessment_surveys",
    "rating_from_score",
    "set_assessment_courses",
    "set_assessment_surveys",
    "set_rating_from_coach_survey",
    "start_assessment",
    "survey_given_by_opportunity",
    "take_coach_survey",
    "claim_assessment",
    "update_assessment",
]
