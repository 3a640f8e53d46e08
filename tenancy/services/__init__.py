"""Every write to organizations, accounts, memberships, invitations, teams and API tokens.

Split by sub-domain; callers import from here (``from tenancy import services``).
"""

from .accounts import (
    check_may_change_sign_in,
    create_account,
    grant_staff,
    password_set_link,
    update_account,
)
from .errors import TenancyError
from .invitations import (
    INVITATION_VALID_FOR,
    InvitationLinkError,
    accept_invitation,
    accept_invitation_with_new_account,
    invitation_link,
    invite_member,
    open_invitation,
    resend_invitation,
    revoke_invitation,
    validate_invitee,
)
from .members import (
    add_member,
    remove_member,
    set_member_roles,
    update_about,
    validate_member_removal,
    validate_member_roles,
)
from .organizations import create_organization, set_up_organization, update_organization
from .teams import delete_team, save_team, validate_team_name, validate_team_people
from .tokens import API_TOKEN_PREFIX, create_api_token, revoke_api_token

__all__ = [
    "API_TOKEN_PREFIX",
    "INVITATION_VALID_FOR",
    "InvitationLinkError",
    "TenancyError",
    "accept_invitation",
    "accept_invitation_with_new_account",
    "add_member",
    "check_may_change_sign_in",
    "create_account",
    "create_api_token",
    "create_organization",
    "delete_team",
    "grant_staff",
    "invitation_link",
    "invite_member",
    "open_invitation",
    "password_set_link",
    "remove_member",
    "resend_invitation",
    "revoke_api_token",
    "revoke_invitation",
    "save_team",
    "set_member_roles",
    "set_up_organization",
    "update_about",
    "update_account",
    "update_organization",
    "validate_invitee",
    "validate_member_removal",
    "validate_member_roles",
    "validate_team_name",
    "validate_team_people",
]
