"""Tenancy views: the permission matrix, exact effects of POSTs, and bad input.

Every view is requested by the right role (200/302), a wrong role of the same tenant (403)
and a member of another tenant (404).
"""

from dataclasses import dataclass

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from tenancy.models import (
    ApiToken,
    Invitation,
    Membership,
    Team,
    TeamManager,
    TeamMember,
    User,
)
from tenancy.selectors import active_token_for
from tenancy.services import TenancyError, create_api_token, invite_member, save_team
from tests.factories import World, make_world


@dataclass(kw_only=True)
class TenancyWorld(World):
    """The common cast in two tenants: ``team`` holds ``agent`` only (``agent2`` is in no
    team); ``outsider`` is org admin, coach and agent of tenant B and manages ``other_team``."""

    token: ApiToken
    agent_membership: Membership
    newcomer: User  # has an account, belongs to no organization
    invitation: Invitation  # pending, to tenant A, for zoe@example.com


@pytest.fixture
def world(tenant_a, tenant_b):
    base = make_world(
        tenant=tenant_a, other=tenant_b, admin="ada", coach="carl", co_coach="cora",
        agent="abe", agent2="amy", outsider="bob",
        team="Service Desk", team_members=["agent"], other_team="Billing",
    )
    with tenant_a.scope():
        token, _raw = create_api_token(organization=tenant_a.org, name="ServiceNow sync")
    with scopes_disabled():
        agent_membership = Membership.objects.get(organization=tenant_a.org, user=base.agent)
    newcomer = User.objects.create_user("nina", "nina@example.com", "x")
    with tenant_a.scope():
        invitation = invite_member(organization=tenant_a.org, email="zoe@example.com",
                                   roles=["agent"], invited_by=base.admin)
    mail.outbox.clear()
    return TenancyWorld(**base.as_kwargs(), token=token, agent_membership=agent_membership,
                        newcomer=newcomer, invitation=invitation)


def snapshot():
    """Every tenancy row that a view could change, as comparable tuples."""
    with scopes_disabled():
        return {
            "memberships": sorted(
                (m.organization_id, m.user_id, tuple(sorted(m.roles)))
                for m in Membership.objects.all()
            ),
            "teams": sorted(
                Team.objects.values_list("organization_id", "name", "manager_id", "description")
            ),
            "team_members": sorted(TeamMember.objects.values_list("team_id", "user_id")),
            "team_managers": sorted(TeamManager.objects.values_list("team_id", "user_id")),
            "tokens": sorted(ApiToken.objects.values_list("name", "revoked_at")),
            "invitations": sorted(
                (i.organization_id, i.email, tuple(i.roles), i.key, i.revoked_at, i.accepted_at)
                for i in Invitation.objects.all()
            ),
            "users": sorted(
                User.objects.values_list("username", "email", "password", "is_staff",
                                         "is_superuser")
            ),
        }


# (url name, path under /o/<slug>/, method, allowed role, denied role); a valid POST
# redirects, except creating an API token, which shows the new key on the page.
MATRIX = [
    ("overview", "manage/", "get", "coach", "agent"),
    ("my_coaching", "me/", "get", "agent", None),
    ("settings", "settings/", "get", "admin", "coach"),
    ("settings_post", "settings/", "post", "admin", "coach"),
    ("member_list", "settings/members/", "get", "admin", "coach"),
    ("member_invite", "settings/members/", "post", "admin", "coach"),
    ("invitation_resend", "settings/invitations/{invitation}/resend/", "post", "admin", "coach"),
    ("invitation_revoke", "settings/invitations/{invitation}/revoke/", "post", "admin", "coach"),
    ("member_edit", "settings/members/{membership}/", "get", "admin", "coach"),
    ("member_edit_post", "settings/members/{membership}/", "post", "admin", "coach"),
    ("member_remove", "settings/members/{membership}/remove/", "post", "admin", "coach"),
    ("team_list", "teams/", "get", "coach", "agent"),
    ("team_detail", "teams/{team}/", "get", "coach", "agent"),
    ("team_create", "teams/new/", "get", "admin", "coach"),
    ("team_create_post", "teams/new/", "post", "admin", "coach"),
    ("team_edit", "teams/{team}/edit/", "get", "admin", "coach"),
    ("team_edit_post", "teams/{team}/edit/", "post", "admin", "coach"),
    ("team_delete", "teams/{team}/delete/", "post", "admin", "coach"),
    ("api_token_list", "settings/api-tokens/", "get", "admin", "coach"),
    ("api_token_create", "settings/api-tokens/", "post", "admin", "coach"),
    ("api_token_revoke", "settings/api-tokens/{token}/revoke/", "post", "admin", "coach"),
]


