"""Invitations: how a person who is not yet a member joins an organization.

An org admin invites an e-mail address with roles; the address receives a signed,
expiring link (``django.core.signing``, absolute through ``SITE_URL``). The person accepts
while signed in with an account that uses that address, or creates their account from
the invitation. Until then nothing is shared: no membership, and the admin's answer is the
same whether or not an account with that address exists anywhere.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_scopes import scopes_disabled

from .. import rls
from ..models import Invitation, Membership, Organization, User
from .accounts import create_account
from .errors import TenancyError
from .members import _clean_roles, add_member, set_member_roles

INVITATION_VALID_FOR = timedelta(days=7)
_SALT = "tenancy.invitation"


class InvitationLinkError(TenancyError):
    """The link is damaged, replaced, expired, withdrawn or used; the message says which."""


def _normalize(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise TenancyError("Enter a valid e-mail address.", field="email") from None
    return email


def invitation_link(invitation: Invitation) -> str:
    """The absolute link in the e-mail: a signed, timestamped token of id and key."""
    token = signing.dumps({"i": invitation.pk, "k": invitation.key}, salt=_SALT)
    return settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})


def _renew(invitation: Invitation) -> None:
    now = timezone.now()
    invitation.key = secrets.token_urlsafe(24)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_VALID_FOR


def _send(invitation: Invitation) -> None:
    organization = invitation.organization
    body = render_to_string("tenancy/email/invitation.txt", {
        "invitation": invitation, "organization": organization,
        "inviter": invitation.invited_by, "link": invitation_link(invitation),
    })
    subject = f"You are invited to {organization.name} on Coachdesk"
    recipient = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


@transaction.atomic
def invite_member(
    *, organization: Organization, email: str, roles, invited_by: User
) -> Invitation:
    """Invite ``email`` to join ``organization`` with ``roles``; e-mail the link after commit.

    Never looks at accounts outside the organization, so the outcome is the same whether
    an account with that address exists elsewhere or not at all. Inviting an address that
    already has a pending invitation renews it (these roles, a new link, a new expiry;
    the old link stops working). Locks that pending invitation.
    """
    email = _normalize(email)
    cleaned_roles = _clean_roles(roles, missing="Choose at least one role.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise TenancyError(f"{email} already belongs to a member of {organization.name}.",
                           field="email")
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(organization=organization, email=email, accepted_at__isnull=True,
                revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        invitation = Invitation(organization=organization, email=email)
    invitation.roles = cleaned_roles
    invitation.invited_by = invited_by
    _renew(invitation)
    invitation.save()
    _send(invitation)
    return invitation


@transaction.atomic
def resend_invitation(*, invitation: Invitation, sent_by: User) -> Invitation:
    """Send a pending invitation again with a new link and a new expiry (the old link stops
    working). Locks the invitation."""
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if not invitation.is_pending:
        raise TenancyError("This invitation was already accepted or withdrawn; invite again.")
    invitation.invited_by = sent_by
    _renew(invitation)
    invitation.save()
    _send(invitation)
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working. Revoking twice keeps the
    first time; an accepted invitation cannot be withdrawn (remove the member instead)."""
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise TenancyError("This invitation was already accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def open_invitation(*, token: str) -> Invitation:
    """The pending invitation a link names, or :class:`InvitationLinkError` saying why not.

    Read across tenants on purpose: the person is not a member yet.
    """
    expired = False
    try:
        data = signing.loads(token, salt=_SALT, max_age=INVITATION_VALID_FOR)
    except signing.SignatureExpired:
        expired = True
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise InvitationLinkError(
            "This invitation link is not valid: it is incomplete or was changed. Open the "
            "link from the e-mail again, or ask for a new invitation."
        )
    with scopes_disabled(), rls.platform("an invitation link names its organization"):
        invitation = (
            Invitation.objects.select_related("organization", "invited_by")
            .filter(pk=data["i"]).first()
        )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationLinkError("This invitation was withdrawn. Ask the organization's "
                                  "administrator for a new one if you still need access.")
    organization = invitation.organization.name
    if invitation.accepted_at is not None:
        raise InvitationLinkError(f"This invitation to {organization} was already accepted.")
    if not constant_time_compare(str(data.get("k", "")), invitation.key):
        raise InvitationLinkError(
            f"This link was replaced by a newer invitation to {organization}: use the link "
            "in the most recent e-mail."
        )
    if expired or invitation.expires_at <= timezone.now():
        raise InvitationLinkError(
            f"This invitation to {organization} has expired. Ask its administrator to send "
            "it again."
        )
    return invitation


def validate_invitee(*, invitation: Invitation, user: User) -> None:
    """Only the account that uses the invited address may accept."""
    if (user.email or "").strip().lower() != invitation.email:
        raise TenancyError(
            f"This invitation is for {invitation.email}, and you are signed in as "
            f"{user.username}, whose e-mail address is different. Sign in with the account "
            f"that uses {invitation.email}, or sign out to create one."
        )


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    """Join the organization with the invited roles (added to any held already).

    Run inside the invitation's tenant scope. Locks the invitation, so a link is used once.
    """
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if not invitation.is_pending or invitation.is_expired:
        raise TenancyError("This invitation can no longer be accepted.")
    validate_invitee(invitation=invitation, user=user)
    organization = invitation.organization
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        membership = add_member(organization=organization, user=user, roles=invitation.roles)
    else:
        membership = set_member_roles(membership=membership,
                                      roles=membership.roles | set(invitation.roles))
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def accept_invitation_with_new_account(
    *, invitation: Invitation, username: str, password: str, first_name: str = "",
    last_name: str = "",
) -> User:
    """Create the invited person's account (with the invited address) and accept.

    Raises :class:`TenancyError` keyed by field for a taken username or a weak password;
    when an account already uses the address, its owner signs in to accept instead.
    """
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise TenancyError(
            f"An account already uses {invitation.email}: sign in with it to accept."
        )
    user = create_account(username=username, email=invitation.email, first_name=first_name,
                          last_name=last_name, password=password)
    accept_invitation(invitation=invitation, user=user)
    return user
