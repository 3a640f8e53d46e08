"""Assigning a course chooses agents with a people picker (issue 22.3: the form had a
checkbox per agent of the organization): nobody is ticked at first, agents are added by
typing (suggestions from the same page, only the agents the user may train, each with its
id), ticked ids outside them are refused; the same queries however many agents."""

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from learning.models import LearningTask
from tenancy.models import TeamMember


def _url(world):
    return world.tenant.url("learning/tasks/assign/")


def _assigned(world):
    with world.tenant.scope():
        return sorted(LearningTask.objects.values_list("assigned_to__username", flat=True))


def test_form_offers_a_search_box_and_ticks_nobody(world, login):
    html = login(world.coach).get(_url(world)).content.decode()
    assert 'type="checkbox" name="agents"' not in html
    assert ('<ul class="list-unstyled mb-2" id="id_agents-chosen" aria-label="Chosen"></ul>'
            '<input type="search" name="agents_search"') in html
    assert 'hx-get="?suggest=agents"' in html


def test_suggestions_are_the_agents_the_user_may_train(world, login):
    answer = login(world.coach).get(_url(world), {"suggest": "agents", "agents_search": "a"})
    assert answer.content.decode() == (
        f'<option value="Abe Ames (abe)" data-id="{world.agent.pk}"></option>'
        f'<option value="Amy Adler (amy)" data-id="{world.agent2.pk}"></option>')
    answer = login(world.learning_admin).get(_url(world),
                                             {"suggest": "agents", "agents_search": "arden"})
    assert answer.content.decode() == \
        f'<option value="Ann Arden (ann)" data-id="{world.agent3.pk}"></option>'
    # another tenant's agent is suggested to nobody here
    assert login(world.learning_admin).get(
        _url(world), {"suggest": "agents", "agents_search": "bob"}).content.decode() == ""


@pytest.mark.parametrize(("user", "status"), [("coach", 200), ("learning_admin", 200),
                                              ("agent", 403), ("outsider", 404)])
def test_suggestions_permission_matrix(world, login, user, status):
    answer = login(getattr(world, user)).get(_url(world),
                                             {"suggest": "agents", "agents_search": "a"})
    assert answer.status_code == status


def test_ticked_and_typed_agents_are_assigned(world, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.coach).post(_url(world), {
            "course": world.article.pk, "agents": [world.agent.pk],
            "agents_search": "Amy Adler (amy)"}, follow=True)
    assert "“VPN troubleshooting” assigned to 2 people." in response.content.decode()
    assert _assigned(world) == ["abe", "amy"]
    assert sorted(m.to[0] for m in mail.outbox) == ["abe@example.com", "amy@example.com"]


@pytest.mark.parametrize(("typed", "error"), [
    ("am", "2 people match “am”: Abe Ames (abe), Amy Adler (amy). Type more of the name, or "
           "the username."),
    ("ann", "Nobody you may choose here matches “ann”."),  # another coach's agent
    ("bob", "Nobody you may choose here matches “bob”."),  # another tenant's
])
def test_typed_text_not_finding_one_agent_is_an_error_beside_the_box(world, login, typed,
                                                                     error):
    response = login(world.coach).post(_url(world), {
        "course": world.article.pk, "agents": [world.agent.pk], "agents_search": typed})
    assert response.status_code == 200
    assert response.context["form"].errors == {"agents": [error]}
    html = response.content.decode()
    assert f'name="agents" value="{world.agent.pk}" checked> Abe Ames (abe)' in html
    assert _assigned(world) == []


def test_ticked_id_of_another_tenant_is_refused(world, login):
    response = login(world.learning_admin).post(_url(world), {
        "course": world.article.pk, "agents": [world.agent.pk, world.outsider.pk]})
    assert response.context["form"].errors == {"agents": [
        f"Select a valid choice. {world.outsider.pk} is not one of the available choices."]}
    assert _assigned(world) == []


@pytest.mark.parametrize(("user", "queries"), [("coach", 11),
                                               ("learning_admin", 11)])
def test_assign_form_queries_do_not_grow_with_agents(world, login, tenant_a, user, queries,
                                                     django_assert_num_queries):
    client = login(getattr(world, user))
    client.get(_url(world))
    with django_assert_num_queries(queries):
        client.get(_url(world))
    with scopes_disabled():
        for i in range(30):
            agent = tenant_a.member(username=f"zed{i:02d}")
            TeamMember.objects.create(organization=tenant_a.org, team=world.team, user=agent)
    with django_assert_num_queries(queries):
        response = client.get(_url(world))
    assert 'type="checkbox" name="agents"' not in response.content.decode()