def _path(world, tenant, template):
    return tenant.url(template.format(
        membership=world.agent_membership.pk, team=world.team.pk, token=world.token.pk,
        invitation=world.invitation.pk,
    ))


def _valid_post_data(world, name):
    return {
        "settings_post": {"name": "Alpha Support", "timezone": "Europe/Paris",
                          "weekend_days": ["5", "6"]},
        "member_invite": {"email": "nina@example.com", "roles": ["agent"]},
        "member_edit_post": {"roles": ["agent", "coach"]},
        "team_create_post": {"name": "Night Shift"},
        "team_edit_post": {"name": "Service Desk", "manager": world.coach.pk},
        "api_token_create": {"name": "Zendesk"},
    }.get(name, {})


@pytest.mark.parametrize(("name", "template", "method", "allowed", "denied"), MATRIX,
                         ids=[row[0] for row in MATRIX])
def test_tenancy_view_right_role_gets_200_or_302(world, tenant_a, client, name, template, method,
                                                 allowed, denied):
    client.force_login(getattr(world, allowed))

    response = getattr(client, method)(_path(world, tenant_a, template),
                                       _valid_post_data(world, name))

    expected = 200 if method == "get" or name == "api_token_create" else 302
    assert response.status_code == expected


@pytest.mark.parametrize(("name", "template", "method", "allowed", "denied"),
                         [row for row in MATRIX if row[4]], ids=[r[0] for r in MATRIX if r[4]])
def test_tenancy_view_wrong_role_same_tenant_gets_403_and_changes_nothing(
    world, tenant_a, client, name, template, method, allowed, denied
):
    client.force_login(getattr(world, denied))
    before = snapshot()

    response = getattr(client, method)(_path(world, tenant_a, template),
                                       _valid_post_data(world, name))

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("name", "template", "method", "allowed", "denied"), MATRIX,
                         ids=[row[0] for row in MATRIX])
def test_tenancy_view_user_of_another_tenant_gets_404_and_changes_nothing(
    world, tenant_a, tenant_b, client, name, template, method, allowed, denied
):
    client.force_login(world.outsider)
    before = snapshot()

    response = getattr(client, method)(_path(world, tenant_a, template),
                                       _valid_post_data(world, name))
    assert response.status_code == 404
    if "{" in template:
        # Tenant A's ids through tenant B's own address: the scoped lookup must not find them.
        response = getattr(client, method)(_path(world, tenant_b, template),
                                           _valid_post_data(world, name))
        assert response.status_code == 404
    assert snapshot() == before


# --- the manager and agent workspaces -------------------------------------------------


def test_overview_counts_members_agents_coaches_and_lists_my_teams(world, tenant_a, client):
    client.force_login(world.co_coach)

    response = client.get(tenant_a.url("manage/"))

    assert response.context["member_count"] == 5
    assert response.context["agent_count"] == 2
    assert response.context["coach_count"] == 2
    assert [t.name for t in response.context["teams"]] == ["Service Desk"]
    assert [t.name for t in response.context["my_teams"]] == ["Service Desk"]


def test_my_coaching_lists_only_the_agents_teams(world, tenant_a, client):
    tenant_a.team(name="Network", members=[world.agent2])
    client.force_login(world.agent)

    response = client.get(tenant_a.url("me/"))

    assert [t.name for t in response.context["my_teams"]] == ["Service Desk"]
    assert "Service Desk" in response.content.decode()


# --- settings --------------------------------------------------------------------------


def test_settings_post_saves_name_timezone_and_weekend(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url("settings/"), {
        "name": "Alpha Support", "timezone": "Europe/Paris", "weekend_days": ["6", "4"],
    })

    assert response["Location"] == "/o/alpha/settings/"
    tenant_a.org.refresh_from_db()
    assert (tenant_a.org.name, tenant_a.org.timezone, tenant_a.org.weekend_days) == (
        "Alpha Support", "Europe/Paris", [4, 6]
    )


