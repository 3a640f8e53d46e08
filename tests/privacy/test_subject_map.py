"""The map of personal data (privacy.subject) against the model graph: a model with a user
column that the export and the erasure do not cover fails here."""

from privacy.subject import (
    ABOUT,
    CHILDREN,
    NOT_TENANT_DATA,
    PERSON_FIELDS,
    installed,
    uncovered_user_fields,
    user_fields_in_graph,
)
from privacy.subject_erasure import ERASED_TEXT
from tenancy.models import TenantModel

# Written out by hand, on purpose: adding a user column means adding it here, to
# PERSON_FIELDS (export and erasure) and deciding whether it is about the person.
EXPECTED_USER_FIELDS = {
    "admin.LogEntry": {"user"},
    "tenancy.Membership": {"user"},
    "tenancy.Team": {"manager"},
    "tenancy.TeamMember": {"user"},
    "tenancy.TeamManager": {"user"},
    "tenancy.Invitation": {"invited_by", "accepted_by"},
    "tenancy.ApiToken": {"created_by", "user"},
    "work.WorkItem": {"assigned_to", "resolved_by"},
    "work.WorkImport": {"created_by"},
    "skills.UserSkill": {"user", "awarded_by"},
    "skills.SkillChange": {"user", "actor"},
    "skills.SkillReview": {"user", "decided_by"},
    "skills.SkillRecommendation": {"user", "decided_by"},
    "skills.RecommendationActivity": {"actor"},
    "learning.LearningCatalog": {"owner"},
    "learning.CourseItem": {"created_by"},
    "learning.LearningTask": {"assigned_to", "assigned_by", "cancelled_by"},
    "surveys.SurveyResponse": {"respondent", "subject"},
    "quality.Scorecard": {"created_by"},
    "quality.Evaluation": {"agent", "evaluator"},
    "quality.EvaluationChange": {"actor"},
    "quality.BestResponse": {"created_by"},
    "quality.AuditAssignment": {"agent", "evaluator"},
    "quality.ScoreRollup": {"agent"},
    "quality.Dispute": {"raised_by", "reviewer", "decided_by"},
    "quality.CalibrationCandidate": {"evaluator", "created_by"},
    "quality.CalibrationSession": {"lead"},
    "quality.CalibrationParticipant": {"evaluator"},
    "quality.CalibrationReference": {"decided_by"},
    "quality.CalibrationDeviation": {"evaluator"},
    "opportunities.CoachingOpportunity": {"named_coach"},
    "opportunities.OpportunityMatch": {"agent"},
    "routing.RoutingDecision": {"assigned_to", "actor"},
    "routing.AgentRoutingState": {"user"},
    "routing.AgentOpenItems": {"user"},
    "coaching.CoachingAssessment": {"trainee", "coach", "created_by"},
    "coaching.AssessmentTransition": {"actor"},
    "coaching.CoachingGroup": {"created_by", "sent_by"},
    "coaching.CoachingGroupAgent": {"agent"},
    "coaching.CoachingAssignment": {"agent", "assigner"},
    "coaching.CoachingMark": {"agent", "marked_by"},
    "coaching.CoachingPlan": {"agent", "manager", "deleted_by"},
    "coaching.PlanNote": {"author"},
    "coaching.AdviceFeedback": {"user"},
    "privacy.AccessRecord": {"subject", "viewer"},
    "privacy.PersonalDataRequest": {"subject"},
}


def test_subject_map_covers_every_user_column_of_the_model_graph():
    assert uncovered_user_fields() == {}, (
        "A model has a user column that subject access and erasure do not cover: add it to "
        "privacy.subject.PERSON_FIELDS (or NOT_TENANT_DATA, saying why).")


def test_subject_map_user_columns_are_those_listed_by_hand():
    expected = {label: fields for label, fields in EXPECTED_USER_FIELDS.items()
                if installed(label)}
    assert user_fields_in_graph() == expected


def test_subject_map_only_tenant_models_are_personal_data():
    from django.apps import apps

    for label in PERSON_FIELDS:
        if installed(label):
            assert issubclass(apps.get_model(label), TenantModel), label
    for label in NOT_TENANT_DATA:
        assert not issubclass(apps.get_model(label), TenantModel), label


def test_subject_map_children_hang_from_rows_about_the_person():
    from django.apps import apps

    for label, (fk, parent) in CHILDREN.items():
        assert ABOUT in PERSON_FIELDS[parent].values(), label
        assert apps.get_model(label)._meta.get_field(fk).related_model is apps.get_model(parent)


def test_subject_map_erased_text_names_real_text_columns():
    from django.apps import apps

    for label, (paths, columns) in ERASED_TEXT.items():
        model = apps.get_model(label)
        for column in columns:
            assert model._meta.get_field(column).concrete, (label, column)
        for path in paths:
            model.objects.model._meta.get_field(path.split("__")[0])
