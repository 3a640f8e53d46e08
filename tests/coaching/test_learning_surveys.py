"""Assessments wired to learning and surveys: completion creates the training's learning
tasks and sends the surveys (the virtual coach too), the coach survey's score becomes the
rating, the coach's choices are checked, and nothing crosses tenants.

Scores by hand (``CoachingWorld.survey``): "Quality" 1–5 with weight 2, "Followed the procedure?"
yes/no with weight 1, "Notes" free text (left out of the score).
"""

from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope

from coaching import services
from coaching.models import AssessmentLearningTask, AssessmentSurvey, CoachingAssessment
from learning.due_dates import add_days
from learning.models import CourseItem, LearningTask
from learning.services import assign_course
from opportunities.models import OpportunityMatch
from opportunities.services import OpportunityData, OpportunityError, save_opportunity
from skills.models import Skill, SkillLevel
from skills.services import award_skill, ensure_level_scale
from surveys.models import SurveyResponse
from surveys.services import save_question, save_template, submit_survey
from tests.work.conftest import ApiClient, make_token


@pytest.fixture
def kit(world, tenant_b):
    """A course on the coached team's catalog, a coach and a trainee survey, and the same
    kinds of things in another tenant."""
    world.firewall = world.course("Firewall basics", catalog_teams=[world.team], days=5)
    world.coach_survey = world.survey("Coach review")
    world.trainee_survey = world.survey("Coaching feedback", audience="trainee_about_coach")
    world.foreign_course = world.course("Billing basics", tenant=tenant_b)
    world.foreign_survey = world.survey("Other review", tenant=tenant_b)
    return world


def open_for(world, trainee=None, **kwargs):
    with world.tenant.scope():
        return services.open_manual_assessment(organization=world.tenant.org,
                                               actor=world.coach,
                                               trainee=trainee or world.agent, **kwargs)


def walk_to_complete(world, assessment, actor=None):
    actor = actor or world.coach
    with world.tenant.scope():
        for step in (services.start_assessment, services.resolve_assessment,
                     services.complete_assessment):
            assessment = step(assessment=assessment, actor=actor)
    return assessment


def answers_for(template, *, quality, followed):
    with scope(organization=template.organization):
        questions = {q.text: q.pk for q in template.questions.all()}
    return {questions["Quality"]: str(quality),
            questions["Followed the procedure?"]: "yes" if followed else "no"}


def tasks(world):
    """(course, assignee, the assessment that assigned it, assigned by, due, state)."""
    with world.tenant.scope():
        assessment_of = dict(AssessmentLearningTask.objects.values_list("task_id",
                                                                        "assessment_id"))
        return [
            (title, assignee, assessment_of.get(pk), assigned_by, due, state)
            for pk, title, assignee, assigned_by, due, state in
            LearningTask.objects.order_by("id").values_list(
                "pk", "course_item__title", "assigned_to__username", "assigned_by__username",
                "due_date", "state")
        ]


def responses(world):
    """(template, respondent, subject, the assessment it was sent for, that assessment's
    opportunity, opportunity label, state)."""
    with world.tenant.scope():
        link = {response: (assessment, opportunity) for response, assessment, opportunity in
                AssessmentSurvey.objects.values_list("response_id", "assessment_id",
                                                     "assessment__opportunity_id")}
        return [
            (template, respondent, subject, *link.get(pk, (None, None)), label, state)
            for pk, template, respondent, subject, label, state in
            SurveyResponse.objects.order_by("id").values_list(
                "pk", "template__name", "respondent__username", "subject__username",
                "opportunity_label", "state")
        ]


# --- completion ------------------------------------------------------------------------


