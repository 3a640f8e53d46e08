"""Joining through an invitation: the signed link, accepting signed in, creating an account
from the invitation, and every way a link is refused (with a message a person can act on)."""

import time
from urllib.parse import quote

import pytest
from django.core import mail, signing
from django_scopes import scopes_disabled

from tenancy.models import Invitation, Membership, User
from tenancy.services import INVITATION_VALID_FOR, invite_member, revoke_invitation
from tests.factories import PASSWORD


@pytest.fixture
def invited(tenant_a, tenant_b, django_capture_on_commit_callbacks, settings):
    """Tenant A's admin invites zoe@example.com as coach and agent; returns (invitation,
    the path of the link in the e-mail)."""
    admin = tenant_a.member(roles=["org_admin"], username="ada", first_name="Ada",
                            last_name="Quinn")
    with tenant_a.scope(), django_capture_on_commit_callbacks(execute=True):
        invitation = invite_member(organization=tenant_a.org, email="zoe@example.com",
                                   roles=["coach", "agent"], invited_by=admin)
    (link,) = [w for w in mail.outbox[0].body.split() if w.startswith(settings.SITE_URL)]
    mail.outbox.clear()
    return invitation, link.removeprefix(settings.SITE_URL)


def _memberships(user):
    with scopes_disabled():
        return sorted((m.organization.slug, tuple(sorted(m.roles)))
                      for m in Membership.objects.filter(user=user))


def test_invitation_accept_signed_in_with_the_invited_address_joins_with_the_roles(
    invited, tenant_a, tenant_b, client
):
    invitation, path = invited
    zoe = tenant_b.member(roles=["agent"], username="zoe", email="Zoe@Example.com")
    client.force_login(zoe)

    page = client.get(path)
    response = client.post(path)

    assert page.status_code == 200
    assert "Accept and join as zoe" in page.content.decode()
    assert response["Location"] == "/o/alpha/"
    assert _memberships(zoe) == [("alpha", ("agent", "coach")), ("beta", ("agent",))]
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (zoe, True)


def test_invitation_link_used_twice_is_refused(invited, tenant_b, client):
    _invitation, path = invited
    client.force_login(tenant_b.member(roles=["agent"], username="zoe", email="zoe@example.com"))
    client.post(path)

    response = client.get(path)

    assert response.status_code == 410
    assert response.context["message"] == "This invitation to Alpha was already accepted."


def test_invitation_signed_out_offers_sign_in_and_comes_back_after_it(invited, tenant_b, client):
    _invitation, path = invited
    zoe = tenant_b.member(roles=["agent"], username="zoe", email="zoe@example.com")

    page = client.get(path)
    signed_in = client.post(page.context["login_url"].split("?")[0], {
        "username": "zoe", "password": PASSWORD, "next": path,
    })
    accepted = client.post(signed_in["Location"])

    assert page.status_code == 200
    assert page.context["login_url"] == f"/accounts/login/?next={quote(path, safe='')}"
    assert signed_in["Location"] == path
    assert accepted["Location"] == "/o/alpha/"
    assert _memberships(zoe) == [("alpha", ("agent", "coach")), ("beta", ("agent",))]


def test_invitation_signup_creates_the_account_joins_and_signs_in(invited, client):
    invitation, path = invited

    response = client.post(path, {
        "username": "zoe", "first_name": "Zoe", "last_name": "Park",
        "password": "a-long-passphrase-9", "password_again": "a-long-passphrase-9",
    })

    zoe = User.objects.get(username="zoe")
    assert (zoe.email, zoe.get_full_name(), zoe.is_staff, zoe.is_superuser) == (
        "zoe@example.com", "Zoe Park", False, False
    )
    assert zoe.check_password("a-long-passphrase-9")
    assert response["Location"] == "/o/alpha/"
    assert _memberships(zoe) == [("alpha", ("agent", "coach"))]
    assert client.get("/o/alpha/me/").status_code == 200


