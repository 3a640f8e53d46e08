"""API tokens: created with their raw key shown once, stored as a digest, revoked."""

import secrets

from django.db import transaction
from django.utils import timezone

from ..models import ApiToken, Organization, User
from .errors import TenancyError

API_TOKEN_PREFIX = "cd_"


@transaction.atomic
def create_api_token(
    *, organization: Organization, name: str, created_by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw key, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise TenancyError("Give the token a name that says who uses it.")
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization, name=name, created_by=created_by,
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
