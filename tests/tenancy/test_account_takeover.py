"""The cross-tenant account takeover (issue 12, finding 1), refused at each step.

The attack: tenant A's org admin typed the username of bob — an admin of tenant B — under
"Add an existing account", so bob became A's member without being asked; A's Django admin
then changed bob's password, and A signed in as bob, into tenant B. The form also told
whether a username existed anywhere. Now adding a person is an invitation that only the
invitee can accept, an org admin never changes the sign-in details of an account another
organization shares, never grants staff or superuser status, and the answer to an
invitation is the same whether or not the address has an account elsewhere.
"""

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from tenancy.models import Invitation, Membership, User
from tenancy.services import TenancyError, update_account
from tests.factories import PASSWORD

NEW_PASSWORD = "attacker-chosen-pass-42"


@pytest.fixture
def desks(tenant_a, tenant_b):
    admin_a = tenant_a.member(roles=["org_admin"], username="ada", is_staff=True)
    agent_a = tenant_a.member(roles=["agent"], username="abe")
    bob = tenant_b.member(roles=["org_admin"], username="bob", email="bob@beta.example",
                          is_staff=True)
    return {"admin_a": admin_a, "agent_a": agent_a, "bob": bob}


@pytest.fixture
def shared_bob(desks, tenant_a):
    """Bob also belongs to tenant A (say he accepted an invitation): an account A shares."""
    with scopes_disabled():
        membership = Membership(organization=tenant_a.org, user=desks["bob"])
        membership.set_roles(["agent"])
        membership.save()
    return desks["bob"]


def _bob_memberships(bob):
    with scopes_disabled():
        return sorted(Membership.objects.filter(user=bob)
                      .values_list("organization__slug", flat=True))


def test_takeover_step_1_the_old_add_by_username_post_adds_nobody(desks, tenant_a, client):
    client.force_login(desks["admin_a"])

    response = client.post(tenant_a.url("settings/members/"), {
        "add-identifier": "bob", "add-roles": ["org_admin"],
    })

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["This field is required."], "roles": ["Choose at least one role."],
    }
    assert _bob_memberships(desks["bob"]) == ["beta"]
    with scopes_disabled():
        assert Invitation.objects.count() == 0


def test_takeover_step_1_inviting_bobs_address_shares_nothing_until_he_accepts(
    desks, tenant_a, client
):
    client.force_login(desks["admin_a"])

    client.post(tenant_a.url("settings/members/"), {
        "email": "bob@beta.example", "roles": ["org_admin"],
    })
    users_in_admin = client.get("/admin/tenancy/user/").context["cl"].result_list
    bob_in_admin = client.get(f"/admin/tenancy/user/{desks['bob'].pk}/password/")

    assert _bob_memberships(desks["bob"]) == ["beta"]
    with scopes_disabled():
        assert list(Invitation.objects.values_list("email", "accepted_at")) == [
            ("bob@beta.example", None)
        ]
    assert sorted(u.username for u in users_in_admin) == ["abe", "ada"]
    assert bob_in_admin.status_code == 404


def test_takeover_step_2_the_password_of_a_shared_account_cannot_be_changed(
    desks, shared_bob, client
):
    client.force_login(desks["admin_a"])
    url = f"/admin/tenancy/user/{shared_bob.pk}/password/"

    page = client.get(url, follow=True)
    post = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                             "usable_password": "true"}, follow=True)

    message = ("bob also belongs to another organization: only the account's owner or a "
               "platform administrator can change its username, e-mail, password or status.")
    for response in (page, post):
        assert response.redirect_chain == [(f"/admin/tenancy/user/{shared_bob.pk}/change/", 302)]
        assert [str(m) for m in response.context["messages"]] == [message]
    shared_bob.refresh_from_db()
    assert shared_bob.check_password(PASSWORD)
    client.logout()
    assert client.login(username="bob", password=NEW_PASSWORD) is False


def test_takeover_step_2_username_email_and_status_of_a_shared_account_are_read_only(
    desks, shared_bob, client
):
    client.force_login(desks["admin_a"])
    url = f"/admin/tenancy/user/{shared_bob.pk}/change/"

    page = client.get(url)
    response = client.post(url, {
        "username": "bob-hijacked", "email": "attacker@alpha.example", "is_active": "",
        "first_name": "Robert", "last_name": "Brown",
    })

    assert sorted(page.context["adminform"].form.fields) == ["first_name", "last_name"]
    assert "password/" not in page.content.decode()
    assert response.status_code == 302
    shared_bob.refresh_from_db()
    assert (shared_bob.username, shared_bob.email, shared_bob.is_active,
            shared_bob.get_full_name()) == ("bob", "bob@beta.example", True, "Robert Brown")


def test_takeover_step_2_the_service_refuses_sign_in_changes_of_a_shared_account(
    desks, shared_bob, tenant_a
):
    with pytest.raises(TenancyError, match="bob also belongs to another organization"):
        update_account(account=shared_bob, organization=tenant_a.org, editor=desks["admin_a"],
                       username="bob", email="attacker@alpha.example", first_name="",
                       last_name="", is_active=True)

    shared_bob.refresh_from_db()
    assert shared_bob.email == "bob@beta.example"


@pytest.mark.parametrize("target", ["agent_a", "bob"])
def test_takeover_step_3_an_org_admin_cannot_grant_staff_or_superuser(
    desks, shared_bob, client, target
):
    user = desks[target]
    client.force_login(desks["admin_a"])

    response = client.post(f"/admin/tenancy/user/{user.pk}/change/", {
        "username": user.username, "email": user.email, "is_active": "on",
        "first_name": "New", "last_name": "Name",
        "is_staff": "on", "is_superuser": "on", "user_permissions": ["1"], "groups": ["1"],
    })

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.is_staff, user.is_superuser) == (
        "New", target == "bob", False
    )
    assert list(user.user_permissions.all()) == []


def test_takeover_step_4_inviting_answers_the_same_whether_an_account_exists_elsewhere(
    desks, tenant_a, client, django_capture_on_commit_callbacks
):
    """Same status, redirect, message, page and e-mail for an address of tenant B's admin
    and an address no account uses."""
    client.force_login(desks["admin_a"])

    def invite(email):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(tenant_a.url("settings/members/"),
                                   {"email": email, "roles": ["agent"]}, follow=True)
        with scopes_disabled():
            Invitation.objects.filter(email=email).update(revoked_at="2030-01-01T00:00Z")
        body = mail.outbox[0].body
        link = next(w for w in body.split() if "/invitations/" in w)
        return (
            response.redirect_chain, response.status_code,
            [str(m).replace(email, "ADDRESS") for m in response.context["messages"]],
            [str(e) for e in response.context["form"].errors],
            mail.outbox[0].subject, [m.to for m in mail.outbox] == [[email]],
            body.replace(email, "ADDRESS").replace(link, "LINK"),
        )

    elsewhere = invite("bob@beta.example")
    nowhere = invite("nobody@gamma.example")

    assert elsewhere == nowhere
    assert elsewhere[2] == ["Invitation sent to ADDRESS. They join Alpha when they accept it."]
    assert User.objects.filter(email__iexact="nobody@gamma.example").count() == 0
    assert _bob_memberships(desks["bob"]) == ["beta"]


def test_admin_password_change_of_an_account_of_this_organization_alone_is_allowed(
    desks, client
):
    agent = desks["agent_a"]
    client.force_login(desks["admin_a"])

    response = client.post(f"/admin/tenancy/user/{agent.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true",
    })

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
