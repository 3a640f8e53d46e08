"""Workspace navigation entries, registered by each app as its features land.

An app calls :func:`register` from its ``AppConfig.ready``; the base layout shows the
entries the current member may see, in ``order``. An entry is highlighted on its own page
and on the pages named by ``match`` (view-name prefixes such as ``"skills:overview"``).
When an app registers a single entry, every page of its namespace highlights it.
"""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    workspace: str  # "manager" or "agent"
    label: str
    url_name: str
    permission: str
    order: int
    match: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        return self.url_name.split(":")[0]


_ENTRIES: dict[tuple[str, str], NavEntry] = {}


def register(
    *,
    workspace: str,
    label: str,
    url_name: str,
    permission: str,
    order: int,
    match: tuple[str, ...] = (),
) -> None:
    if workspace not in ("manager", "agent"):
        raise ValueError(f"Unknown workspace {workspace!r}.")
    _ENTRIES[(workspace, url_name)] = NavEntry(
        workspace, label, url_name, permission, order, tuple(match)
    )


def _is_active(entry: NavEntry, current: str) -> bool:
    if not current:
        return False
    if current == entry.url_name or any(current.startswith(p) for p in entry.match):
        return True
    siblings = [e for e in _ENTRIES.values() if e.namespace == entry.namespace]
    return len(siblings) == 1 and entry.namespace != "tenancy" and current.startswith(
        entry.namespace + ":"
    )


def entries_for(request, workspace: str) -> list[dict]:
    organization = getattr(request, "organization", None)
    if organization is None:
        return []
    current = request.resolver_match.view_name if request.resolver_match else ""
    visible = []
    for entry in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.label)):
        if entry.workspace != workspace or not request.user.has_perm(entry.permission):
            continue
        visible.append(
            {
                "label": entry.label,
                "url": reverse(entry.url_name, kwargs={"org_slug": organization.slug}),
                "active": _is_active(entry, current),
            }
        )
    return visible


def landing_url(request, workspace: str) -> str | None:
    """The first entry of the workspace the member may see: where they land after sign-in."""
    entries = entries_for(request, workspace)
    return entries[0]["url"] if entries else None


# --- "My coaching" summary cards ------------------------------------------------------

SummaryCard = dict  # {"title", "value", "caption", "url", "tone": "danger"|"warning"|None}
_SUMMARIES: dict[str, tuple[int, object]] = {}


def register_summary(*, key: str, order: int, card) -> None:
    """Add a card to the agent's "My coaching" page.

    ``card(request)`` returns a :data:`SummaryCard` for the signed-in member, or ``None``
    to show nothing. Each app registers its own from ``AppConfig.ready``.
    """
    _SUMMARIES[key] = (order, card)


def summaries_for(request) -> list[SummaryCard]:
    cards = []
    for _order, card in sorted(_SUMMARIES.values(), key=lambda item: item[0]):
        result = card(request)
        if result is not None:
            cards.append(result)
    return cards
