"""A surveys world in two tenants: roles, a coached team, a coach survey and a trainee survey.

The coach survey's scoring, by hand (see surveys/scoring.py):
  q_rating 1–5, weight 2 · q_yes yes/no, weight 1, allows N/A ·
  q_choice Fully=100 / Partly=40 / Not at all=0, weight 1 · q_text free text, optional.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.enums import Audience, QuestionKind
from surveys.models import Question, SurveyResponse, SurveyTemplate
from surveys.services import dispatch_survey, save_question, save_template
from tenancy.models import User
from tests.factories import World, make_world


@dataclass(kw_only=True)
class SurveysWorld(World):
    """The common cast in two tenants (``outsider`` holds every role in the other one; ``agent2``
    is in both teams) with a QA analyst, a coach survey and a trainee survey."""

    qa: User
    coach_survey: SurveyTemplate
    trainee_survey: SurveyTemplate
    q_rating: Question
    q_yes: Question
    q_choice: Question
    q_text: Question
    t_rating: Question
    t_yes: Question
    t_text: Question
    other_survey: SurveyTemplate

    def choice(self, label: str):
        with self.tenant.scope():
            return self.q_choice.choices.get(label=label)

    def send(self, template=None, *, respondent=None, subject=None, **kwargs) -> SurveyResponse:
        with self.tenant.scope():
            return dispatch_survey(
                template=template or self.coach_survey, respondent=respondent or self.coach,
                subject=subject or self.agent, **kwargs,
            )


@dataclass(kw_only=True)
class CoachSurvey:
    template: SurveyTemplate
    rating: Question
    yes: Question
    choice: Question
    text: Question


def build_coach_survey(*, organization, name: str = "Coach review") -> CoachSurvey:
    template = save_template(organization=organization, name=name,
                             audience=Audience.COACH_ABOUT_TRAINEE)
    q_rating = save_question(template=template, text="Diagnosis quality", kind=QuestionKind.RATING,
                             scale_min=1, scale_max=5, min_label="Poor", max_label="Expert",
                             weight=2)
    q_yes = save_question(template=template, text="Followed the procedure?",
                          kind=QuestionKind.YES_NO, allows_na=True)
    q_choice = save_question(template=template, text="Work notes", kind=QuestionKind.CHOICE,
                             choices=[("Fully", 100), ("Partly", 40), ("Not at all", 0)])
    q_text = save_question(template=template, text="What next?", kind=QuestionKind.TEXT,
                           required=False)
    return CoachSurvey(template=template, rating=q_rating, yes=q_yes, choice=q_choice,
                       text=q_text)


@pytest.fixture
def world(tenant_a, tenant_b):
    base = make_world(
        tenant=tenant_a, other=tenant_b, admin="ada", staff={"qa": (["qa_analyst"], "quinn")},
        coach={"username": "carl", "first_name": "Carl", "last_name": "Coach"},
        coach2={"username": "cleo", "first_name": "Cleo", "last_name": "Coach"},
        agent={"username": "abe", "first_name": "Abe", "last_name": "Ames"},
        agent2={"username": "amy", "first_name": "Amy", "last_name": "Adler"},
        outsider="bob", outsider_roles=["org_admin", "coach", "agent", "qa_analyst"],
        team="Service Desk", team2="Network", team2_members=["agent2"],
    )
    with tenant_a.scope():
        coach = build_coach_survey(organization=tenant_a.org)
        trainee_survey = save_template(organization=tenant_a.org, name="Coaching feedback",
                                       audience=Audience.TRAINEE_ABOUT_COACH)
        t_rating = save_question(template=trainee_survey, text="Useful?",
                                 kind=QuestionKind.RATING, scale_min=1, scale_max=5)
        t_yes = save_question(template=trainee_survey, text="Clear?", kind=QuestionKind.YES_NO)
        t_text = save_question(template=trainee_survey, text="Anything else?",
                               kind=QuestionKind.TEXT, required=False)
    with tenant_b.scope():
        other_survey = build_coach_survey(organization=tenant_b.org, name="Other review").template
    return SurveysWorld(
        **base.as_kwargs(), qa=base.staff["qa"], coach_survey=coach.template,
        trainee_survey=trainee_survey, q_rating=coach.rating, q_yes=coach.yes,
        q_choice=coach.choice, q_text=coach.text, t_rating=t_rating, t_yes=t_yes,
        t_text=t_text, other_survey=other_survey,
    )


def days(n: float):
    return timezone.now() + timedelta(days=n)
