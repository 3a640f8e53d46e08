"""The workspace navigation and the "My coaching" cards, built from what apps registered
in :data:`tenancy.extensions.navigation_entries` and :data:`tenancy.extensions.summary_cards`.

The base layout shows the entries the current member may see, in ``order``; entries that
share a ``group`` become one dropdown menu (:func:`menu_for`).
"""

from django.urls import reverse

from .extensions import NavEntry, my_coaching_sections, navigation_entries, summary_cards


def _is_active(entry: NavEntry, current: str) -> bool:
    if not current:
        return False
    if current == entry.url_name or any(current.startswith(p) for p in entry.match):
        return True
    siblings = [e for e in navigation_entries if e.namespace == entry.namespace]
    return len(siblings) == 1 and entry.namespace != "tenancy" and current.startswith(
        entry.namespace + ":"
    )


def entries_for(request, workspace: str) -> list[dict]:
    organization = getattr(request, "organization", None)
    if organization is None:
        return []
    current = request.resolver_match.view_name if request.resolver_match else ""
    visible = []
    for entry in sorted(navigation_entries, key=lambda e: (e.order, e.label)):
        if entry.workspace != workspace or not request.user.has_perm(entry.permission):
            continue
        visible.append(
            {
                "label": entry.label,
                "url": reverse(entry.url_name, kwargs={"org_slug": organization.slug}),
                "active": _is_active(entry, current),
                "group": entry.group,
            }
        )
    return visible


def menu_for(request, workspace: str) -> list[dict]:
    """The top-level items of the workspace navigation, in order.

    An item is a link ``{"label", "url", "active"}`` or a menu ``{"label", "entries",
    "active", "id"}`` holding the visible entries of one group (placed where its first entry
    is; active when one of them is). A group with a single visible entry is shown as a
    link named after the group.
    """
    items: list[dict] = []
    menus: dict[str, dict] = {}
    for entry in entries_for(request, workspace):
        group = entry["group"]
        if group is None:
            items.append(entry)
        elif group in menus:
            menus[group]["entries"].append(entry)
            menus[group]["active"] = menus[group]["active"] or entry["active"]
        else:
            menus[group] = {
                "label": group,
                "entries": [entry],
                "active": entry["active"],
                "id": "nav-" + "-".join(group.lower().split()),
            }
            items.append(menus[group])
    for index, item in enumerate(items):
        if "entries" in item and len(item["entries"]) == 1:
            only = item["entries"][0]
            items[index] = {**only, "label": item["label"]}
    return items


def landing_url(request, workspace: str) -> str | None:
    """The first entry of the workspace the member may see: where they land after sign-in."""
    entries = entries_for(request, workspace)
    return entries[0]["url"] if entries else None


def summaries_for(request) -> list[dict]:
    """The "My coaching" cards of the signed-in member, in order, empty ones left out."""
    cards = []
    for summary in sorted(summary_cards, key=lambda s: s.order):
        result = summary.card(request)
        if result is not None:
            cards.append(result)
    return cards


def sections_for(request) -> list[str]:
    """The "My coaching" sections of the signed-in member (rendered HTML), in key order,
    empty ones left out."""
    from django.utils.safestring import mark_safe

    rendered = (fn(request) for _key, fn in sorted(my_coaching_sections.items()))
    return [mark_safe(html) for html in rendered if html]  # noqa: S308 (rendered templates)
