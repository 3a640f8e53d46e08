"""The coaching backlog: a match whose agent has no coach opens the assessment unassigned;
coaches and org admins see it and claim or assign it; nobody else reaches it."""

import pytest
from django_scopes import scopes_disabled

from coaching.models import AssessmentTransition, CoachingAssessment
from coaching.services import AssessmentError, claim_assessment
from tenancy.models import TeamMember
from tests.work.conftest import ApiClient, make_token


@pytest.fixture
def unassigned(world, client):
    """Work of an agent in no team, imported through the API, matches an opportunity."""
    world.opportunity(fires_on="any", condition={
        "field": "reassignment_count", "op": "gte", "value": 3})
    loner = world.tenant.member(roles=["agent"], username="loner")
    with scopes_disabled():
        assert not TeamMember.objects.filter(user=loner).exists()
    api = ApiClient(client=client, token=make_token(tenant=world.tenant))
    posted = api.post("work-items", {"external_id": "INC7", "kind": "incident",
                                     "assigned_to": "loner", "reassignment_count": 4})
    assert posted.status_code == 200, posted.content
    from work.models import WorkEvent
    from work.services import process_work_events
    with world.tenant.scope():
        process_work_events(organization=world.tenant.org, event_ids=list(
            WorkEvent.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)))
        return CoachingAssessment.objects.get(work_item__external_id="INC7"), loner


def _list(client, world, user, scope="backlog"):
    client.force_login(user)
    return client.get(world.tenant.url("coaching/assessments/"), {"scope": scope})


def test_imported_work_of_an_agent_without_team_lands_unassigned_in_the_backlog(
        world, client, unassigned):
    assessment, loner = unassigned
    assert (assessment.trainee_id, assessment.coach_id, assessment.state) == (
        loner.pk, None, "open")
    for user in (world.coach, world.coach2, world.admin):
        page = _list(client, world, user)
        assert page.status_code == 200
        assert [a.pk for a in page.context["page"].object_list] == [assessment.pk], user
        assert "Unassigned" in page.content.decode()
    assert _list(client, world, world.agent).status_code in (403, 404)
    detail = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    client.force_login(world.agent)
    assert client.get(detail).status_code == 404
    client.force_login(world.coach)
    assert "Claim — I will coach this" in client.get(detail).content.decode()


def test_a_coach_claims_it_and_a_second_claim_is_told_who_was_first(world, client, unassigned):
    assessment, _ = unassigned
    claim = world.tenant.url(f"coaching/assessments/{assessment.pk}/claim/")
    client.force_login(world.coach2)
    response = client.post(claim)
    assert response.status_code == 302
    with scopes_disabled():
        assessment.refresh_from_db()
        assert assessment.coach_id == world.coach2.pk
        who = str(world.coach2)
        assert AssessmentTransition.objects.filter(assessment=assessment).last().note == (
            f"Coach: nobody (backlog) → {who} ({who} claimed it).")
    # the other coach does not coach loner: once claimed, it is out of their sight
    client.force_login(world.coach)
    assert client.post(claim).status_code == 404
    with scopes_disabled():
        with pytest.raises(AssessmentError) as late:  # had they raced through the service
            claim_assessment(assessment=assessment, actor=world.coach)
        assert late.value.message == f"{world.coach2} already coaches this assessment."
        assessment.refresh_from_db()
        assert assessment.coach_id == world.coach2.pk
    # it left the backlog
    assert list(_list(client, world, world.coach).context["page"].object_list) == []


def test_org_admins_assign_and_reassign_others_may_not(world, client, unassigned, tenant_b):
    assessment, loner = unassigned
    claim = world.tenant.url(f"coaching/assessments/{assessment.pk}/claim/")
    client.force_login(world.coach)
    client.post(claim, {"coach": world.coach2.pk})
    with scopes_disabled():
        assessment.refresh_from_db()
        assert assessment.coach_id is None  # a coach does not give it to another
    client.force_login(world.admin)
    assert client.post(claim, {"coach": "999999"}).status_code == 302
    client.post(claim, {"coach": world.coach.pk})
    client.post(claim, {"coach": world.coach2.pk})
    with scopes_disabled():
        assessment.refresh_from_db()
        assert assessment.coach_id == world.coach2.pk
        with pytest.raises(AssessmentError, match="Nobody coaches their own assessment."):
            claim_assessment(assessment=assessment, actor=world.admin, coach=loner)
        with pytest.raises(AssessmentError, match="is not a coach"):
            claim_assessment(assessment=assessment, actor=world.admin, coach=world.agent)
    outsider = tenant_b.member(roles=["coach", "org_admin"], username="outsider_b")
    client.force_login(outsider)
    assert client.post(claim).status_code == 404
    client.logout()
    assert client.post(claim).status_code == 302  # to the login page
    with scopes_disabled():
        assessment.refresh_from_db()
        assert assessment.coach_id == world.coach2.pk



def test_an_unassigned_assessment_says_who_will_answer_its_coach_survey(
        world, client, unassigned):
    """An unassigned assessment with a coach survey has nobody to answer it yet (its
    page was a 500 on the demo's backlog)."""
    assessment, _ = unassigned
    with scopes_disabled():
        assessment.coach_survey = world.survey("Coach review")
        assessment.save(update_fields=["coach_survey"])
    client.force_login(world.admin)

    page = client.get(world.tenant.url(f"coaching/assessments/{assessment.pk}/"))

    assert page.status_code == 200
    rows = page.content.decode().split('id="assessment-surveys"')[1].split("</table>")[0]
    assert ("<td>—</td>\n            <td><span class=\"small\">Not sent yet: the coach who "
            "takes this assessment from the backlog answers it.</span></td>") in rows
