"""seed_demo's survey extension: two surveys, sent and partly answered, idempotent."""

from surveys.demo import COACH_SURVEY, TRAINEE_SURVEY, seed_surveys
from surveys.enums import ResponseState
from surveys.models import SurveyResponse, SurveyTemplate
from tenancy.demo import DemoPeople


def test_seed_surveys_sends_and_answers_a_share_and_is_idempotent(tenant_a):
    admin = tenant_a.member(roles=["org_admin"], username="demo-admin")
    coach = tenant_a.member(roles=["coach"], username="demo-coach")
    agents = [tenant_a.member(roles=["agent"], username=f"demo-agent-{i}") for i in range(5)]
    team = tenant_a.team(name="Service Desk", manager=coach, members=agents)
    people = DemoPeople(admin, [coach], None, None, None, agents, [team])

    with tenant_a.scope():
        seed_surveys(tenant_a.org, people, None)
        seed_surveys(tenant_a.org, people, None)
        names = sorted(SurveyTemplate.objects.values_list("name", flat=True))
        states = list(SurveyResponse.objects.values_list("state", flat=True))
        first_agent_pending = SurveyResponse.objects.filter(
            respondent=agents[0], state=ResponseState.PENDING).count()

    assert names == sorted([COACH_SURVEY, TRAINEE_SURVEY])
    assert len(states) == 10  # a coach survey and a trainee survey per agent, once
    completed = states.count(ResponseState.COMPLETED)
    assert 0 < completed < 10
    assert first_agent_pending == 1