def test_completion_creates_the_training_tasks_once_and_sends_both_surveys(
        kit, django_capture_on_commit_callbacks):
    world = kit
    assessment = open_for(world)
    with world.tenant.scope():
        services.set_assessment_courses(assessment=assessment, actor=world.coach,
                                        courses=[world.firewall])
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.coach_survey,
                                        trainee_survey=world.trainee_survey)
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    with django_capture_on_commit_callbacks(execute=True):
        walk_to_complete(world, assessment)
    assert tasks(world) == [
        ("Firewall basics", "agent", assessment.pk, "coach", add_days(today, 5), "assigned"),
    ]
    assert responses(world) == [
        ("Coach review", "coach", "agent", assessment.pk, None, "", "pending"),
        ("Coaching feedback", "agent", "coach", assessment.pk, None, "", "pending"),
    ]
    # A completed assessment cannot be completed again, so nothing happens twice.
    with world.tenant.scope(), pytest.raises(services.AssessmentError,
                                             match="already closed complete"):
        services.complete_assessment(assessment=assessment, actor=world.coach)
    assert len(tasks(world)) == 1
    assert len(responses(world)) == 2


def test_retired_course_is_skipped_and_an_assessment_without_training_creates_no_task(kit):
    world = kit
    retired = world.course("Old course", catalog_teams=[world.team])
    assessment = open_for(world)
    with world.tenant.scope():
        services.set_assessment_courses(assessment=assessment, actor=world.coach,
                                        courses=[retired, world.firewall])
        retired.active = False
        retired.save()
    walk_to_complete(world, assessment)
    walk_to_complete(world, open_for(world, world.agent2))
    assert [t[0] for t in tasks(world)] == ["Firewall basics"]


