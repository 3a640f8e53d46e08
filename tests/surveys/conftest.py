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


@dataclass
class SurveysWorld:
    tenant: object
    other: object
    admin: User
    qa: User
    coach: User
    coach2: User
    agent: User
    agent2: User
    outsider: User  # every role in the other tenant
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


def build_coach_survey(organization, name="Coach review"):
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
    return template, q_rating, q_yes, q_choice, q_text


@pytest.fixture
def world(tenant_a, tenant_b):
    admin = tenant_a.member("org_admin", username="ada")
    qa = tenant_a.member("qa_analyst", username="quinn")
    coach = tenant_a.member("coach", username="carl", first_name="Carl", last_name="Coach")
    coach2 = tenant_a.member("coach", username="cleo", first_name="Cleo", last_name="Coach")
    agent = tenant_a.member("agent", username="abe", first_name="Abe", last_name="Ames")
    agent2 = tenant_a.member("agent", username="amy", first_name="Amy", last_name="Adler")
    outsider = tenant_b.member("org_admin", "coach", "agent", "qa_analyst", username="bob")
    tenant_a.team("Service Desk", manager=coach, members=[agent, agent2])
    tenant_a.team("Network", manager=coach2, members=[agent2])
    with tenant_a.scope():
        coach_survey, q_rating, q_yes, q_choice, q_text = build_coach_survey(tenant_a.org)
        trainee_survey = save_template(organization=tenant_a.org, name="Coaching feedback",
                                       audience=Audience.TRAINEE_ABOUT_COACH)
        t_rating = save_question(template=trainee_survey, text="Useful?",
                                 kind=QuestionKind.RATING, scale_min=1, scale_max=5)
        t_yes = save_question(template=trainee_survey, text="Clear?", kind=QuestionKind.YES_NO)
        t_text = save_question(template=trainee_survey, text="Anything else?",
                               kind=QuestionKind.TEXT, required=False)
    with tenant_b.scope():
        other_survey = build_coach_survey(tenant_b.org, name="Other review")[0]
    return SurveysWorld(
        tenant_a, tenant_b, admin, qa, coach, coach2, agent, agent2, outsider,
        coach_survey, trainee_survey, q_rating, q_yes, q_choice, q_text,
        t_rating, t_yes, t_text, other_survey,
    )


def days(n: float):
    return timezone.now() + timedelta(days=n)
