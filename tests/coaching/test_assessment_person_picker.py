"""The new-assessment form chooses the agent by typing (issue 22.3: a select offered every
agent of the coach's teams): the label a suggestion fills in, a username or words finding one
agent; suggestions from the same page limited to the agents the coach may choose; the
permission matrix; the same queries however many agents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment
from tenancy.models import TeamMember, User
from tenancy.people import SUGGESTIONS


@pytest.fixture
def named(world):
    with scopes_disabled():
        for user, first, last in ((world.agent, "Ann", "Lee"), (world.agent2, "Anna", "Berg"),
                                  (world.agent3, "Annie", "Lee")):
            User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    return world


def _url(world):
    return world.tenant.url("coaching/assessments/new/")


def _opened(world):
    with world.tenant.scope():
        return [a.trainee.username for a in CoachingAssessment.objects.order_by("pk")]


def test_form_renders_a_search_box_not_a_select(named, login):
    html = login(named.coach).get(_url(named)).content.decode()
    assert '<select name="trainee"' not in html
    assert ('<input type="search" name="trainee" aria-describedby="id_trainee_helptext" '
            'autocomplete="off" class="form-control" '
            'hx-get="?suggest=trainee" hx-push-url="false" hx-swap="innerHTML" '
            'hx-sync="this:replace" hx-target="#id_trainee-people" '
            'hx-trigger="focus once, input changed delay:250ms" id="id_trainee" '
            'list="id_trainee-people" placeholder="Type a name or username" required '
            'spellcheck="false"><datalist id="id_trainee-people"></datalist>') in html
    # a link naming the agent fills the box with their label
    html = login(named.coach).get(_url(named), {"agent": named.agent.pk}).content.decode()
    assert 'value="Ann Lee (agent)"' in html


def test_suggestions_are_the_coachs_agents_matching_the_text(named, login):
    client = login(named.coach)
    answer = client.get(_url(named), {"suggest": "trainee", "trainee": "ann"})
    assert answer.content.decode() == (
        '<option value="Ann Lee (agent)"></option><option value="Anna Berg (agent2)"></option>')
    # Annie Lee is another coach's agent: never suggested to this coach
    assert client.get(_url(named), {"suggest": "trainee", "trainee": "lee"}).content.decode() \
        == '<option value="Ann Lee (agent)"></option>'
    assert login(named.coach2).get(_url(named), {"suggest": "trainee", "trainee": "lee"}) \
        .content.decode() == '<option value="Annie Lee (outsider)"></option>'


def test_suggestions_stop_at_ten(named, login, tenant_a):
    with scopes_disabled():
        for i in range(12):
            user = tenant_a.member(username=f"zed{i:02d}", first_name="Zed", last_name=f"{i:02d}")
            TeamMember.objects.create(organization=tenant_a.org, team=named.team, user=user)
    answer = login(named.coach).get(_url(named), {"suggest": "trainee", "trainee": "zed"})
    assert answer.content.decode().count("<option") == SUGGESTIONS == 10
    assert answer.content.decode().startswith('<option value="Zed 00 (zed00)">')


@pytest.mark.parametrize("typed", ["Ann Lee (agent)", "agent", "ann lee", " Lee "])
def test_typed_text_finding_one_agent_opens_the_assessment(named, login, typed):
    response = login(named.coach).post(_url(named), {"trainee": typed, "due_in_days": 7})
    assert response.status_code == 302
    assert _opened(named) == ["agent"]


@pytest.mark.parametrize(("typed", "message"), [
    ("ann", "2 people match “ann”: Ann Lee (agent), Anna Berg (agent2). Type more of the name,"
            " or the username."),
    ("annie", "Nobody you may choose here matches “annie”."),
    ("Annie Lee (outsider)", "Nobody you may choose here matches “Annie Lee (outsider)”."),
])
def test_typed_text_not_finding_one_agent_is_a_form_error(named, login, typed, message):
    response = login(named.coach).post(_url(named), {"trainee": typed, "due_in_days": 7})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _opened(named) == []


def test_posting_an_agents_id_still_works_and_another_teams_id_is_404(named, login):
    client = login(named.coach)
    assert client.post(_url(named), {"trainee": named.agent3.pk,
                                     "due_in_days": 7}).status_code == 404
    assert client.post(_url(named), {"trainee": named.agent2.pk,
                                     "due_in_days": 7}).status_code == 302
    assert _opened(named) == ["agent2"]


def test_permission_matrix_of_the_suggestions(named, login, tenant_b):
    query = {"suggest": "trainee", "trainee": "ann"}
    assert login(named.agent).get(_url(named), query).status_code == 403
    stranger = tenant_b.member(roles=["coach", "org_admin"], username="stranger")
    assert login(stranger).get(_url(named), query).status_code == 404
    assert login(named.admin).get(_url(named), query).content.decode() == (
        '<option value="Ann Lee (agent)"></option><option value="Anna Berg (agent2)"></option>'
        '<option value="Annie Lee (outsider)"></option>')


def test_form_queries_do_not_grow_with_agents(named, login, tenant_a, django_assert_num_queries):
    client = login(named.coach)
    client.get(_url(named))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(named))
    with scopes_disabled():
        for i in range(30):
            user = tenant_a.member(username=f"more{i}")
            TeamMember.objects.create(organization=tenant_a.org, team=named.team, user=user)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(_url(named)).status_code == 200