def test_virtual_coach_assigns_training_and_sends_only_the_trainee_survey(kit):
    world = kit
    opportunity = world.opportunity(virtual_coach_name="Auto coach", courses=[world.firewall],
                                    coach_survey=world.coach_survey,
                                    trainee_survey=world.trainee_survey)
    world.push({"external_id": "INC1", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.get()
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    assert assessment.state == "closed_complete"
    assert tasks(world) == [
        ("Firewall basics", "agent", assessment.pk, None, add_days(today, 5), "assigned"),
    ]
    # about the automatic coaching: never about the team's coach, who did not coach
    assert responses(world) == [
        ("Coaching feedback", "agent", None, assessment.pk, opportunity.pk,
         "Reassigned three times", "pending"),
    ]
    with world.tenant.scope():
        context = SurveyResponse.objects.get().context_label
    assert context.endswith("· automatic coaching by the virtual coach “Auto coach”")


# --- coaching owns the links ------------------------------------------------------------


def test_coaching_links_show_on_the_learning_and_opportunity_pages_and_in_the_api(
        kit, login, client, tenant_b):
    world = kit
    opportunity = world.opportunity(virtual_coach_name="Auto coach", courses=[world.firewall],
                                    trainee_survey=world.trainee_survey)
    world.push({"external_id": "INC1", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.select_related("opportunity_match").get()
        task = LearningTask.objects.get()
        response = SurveyResponse.objects.get()
        match = assessment.opportunity_match
    assert (match.opportunity_id, match.outcome, match.agent_id) == (
        opportunity.pk, "fired", world.agent.pk)
    assessment_url = world.tenant.url(f"coaching/assessments/{assessment.pk}/")

    coach = login(world.coach)
    tasks_page = coach.get(world.tenant.url("learning/tasks/")).content.decode()
    assert f'<div class="small text-body-secondary">from assessment #{assessment.pk}</div>' \
        in tasks_page
    task_page = coach.get(world.tenant.url(f"learning/tasks/{task.pk}/")).content.decode()
    assert f"by the virtual coach (assessment #{assessment.pk})</dd>" in task_page
    client.logout()
    detail = login(world.admin).get(world.tenant.url(f"opportunities/{opportunity.pk}/"))
    assert f'<a href="{assessment_url}">Assessment opened</a>' in detail.content.decode()

    api = ApiClient(client=client, token=make_token(tenant=world.tenant))
    body = api.get(f"assessments/{assessment.pk}").json()
    assert (body["learning_task_ids"], body["survey_response_ids"]) == ([task.pk], [response.pk])
    assert ApiClient(client=client, token=make_token(tenant=tenant_b)).get(
        f"assessments/{assessment.pk}").status_code == 404


def test_a_redelivered_event_finds_the_assessment_through_its_match(kit):
    world = kit
    world.opportunity()
    world.push({"external_id": "INC1", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.get()
        event = assessment.event
        again = services.open_assessments_for_event(event=event)
        assert again == [assessment]
        assert OpportunityMatch.objects.count() == 1
        assert assessment.opportunity_match_id == OpportunityMatch.objects.get().pk


def test_a_completion_links_only_the_tasks_it_created(kit):
    world = kit
    with world.tenant.scope():
        earlier = assign_course(course_item=world.firewall, assignee=world.agent,
                                assigned_by=world.coach, notify=False)
    assessment = open_for(world)
    with world.tenant.scope():
        services.set_assessment_courses(assessment=assessment, actor=world.coach,
                                        courses=[world.firewall])
    walk_to_complete(world, assessment)
    # The trainee already had the course open: that task stays, nobody's assessment's.
    assert tasks(world) == [
        ("Firewall basics", "agent", None, "coach", earlier.due_date, "assigned"),
    ]


# --- the coach survey sets the rating ----------------------------------------------------


def test_coach_takes_the_survey_during_the_assessment_and_its_score_sets_the_rating(
        kit, django_capture_on_commit_callbacks):
    world = kit
    opportunity = world.opportunity(coach_survey=world.coach_survey,
                                    trainee_survey=world.trainee_survey)
    world.push({"external_id": "INC7", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.get()
        services.start_assessment(assessment=assessment, actor=world.coach)
        response = services.take_coach_survey(assessment=assessment, actor=world.coach)
        again = services.take_coach_survey(assessment=assessment, actor=world.coach)
    assert again.pk == response.pk
    # Quality 4 of 1–5 → 75 (weight 2), followed → 100: (2·75 + 100) / 3 = 83.33 → 83.
    with django_capture_on_commit_callbacks(execute=True), world.tenant.scope():
        submit_survey(response=response, respondent=world.coach,
                      answers=answers_for(world.coach_survey, quality=4, followed=True))
    with world.tenant.scope():
        assessment.refresh_from_db()
        score = SurveyResponse.objects.get(pk=response.pk).score
    assert score == Decimal("83.33")
    assert (assessment.state, assessment.rating) == ("in_progress", 83)
    # Completion sends the trainee survey only; the coach's was taken.
    with world.tenant.scope():
        services.resolve_assessment(assessment=assessment, actor=world.coach)
        services.complete_assessment(assessment=assessment, actor=world.coach)
    assert responses(world) == [
        ("Coach review", "coach", "agent", assessment.pk, opportunity.pk,
         "Reassigned three times", "completed"),
        ("Coaching feedback", "agent", "coach", assessment.pk, opportunity.pk,
         "Reassigned three times", "pending"),
    ]


def test_rating_rounds_half_up():
    assert services.rating_from_score(Decimal("72.50")) == 73
    assert services.rating_from_score(Decimal("72.49")) == 72
    assert services.rating_from_score(Decimal("0.00")) == 0
    assert services.rating_from_score(Decimal("100.00")) == 100


def test_a_survey_without_a_score_leaves_the_rating(kit, django_capture_on_commit_callbacks):
    world = kit
    with world.tenant.scope():
        text_only = save_template(organization=world.tenant.org, name="Notes only",
                                  audience="coach_about_trainee")
        question = save_question(template=text_only, text="What happened?", kind="text")
    assessment = open_for(world)
    with world.tenant.scope():
        services.update_assessment(assessment=assessment, actor=world.coach, rating=40,
                                   comments="", follow_up=False)
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=text_only, trainee_survey=None)
        response = services.take_coach_survey(assessment=assessment, actor=world.coach)
    with django_capture_on_commit_callbacks(execute=True), world.tenant.scope():
        submit_survey(response=response, respondent=world.coach,
                      answers={question.pk: "Good call."})
    with world.tenant.scope():
        assessment.refresh_from_db()
        assert SurveyResponse.objects.get(pk=response.pk).score is None
    assert assessment.rating == 40


def test_only_the_assessments_coach_takes_its_coach_survey(kit):
    world = kit
    assessment = open_for(world)
    with world.tenant.scope():
        with pytest.raises(services.AssessmentError, match="has no coach survey"):
            services.take_coach_survey(assessment=assessment, actor=world.coach)
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.coach_survey, trainee_survey=None)
        with pytest.raises(services.AssessmentError,
                           match="Only the assessment's coach answers its coach survey."):
            services.take_coach_survey(assessment=assessment, actor=world.co_coach)
    assert responses(world) == []


# --- the coach's choices -------------------------------------------------------------------


def test_coach_cannot_change_a_survey_the_opportunity_gave(kit):
    world = kit
    world.opportunity(coach_survey=world.coach_survey)
    other = world.survey("Second review")
    world.push({"external_id": "INC2", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.get()
        with pytest.raises(services.AssessmentError) as info:
            services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                            coach_survey=other, trainee_survey=None)
        assert info.value.message == ("The opportunity “Reassigned three times” sets the "
                                      "coach survey; it cannot be changed here.")
        # The opportunity gave no trainee survey, so the coach may choose one.
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.coach_survey,
                                        trainee_survey=world.trainee_survey)
        assessment.refresh_from_db()
    assert (assessment.coach_survey_id, assessment.trainee_survey_id) == (
        world.coach_survey.pk, world.trainee_survey.pk)


def test_coach_cannot_change_a_survey_already_sent(kit):
    world = kit
    assessment = open_for(world)
    with world.tenant.scope():
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.coach_survey, trainee_survey=None)
        services.take_coach_survey(assessment=assessment, actor=world.coach)
        with pytest.raises(services.AssessmentError,
                           match="The coach survey was already sent; it cannot be changed."):
            services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                            coach_survey=None, trainee_survey=None)


def test_survey_of_the_wrong_audience_is_refused(kit):
    world = kit
    assessment = open_for(world)
    with world.tenant.scope(), pytest.raises(services.AssessmentError) as info:
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.trainee_survey, trainee_survey=None)
    assert info.value.message == ("“Coaching feedback” is a trainee about coach survey; the "
                                  "coach survey must be coach about trainee.")


def test_cross_tenant_courses_and_templates_are_refused(kit, login):
    world = kit
    assessment = open_for(world)
    with world.tenant.scope():
        with pytest.raises(services.AssessmentError,
                           match="Courses must belong to this organization."):
            services.set_assessment_courses(assessment=assessment, actor=world.coach,
                                            courses=[world.foreign_course])
        with pytest.raises(services.AssessmentError,
                           match="Surveys must belong to this organization."):
            services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                            coach_survey=world.foreign_survey,
                                            trainee_survey=None)
        for data in (OpportunityData(name="X", condition={"field": "priority", "op": "eq",
                                                          "value": 1},
                                     courses=[world.foreign_course]),
                     OpportunityData(name="X", condition={"field": "priority", "op": "eq",
                                                          "value": 1},
                                     coach_survey=world.foreign_survey)):
            with pytest.raises(OpportunityError, match="of this organization"):
                save_opportunity(organization=world.tenant.org, data=data)
    # Through the pages: another tenant's ids are not among the choices.
    client = login(world.coach)
    base = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    response = client.post(base + "training/", {"courses": [world.foreign_course.pk]})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(base + "surveys/", {"coach_survey": world.foreign_survey.pk,
                                               "trainee_survey": ""})
    assert response.status_code == 400
    with world.tenant.scope():
        assessment.refresh_from_db()
        assert list(assessment.courses.all()) == []
    assert assessment.coach_survey_id is None


def test_training_offers_only_courses_the_coach_may_assign(kit, login):
    world = kit
    world.course("Network deep dive", catalog_teams=[world.team2])
    world.course("Uncatalogued")
    assessment = open_for(world)
    page = login(world.coach).get(world.tenant.url(f"coaching/assessments/{assessment.pk}/"))
    offered = [str(c) for c in page.context["courses_form"].fields["courses"].queryset]
    assert offered == ["Firewall basics"]
    with world.tenant.scope():
        network = CourseItem.objects.get(title="Network deep dive")
        with pytest.raises(services.AssessmentError,
                           match="You cannot assign these courses .*: Network deep dive."):
            services.set_assessment_courses(assessment=assessment, actor=world.coach,
                                            courses=[network])


def test_skill_form_offers_only_what_the_trainee_does_not_hold(kit, login):
    world = kit
    with world.tenant.scope():
        levels = ensure_level_scale(organization=world.tenant.org)
        firewall = Skill.objects.create(organization=world.tenant.org, name="Firewall")
        vpn = Skill.objects.create(organization=world.tenant.org, name="VPN")
        Skill.objects.create(organization=world.tenant.org, name="Empathy")
        top = max(levels, key=lambda lv: lv.rank)
        award_skill(user=world.agent, skill=vpn, level=top, source="manual", actor=world.coach)
        award_skill(user=world.agent, skill=firewall, level=levels[0], source="manual",
                    actor=world.coach)
    assessment = open_for(world)
    client = login(world.coach)
    url = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    form = client.get(url).context["skill_form"]
    # VPN is held at the top level: not offered; Firewall only above the level held.
    assert [s.name for s in form.fields["skill"].queryset] == ["Empathy", "Firewall"]
    assert form.options[firewall] == sorted(levels, key=lambda lv: lv.rank)[1:]
    response = client.post(url + "skills/", {"skill": firewall.pk, "level": levels[0].pk})
    assert response.status_code == 400
    assert (f"{world.agent.get_full_name()} already holds Firewall at {levels[0].name} or "
            "higher; choose a higher level.") in response.content.decode()
    with world.tenant.scope():
        assert SkillLevel.objects.count() == len(levels)
        assert not assessment.skills.exists()


# --- the assessment page ---------------------------------------------------------------------


def test_assessment_page_shows_tasks_and_surveys_and_the_coach_takes_the_survey(
        kit, login, client, tenant_b):
    world = kit
    assessment = open_for(world)
    with world.tenant.scope():
        services.set_assessment_courses(assessment=assessment, actor=world.coach,
                                        courses=[world.firewall])
        services.set_assessment_surveys(assessment=assessment, actor=world.coach,
                                        coach_survey=world.coach_survey,
                                        trainee_survey=world.trainee_survey)
    url = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    coach = login(world.coach)
    response = coach.post(url + "surveys/coach/")
    with world.tenant.scope():
        sent = SurveyResponse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == world.tenant.url(f"surveys/responses/{sent.pk}/")
    walk_to_complete(world, assessment)
    page = coach.get(url).content.decode()
    assert "Learning tasks created" in page
    assert 'id="assessment-tasks"' in page and "Firewall basics" in page
    # The coach's own survey is pending; the agent's survey shows no state to the coach.
    assert page.count("Pending") == 1
    assert 'data-testid="trainee-survey-withheld"' in page
    client.logout()
    # The co-coach may act on it but does not answer the coach's survey; the agent and a
    # user of another tenant get 404.
    response = login(world.co_coach).post(url + "surveys/coach/", follow=True)
    assert "Only the assessment&#x27;s coach answers its coach survey." in \
        response.content.decode()
    client.logout()
    # The trainee (no manager role) is refused like on every coach action; a coach of
    # another team does not see the assessment at all.
    assert login(world.agent).post(url + "surveys/coach/").status_code == 403
    client.logout()
    assert login(world.coach2).post(url + "surveys/coach/").status_code == 404
    client.logout()
    stranger = tenant_b.member(roles=["org_admin"], username="stranger")
    assert login(stranger).post(
        f"/o/{tenant_b.org.slug}/coaching/assessments/{assessment.pk}/surveys/coach/"
    ).status_code == 404


def test_virtual_coach_page_says_the_coach_survey_is_not_sent(kit, login):
    world = kit
    world.opportunity(virtual_coach_name="Auto coach", coach_survey=world.coach_survey)
    world.push({"external_id": "INC3", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.get()
    page = login(world.coach).get(
        world.tenant.url(f"coaching/assessments/{assessment.pk}/")).content.decode()
    assert "Not sent: a virtual coach completed this assessment, so nobody answers it." in page
    assert "Take the coach survey" not in page
