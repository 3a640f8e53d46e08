"""Workspace navigation entries, registered by each app as its features land.

An app calls :func:`register` from its ``AppConfig.ready``; the base layout shows the
entries the current member may see, in ``order``.
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


_ENTRIES: dict[tuple[str, str], NavEntry] = {}


def register(*, workspace: str, label: str, url_name: str, permission: str, order: int) -> None:
    if workspace not in ("manager", "agent"):
        raise ValueError(f"Unknown workspace {workspace!r}.")
    _ENTRIES[(workspace, url_name)] = NavEntry(workspace, label, url_name, permission, order)


def entries_for(request, workspace: str) -> list[dict]:
    organization = getattr(request, "organization", None)
    if organization is None:
        return []
    visible = []
    current = request.resolver_match.view_name if request.resolver_match else ""
    for entry in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.label)):
        if entry.workspace != workspace or not request.user.has_perm(entry.permission):
            continue
        app_prefix = entry.url_name.split(":")[0]
        visible.append(
            {
                "label": entry.label,
                "url": reverse(entry.url_name, kwargs={"org_slug": organization.slug}),
                "active": current == entry.url_name
                or (app_prefix != "tenancy" and current.startswith(app_prefix + ":")),
            }
        )
    return visible
