"""The workspace navigation and the "My coaching" cards, built from what apps registered
in :data:`tenancy.extensions.navigation_entries` and :data:`tenancy.extensions.summary_cards`.

The base layout shows the entries the current member may see, in ``order``; entries that
share a ``group`` become one dropdown menu (:func:`menu_for`).
"""

from django.urls import reverse

from .extensions import NavEntry, my_coaching_sections, navigation_entries, summary_cards


def _specificity(entry: NavEntry, current: str) -> int:
    """How closely ``entry`` claims the current page: the length of its longest matching
    name or prefix (its own URL name counts in full), 1 when it claims it only as the one
    entry of its app's namespace, 0 when it does not."""
    if not current:
        return 0
    claims = [len(p) for p in (entry.url_name, *entry.match) if current.startswith(p)]
    if current == entry.url_name:
        claims.append(len(current) + 1)
    if claims:
        return max(claims)
    siblings = [e for e in navigation_entries if e.namespace == entry.namespace]
    return int(len(siblings) == 1 and entry.namespace != "tenancy"
               and current.startswith(entry.namespace + ":"))


def _active_entry(entries, current: str) -> NavEntry | None:
    """The one entry of ``entries`` the current page belongs to: the most specific claim
    wins, so a manager page and an agent page of one app never light up together."""
    best, best_score = None, 0
    for entry in entries:
        score = _specificity(entry, current)
        if score > best_score:
            best, best_score = entry, score
    return best


def entries_for(request, workspace: str) -> list[dict]:
    organization = getattr(request, "organization", None)
    if organization is None:
        return []
    current = request.resolver_match.view_name if request.resolver_match else ""
    ordered = sorted(navigation_entries, key=lambda e: (e.order, e.label))
    allowed = [e for e in ordered if request.user.has_perm(e.permission)]
    active = _active_entry(allowed, current)  # across both workspaces: one lights up
    visible = []
    for entry in allowed:
        if entry.workspace != workspace:
            continue
        visible.append(
            {
                "label": entry.label,
                "url": reverse(entry.url_name, kwargs={"org_slug": organization.slug}),
                "active": entry is active,
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