def test_settings_turn_learning_team_membership_from_work_on_and_off(world, tenant_a, client):
    from tenancy.selectors import learns_team_membership

    client.force_login(world.admin)
    assert client.get(tenant_a.url("settings/")).context["form"].initial[
        "learn_team_membership"] is False
    base = {"name": "Alpha", "timezone": "UTC"}
    client.post(tenant_a.url("settings/"), {**base, "learn_team_membership": "on"})
    tenant_a.org.refresh_from_db()
    assert learns_team_membership(tenant_a.org) is True
    # the box unticked, and no weekend (a contact center open every day)
    assert client.post(tenant_a.url("settings/"), base).status_code == 302
    tenant_a.org.refresh_from_db()
    assert learns_team_membership(tenant_a.org) is False
    assert tenant_a.org.weekend_days == []


def test_settings_post_unknown_timezone_is_a_form_error(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url("settings/"), {"name": "X", "timezone": "Mars/Base"})

    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    tenant_a.org.refresh_from_db()
    assert (tenant_a.org.name, tenant_a.org.timezone) == ("Alpha", "UTC")


# --- members ---------------------------------------------------------------------------


def test_member_invite_creates_a_pending_invitation_and_no_membership(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url("settings/members/"), {
        "email": " NINA@example.com ", "roles": ["agent", "qa_analyst"],
    })

    assert response["Location"] == "/o/alpha/settings/members/"
    with scopes_disabled():
        invitation = Invitation.objects.get(email="nina@example.com")
        assert not Membership.objects.filter(user=world.newcomer).exists()
    assert (invitation.organization, invitation.roles, invitation.invited_by) == (
        tenant_a.org, ["agent", "qa_analyst"], world.admin
    )
    assert (invitation.accepted_at, invitation.revoked_at) == (None, None)


