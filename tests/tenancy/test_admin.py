"""The Django admin for org admins: only their organization's rows, choices and URLs."""

import pytest
from django_scopes import scopes_disabled

from tenancy.models import ApiToken, Membership, Team, TeamManager, TeamMember, User
from tenancy.services import create_api_token, invite_member
from tests.factories import UserFactory


@pytest.fixture
def two_desks(tenant_a, tenant_b):
    admin_a = tenant_a.member(roles=["org_admin"], username="ada", is_staff=True)
    coach_a = tenant_a.member(roles=["coach"], username="carl")
    agent_a = tenant_a.member(roles=["agent"], username="abe")
    admin_b = tenant_b.member(roles=["org_admin"], username="bea", is_staff=True)
    coach_b = tenant_b.member(roles=["coach"], username="bob")
    agent_b = tenant_b.member(roles=["agent"], username="bill")
    team_a = tenant_a.team(name="Service Desk", manager=coach_a, members=[agent_a])
    team_b = tenant_b.team(name="Billing", manager=coach_b, members=[agent_b])
    with tenant_a.scope():
        token_a, _ = create_api_token(organization=tenant_a.org, name="Alpha sync")
    with tenant_b.scope():
        token_b, _ = create_api_token(organization=tenant_b.org, name="Beta sync")
    with scopes_disabled():
        membership_b = Membership.objects.get(user=agent_b)
    return {
        "admin_a": admin_a, "coach_a": coach_a, "agent_a": agent_a,
        "admin_b": admin_b, "coach_b": coach_b, "agent_b": agent_b,
        "team_a": team_a, "team_b": team_b, "token_a": token_a, "token_b": token_b,
        "membership_b": membership_b,
    }


def _changelist(client, model: str):
    response = client.get(f"/admin/tenancy/{model}/")
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def _team_post(name, *, manager="", members=()):
    data = {
        "name": name, "description": "", "manager": manager,
        "memberships-TOTAL_FORMS": str(len(members)), "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "manager_links-TOTAL_FORMS": "0", "manager_links-INITIAL_FORMS": "0",
        "manager_links-MIN_NUM_FORMS": "0", "manager_links-MAX_NUM_FORMS": "1000",
    }
    for i, user_id in enumerate(members):
        data[f"memberships-{i}-user"] = str(user_id)
    return data


def test_admin_changelists_show_only_the_org_admins_rows(two_desks, client):
    client.force_login(two_desks["admin_a"])

    assert _changelist(client, "team") == [two_desks["team_a"]]
    assert sorted(m.user.username for m in _changelist(client, "membership")) == [
        "abe", "ada", "carl"
    ]
    assert _changelist(client, "apitoken") == [two_desks["token_a"]]
    assert sorted(u.username for u in _changelist(client, "user")) == ["abe", "ada", "carl"]


def test_admin_organization_list_shows_only_the_admins_organization(two_desks, tenant_a, client):
    client.force_login(two_desks["admin_a"])

    assert _changelist(client, "organization") == [tenant_a.org]


