"""Organizations (tenants), users, memberships with roles, and teams.

Every tenant-owned model inherits :class:`TenantModel`: a non-null ``organization`` and a
django-scopes manager, so a query outside an active scope raises instead of leaking rows
of another tenant.
"""

import hashlib
import re
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager

from .enums import MANAGER_ROLES, Role
from .validation import LONG_TEXT, text_limit

SLUG_RE = re.compile(r"^[a-z0-9-]+$")
slug_validator = RegexValidator(
    SLUG_RE, "Use only lowercase letters, digits and hyphens (for example: acme-support)."
)
RESERVED_SLUGS = frozenset({"admin", "api", "static", "media", "accounts", "new"})


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"“{value}” is not a known time zone.") from None


def validate_weekend_days(value) -> None:
    if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
        raise ValidationError("Weekend days must be a list of weekday numbers (0=Monday…6=Sunday).")
    if len(set(value)) != len(value):
        raise ValidationError("Weekend days must not repeat.")
    if len(value) > 6:
        raise ValidationError("At least one working day must remain.")


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(f"“{value}” is reserved; choose another slug.")


def default_weekend_days() -> list[int]:
    return [5, 6]


class User(AbstractUser):
    """A person. Users are global: one login may belong to several organizations."""

    email = models.EmailField("e-mail address", blank=True, db_index=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organization(models.Model):
    """A tenant: one service desk or contact center."""

    name = models.CharField(max_length=200)
    slug = models.CharField(
        max_length=63,
        unique=True,
        validators=[slug_validator, validate_slug_not_reserved],
        error_messages={"unique": "This slug is already taken by another organization."},
        help_text="Lowercase letters, digits and hyphens; the organization's address /o/<slug>/.",
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    weekend_days = models.JSONField(
        default=default_weekend_days, blank=True,  # none: a contact center open every day
        validators=[validate_weekend_days],
        help_text="Weekday numbers treated as the weekend (0=Monday … 6=Sunday).",
    )
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class TenantModel(models.Model):
    """Abstract base for every tenant-owned row."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = ScopedManager(organization="organization")

    class Meta:
        abstract = True


class MembershipQuerySet(models.QuerySet):
    def with_role(self, role: str) -> "MembershipQuerySet":
        return self.filter(**{f"is_{Role(role).value}": True})


class Membership(TenantModel):
    """A user's place in an organization and the set of roles they hold there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_org_admin = models.BooleanField("organization admin", default=False)
    is_coach = models.BooleanField("coach", default=False)
    is_qa_analyst = models.BooleanField("QA analyst", default=False)
    is_skill_admin = models.BooleanField("skill admin", default=False)
    is_learning_admin = models.BooleanField("learning admin", default=False)
    is_agent = models.BooleanField("agent", default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    about = models.TextField(
        "about me", blank=True, **text_limit(LONG_TEXT),
        help_text="What the member writes on My profile; managers see it on their overview.",
    )

    objects = ScopedManager(
        organization="organization",
        _manager_class=models.Manager.from_queryset(MembershipQuerySet),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user")
        ]
        indexes = [models.Index(fields=["organization", "user"], name="membership_org_user")]
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role.value for role in Role if getattr(self, f"is_{role.value}"))

    def set_roles(self, roles) -> None:
        wanted = {Role(r).value for r in roles}
        for role in Role:
            setattr(self, f"is_{role.value}", role.value in wanted)

    def has_role(self, *roles: str) -> bool:
        return any(getattr(self, f"is_{Role(r).value}") for r in roles)

    @property
    def is_manager(self) -> bool:
        return bool(self.roles & MANAGER_ROLES)

    @property
    def role_labels(self) -> list[str]:
        return [role.label for role in Role if getattr(self, f"is_{role.value}")]


class Team(TenantModel):
    """An assignment group: the agents who work together and the people who coach them."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    members = models.ManyToManyField(
        User, through="TeamMember", through_fields=("team", "user"), related_name="teams",
        blank=True,
    )
    additional_managers = models.ManyToManyField(
        User, through="TeamManager", through_fields=("team", "user"),
        related_name="co_managed_teams", blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_unique_name")
        ]
        indexes = [models.Index(fields=["organization", "name"], name="team_org_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="teammember_unique")
        ]
        indexes = [models.Index(fields=["organization", "user"], name="teammember_org_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TeamManager(TenantModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="manager_links")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_manager_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="teammanager_unique")
        ]
        indexes = [models.Index(fields=["organization", "user"], name="teammanager_org_user")]

    def __str__(self) -> str:
        return f"{self.user} co-manages {self.team}"


class Invitation(TenantModel):
    """An offer to join an organization, sent to an e-mail address.

    Nothing is shared until the person accepts while signed in (or creates their account
    from the invitation): no membership exists before that. The link carries a signed,
    timestamped token naming the invitation and its current ``key``; sending again
    replaces the key, so only the newest link works.
    """

    email = models.EmailField("e-mail address", max_length=254)
    roles = models.JSONField(default=list)
    key = models.CharField(max_length=32, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_unique_pending",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="invitation_org_created")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.is_pending and self.expires_at <= timezone.now()

    @property
    def role_labels(self) -> list[str]:
        return [role.label for role in Role if role.value in self.roles]


class ApiToken(TenantModel):
    """A bearer token for the HTTP API of one organization.

    Only a SHA-256 digest of the key is stored; the key itself is shown once at creation.
    An organization's token (``user`` empty) is made by an org admin for an integration;
    a *personal* token (``user`` set) acts as that person, sees only what they may see and
    reaches only the operations that accept personal tokens.
    """

    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens",
        help_text="A personal token acts as this person (empty: the organization's token).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "created_at"], name="apitoken_org_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        """The digest stored for a raw key (``key_hash``); the key itself is never stored."""
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_personal(self) -> bool:
        return self.user_id is not None
