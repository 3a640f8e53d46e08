"""Read queries for work items, their events and imports."""

from datetime import datetime, time, timedelta

from django.db.models import F, Prefetch, Q, QuerySet

from tenancy.models import Membership, Organization, Team, User

from .models import HandlerRun, WorkEvent, WorkImport, WorkItem


def work_items_for_api(
    organization: Organization,
    *,
    updated_since: datetime | None = None,
    kind: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> QuerySet[WorkItem]:
    """Work items in keyset order (``updated_at``, ``id``) with what the API shows."""
    items = (
        WorkItem.objects.filter(organization=organization)
        .select_related("team", "assigned_to", "resolved_by")
        .prefetch_related("requested_skills")
        .order_by("updated_at", "id")
    )
    if updated_since is not None:
        items = items.filter(updated_at__gte=updated_since)
    if kind:
        items = items.filter(kind=kind)
    if after is not None:
        stamp, pk = after
        items = items.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, id__gt=pk))
    return items[:limit] if limit is not None else items


def work_items_for_list(organization: Organization, filters: dict) -> QuerySet[WorkItem]:
    """The Work list: filtered by the form's cleaned data, newest opened first."""
    items = WorkItem.objects.filter(organization=organization).select_related(
        "team", "assigned_to"
    )
    if filters.get("q"):
        q = filters["q"].strip()
        items = items.filter(
            Q(external_id__icontains=q) | Q(number__icontains=q)
            | Q(short_description__icontains=q)
        )
    for name in ("kind", "state", "team"):
        if filters.get(name):
            items = items.filter(**{name: filters[name]})
    if filters.get("agent"):
        items = items.filter(assigned_to=filters["agent"])
    tz = organization.tzinfo
    for prefix in ("opened", "resolved"):
        # Whole days in the organization's time zone, as ranges the indexes can use.
        if filters.get(f"{prefix}_from"):
            start = datetime.combine(filters[f"{prefix}_from"], time.min, tzinfo=tz)
            items = items.filter(**{f"{prefix}_at__gte": start})
        if filters.get(f"{prefix}_to"):
            end = datetime.combine(filters[f"{prefix}_to"] + timedelta(days=1), time.min, tzinfo=tz)
            items = items.filter(**{f"{prefix}_at__lt": end})
    return items.order_by(F("opened_at").desc(nulls_last=True), "-id")


def work_item_detail(organization: Organization, pk: int) -> WorkItem:
    """One work item with its skills and its events (newest first) with their handler runs.

    Raises ``WorkItem.DoesNotExist`` for an item of another organization.
    """
    return (
        WorkItem.objects.filter(organization=organization)
        .select_related("team", "assigned_to", "resolved_by")
        .prefetch_related(
            "requested_skills",
            Prefetch(
                "events",
                queryset=WorkEvent.objects.order_by("-occurred_at", "-id").prefetch_related(
                    Prefetch("handler_runs", queryset=HandlerRun.objects.order_by("handler"))
                ),
            ),
        )
        .get(pk=pk)
    )


def find_work_item(organization: Organization, reference: str) -> tuple[WorkItem | None, str]:
    """The work item a person means by ``reference``: its external ID, else the number
    they see on it (INC0001840, any case). ``(item, "")`` or ``(None, why not)``."""
    reference = (reference or "").strip()
    if not reference:
        return None, "Give the work item's number or external ID."
    items = WorkItem.objects.filter(organization=organization)
    found = items.filter(external_id=reference).first()
    if found is not None:
        return found, ""
    by_number = list(items.filter(number__iexact=reference)[:2])
    if len(by_number) == 1:
        return by_number[0], ""
    if by_number:
        return None, f"Several work items have the number “{reference}”: give its external ID."
    return None, f"No work item has the number or external ID “{reference}”."


def teams_for_filter(organization: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=organization).order_by("name")


def agents_for_filter(organization: Organization) -> QuerySet[User]:
    member_ids = Membership.objects.filter(organization=organization, is_agent=True).values(
        "user_id"
    )
    return User.objects.filter(pk__in=member_ids).order_by("first_name", "last_name", "username")


def recent_imports(organization: Organization, limit: int = 10) -> QuerySet[WorkImport]:
    return (
        WorkImport.objects.filter(organization=organization)
        .select_related("created_by")[:limit]
    )


def work_import(organization: Organization, pk: int) -> WorkImport:
    return (
        WorkImport.objects.filter(organization=organization)
        .select_related("created_by")
        .get(pk=pk)
    )