@pytest.mark.parametrize(("data", "errors"), [
    ({"username": "ada", "password": "a-long-passphrase-9",
      "password_again": "a-long-passphrase-9"},
     {"username": ["A user with that username already exists."]}),
    ({"username": "zoe", "password": "a-long-passphrase-9", "password_again": "different-9"},
     {"password_again": ["The two passwords differ."]}),
    ({"username": "zoe", "password": "12345678", "password_again": "12345678"},
     {"password": ["This password is too common.", "This password is entirely numeric."]}),
    ({"username": "zoe smith", "password": "a-long-passphrase-9",
      "password_again": "a-long-passphrase-9"},
     {"username": ["Enter a valid username. This value may contain only letters, numbers, "
                   "and @/./+/-/_ characters."]}),
])
def test_invitation_signup_errors_are_shown_next_to_their_fields_and_create_nothing(
    invited, client, data, errors
):
    _invitation, path = invited
    users_before = User.objects.count()

    response = client.post(path, data)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert User.objects.count() == users_before
    with scopes_disabled():
        assert Membership.objects.count() == 1


def test_invitation_signup_when_an_account_uses_the_address_asks_to_sign_in(
    invited, tenant_b, client
):
    _invitation, path = invited
    tenant_b.member(roles=["agent"], username="zoe-b", email="zoe@example.com")

    response = client.post(path, {"username": "zoe2", "password": "a-long-passphrase-9",
                                  "password_again": "a-long-passphrase-9"})

    assert response.context["form"].non_field_errors() == [
        "An account already uses zoe@example.com: sign in with it to accept."
    ]
    assert not User.objects.filter(username="zoe2").exists()


def test_invitation_for_another_address_than_the_signed_in_users_is_refused(
    invited, tenant_b, client
):
    _invitation, path = invited
    bob = tenant_b.member(roles=["org_admin"], username="bob", email="bob@example.com")
    client.force_login(bob)

    page = client.get(path)
    response = client.post(path)

    message = ("This invitation is for zoe@example.com, and you are signed in as bob, whose "
               "e-mail address is different. Sign in with the account that uses "
               "zoe@example.com, or sign out to create one.")
    assert (page.status_code, page.context["refusal"]) == (403, message)
    assert (response.status_code, response.context["refusal"]) == (403, message)
    assert _memberships(bob) == [("beta", ("org_admin",))]


def test_invitation_link_with_a_changed_character_is_refused(invited, client):
    _invitation, path = invited
    token = path.split("/")[2]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/invitations/{tampered}/")

    assert response.status_code == 410
    assert response.context["message"] == (
        "This invitation link is not valid: it is incomplete or was changed. Open the link "
        "from the e-mail again, or ask for a new invitation."
    )


def test_invitation_link_signed_for_another_invitation_id_is_refused(invited, client):
    invitation, _path = invited
    forged = signing.dumps({"i": invitation.pk + 1, "k": invitation.key}, salt="other")

    response = client.get(f"/invitations/{forged}/")

    assert response.status_code == 410
    assert response.context["message"].startswith("This invitation link is not valid")


def test_invitation_past_its_expiry_is_refused(invited, tenant_b, client):
    invitation, path = invited
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=invitation.sent_at - INVITATION_VALID_FOR
        )
    zoe = tenant_b.member(roles=["agent"], username="zoe", email="zoe@example.com")
    client.force_login(zoe)

    page = client.get(path)
    response = client.post(path)

    expected = "This invitation to Alpha has expired. Ask its administrator to send it again."
    assert (page.status_code, page.context["message"]) == (410, expected)
    assert (response.status_code, response.context["message"]) == (410, expected)
    assert _memberships(zoe) == [("beta", ("agent",))]


def test_invitation_link_signed_longer_ago_than_its_validity_is_refused(invited, client):
    invitation, _path = invited

    class EightDaysAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 8 * 24 * 3600)

    old = EightDaysAgo(salt="tenancy.invitation").sign_object(
        {"i": invitation.pk, "k": invitation.key}
    )

    response = client.get(f"/invitations/{old}/")

    assert response.context["message"] == (
        "This invitation to Alpha has expired. Ask its administrator to send it again."
    )


def test_invitation_withdrawn_is_refused(invited, tenant_a, client):
    invitation, path = invited
    with tenant_a.scope():
        revoke_invitation(invitation=invitation)

    response = client.get(path)

    assert response.status_code == 410
    assert response.context["message"] == (
        "This invitation was withdrawn. Ask the organization's administrator for a new one "
        "if you still need access."
    )


def test_invitation_link_replaced_by_a_resend_is_refused(invited, tenant_a, client):
    invitation, path = invited
    with tenant_a.scope():
        invite_member(organization=tenant_a.org, email="zoe@example.com", roles=["agent"],
                      invited_by=invitation.invited_by)

    response = client.get(path)

    assert response.context["message"] == (
        "This link was replaced by a newer invitation to Alpha: use the link in the most "
        "recent e-mail."
    )
