"""The team form chooses managers and members with people pickers (issue 22.3: a checkbox
per member of the organization): the chosen people are ticked checkboxes, more are added by
typing (suggestions from the same page carry the person's id); ids of another tenant are
refused; the same queries however many people the organization has."""

import pytest
from django.http import QueryDict
from django_scopes import scopes_disabled

from tenancy.models import Team, TeamMember, User
from tenancy.people import PeoplePicker, Picked
from tests.factories import make_world

QUERIES_NEW = 7
QUERIES_EDIT = 11


@pytest.fixture
def world(tenant_a, tenant_b):
    world = make_world(
        tenant=tenant_a, other=tenant_b, admin="ada", coach="carl", co_coach="cora",
        agent="abe", agent2="amy", outsider="bob",
        team="Service Desk", team_members=["agent"], other_team="Billing",
    )
    with scopes_disabled():
        for user, first, last in ((world.agent, "Abe", "Ames"), (world.agent2, "Amy", "Ames"),
                                  (world.coach, "Carl", "Cox"), (world.co_coach, "Cora", "Cole"),
                                  (world.admin, "Ada", "Diaz"), (world.outsider, "Bob", "Ames")):
            User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    return world


def _members(world, pk):
    with world.tenant.scope():
        team = Team.objects.get(pk=pk)
        return sorted(u.username for u in team.members.all()), \
            sorted(u.username for u in team.additional_managers.all())


def test_edit_form_ticks_only_the_current_members(world, login):
    html = login(world.admin).get(world.tenant.url(f"teams/{world.team.pk}/edit/")) \
        .content.decode()
    assert ('<ul class="list-unstyled mb-2" id="id_members-chosen" aria-label="Chosen"><li>'
            '<label class="form-check-label"><input class="form-check-input me-1" '
            f'type="checkbox" name="members" value="{world.agent.pk}" checked> Abe Ames (abe)'
            '</label></li></ul>') in html
    assert html.count('type="checkbox" name="members"') == 1
    assert ('<ul class="list-unstyled mb-2" id="id_additional_managers-chosen" '
            'aria-label="Chosen"><li><label class="form-check-label"><input '
            'class="form-check-input me-1" type="checkbox" name="additional_managers" '
            f'value="{world.co_coach.pk}" checked> Cora Cole (cora)</label></li></ul>') in html
    assert ('<input type="search" name="members_search" aria-describedby="id_members_helptext"'
            ' autocomplete="off" class="form-control" data-people-picker="members" '
            'hx-get="?suggest=members" hx-push-url="false" hx-swap="innerHTML" '
            'hx-sync="this:replace" hx-target="#id_members-people" '
            'hx-trigger="focus once, input changed delay:250ms" id="id_members" '
            'list="id_members-people" placeholder="Type a name or username" '
            'spellcheck="false"><datalist id="id_members-people"></datalist>') in html
    assert 'for="id_members"' in html and "js/people-picker.js" in html


def test_new_team_form_ticks_nobody(world, login):
    html = login(world.admin).get(world.tenant.url("teams/new/")).content.decode()
    assert 'type="checkbox" name="members"' not in html
    assert 'type="checkbox" name="additional_managers"' not in html


def test_suggestions_carry_the_id_and_only_this_organizations_people(world, login):
    client = login(world.admin)
    answer = client.get(world.tenant.url("teams/new/"),
                        {"suggest": "members", "members_search": "ames"})
    assert answer.content.decode() == (
        f'<option value="Abe Ames (abe)" data-id="{world.agent.pk}"></option>'
        f'<option value="Amy Ames (amy)" data-id="{world.agent2.pk}"></option>')
    # managers are chosen among coaches and organization admins only
    answer = client.get(world.tenant.url(f"teams/{world.team.pk}/edit/"),
                        {"suggest": "additional_managers", "additional_managers_search": "a"})
    assert answer.content.decode() == (
        f'<option value="Ada Diaz (ada)" data-id="{world.admin.pk}"></option>'
        f'<option value="Carl Cox (carl)" data-id="{world.coach.pk}"></option>'
        f'<option value="Cora Cole (cora)" data-id="{world.co_coach.pk}"></option>')


