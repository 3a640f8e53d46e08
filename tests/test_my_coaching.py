"""The agent's My coaching page: one card per feature, with the member's own figures."""

import datetime

from django.utils import timezone

from coaching.services import open_manual_assessment
from learning.services import assign_course, save_course_item
from skills.services import award_skill, ensure_level_scale, save_skill
from surveys.services import dispatch_survey, save_template


def test_my_coaching_cards_show_the_agents_own_learning_surveys_and_skills(tenant_a, login):
    coach = tenant_a.member(roles=["coach"])
    agent = tenant_a.member(roles=["agent"])
    other = tenant_a.member(roles=["agent"])
    tenant_a.team(name="Desk", manager=coach, members=[agent, other])
    today = timezone.localdate()
    with tenant_a.scope():
        org = tenant_a.org
        first = save_course_item(organization=org, title="VPN basics", source="free_form")
        second = save_course_item(organization=org, title="Empathy", source="free_form")
        assign_course(course_item=first, assignee=agent, assigned_by=coach,
                      due_date=today - datetime.timedelta(days=2), notify=False)
        assign_course(course_item=second, assignee=agent, assigned_by=coach,
                      due_date=today + datetime.timedelta(days=3), notify=False)
        assign_course(course_item=second, assignee=other, assigned_by=coach, notify=False)
        template = save_template(organization=org, name="Coaching feedback",
                                 audience="trainee_about_coach")
        dispatch_survey(template=template, respondent=agent, subject=coach, notify=False)
        novice = ensure_level_scale(organization=org)[0]
        award_skill(user=agent, skill=save_skill(organization=org, name="VPN"), level=novice,
                    source="manual", actor=coach)
        open_manual_assessment(organization=org, actor=coach, trainee=agent)
        open_manual_assessment(organization=org, actor=coach, trainee=other)

    client = login(agent)
    response = client.get(tenant_a.url("me/"))

    assert response.status_code == 200
    cards = {card["title"]: card for card in response.context["summaries"]}
    assert list(cards) == ["Open assessments", "Coaching assignments", "Learning to do",
                           "Surveys to take", "Skills held"]
    assert cards["Coaching assignments"]["value"] == 0
    assert (cards["Open assessments"]["value"], cards["Open assessments"]["caption"]) == (
        1, "0 completed"
    )
    learning = cards["Learning to do"]
    assert (learning["value"], learning["caption"]) == (2, "1 overdue")
    assert cards["Learning to do"]["tone"] == "danger"
    assert cards["Surveys to take"]["value"] == 1
    assert (cards["Skills held"]["value"], cards["Skills held"]["caption"]) == (
        1, "0 review requests pending"
    )
    assert cards["Learning to do"]["url"] == "/o/alpha/learning/me/"


def test_my_coaching_cards_of_an_agent_with_nothing_yet(tenant_a, login):
    agent = tenant_a.member(roles=["agent"])

    response = login(agent).get(tenant_a.url("me/"))

    summaries = response.context["summaries"]
    cards = {card["title"]: (card["value"], card["caption"]) for card in summaries}
    assert cards["Learning to do"] == (0, "none overdue")
    assert cards["Surveys to take"] == (0, "nothing to answer")
    assert cards["Skills held"] == (0, "0 review requests pending")
