"""API tokens: created with their raw key shown once, stored as a digest, revoked.

An organization's token (for an integration) or a *personal* one (``user``: it acts as
that member and reaches only the operations that accept personal tokens)."""

import secrets

from django.db import transaction
from django.utils import timezone

from ..models import ApiToken, Membership, Organization, User
from .errors import TenancyError

API_TOKEN_PREFIX = "cd_"


@transaction.atomic
def create_api_token(
    *, organization: Organization, name: str, created_by: User | None = None,
    user: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw key, which is never stored or shown again.

    With ``user`` it is that member's personal token (they must belong to the
    organization)."""
    name = name.strip()
    if not name:
        raise TenancyError("Give the token a name that says who uses it.")
    if user is not None and not Membership.objects.filter(
            organization=organization, user=user).exists():
        raise TenancyError(f"{user.username} is not a member of {organization.name}.",
                           field="user")
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization, name=name, created_by=created_by, user=user,
        key_prefix=raw[:10], key_hash=ApiToken.hash_key(raw),
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