@pytest.mark.parametrize(("user", "status"), [("admin", 200), ("coach", 403), ("agent", 403),
                                              ("outsider", 404)])
def test_suggestions_permission_matrix(world, login, user, status):
    answer = login(getattr(world, user)).get(world.tenant.url("teams/new/"),
                                             {"suggest": "members", "members_search": "a"})
    assert answer.status_code == status


@pytest.mark.parametrize("typed", ["Amy Ames (amy)", "amy", "amy ames"])
def test_typed_person_is_added_to_the_ticked_ones(world, login, typed):
    response = login(world.admin).post(world.tenant.url(f"teams/{world.team.pk}/edit/"), {
        "name": "Service Desk", "members": [world.agent.pk], "members_search": typed,
        "additional_managers_search": "cora"})
    assert response.status_code == 302
    assert _members(world, world.team.pk) == (["abe", "amy"], ["cora"])


def test_unticking_removes_and_nothing_ticked_empties(world, login):
    response = login(world.admin).post(world.tenant.url(f"teams/{world.team.pk}/edit/"),
                                       {"name": "Service Desk", "members_search": ""})
    assert response.status_code == 302
    assert _members(world, world.team.pk) == ([], [])


@pytest.mark.parametrize(("typed", "error"), [
    ("ames", "2 people match “ames”: Abe Ames (abe), Amy Ames (amy). Type more of the name, "
             "or the username."),
    ("bob", "Nobody you may choose here matches “bob”."),  # another tenant's person
])
def test_typed_text_not_finding_one_person_is_an_error_beside_the_box(world, login, typed,
                                                                      error):
    response = login(world.admin).post(world.tenant.url(f"teams/{world.team.pk}/edit/"), {
        "name": "Service Desk EU", "members": [world.agent.pk], "members_search": typed})
    assert response.status_code == 200
    assert response.context["form"].errors == {"members": [error]}
    html = response.content.decode()
    # what was ticked stays ticked, what was typed stays in the box
    assert f'name="members" value="{world.agent.pk}" checked> Abe Ames (abe)' in html
    assert f'value="{typed}"' in html
    assert _members(world, world.team.pk) == (["abe"], ["cora"])


def test_ticked_id_of_another_tenant_is_refused(world, login):
    response = login(world.admin).post(world.tenant.url(f"teams/{world.team.pk}/edit/"), {
        "name": "Service Desk", "members": [world.agent.pk, world.outsider.pk]})
    assert response.context["form"].errors == {"members": [
        f"Select a valid choice. {world.outsider.pk} is not one of the available choices."]}
    assert _members(world, world.team.pk) == (["abe"], ["cora"])


def test_picker_reads_ids_and_text_apart():
    query = QueryDict("members=3&members=4&members_search=4")
    assert PeoplePicker().value_from_datadict(query, {}, "members") == Picked(["3", "4"], "4")


@pytest.mark.parametrize(("path", "queries", "ticked"), [
    ("teams/new/", QUERIES_NEW, 0), ("teams/{team}/edit/", QUERIES_EDIT, 11)])
def test_team_form_queries_do_not_grow_with_the_organization(
        world, login, tenant_a, path, queries, ticked, django_assert_num_queries):
    client = login(world.admin)
    target = world.tenant.url(path.format(team=world.team.pk))
    client.get(target)
    with django_assert_num_queries(queries):
        client.get(target)
    more = [tenant_a.member(username=f"zed{i:02d}") for i in range(30)]
    with scopes_disabled():
        for user in more[:10]:
            TeamMember.objects.create(organization=tenant_a.org, team=world.team, user=user)
    with django_assert_num_queries(queries):
        response = client.get(target)
    assert response.content.decode().count('type="checkbox" name="members"') == ticked
