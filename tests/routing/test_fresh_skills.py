"""A skill awarded by any path counts in the very next routing decision (no cache), and
the issue's "Done when" through public interfaces: the API and the learning UI."""

import pytest

from learning.enums import ContentSource

ITEM = {"external_id": "INC1", "kind": "incident", "team": "Desk", "skills": ["VPN"]}


def _top(rw):
    first = rw.route("INC1").json()["candidates"][0]
    return first["agent"], first["qualified"]


def _nobody_qualified(rw):
    candidates = rw.route("INC1").json()["candidates"]
    assert len(candidates) == 5
    assert not any(c["qualified"] for c in candidates)


def _course(rw):
    from learning.services import save_course_item

    with rw.tenant.scope():
        return save_course_item(organization=rw.tenant.org, title="VPN basics",
                                source=ContentSource.FREE_FORM, body="<p>VPN.</p>",
                                days_to_complete=5,
                                skills=[(rw.vpn, rw.levels["Intermediate"])])


def award_by_matrix_edit(rw, login):
    client = login(rw.coach)
    response = client.post(
        rw.tenant.url(f"skills/matrix/cell/{rw.agents['dan'].pk}/{rw.vpn.pk}/"),
        {"level": rw.levels["Intermediate"].pk},
    )
    assert response.status_code == 302


def award_by_assessment(rw, login):
    from coaching import services

    with rw.tenant.scope():
        assessment = services.open_manual_assessment(
            organization=rw.tenant.org, actor=rw.coach, trainee=rw.agents["dan"])
        services.add_assessment_skill(assessment=assessment, actor=rw.coach, skill=rw.vpn,
                                      level=rw.levels["Intermediate"])
        for step in (services.start_assessment, services.resolve_assessment,
                     services.complete_assessment):
            assessment = step(assessment=assessment, actor=rw.coach)


def award_by_learning_task(rw, login):
    from learning.services import assign_course, complete_task

    course = _course(rw)
    with rw.tenant.scope():
        task = assign_course(course_item=course, assignee=rw.agents["dan"],
                             assigned_by=rw.coach, notify=False)
        complete_task(task=task, actor=rw.agents["dan"])


def award_by_approved_review(rw, login):
    from skills.services import approve_skill_review, request_skill_review

    with rw.tenant.scope():
        review = request_skill_review(user=rw.agents["dan"], skill=rw.vpn,
                                      level=rw.levels["Intermediate"],
                                      justification="Ran the VPN rollout.",
                                      requested_by=rw.agents["dan"])
        approve_skill_review(review=review, decided_by=rw.coach)


@pytest.mark.parametrize("award", [award_by_matrix_edit, award_by_assessment,
                                   award_by_learning_task, award_by_approved_review])
def test_a_skill_awarded_by_any_path_counts_in_the_next_decision(rw, login, award):
    rw.push(ITEM)
    _nobody_qualified(rw)
    award(rw, login)
    assert _top(rw) == ("dan", True)


def test_an_approved_recommendation_counts_in_the_next_decision(rw):
    from skills import services

    if not hasattr(services, "approve_recommendation"):
        pytest.skip("skills has no recommendations yet")
    from skills.models import SkillRecommendation

    rw.push(ITEM)
    _nobody_qualified(rw)
    with rw.tenant.scope():
        rec = SkillRecommendation.objects.create(
            organization=rw.tenant.org, user=rw.agents["dan"], skill=rw.vpn, count=10,
            threshold=10, score=1.0)
        services.approve_recommendation(recommendation=rec, decided_by=rw.coach)
    assert _top(rw) == ("dan", True)


def test_done_when_learning_task_completed_in_the_browser_flow_puts_the_agent_first(
    rw, login
):
    from learning.services import assign_course

    rw.push(ITEM)
    _nobody_qualified(rw)
    course = _course(rw)
    with rw.tenant.scope():
        task = assign_course(course_item=course, assignee=rw.agents["dan"],
                             assigned_by=rw.coach, notify=False)
    client = login(rw.agents["dan"])
    response = client.post(rw.tenant.url(f"learning/tasks/{task.pk}/complete/"))
    assert response.status_code == 302
    assert _top(rw) == ("dan", True)
    body = rw.route("INC1", assign=True).json()
    assert (body["assigned_to"], body["outcome"]) == ("dan", "assigned")
