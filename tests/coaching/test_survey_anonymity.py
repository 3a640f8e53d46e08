"""The trainee survey's promise on the assessment page: the coach never sees the agent's
answer, score or even whether they answered; the agent sees their own; an org admin sees
it only for a survey sent while the organization's surveys were not anonymous."""

import re

import pytest

from coaching import services
from surveys.models import SurveyResponse
from surveys.services import submit_survey, update_survey_settings


@pytest.fixture
def answered(world):
    """A completed assessment whose agent answered the trainee survey: (4 → 75) × 2 and
    yes → 100, so a score of 83.33."""
    world.coach_survey = world.survey("Coach review")
    world.trainee_survey = world.survey("Coaching feedback", audience="trainee_about_coach")
    return _completed_and_answered(world)


def _completed_and_answered(world):
    with world.tenant.scope():
        assessment = services.open_manual_assessment(
            organization=world.tenant.org, actor=world.coach, trainee=world.agent)
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.coach_survey,
                                        trainee_survey=world.trainee_survey)
        for step in (services.start_assessment, services.resolve_assessment,
                     services.complete_assessment):
            assessment = step(assessment=assessment, actor=world.coach)
        response = SurveyResponse.objects.get(template=world.trainee_survey,
                                              pk__in=assessment.survey_links.values("response"))
        questions = {q.text: q.pk for q in world.trainee_survey.questions.all()}
        submit_survey(response=response, respondent=world.agent, answers={
            questions["Quality"]: "4", questions["Followed the procedure?"]: "yes",
            questions["Notes"]: "Too fast for me",
        })
    return assessment


def _survey_table(client, world, assessment) -> str:
    page = client.get(world.tenant.url(f"coaching/assessments/{assessment.pk}/"))
    assert page.status_code == 200
    return re.search(r'<table[^>]*id="assessment-surveys".*?</table>', page.content.decode(),
                     re.S).group(0)


@pytest.mark.parametrize("viewer", ["coach", "co_coach", "admin"])
def test_coach_page_shows_no_name_state_or_score_of_the_trainee_survey(
        world, answered, login, viewer):
    table = _survey_table(login(getattr(world, viewer)), world, answered)

    trainee_row = table.split("Coaching feedback")[1]
    assert "83.33" not in trainee_row
    assert world.agent.get_full_name() not in trainee_row
    assert "Completed" not in trainee_row
    assert "Anonymous: counted only in averages over at least 3 responses" in trainee_row


def test_the_agent_sees_their_own_answer_on_their_assessment(world, answered, login):
    table = _survey_table(login(world.agent), world, answered)

    trainee_row = table.split("Coaching feedback")[1]
    assert "83.33" in trainee_row
    assert world.agent.get_full_name() in trainee_row
    assert 'data-testid="trainee-survey-withheld"' not in trainee_row


def test_org_admin_sees_the_answer_only_when_surveys_were_not_anonymous(world, answered, login):
    with world.tenant.scope():
        update_survey_settings(organization=world.tenant.org, remind_after_days=3,
                               due_after_days=14, anonymous=False)
    sent_openly = _completed_and_answered(world)

    admin = login(world.admin)
    open_row = _survey_table(admin, world, sent_openly).split("Coaching feedback")[1]
    assert "83.33" in open_row and world.agent.get_full_name() in open_row
    # Turning the setting off never uncovers what was answered under the promise.
    earlier_row = _survey_table(admin, world, answered).split("Coaching feedback")[1]
    assert "83.33" not in earlier_row
    # The coach still sees neither.
    coach_row = _survey_table(login(world.coach), world, sent_openly).split(
        "Coaching feedback")[1]
    assert "83.33" not in coach_row and world.agent.get_full_name() not in coach_row


def test_coachs_own_survey_still_sets_the_rating_and_shows_its_score(
        world, answered, login, django_capture_on_commit_callbacks):
    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        response = SurveyResponse.objects.get(template=world.coach_survey)
        questions = {q.text: q.pk for q in world.coach_survey.questions.all()}
        submit_survey(response=response, respondent=world.coach, answers={
            questions["Quality"]: "2", questions["Followed the procedure?"]: "no"})
    table = _survey_table(login(world.coach), world, answered)

    assert "16.67" in table.split("Coaching feedback")[0]  # (25 × 2 + 0) / 3
    answered.refresh_from_db()
    assert answered.rating == 17


def test_another_tenants_admin_gets_404_for_the_assessment(world, answered, login, tenant_b):
    stranger = tenant_b.member(roles=["org_admin"], username="stranger")

    assert login(stranger).get(
        world.tenant.url(f"coaching/assessments/{answered.pk}/")).status_code == 404
