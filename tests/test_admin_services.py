"""The Django admin writes through the services (issue 13, item 3).

Each converted admin's change has the service's effect; a change the service refuses shows
its message and changes nothing (no 500); admins without a service are read-only (403).
"""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment
from coaching.services import open_manual_assessment
from learning.models import (
    CatalogCourse,
    CourseItem,
    CourseSkill,
    LearningCatalog,
    LearningTask,
)
from learning.services import (
    add_course_to_catalog,
    assign_course,
    save_catalog,
    save_course_item,
)
from opportunities.models import CoachingOpportunity, OpportunitySkill, VirtualCoach
from opportunities.services import OpportunityData, save_opportunity
from skills.enums import Source
from skills.models import Skill, SkillLevel, UserSkill
from skills.services import award_skill, create_level, save_skill
from surveys.models import Question, SurveyResponse, SurveyTemplate
from surveys.services import dispatch_survey, save_question, save_template


@pytest.fixture
def desk(tenant_a, tenant_b, client):
    admin_a = tenant_a.member(roles=["org_admin"], username="ada", is_staff=True)
    agent_a = tenant_a.member(roles=["agent"], username="abe")
    tenant_b.member(roles=["org_admin"], username="bea", is_staff=True)
    client.force_login(admin_a)
    return {"a": tenant_a, "b": tenant_b, "admin": admin_a, "agent": agent_a}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _refused_form(response):
    """The admin form shown again after a service refused it: its errors, and what the
    user typed (kept)."""
    form = response.context["adminform"].form
    return {name: list(errors) for name, errors in form.errors.items()}, form.data


# --- skills ----------------------------------------------------------------------------


@pytest.fixture
def levels(desk):
    with desk["a"].scope():
        low = create_level(organization=desk["a"].org, name="Novice")
        high = create_level(organization=desk["a"].org, name="Expert")
    return low, high


def test_level_added_through_the_admin_goes_on_top_of_the_scale(desk, levels, client):
    response = client.post("/admin/skills/skilllevel/add/",
                           {"name": "Master", "description": "Teaches others"})

    assert response.status_code == 302
    with scopes_disabled():
        assert list(SkillLevel.objects.filter(organization=desk["a"].org)
                    .values_list("name", "rank", "description")) == [
            ("Novice", 1, ""), ("Expert", 2, ""), ("Master", 3, "Teaches others")]


