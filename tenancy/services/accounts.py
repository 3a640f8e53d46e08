"""Accounts (logins): the one place users are created, and the rules for changing them.

Users are global: one account may belong to several organizations. An org admin may
therefore change the sign-in details (username, e-mail, password, active status) only of
accounts that belong to their organization alone; an account shared with another
organization is changed by its owner or a platform superuser. Staff and superuser status
is granted by operators (``create_org``) and superusers, never by an org admin.
"""

from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ..models import Organization, User
from ..selectors import account_is_shared
from .errors import TenancyError

# What only the account's owner (or a superuser) may change once another organization
# shares the account.
SIGN_IN_FIELDS = ("username", "email", "is_active")


@transaction.atomic
def create_account(
    *,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    is_staff: bool = False,
) -> User:
    """Create a login; the only function that creates users.

    Without ``password`` the account cannot sign in until its owner chooses one through
    :func:`password_set_link` (``password_hash``, already hashed, is for the demo's seeded
    accounts). Raises :class:`TenancyError` keyed by field (``username``, ``email``,
    ``password``…) for a taken or malformed username, a bad address or a weak password.
    """
    user = User(
        username=username.strip(),
        email=User.objects.normalize_email(email.strip()) if email else "",
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_staff=is_staff,
    )
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if password_hash is not None:
        user.password = password_hash
    elif password is None:
        user.set_unusable_password()
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            errors["password"] = error.messages
        user.set_password(password)
    if errors:
        raise TenancyError(errors)
    user.save()
    return user


@transaction.atomic
def grant_staff(*, user: User) -> User:
    """Open the Django admin to ``user`` (an operator's decision, see ``create_org``)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def check_may_change_sign_in(*, account: User, organization: Organization | None,
                             editor: User) -> None:
    """Refuse unless ``editor`` may change the sign-in details of ``account``.

    Superusers may; an org admin may for an account of their organization alone.
    """
    if editor.is_active and editor.is_superuser:
        return
    if account.is_superuser or organization is None or account_is_shared(account, organization):
        raise TenancyError(
            f"{account.username} also belongs to another organization: only the account's "
            "owner or a platform administrator can change its username, e-mail, password "
            "or status."
        )


@transaction.atomic
def update_account(
    *,
    account: User,
    organization: Organization | None,
    editor: User,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    is_active: bool,
) -> User:
    """Change an account's details (the Django admin's user form for org admins).

    Names may always change; sign-in details only as :func:`check_may_change_sign_in`
    allows. Locks the user row.
    """
    locked = User.objects.select_for_update().get(pk=account.pk)
    wanted = {"username": username.strip(), "email": email.strip(), "is_active": is_active}
    if any(getattr(locked, field) != wanted[field] for field in SIGN_IN_FIELDS):
        check_may_change_sign_in(account=locked, organization=organization, editor=editor)
    for field, value in {**wanted, "first_name": first_name.strip(),
                         "last_name": last_name.strip()}.items():
        setattr(locked, field, value)
    try:
        locked.full_clean(exclude=["password"])
    except ValidationError as error:
        raise TenancyError(error.message_dict) from None
    locked.save(update_fields=[*SIGN_IN_FIELDS, "first_name", "last_name"])
    return locked


def password_set_link(user: User, *, base_url: str) -> str:
    """An absolute link where the user chooses a password (Django's reset confirm view)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{base_url}{path}"