def test_admin_changelist_has_no_organization_filter_for_org_admin(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.get("/admin/tenancy/team/")

    assert [spec.title for spec in response.context["cl"].filter_specs] == []
    assert "organization" not in response.context["cl"].list_display


@pytest.mark.parametrize(("model", "key"), [
    ("team", "team_b"), ("membership", "membership_b"), ("apitoken", "token_b"),
    ("user", "agent_b"),
])
def test_admin_change_url_of_another_tenants_row_is_not_shown(two_desks, client, model, key):
    client.force_login(two_desks["admin_a"])
    obj = two_desks[key]

    response = client.get(f"/admin/tenancy/{model}/{obj.pk}/change/", follow=True)

    assert response.redirect_chain == [("/admin/", 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert f"with ID “{obj.pk}” doesn’t exist" in messages[0]
    assert str(obj) not in response.content.decode().replace(messages[0], "")


def test_admin_delete_url_of_another_tenants_team_is_not_shown(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.post(f"/admin/tenancy/team/{two_desks['team_b'].pk}/delete/",
                           {"post": "yes"})

    assert response.status_code == 302
    with scopes_disabled():
        assert Team.objects.filter(pk=two_desks["team_b"].pk).exists()


def test_admin_organization_change_url_of_another_tenant_is_not_shown(two_desks, tenant_b,
                                                                      client):
    client.force_login(two_desks["admin_a"])

    response = client.get(f"/admin/tenancy/organization/{tenant_b.org.pk}/change/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_team_form_offers_only_members_of_the_organization(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.get(f"/admin/tenancy/team/{two_desks['team_a'].pk}/change/")

    form = response.context["adminform"].form
    # Managers are the coaches and org admins (an agent managing a team could approve).
    a_managers = {two_desks["admin_a"], two_desks["coach_a"]}
    assert set(form.fields["manager"].queryset) == a_managers
    inline_users = {
        formset.formset.prefix: set(formset.formset.form.base_fields["user"].queryset)
        for formset in response.context["inline_admin_formsets"]
    }
    a_people = {two_desks["admin_a"], two_desks["coach_a"], two_desks["agent_a"]}
    assert inline_users == {"memberships": a_people, "manager_links": a_managers}
    html = response.content.decode()
    assert f'value="{two_desks["agent_b"].pk}"' not in html
    assert "bill" not in html


def test_admin_team_add_with_another_tenants_manager_is_rejected(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/team/add/",
                           _team_post("Night Shift", manager=two_desks["coach_b"].pk))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["manager"]
    with scopes_disabled():
        assert not Team.objects.filter(name="Night Shift").exists()


def test_admin_team_add_with_another_tenants_member_inline_is_rejected(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/team/add/", _team_post(
        "Night Shift", members=[two_desks["agent_a"].pk, two_desks["agent_b"].pk]
    ))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[1] == {
        "user": ["Select a valid choice. That choice is not one of the available choices."]
    }
    with scopes_disabled():
        assert not Team.objects.filter(name="Night Shift").exists()
        assert TeamMember.objects.count() == 2


def test_admin_team_add_sets_the_organization_automatically(two_desks, tenant_a, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/team/add/", _team_post(
        "Night Shift", manager=two_desks["coach_a"].pk, members=[two_desks["agent_a"].pk]
    ))

    assert response.status_code == 302
    with scopes_disabled():
        team = Team.objects.get(name="Night Shift")
        assert (team.organization, team.manager) == (tenant_a.org, two_desks["coach_a"])
        assert list(TeamMember.objects.filter(team=team).values_list(
            "organization_id", "user_id")) == [(tenant_a.org.pk, two_desks["agent_a"].pk)]


def test_admin_team_add_duplicate_name_is_a_form_error(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/team/add/", _team_post("service desk"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["A team named “service desk” already exists."]
    }
    with scopes_disabled():
        assert Team.objects.filter(name="Service Desk").count() == 1


def test_admin_team_add_name_used_by_another_tenant_is_allowed(two_desks, tenant_a, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/team/add/", _team_post("Billing"))

    assert response.status_code == 302
    with scopes_disabled():
        assert sorted(Team.objects.filter(name="Billing")
                      .values_list("organization__slug", flat=True)) == ["alpha", "beta"]


def test_admin_membership_add_of_existing_member_is_a_form_error(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/membership/add/",
                           {"user": two_desks["agent_a"].pk, "is_coach": "on"})

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Membership with this Organization and User already exists."
    ]
    with scopes_disabled():
        assert Membership.objects.filter(user=two_desks["agent_a"]).count() == 1


def test_admin_membership_add_of_another_tenants_user_is_rejected(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.post("/admin/tenancy/membership/add/",
                           {"user": two_desks["agent_b"].pk, "is_agent": "on"})

    assert list(response.context["adminform"].form.errors) == ["user"]
    with scopes_disabled():
        assert Membership.objects.filter(user=two_desks["agent_b"]).count() == 1


def test_admin_token_revoke_action_ignores_another_tenants_ids(two_desks, client):
    client.force_login(two_desks["admin_a"])

    client.post("/admin/tenancy/apitoken/", {
        "action": "revoke",
        "_selected_action": [two_desks["token_a"].pk, two_desks["token_b"].pk],
    })

    with scopes_disabled():
        assert ApiToken.objects.get(pk=two_desks["token_a"].pk).revoked_at is not None
        assert ApiToken.objects.get(pk=two_desks["token_b"].pk).revoked_at is None


def test_admin_user_change_of_member_edits_only_permitted_fields(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.get(f"/admin/tenancy/user/{two_desks['agent_a'].pk}/change/")

    assert response.status_code == 200
    assert sorted(response.context["adminform"].form.fields) == [
        "email", "first_name", "is_active", "last_name", "password", "username"
    ]


def test_admin_is_closed_to_staff_without_an_admin_membership(tenant_a, client):
    coach = tenant_a.member(roles=["coach"], is_staff=True)
    client.force_login(coach)

    response = client.get("/admin/tenancy/team/")

    assert response.status_code == 403


def test_admin_superuser_sees_all_organizations_with_a_filter(two_desks, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.get("/admin/tenancy/team/")

    cl = response.context["cl"]
    assert {t.name for t in cl.result_list} == {"Service Desk", "Billing"}
    assert [spec.title for spec in cl.filter_specs][0] == "organization"
    assert "organization" in cl.list_display
    assert {u.username for u in _changelist(client, "user")} >= {"ada", "bea", "abe", "bill"}


def test_admin_superuser_filters_by_organization(two_desks, tenant_b, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.get(f"/admin/tenancy/team/?organization__id__exact={tenant_b.org.pk}")

    assert list(response.context["cl"].result_list) == [two_desks["team_b"]]


def test_admin_superuser_adds_a_team_to_a_chosen_organization(two_desks, tenant_b, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    add_page = client.get("/admin/tenancy/team/add/")
    response = client.post("/admin/tenancy/team/add/", {
        **_team_post("Night Shift", manager=two_desks["coach_b"].pk),
        "organization": tenant_b.org.pk,
    })

    assert add_page.status_code == 200
    assert response.status_code == 302
    with scopes_disabled():
        assert Team.objects.get(name="Night Shift").organization == tenant_b.org


def test_admin_superuser_opens_any_tenants_team(two_desks, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.get(f"/admin/tenancy/team/{two_desks['team_b'].pk}/change/")

    assert response.status_code == 200
    assert response.context["original"] == two_desks["team_b"]


def test_admin_user_list_hides_users_of_no_organization(two_desks, client):
    User.objects.create_user("loner", "loner@example.com", "x")
    client.force_login(two_desks["admin_a"])

    assert "loner" not in {u.username for u in _changelist(client, "user")}


def test_admin_superuser_add_duplicate_team_name_in_chosen_organization_is_a_form_error(
    two_desks, tenant_b, client
):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.post("/admin/tenancy/team/add/", {
        **_team_post("Billing"), "organization": tenant_b.org.pk,
    })

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["A team named “Billing” already exists."]
    }
    with scopes_disabled():
        assert Team.objects.filter(name="Billing").count() == 1


def test_admin_superuser_add_without_organization_is_a_form_error(two_desks, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)

    response = client.post("/admin/tenancy/team/add/", _team_post("Night Shift"))

    assert list(response.context["adminform"].form.errors) == ["organization"]
    with scopes_disabled():
        assert not Team.objects.filter(name="Night Shift").exists()


# --- the admin writes through the services ----------------------------------------------


def _membership(user):
    with scopes_disabled():
        return Membership.objects.get(user=user)


def _membership_post(user, *roles):
    return {"user": user.pk, **{f"is_{role}": "on" for role in roles}}


def test_admin_membership_demoting_the_last_org_admin_is_refused_with_a_message(two_desks,
                                                                                 client):
    membership = _membership(two_desks["admin_a"])
    client.force_login(two_desks["admin_a"])

    response = client.post(f"/admin/tenancy/membership/{membership.pk}/change/",
                           _membership_post(two_desks["admin_a"], "coach"))

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "An organization needs at least one organization admin."
    ]
    membership.refresh_from_db()
    assert membership.roles == frozenset({"org_admin"})


def test_admin_membership_deleting_the_last_org_admin_is_refused_with_a_message(two_desks,
                                                                                client):
    membership = _membership(two_desks["admin_a"])
    client.force_login(two_desks["admin_a"])

    response = client.post(f"/admin/tenancy/membership/{membership.pk}/delete/",
                           {"post": "yes"}, follow=True)

    assert response.redirect_chain == [(f"/admin/tenancy/membership/{membership.pk}/change/",
                                        302)]
    assert [str(m) for m in response.context["messages"]] == [
        "An organization needs at least one organization admin."
    ]
    with scopes_disabled():
        assert Membership.objects.filter(pk=membership.pk).exists()


def test_admin_membership_delete_removes_team_memberships_and_managerships(
    two_desks, tenant_a, client
):
    coach, agent = two_desks["coach_a"], two_desks["agent_a"]
    night = tenant_a.team(name="Night Shift", members=[agent], co_managers=[coach])
    client.force_login(two_desks["admin_a"])

    for user in (coach, agent):
        response = client.post(f"/admin/tenancy/membership/{_membership(user).pk}/delete/",
                               {"post": "yes"})
        assert response.status_code == 302

    with scopes_disabled():
        assert sorted(Membership.objects.filter(organization=tenant_a.org)
                      .values_list("user__username", flat=True)) == ["ada"]
        assert list(Team.objects.filter(organization=tenant_a.org).order_by("name")
                    .values_list("name", "manager")) == [("Night Shift", None),
                                                         ("Service Desk", None)]
        assert TeamMember.objects.filter(organization=tenant_a.org).count() == 0
        assert TeamManager.objects.filter(team=night).count() == 0
        # Tenant B keeps its people.
        assert TeamMember.objects.filter(team=two_desks["team_b"]).count() == 1


def test_admin_membership_remove_action_removes_through_the_service_and_keeps_an_admin(
    two_desks, tenant_a, client
):
    client.force_login(two_desks["admin_a"])
    ids = [_membership(two_desks[key]).pk for key in ("admin_a", "agent_a")]

    response = client.post("/admin/tenancy/membership/", {
        "action": "remove_members", "_selected_action": ids,
    }, follow=True)

    assert sorted(str(m) for m in response.context["messages"]) == [
        "1 member(s) removed.",
        "Ada: An organization needs at least one organization admin.".replace(
            "Ada", str(two_desks["admin_a"])),
    ]
    with scopes_disabled():
        assert sorted(Membership.objects.filter(organization=tenant_a.org)
                      .values_list("user__username", flat=True)) == ["ada", "carl"]
        assert TeamMember.objects.filter(organization=tenant_a.org).count() == 0


def test_admin_membership_offers_no_bulk_delete(two_desks, client):
    client.force_login(two_desks["admin_a"])

    response = client.get("/admin/tenancy/membership/")

    assert [name for name, _label in response.context["action_form"].fields["action"].choices
            if name] == ["remove_members"]


def test_admin_membership_dropping_the_coach_role_ends_team_management(two_desks, tenant_a,
                                                                       client):
    coach = two_desks["coach_a"]
    night = tenant_a.team(name="Night Shift", co_managers=[coach])
    client.force_login(two_desks["admin_a"])

    response = client.post(f"/admin/tenancy/membership/{_membership(coach).pk}/change/",
                           _membership_post(coach, "agent"), follow=True)

    assert _membership(coach).roles == frozenset({"agent"})
    with scopes_disabled():
        assert Team.objects.get(pk=two_desks["team_a"].pk).manager is None
        assert not TeamManager.objects.filter(team=night).exists()
    assert f"{coach} no longer manages Night Shift, Service Desk (a team manager is a coach " \
           "or an organization admin)." in [str(m) for m in response.context["messages"]]


def test_admin_membership_add_without_a_role_is_a_form_error(two_desks, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    loner = User.objects.create_user("loner", "loner@example.com", "x")
    client.force_login(root)

    response = client.post("/admin/tenancy/membership/add/", {
        "user": loner.pk, "organization": two_desks["team_a"].organization_id,
    })

    assert response.context["adminform"].form.non_field_errors() == [
        "Give the member at least one role."
    ]
    with scopes_disabled():
        assert not Membership.objects.filter(user=loner).exists()


def test_admin_superuser_adds_a_membership_through_the_service(two_desks, tenant_a, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    loner = User.objects.create_user("loner", "loner@example.com", "x")
    client.force_login(root)

    response = client.post("/admin/tenancy/membership/add/", {
        "user": loner.pk, "organization": tenant_a.org.pk, "is_agent": "on",
    })

    assert response.status_code == 302
    membership = _membership(loner)
    assert (membership.organization, membership.roles) == (tenant_a.org, frozenset({"agent"}))


def test_admin_team_change_replaces_members_through_the_service(two_desks, client):
    team = two_desks["team_a"]
    client.force_login(two_desks["admin_a"])
    with scopes_disabled():
        link = TeamMember.objects.get(team=team)
    data = _team_post("Service Desk", manager=two_desks["admin_a"].pk,
                      members=[two_desks["agent_a"].pk, two_desks["coach_a"].pk])
    data.update({"memberships-INITIAL_FORMS": "1", "memberships-0-id": str(link.pk),
                 "memberships-0-team": str(team.pk), "memberships-0-DELETE": "on",
                 "memberships-1-team": str(team.pk)})

    response = client.post(f"/admin/tenancy/team/{team.pk}/change/", data)

    assert response.status_code == 302
    with scopes_disabled():
        team.refresh_from_db()
        assert team.manager == two_desks["admin_a"]
        assert list(TeamMember.objects.filter(team=team).values_list("user_id", flat=True)) == [
            two_desks["coach_a"].pk
        ]


def test_admin_superuser_team_with_an_agent_as_manager_is_refused(two_desks, tenant_b, client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)
    data = {**_team_post("Night Shift", manager=two_desks["agent_b"].pk),
            "organization": tenant_b.org.pk,
            "manager_links-TOTAL_FORMS": "1", "manager_links-0-user": two_desks["agent_a"].pk}

    response = client.post("/admin/tenancy/team/add/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "manager": ["Only coaches and organization admins can manage a team: bill."]
    }
    assert response.context["inline_admin_formsets"][1].formset.non_form_errors() == [
        "Team people must be members of Beta: abe."
    ]
    with scopes_disabled():
        assert not Team.objects.filter(name="Night Shift").exists()


def test_admin_team_delete_goes_through_the_service(two_desks, client):
    client.force_login(two_desks["admin_a"])
    team = two_desks["team_a"]

    response = client.post(f"/admin/tenancy/team/{team.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    with scopes_disabled():
        assert not Team.objects.filter(pk=team.pk).exists()
        assert not TeamMember.objects.filter(team_id=team.pk).exists()


def test_admin_api_token_records_are_read_only(two_desks, client):
    client.force_login(two_desks["admin_a"])
    token = two_desks["token_a"]

    page = client.get(f"/admin/tenancy/apitoken/{token.pk}/change/")
    client.post(f"/admin/tenancy/apitoken/{token.pk}/change/", {"name": "Renamed"})
    deleted = client.post(f"/admin/tenancy/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert page.context["adminform"].form.fields == {}
    assert deleted.status_code == 403
    token.refresh_from_db()
    assert token.name == "Alpha sync"


def test_admin_invitations_show_only_the_tenants_and_withdraw_through_the_service(
    two_desks, tenant_a, tenant_b, client
):
    with tenant_a.scope():
        mine = invite_member(organization=tenant_a.org, email="zoe@example.com",
                             roles=["agent"], invited_by=two_desks["admin_a"])
    with tenant_b.scope():
        theirs = invite_member(organization=tenant_b.org, email="yan@example.com",
                               roles=["agent"], invited_by=two_desks["admin_b"])
    client.force_login(two_desks["admin_a"])

    listed = _changelist(client, "invitation")
    add_page = client.get("/admin/tenancy/invitation/add/")
    client.post("/admin/tenancy/invitation/", {
        "action": "withdraw", "_selected_action": [mine.pk, theirs.pk],
    })

    assert listed == [mine]
    assert add_page.status_code == 403
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.revoked_at is not None, theirs.revoked_at) == (True, None)