def test_member_invite_mails_a_signed_absolute_link_after_commit(
    world, tenant_a, client, django_capture_on_commit_callbacks, settings
):
    client.force_login(world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(tenant_a.url("settings/members/"), {
            "email": "nina@example.com", "roles": ["agent"],
        })

    assert [m.to for m in mail.outbox] == [["nina@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "You are invited to Alpha on Coachdesk"
    links = [w for w in message.body.split() if w.startswith(settings.SITE_URL)]
    assert len(links) == 1
    assert links[0].startswith(f"{settings.SITE_URL}/invitations/")
    assert "as Agent." in message.body


def test_member_invite_by_username_is_a_form_error_and_changes_nothing(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url("settings/members/"), {
        "email": "bob", "roles": ["agent"],
    })

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert snapshot() == before


def test_member_invite_without_roles_is_a_form_error_and_changes_nothing(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url("settings/members/"), {"email": "nina@example.com"})

    assert response.context["form"].errors == {"roles": ["Choose at least one role."]}
    assert snapshot() == before


def test_member_invite_of_a_members_address_is_a_form_error(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url("settings/members/"), {
        "email": "ABE@example.com", "roles": ["coach"],
    })

    assert response.context["form"].errors == {
        "email": ["abe@example.com already belongs to a member of Alpha."]
    }
    assert snapshot() == before


def test_member_invite_again_renews_the_pending_invitation(
    world, tenant_a, client, django_capture_on_commit_callbacks
):
    client.force_login(world.admin)
    old_key = world.invitation.key

    with django_capture_on_commit_callbacks(execute=True):
        client.post(tenant_a.url("settings/members/"), {
            "email": "zoe@example.com", "roles": ["coach", "agent"],
        })

    with scopes_disabled():
        invitations = list(Invitation.objects.filter(email="zoe@example.com"))
    assert [(i.pk, i.roles) for i in invitations] == [(world.invitation.pk, ["agent", "coach"])]
    assert invitations[0].key != old_key
    assert [m.to for m in mail.outbox] == [["zoe@example.com"]]


def test_member_list_shows_pending_invitations_with_a_constant_query_count(
    world, tenant_a, client, django_assert_num_queries
):
    client.force_login(world.admin)
    client.get(tenant_a.url("settings/members/"))  # warm the session and permission caches

    with django_assert_num_queries(8) as one:
        response = client.get(tenant_a.url("settings/members/"))
    with tenant_a.scope():
        for n in range(4):
            invite_member(organization=tenant_a.org, email=f"new{n}@example.com",
                          roles=["agent"], invited_by=world.coach)
    with django_assert_num_queries(len(one.captured_queries)):
        more = client.get(tenant_a.url("settings/members/"))

    assert [i.email for i in response.context["invitations"]] == ["zoe@example.com"]
    assert len(more.context["invitations"]) == 5
    html = response.content.decode()
    assert "zoe@example.com" in html
    assert f"/o/alpha/settings/invitations/{world.invitation.pk}/revoke/" in html
    assert f"/o/alpha/settings/invitations/{world.invitation.pk}/resend/" in html


def test_invitation_resend_renews_the_link_and_mails_it_again(
    world, tenant_a, client, django_capture_on_commit_callbacks
):
    client.force_login(world.admin)
    old_key = world.invitation.key

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            tenant_a.url(f"settings/invitations/{world.invitation.pk}/resend/"), follow=True
        )

    world.invitation.refresh_from_db()
    assert world.invitation.key != old_key
    assert [m.to for m in mail.outbox] == [["zoe@example.com"]]
    assert [str(m) for m in response.context["messages"]] == [
        "Invitation sent again to zoe@example.com; the earlier link no longer works."
    ]


def test_invitation_revoke_withdraws_it_and_hides_it_from_the_list(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(
        tenant_a.url(f"settings/invitations/{world.invitation.pk}/revoke/"), follow=True
    )

    world.invitation.refresh_from_db()
    assert world.invitation.revoked_at is not None
    assert list(response.context["invitations"]) == []
    assert [str(m) for m in response.context["messages"]] == [
        "Invitation of zoe@example.com withdrawn; its link no longer works."
    ]


def test_invitation_resend_of_a_withdrawn_invitation_is_refused(world, tenant_a, client):
    client.force_login(world.admin)
    client.post(tenant_a.url(f"settings/invitations/{world.invitation.pk}/revoke/"), follow=True)
    before = snapshot()

    response = client.post(
        tenant_a.url(f"settings/invitations/{world.invitation.pk}/resend/"), follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "This invitation was already accepted or withdrawn; invite again."
    ]
    assert snapshot() == before


def test_member_edit_post_replaces_roles(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url(f"settings/members/{world.agent_membership.pk}/"),
                           {"roles": ["coach", "skill_admin"]})

    assert response["Location"] == "/o/alpha/settings/members/"
    world.agent_membership.refresh_from_db()
    assert world.agent_membership.roles == frozenset({"coach", "skill_admin"})


def test_member_edit_without_roles_is_a_form_error(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    # A browser always sends the CSRF token, even with every role box unticked.
    response = client.post(tenant_a.url(f"settings/members/{world.agent_membership.pk}/"),
                           {"csrfmiddlewaretoken": "x"})

    assert response.context["form"].errors["roles"] == ["Choose at least one role."]
    assert snapshot() == before


def test_member_edit_dropping_admin_role_of_last_admin_is_a_form_error(world, tenant_a, client):
    with scopes_disabled():
        admin_membership = Membership.objects.get(user=world.admin)
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url(f"settings/members/{admin_membership.pk}/"),
                           {"roles": ["coach"]})

    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == [
        "An organization needs at least one organization admin."
    ]
    assert snapshot() == before


def test_member_edit_dropping_the_coach_role_ends_team_management_and_says_so(
    world, tenant_a, client
):
    with scopes_disabled():
        coach_membership = Membership.objects.get(user=world.coach)
        co_coach_membership = Membership.objects.get(user=world.co_coach)
    client.force_login(world.admin)

    response = client.post(tenant_a.url(f"settings/members/{coach_membership.pk}/"),
                           {"roles": ["agent"]}, follow=True)
    client.post(tenant_a.url(f"settings/members/{co_coach_membership.pk}/"),
                {"roles": ["qa_analyst"]})

    assert [str(m) for m in response.context["messages"]] == [
        f"Roles of {world.coach} saved. Without the coach or organization admin role they no "
        "longer manage Service Desk."
    ]
    with tenant_a.scope():
        world.team.refresh_from_db()
        assert world.team.manager is None
        assert list(TeamManager.objects.filter(team=world.team)) == []
        # They stay in the team's people only as what they are now: not its managers.
        assert list(world.team.members.all()) == [world.agent]


def test_member_edit_keeping_org_admin_keeps_team_management(world, tenant_a, client):
    with scopes_disabled():
        coach_membership = Membership.objects.get(user=world.coach)
    client.force_login(world.admin)

    client.post(tenant_a.url(f"settings/members/{coach_membership.pk}/"),
                {"roles": ["coach", "org_admin"]}, follow=True)
    response = client.post(tenant_a.url(f"settings/members/{coach_membership.pk}/"),
                           {"roles": ["org_admin"]}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        f"Roles of {world.coach} saved."
    ]
    with tenant_a.scope():
        world.team.refresh_from_db()
        assert world.team.manager == world.coach


def test_team_save_with_a_manager_who_is_not_a_coach_is_refused(world, tenant_a):
    with tenant_a.scope(), pytest.raises(TenancyError) as error:
        save_team(organization=tenant_a.org, name="Night Shift", manager=world.coach,
                  additional_managers=[world.agent, world.agent2])

    assert error.value.messages == [
        "Only coaches and organization admins can manage a team: abe, amy."
    ]
    with scopes_disabled():
        assert not Team.objects.filter(name="Night Shift").exists()


def test_member_remove_deletes_membership_and_team_links(world, tenant_a, client):
    with scopes_disabled():
        coach_membership = Membership.objects.get(user=world.coach)
        co_coach_membership = Membership.objects.get(user=world.co_coach)
    client.force_login(world.admin)

    client.post(tenant_a.url(f"settings/members/{world.agent_membership.pk}/remove/"))
    client.post(tenant_a.url(f"settings/members/{coach_membership.pk}/remove/"))
    response = client.post(tenant_a.url(f"settings/members/{co_coach_membership.pk}/remove/"))

    assert response["Location"] == "/o/alpha/settings/members/"
    with scopes_disabled():
        assert sorted(Membership.objects.filter(organization=tenant_a.org)
                      .values_list("user__username", flat=True)) == ["ada", "amy"]
        world.team.refresh_from_db()
        assert world.team.manager is None
        assert TeamMember.objects.filter(team=world.team).count() == 0
        assert TeamManager.objects.filter(team=world.team).count() == 0
        # Tenant B is untouched.
        assert Membership.objects.filter(user=world.outsider).count() == 1
    assert User.objects.filter(username="abe").exists()


def test_member_remove_last_admin_is_refused_and_changes_nothing(world, tenant_a, client):
    with scopes_disabled():
        admin_membership = Membership.objects.get(user=world.admin)
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url(f"settings/members/{admin_membership.pk}/remove/"),
                           follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "An organization needs at least one organization admin."
    ]
    assert snapshot() == before


def test_member_remove_by_get_is_not_allowed(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.get(tenant_a.url(f"settings/members/{world.agent_membership.pk}/remove/"))

    assert response.status_code == 405


# --- teams -----------------------------------------------------------------------------


def test_team_list_and_detail_show_the_team(world, tenant_a, client):
    client.force_login(world.coach)

    listing = client.get(tenant_a.url("teams/"))
    detail = client.get(tenant_a.url(f"teams/{world.team.pk}/"))

    assert [t.name for t in listing.context["teams"]] == ["Service Desk"]
    assert listing.context["can_edit"] is False
    assert detail.context["team"] == world.team
    assert "abe" in detail.content.decode() or "First" in detail.content.decode()


def test_team_create_post_creates_team_with_exact_people(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url("teams/new/"), {
        "name": "  Night Shift ", "description": "Overnight cover", "manager": world.co_coach.pk,
        "additional_managers": [world.coach.pk], "members": [world.agent.pk, world.agent2.pk],
    })

    with tenant_a.scope():
        team = Team.objects.get(name="Night Shift")
        assert response["Location"] == f"/o/alpha/teams/{team.pk}/"
        assert (team.organization, team.description, team.manager) == (
            tenant_a.org, "Overnight cover", world.co_coach
        )
        assert set(team.members.all()) == {world.agent, world.agent2}
        assert list(team.additional_managers.all()) == [world.coach]
        assert set(TeamMember.objects.filter(team=team).values_list("organization_id", flat=True)) \
            == {tenant_a.org.pk}


def test_team_edit_post_replaces_members_and_managers(world, tenant_a, client):
    client.force_login(world.admin)

    client.post(tenant_a.url(f"teams/{world.team.pk}/edit/"), {
        "name": "Service Desk EU", "manager": world.co_coach.pk, "members": [world.agent2.pk],
    })

    with tenant_a.scope():
        team = Team.objects.get(pk=world.team.pk)
        assert (team.name, team.manager) == ("Service Desk EU", world.co_coach)
        assert list(team.members.all()) == [world.agent2]
        assert list(team.additional_managers.all()) == []


def test_team_delete_post_deletes_team_and_its_links(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url(f"teams/{world.team.pk}/delete/"))

    assert response["Location"] == "/o/alpha/teams/"
    with scopes_disabled():
        assert not Team.objects.filter(pk=world.team.pk).exists()
        assert TeamMember.objects.filter(team_id=world.team.pk).count() == 0
        assert Team.objects.filter(pk=world.other_team.pk).exists()


def test_team_create_duplicate_name_is_a_form_error_and_changes_nothing(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url("teams/new/"), {"name": "service desk"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "A team named “service desk” already exists."
    ]
    assert snapshot() == before


def test_team_create_same_name_as_another_tenants_team_is_allowed(world, tenant_a, client):
    client.force_login(world.admin)

    client.post(tenant_a.url("teams/new/"), {"name": "Billing"})

    with tenant_a.scope():
        assert Team.objects.filter(name="Billing").count() == 1


@pytest.mark.parametrize("field", ["members", "manager", "additional_managers"])
def test_team_create_with_person_of_another_tenant_is_a_form_error(
    world, tenant_a, client, field
):
    client.force_login(world.admin)
    before = snapshot()

    value = {
        "manager": world.outsider.pk,
        "additional_managers": [world.co_coach.pk, world.outsider.pk],
        "members": [world.agent.pk, world.outsider.pk],
    }[field]
    response = client.post(tenant_a.url("teams/new/"), {"name": "Night Shift", field: value})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert snapshot() == before


def test_team_edit_with_member_of_another_tenant_is_a_form_error(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url(f"teams/{world.team.pk}/edit/"), {
        "name": "Service Desk", "members": [world.outsider.pk],
    })

    assert list(response.context["form"].errors) == ["members"]
    assert snapshot() == before


def test_team_form_offers_only_members_of_the_organization(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.get(tenant_a.url("teams/new/"))

    form = response.context["form"]
    assert set(form.fields["members"].queryset) == {
        world.admin, world.coach, world.co_coach, world.agent, world.agent2
    }
    for name in ("manager", "additional_managers"):
        assert set(form.fields[name].queryset) == {world.admin, world.coach, world.co_coach}


def test_team_create_with_agent_as_manager_is_a_form_error(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url("teams/new/"), {"name": "Night Shift",
                                                        "manager": world.agent.pk})

    assert list(response.context["form"].errors) == ["manager"]
    assert snapshot() == before


# --- API tokens ------------------------------------------------------------------------


def test_api_token_create_shows_the_key_once_and_stores_only_its_digest(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url("settings/api-tokens/"), {"name": "Zendesk"})

    raw = response.context["new_key"]
    assert raw.startswith("cd_")
    token = active_token_for(raw)
    assert (token.name, token.organization, token.created_by) == (
        "Zendesk", tenant_a.org, world.admin
    )
    assert raw not in {token.key_hash, token.key_prefix}
    assert client.get(tenant_a.url("settings/api-tokens/")).context["new_key"] is None


def test_api_token_create_blank_name_is_a_form_error(world, tenant_a, client):
    client.force_login(world.admin)
    before = snapshot()

    response = client.post(tenant_a.url("settings/api-tokens/"), {"name": ""})

    assert list(response.context["form"].errors) == ["name"]
    assert snapshot() == before


def test_api_token_revoke_sets_revoked_at(world, tenant_a, client):
    client.force_login(world.admin)

    response = client.post(tenant_a.url(f"settings/api-tokens/{world.token.pk}/revoke/"))

    assert response["Location"] == "/o/alpha/settings/api-tokens/"
    world.token.refresh_from_db()
    assert world.token.revoked_at is not None


def test_api_token_list_shows_only_tenant_tokens(world, tenant_a, tenant_b, client):
    with tenant_b.scope():
        create_api_token(organization=tenant_b.org, name="Beta secret sync")
    client.force_login(world.admin)

    response = client.get(tenant_a.url("settings/api-tokens/"))

    assert [t.name for t in response.context["tokens"]] == ["ServiceNow sync"]
