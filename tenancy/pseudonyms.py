"""Peers shown as pseudonyms on team-level pages (issue 21, point 6).

Under the organization setting ``settings["privacy"]["pseudonymise_peers"]`` the pages that
list or compare people (leaderboards, directories, team pages, the skill matrix and a
skill's holders, the coaching monitor, routing suggestions) show someone by name only to
those who may see them by name:

- the person themselves;
- their coaches (:func:`tenancy.selectors.coachable_agents`: the coach role and a team of
  theirs the person belongs to);
- org admins, who configure teams and memberships by name anyway;
- and everyone sees the people who manage a team (manager or additional manager) by name:
  they are the coaching structure an agent must be able to reach, not peers.

Everyone else sees a pseudonym such as "Agent K7Q2MX": an HMAC of the organization and the
person under a key derived from ``SECRET_KEY``, so it is the same on every page and every
day (one can follow a pseudonym across pages) but cannot be turned back into the person
without the server's secret. Pages that work on one person (an audit, an assessment, a
dispute) are not team-level pages and keep names for those whose role lets them open them.

Use :func:`peer_names` once per request (it is cached on the request) and ask it for each
person; deciding costs at most one query per request whatever the number of rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from functools import cache
from typing import TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db.models import Q

from .enums import Role
from .models import Organization, Team, TeamManager, User
from .selectors import coachable_agents, membership_for

PSEUDONYM_LABEL = "Agent"
PSEUDONYM_LENGTH = 6  # base32 characters: 30 bits, a collision is unlikely below ~10,000 people

T = TypeVar("T")


def pseudonymises_peers(organization: Organization) -> bool:
    """The setting "show peers as pseudonyms" (off unless an org admin turns it on)."""
    privacy = (organization.settings or {}).get("privacy") or {}
    return bool(privacy.get("pseudonymise_peers", False))


@cache
def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"coachdesk.pseudonyms",
                info=b"peer pseudonyms").derive(secret.encode())


def pseudonym(organization_id: int, user_id: int) -> str:
    """The person's pseudonym in the organization: stable, and not reversible without
    ``SECRET_KEY`` (changing it gives everyone a new pseudonym)."""
    digest = hmac.new(_key(settings.SECRET_KEY), f"{organization_id}:{user_id}".encode(),
                      hashlib.sha256).digest()
    return f"{PSEUDONYM_LABEL} {base64.b32encode(digest).decode()[:PSEUDONYM_LENGTH]}"


def real_name(person: User) -> str:
    return person.get_full_name() or person.username


class PeerNames:
    """How one viewer sees people in one organization: :meth:`label` is the name or the
    pseudonym. Who is named is read once, on the first question, in one query."""

    def __init__(self, organization: Organization, viewer: User):
        self.organization = organization
        self.viewer = viewer
        membership = membership_for(viewer, organization) if viewer.is_authenticated else None
        #: Whether any pseudonym can show for this viewer (off: everyone is named).
        self.active = pseudonymises_peers(organization) and not (
            membership is not None and membership.has_role(Role.ORG_ADMIN))
        self._named: frozenset[int] | None = None

    @property
    def named_ids(self) -> frozenset[int]:
        if self._named is None:
            org = self.organization
            coached = coachable_agents(org, self.viewer)
            managers = Team.objects.filter(organization=org).values("manager_id")
            co_managers = TeamManager.objects.filter(organization=org).values("user_id")
            ids = User.objects.filter(Q(pk__in=coached) | Q(pk__in=managers)
                                      | Q(pk__in=co_managers)).values_list("pk", flat=True)
            self._named = frozenset(ids) | {self.viewer.pk}
        return self._named

    def is_named(self, person: User | None) -> bool:
        if person is None or not self.active:
            return True
        return person.pk in self.named_ids

    def label(self, person: User | None) -> str:
        if person is None:
            return ""
        if self.is_named(person):
            return real_name(person)
        return pseudonym(self.organization.pk, person.pk)

    def choices(self, people: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
        """``(user id, name)`` choices of a form, labelled and ordered as shown (as given
        when nobody is pseudonymised)."""
        if not self.active:
            return list(people)
        labelled = [(pk, name if not self.active or pk in self.named_ids
                     else pseudonym(self.organization.pk, pk)) for pk, name in people]
        return sorted(labelled, key=lambda choice: (choice[1].casefold(), choice[0]))

    def sort_key(self, person: User) -> tuple:
        """Order people by what is shown of them: sorting pseudonyms by the hidden names
        would tell anyone who knows the team who is who. The username when nobody is
        pseudonymised (the order the pages had)."""
        if not self.active:
            return (person.username,)
        return (self.label(person).casefold(), person.pk)

    def sorted(self, items: Iterable[T], person: Callable[[T], User] = lambda p: p) -> list[T]:
        """``items`` ordered by what is shown of ``person(item)``; as given when nobody is
        pseudonymised."""
        if not self.active:
            return list(items)
        return sorted(items, key=lambda item: self.sort_key(person(item)))

    def matches(self, person: User, query: str) -> bool:
        """Whether every word of ``query`` is in what the viewer may know of the person
        (first or last name or username when named, the pseudonym otherwise): searching a
        name must not find the pseudonym of someone shown by pseudonym."""
        words = query.casefold().split()
        if self.is_named(person):
            known = " ".join([person.first_name, person.last_name, person.username])
        else:
            known = self.label(person)
        known = known.casefold()
        return all(word in known for word in words)


def peer_names(request) -> PeerNames:
    """The request's :class:`PeerNames` (made once per request)."""
    names = getattr(request, "_peer_names", None)
    if names is None or names.organization.pk != request.organization.pk:
        names = request._peer_names = PeerNames(request.organization, request.user)
    return names