def test_level_in_use_is_not_deleted(desk, levels, client):
    low, _ = levels
    with desk["a"].scope():
        skill = save_skill(organization=desk["a"].org, name="Refunds")
        award_skill(user=desk["agent"], skill=skill, level=low, source=Source.MANUAL,
                    actor=desk["admin"])

    response = client.post(f"/admin/skills/skilllevel/{low.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    assert response.context["title"] == "Cannot delete skill level"
    with scopes_disabled():
        assert list(SkillLevel.objects.filter(organization=desk["a"].org)
                    .values_list("name", flat=True)) == ["Novice", "Expert"]


def test_the_last_level_is_not_deleted_and_the_admin_says_why(desk, client):
    with desk["a"].scope():
        only = create_level(organization=desk["a"].org, name="Novice")

    response = client.post(f"/admin/skills/skilllevel/{only.pk}/delete/", {"post": "yes"},
                           follow=True)

    assert response.status_code == 200
    assert _messages(response) == ["The scale needs at least one level."]
    with scopes_disabled():
        assert list(SkillLevel.objects.filter(organization=desk["a"].org)
                    .values_list("name", "rank")) == [("Novice", 1)]


def test_bulk_delete_goes_through_the_service_level_by_level(desk, levels, client):
    low, high = levels
    with desk["a"].scope():
        top = create_level(organization=desk["a"].org, name="Master")

    response = client.post("/admin/skills/skilllevel/", {
        "action": "delete_selected", "_selected_action": [low.pk, high.pk, top.pk],
        "post": "yes",
    }, follow=True)

    assert response.status_code == 200
    assert _messages(response) == ["Master: The scale needs at least one level.",
                                   "Deleted 2 of 3 skill levels."]
    with scopes_disabled():
        assert list(SkillLevel.objects.filter(organization=desk["a"].org)
                    .values_list("name", "rank")) == [("Master", 1)]
        assert sorted(LogEntry.objects.filter(action_flag=DELETION)
                      .values_list("object_repr", flat=True)) == ["Expert", "Novice"]


def _skill_post(name, *, parent="", active=True):
    data = {"name": name, "description": "", "category": " Billing ",
            "skill_type": "technical", "parent": parent}
    if active:
        data["active"] = "on"
    return data


def test_skill_saved_through_the_admin_is_normalized_by_the_service(desk, client):
    response = client.post("/admin/skills/skill/add/", _skill_post("  Refund   handling "))

    assert response.status_code == 302
    with scopes_disabled():
        assert list(Skill.objects.filter(organization=desk["a"].org)
                    .values_list("name", "category", "active")) == [
            ("Refund handling", "Billing", True)]


def test_skill_with_a_duplicate_name_or_a_cycle_is_refused(desk, client):
    with desk["a"].scope():
        parent = save_skill(organization=desk["a"].org, name="Billing")
        child = save_skill(organization=desk["a"].org, name="Refunds", parent=parent)

    duplicate = client.post("/admin/skills/skill/add/", _skill_post("billing"))
    cycle = client.post(f"/admin/skills/skill/{parent.pk}/change/",
                        _skill_post("Billing", parent=child.pk))

    assert duplicate.status_code == 200
    assert duplicate.context["adminform"].form.non_field_errors() == [
        "A skill named “billing” already exists.", "A skill with this name already exists."]
    assert cycle.status_code == 200
    assert cycle.context["adminform"].form.non_field_errors() == [
        "“Refunds” is below “Billing” in the hierarchy, so it cannot be its parent "
        "(that would make a cycle)."]
    with scopes_disabled():
        assert list(Skill.objects.filter(organization=desk["a"].org).order_by("name")
                    .values_list("name", "parent__name")) == [
            ("Billing", None), ("Refunds", "Billing")]


def test_skill_of_another_tenant_is_not_a_parent_choice(desk, client):
    with desk["b"].scope():
        foreign = save_skill(organization=desk["b"].org, name="Billing")

    response = client.post("/admin/skills/skill/add/", _skill_post("Refunds",
                                                                   parent=foreign.pk))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["parent"]
    with scopes_disabled():
        assert not Skill.objects.filter(organization=desk["a"].org).exists()


def test_skills_are_not_deleted_in_the_admin(desk, client):
    with desk["a"].scope():
        skill = save_skill(organization=desk["a"].org, name="Refunds")

    assert client.post(f"/admin/skills/skill/{skill.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert Skill.objects.filter(pk=skill.pk).exists()


# --- read-only: assessments and sent surveys --------------------------------------------


def test_assessments_are_read_only_in_the_admin(desk, client):
    with desk["a"].scope():
        assessment = open_manual_assessment(organization=desk["a"].org, actor=desk["admin"],
                                            trainee=desk["agent"])
    url = f"/admin/coaching/coachingassessment/{assessment.pk}/"

    assert client.get(f"{url}change/").status_code == 200
    assert client.post(f"{url}change/", {"rating": "5", "due_date": "2030-01-01"}
                       ).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/coaching/coachingassessment/add/", {}).status_code == 403
    with scopes_disabled():
        assert list(CoachingAssessment.objects.values_list("pk", "state", "rating")) == [
            (assessment.pk, assessment.state, None)]


def test_sent_surveys_are_read_only_in_the_admin(desk, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")
        response = dispatch_survey(template=template, respondent=desk["agent"], subject=None,
                                   notify=False)
    url = f"/admin/surveys/surveyresponse/{response.pk}/"

    assert client.get(f"{url}change/").status_code == 200
    assert client.post(f"{url}change/", {"context_label": "Edited"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/surveys/surveyresponse/add/", {}).status_code == 403
    with scopes_disabled():
        assert list(SurveyResponse.objects.values_list("pk", "state", "context_label")) == [
            (response.pk, "pending", "")]


# --- opportunities -----------------------------------------------------------------------


def _inline(prefix, rows=(), initial=0):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def _opportunity_post(name, *, coach_choice="team_manager", named_coach="", skills=(),
                      virtual=()):
    return {
        "name": name, "description": "", "active": "on", "kinds": '["incident"]',
        "fires_on": "resolve",
        "condition": '{"field": "escalated", "op": "eq", "value": true}',
        "coach_choice": coach_choice, "named_coach": named_coach, "due_in_days": "7",
        "suppress_days": "0", "sample_rate": "100", "exempt_first_days": "0",
        "coach_survey": "", "trainee_survey": "",
        **_inline("skill_awards", skills), **_inline("course_links"),
        **_inline("virtual_coach", virtual),
    }


def test_opportunity_added_through_the_admin_is_saved_by_the_service(desk, levels, client):
    low, _ = levels
    with desk["a"].scope():
        skill = save_skill(organization=desk["a"].org, name="Refunds")

    response = client.post("/admin/opportunities/coachingopportunity/add/", _opportunity_post(
        "  Escalations ", skills=[{"skill": skill.pk, "level": low.pk}],
        virtual=[{"name": "Escalation bot"}]))

    assert response.status_code == 302
    with scopes_disabled():
        opportunity = CoachingOpportunity.objects.get(organization=desk["a"].org)
        assert (opportunity.name, opportunity.kinds, opportunity.fires_on) == (
            "Escalations", ["incident"], "resolve")
        assert list(OpportunitySkill.objects.filter(opportunity=opportunity)
                    .values_list("skill__name", "level__name")) == [("Refunds", "Novice")]
        assert list(VirtualCoach.objects.filter(opportunity=opportunity)
                    .values_list("organization_id", "name")) == [
            (desk["a"].org.pk, "Escalation bot")]


def test_opportunity_the_service_refuses_shows_its_message_and_changes_nothing(desk, client):
    with desk["a"].scope():
        opportunity = save_opportunity(organization=desk["a"].org, data=OpportunityData(
            name="Escalations", condition={"field": "escalated", "op": "eq", "value": True}))

    response = client.post(
        f"/admin/opportunities/coachingopportunity/{opportunity.pk}/change/",
        _opportunity_post("Renamed", coach_choice="named", named_coach=desk["agent"].pk))

    assert response.status_code == 200
    errors, typed = _refused_form(response)
    assert errors == {"named_coach": [
        "The named coach must be a member of this organization with the coach role."]}
    assert typed["name"] == "Renamed"
    with scopes_disabled():
        assert list(CoachingOpportunity.objects.values_list("name", "coach_choice")) == [
            ("Escalations", "team_manager")]


def test_opportunity_deleted_through_the_admin(desk, client):
    with desk["a"].scope():
        opportunity = save_opportunity(organization=desk["a"].org, data=OpportunityData(
            name="Escalations", condition={"field": "escalated", "op": "eq", "value": True}))

    response = client.post(
        f"/admin/opportunities/coachingopportunity/{opportunity.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    with scopes_disabled():
        assert not CoachingOpportunity.objects.exists()


# --- learning ----------------------------------------------------------------------------


@pytest.fixture
def shelf(desk):
    team = desk["a"].team(name="Service Desk", members=[desk["agent"]])
    with desk["a"].scope():
        vpn = save_course_item(organization=desk["a"].org, title="VPN basics",
                               source="free_form")
        empathy = save_course_item(organization=desk["a"].org, title="Empathy",
                                   source="free_form")
        catalog = save_catalog(organization=desk["a"].org, title="Onboarding")
    return {"team": team, "vpn": vpn, "empathy": empathy, "catalog": catalog}


def _catalog_post(title, *, teams=(), courses=(), initial_courses=0):
    return {"title": title, "description": "", "owner": "",
            **_inline("team_links", [{"team": t} for t in teams]),
            **_inline("course_links", courses, initial=initial_courses)}


def test_catalog_saved_through_the_admin_with_its_teams_and_courses(desk, shelf, client):
    catalog = shelf["catalog"]
    with desk["a"].scope():
        add_course_to_catalog(catalog=catalog, courses=[shelf["vpn"]])
        link = CatalogCourse.objects.get(catalog=catalog)

    response = client.post(
        f"/admin/learning/learningcatalog/{catalog.pk}/change/",
        _catalog_post(" Onboarding 2027 ", teams=[shelf["team"].pk], initial_courses=1,
                      courses=[{"id": link.pk, "course": shelf["vpn"].pk, "DELETE": "on"},
                               {"course": shelf["empathy"].pk}]))

    assert response.status_code == 302
    with scopes_disabled():
        catalog.refresh_from_db()
        assert catalog.title == "Onboarding 2027"
        assert list(catalog.team_links.values_list("team__name", flat=True)) == [
            "Service Desk"]
        assert list(catalog.course_links.values_list("course__title", flat=True)) == [
            "Empathy"]


def test_catalog_with_a_taken_title_is_refused(desk, shelf, client):
    response = client.post("/admin/learning/learningcatalog/add/", _catalog_post("onboarding"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["A catalog with this title already exists."]}
    with scopes_disabled():
        assert list(LearningCatalog.objects.values_list("title", flat=True)) == ["Onboarding"]


def _course_post(title, *, source="free_form", url="", skills=()):
    return {"title": title, "description": "", "source": source, "provider": "", "url": url,
            "days_to_complete": "5", "estimated_minutes": "", "active": "on",
            **_inline("granted_skills", skills)}


def test_course_added_through_the_admin_is_saved_by_the_service(desk, levels, client):
    low, _ = levels
    with desk["a"].scope():
        skill = save_skill(organization=desk["a"].org, name="Refunds")

    response = client.post("/admin/learning/courseitem/add/", _course_post(
        " Refund policy ", source="url", url="https://kb.example.com/refunds",
        skills=[{"skill": skill.pk, "level": low.pk}]))

    assert response.status_code == 302
    with scopes_disabled():
        course = CourseItem.objects.get()
        assert (course.title, course.url, course.created_by) == (
            "Refund policy", "https://kb.example.com/refunds", desk["admin"])
        assert list(CourseSkill.objects.filter(course=course)
                    .values_list("organization_id", "skill__name", "level__name")) == [
            (desk["a"].org.pk, "Refunds", "Novice")]


def test_course_the_service_refuses_shows_its_message_and_changes_nothing(desk, shelf, client):
    vpn = shelf["vpn"]

    response = client.post(f"/admin/learning/courseitem/{vpn.pk}/change/",
                           _course_post("VPN article", source="article"))

    assert response.status_code == 200
    errors, typed = _refused_form(response)
    assert errors == {"__all__": ["Write the article's text."]}
    assert typed["title"] == "VPN article"
    with scopes_disabled():
        vpn.refresh_from_db()
        assert (vpn.title, vpn.source) == ("VPN basics", "free_form")


def test_catalogs_and_courses_are_not_deleted_in_the_admin(desk, shelf, client):
    assert client.post(f"/admin/learning/learningcatalog/{shelf['catalog'].pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/learning/courseitem/{shelf['vpn'].pk}/delete/",
                       {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert (LearningCatalog.objects.count(), CourseItem.objects.count()) == (1, 2)


# --- surveys -----------------------------------------------------------------------------


def _template_post(name, *, audience="general", questions=()):
    return {"name": name, "description": "", "audience": audience, "active": "on",
            **_inline("questions", questions)}


def test_template_added_through_the_admin_is_saved_by_the_services(desk, client):
    response = client.post("/admin/surveys/surveytemplate/add/", _template_post(
        " Feedback ", questions=[
            {"text": " How clear was it? ", "kind": "rating", "scale_min": "1",
             "scale_max": "5", "weight": "2", "required": "on"},
            {"text": "Anything else?", "kind": "text", "scale_min": "1", "scale_max": "5",
             "weight": "3"},
        ]))

    assert response.status_code == 302
    with scopes_disabled():
        template = SurveyTemplate.objects.get()
        assert (template.organization_id, template.name) == (desk["a"].org.pk, "Feedback")
        assert list(template.questions.order_by("order").values_list(
            "order", "text", "kind", "weight", "required")) == [
            (0, "How clear was it?", "rating", 2, True), (1, "Anything else?", "text", 1, False)]


def test_sent_template_keeps_its_audience_and_the_admin_says_why(desk, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")
        dispatch_survey(template=template, respondent=desk["agent"], subject=None,
                        notify=False)

    response = client.post(f"/admin/surveys/surveytemplate/{template.pk}/change/",
                           _template_post("Renamed", audience="coach_about_trainee"))

    assert response.status_code == 200
    errors, typed = _refused_form(response)
    assert errors == {"__all__": [
        "This survey has already been sent, so its audience can no longer change; "
        "create a new survey for the other audience."]}
    assert typed["name"] == "Renamed"
    with scopes_disabled():
        assert list(SurveyTemplate.objects.values_list("name", "audience")) == [
            ("Feedback", "general")]


def _question_post(template, text, *, kind="choice", choices=()):
    return {"template": template.pk, "text": text, "help_text": "", "kind": kind,
            "scale_min": "1", "scale_max": "5", "min_label": "", "max_label": "",
            "weight": "1", "required": "on", **_inline("choices", choices)}


def test_question_added_through_the_admin_gets_its_options_from_the_service(desk, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")

    response = client.post("/admin/surveys/question/add/", _question_post(
        template, "Which channel?", choices=[{"label": " Phone ", "score": "10"},
                                             {"label": "Chat", "score": "20"}]))

    assert response.status_code == 302
    with scopes_disabled():
        question = Question.objects.get()
        assert (question.template_id, question.order, question.text) == (
            template.pk, 0, "Which channel?")
        assert list(question.choices.order_by("order").values_list(
            "organization_id", "label", "score", "order")) == [
            (desk["a"].org.pk, "Phone", 10, 0), (desk["a"].org.pk, "Chat", 20, 1)]


def test_question_the_service_refuses_shows_its_message_and_saves_nothing(desk, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")

    response = client.post("/admin/surveys/question/add/", _question_post(
        template, "Which channel?", choices=[{"label": "Phone", "score": "10"}]))

    assert response.status_code == 200
    errors, typed = _refused_form(response)
    assert errors == {"__all__": ["A single-choice question needs at least two options."]}
    assert typed["text"] == "Which channel?"
    with scopes_disabled():
        assert not Question.objects.exists()


def test_question_deleted_through_the_admin_renumbers_the_rest(desk, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")
        first = save_question(template=template, text="First?", kind="yes_no")
        save_question(template=template, text="Second?", kind="yes_no")

    response = client.post(f"/admin/surveys/question/{first.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    with scopes_disabled():
        assert list(Question.objects.values_list("text", "order")) == [("Second?", 0)]


def test_templates_are_not_deleted_in_the_admin(desk, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")

    assert client.post(f"/admin/surveys/surveytemplate/{template.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert SurveyTemplate.objects.count() == 1


# --- read-only records: holdings, self-reviews, learning tasks -----------------------------


def test_holdings_are_not_deleted_in_the_admin(desk, levels, client):
    low, _ = levels
    with desk["a"].scope():
        skill = save_skill(organization=desk["a"].org, name="Refunds")
        holding = award_skill(user=desk["agent"], skill=skill, level=low,
                              source=Source.MANUAL, actor=desk["admin"])

    assert client.post(f"/admin/skills/userskill/{holding.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert list(UserSkill.objects.values_list("skill__name", "level__name")) == [
            ("Refunds", "Novice")]


def test_learning_tasks_are_read_only_in_the_admin(desk, shelf, client):
    with desk["a"].scope():
        task = assign_course(course_item=shelf["vpn"], assignee=desk["agent"],
                             assigned_by=desk["admin"], notify=False)
    url = f"/admin/learning/learningtask/{task.pk}/"

    assert client.get(f"{url}change/").status_code == 200
    assert client.post(f"{url}change/", {}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert list(LearningTask.objects.values_list("pk", "state")) == [(task.pk, task.state)]


@pytest.mark.parametrize("path", [
    "skills/skilllevel", "skills/skill", "learning/learningcatalog", "learning/courseitem",
    "surveys/surveytemplate", "surveys/question", "opportunities/coachingopportunity",
])
def test_converted_admins_show_their_add_and_list_pages(desk, client, path):
    assert client.get(f"/admin/{path}/add/").status_code == 200
    assert client.get(f"/admin/{path}/").status_code == 200


def test_converted_admins_show_their_change_pages(desk, shelf, client):
    with desk["a"].scope():
        template = save_template(organization=desk["a"].org, name="Feedback",
                                 audience="general")
        question = save_question(template=template, text="Which channel?", kind="choice",
                                 choices=[("Phone", 10), ("Chat", 20)])
    for url in (f"surveys/surveytemplate/{template.pk}", f"surveys/question/{question.pk}",
                f"learning/learningcatalog/{shelf['catalog'].pk}",
                f"learning/courseitem/{shelf['vpn'].pk}"):
        assert client.get(f"/admin/{url}/change/").status_code == 200, url
