"""Read queries for skills pages and the API: each returns what its callers render, with a
fixed number of queries whatever the amount of data."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.enums import Role
from tenancy.models import Membership, Organization, Team, TeamMember, User
from tenancy.selectors import coachable_agents, sees_everything, teams_coached_by
from work.models import WorkItem

from . import extensions
from .enums import RecommendationState, ReviewState
from .models import (
    Skill,
    SkillChange,
    SkillLevel,
    SkillRecommendation,
    SkillReview,
    UserSkill,
    WorkItemPrediction,
    WorkItemSkill,
)


def levels(organization: Organization) -> list[SkillLevel]:
    return list(SkillLevel.objects.filter(organization=organization).order_by("rank"))


def catalogue(organization: Organization, *, include_inactive: bool = True) -> QuerySet[Skill]:
    qs = (
        Skill.objects.filter(organization=organization)
        .select_related("parent")
        .annotate(holder_count=Count("holders", distinct=True))
        .order_by("name")
    )
    return qs if include_inactive else qs.filter(active=True)


def categories(organization: Organization) -> list[str]:
    return list(
        Skill.objects.filter(organization=organization).exclude(category="")
        .order_by("category").values_list("category", flat=True).distinct()
    )


@dataclass
class TreeNode:
    skill: Skill
    children: list["TreeNode"] = field(default_factory=list)


def skill_forest(skills: list[Skill]) -> list[TreeNode]:
    """Roots of the hierarchy built from ``skills`` (children sorted by name)."""
    nodes = {s.pk: TreeNode(s) for s in skills}
    roots = []
    for skill in sorted(skills, key=lambda s: s.name.lower()):
        parent = nodes.get(skill.parent_id)
        (parent.children if parent else roots).append(nodes[skill.pk])
    return roots


def flatten_forest(roots: list[TreeNode], depth: int = 0) -> list[tuple[int, Skill]]:
    rows = []
    for node in roots:
        rows.append((depth, node.skill))
        rows.extend(flatten_forest(node.children, depth + 1))
    return rows


# ---------------------------------------------------------------- skill matrix


@dataclass
class MatrixCell:
    skill: Skill
    level: SkillLevel | None  # None: not held
    marker: extensions.MatrixMarker | None = None
    dimmed: bool = False


@dataclass
class MatrixRow:
    user: User
    label: str
    cells: list[MatrixCell]


@dataclass
class Matrix:
    levels: list[SkillLevel]
    skills: list[Skill]
    rows: list[MatrixRow]
    teams: list[Team]
    people: list[User]
    categories: list[str]
    team: Team | None
    page: Page | None = None  # of the people who match, ``rows`` are this page's


#: People per page of the skill matrix: 50 × 31 skills is ~1,500 cells, not 15,000.
MATRIX_PAGE = 50


@dataclass
class MatrixScope:
    """Whose rows a matrix may show: the teams the viewer may choose, the team shown (None:
    the whole tenant) and its people, in the order the matrix lists them; and the level
    scale and categories its filters offer."""

    teams: list[Team]
    team: Team | None
    people_qs: QuerySet
    people: list[User]
    levels: list[SkillLevel]
    categories: list[str]


def matrix_scope(
    *,
    organization: Organization,
    viewer: User,
    team_id: int | None = None,
    order_people: Callable[[list[User]], list[User]] | None = None,
) -> MatrixScope | None:
    """The :class:`MatrixScope` of :func:`matrix` (four queries), or None when ``team_id`` is
    not a team the viewer may see. A view that needs the people before the matrix (its
    person filter) passes it on to :func:`matrix`."""
    viewer_sees_all = sees_everything(organization, viewer, Role.SKILL_ADMIN)
    teams_qs = Team.objects.filter(organization=organization)
    if not viewer_sees_all:
        teams_qs = teams_coached_by(organization, viewer)
    teams = list(teams_qs.order_by("name"))
    team = None
    if team_id is not None:
        team = next((t for t in teams if t.pk == team_id), None)
        if team is None:
            return None
    elif not viewer_sees_all:
        team = teams[0] if teams else None
    if team is not None:
        people_qs = User.objects.filter(
            pk__in=TeamMember.objects.filter(team=team).values("user_id")
        )
    elif viewer_sees_all:
        with scopes_disabled():
            people_qs = User.objects.filter(
                pk__in=Membership.objects.filter(organization=organization, is_agent=True)
                .values("user_id")
            )
    else:
        people_qs = User.objects.none()
    people = list(people_qs.order_by("first_name", "last_name", "username"))
    if order_people is not None:
        people = order_people(people)
    return MatrixScope(teams, team, people_qs, people, levels(organization),
                       categories(organization))


def matrix(
    *,
    organization: Organization,
    viewer: User,
    team_id: int | None = None,
    user_id: int | None = None,
    skill_type: str = "",
    level_id: int | None = None,
    category: str = "",
    page: str | int | None = None,
    per_page: int = MATRIX_PAGE,
    order_people: Callable[[list[User]], list[User]] | None = None,
    scope: MatrixScope | None = None,
) -> Matrix | None:
    """Agents × skills with their levels, a page of people at a time, in seven queries (eight
    with ``level_id``) plus one per registered marker, whatever the number of people.

    Skill and org admins may look at the whole tenant or any team; other viewers (coaches)
    only at a team they coach, the first one by default. Returns None when ``team_id`` is
    not a team the viewer may see. People are ordered by name, or by ``order_people`` (the
    order of what is shown of them where peers are pseudonyms, tenancy.pseudonyms), before
    they are paged; a page number out of range gives the last page. ``scope``: the
    :func:`matrix_scope` of the same arguments, when the caller already has it.
    """
    if scope is None:
        scope = matrix_scope(organization=organization, viewer=viewer, team_id=team_id,
                             order_people=order_people)
        if scope is None:
            return None
    teams, team, people_qs, people = scope.teams, scope.team, scope.people_qs, scope.people
    scale, all_categories = scope.levels, scope.categories

    skills_qs = Skill.objects.filter(organization=organization, active=True).order_by("name")
    if skill_type:
        skills_qs = skills_qs.filter(skill_type=skill_type)
    if category:
        skills_qs = skills_qs.filter(category=category)
    skills = list(skills_qs)

    rows_people = [p for p in people if user_id is None or p.pk == user_id]

    skill_ids = [s.pk for s in skills]
    if level_id is not None:
        # Only people holding one of the shown skills at that level have a row: decided
        # before paging, so every page is full.
        holders = set(UserSkill.objects.filter(
            organization=organization, level_id=level_id, skill_id__in=skill_ids,
            user_id__in=people_qs.values("pk") if user_id is None else [user_id],
        ).values_list("user_id", flat=True))
        rows_people = [p for p in rows_people if p.pk in holders]
    people_page = Paginator(rows_people, per_page).get_page(page)
    rows_people = list(people_page.object_list)
    user_ids = [p.pk for p in rows_people]
    level_by_id = {lv.pk: lv for lv in scale}
    held: dict[tuple[int, int], SkillLevel] = {}
    if skill_ids and user_ids:
        # Plain tuples: 20,000 model instances would cost seconds.
        for uid, sid, lid in UserSkill.objects.filter(
            organization=organization, user_id__in=user_ids, skill_id__in=skill_ids
        ).values_list("user_id", "skill_id", "level_id"):
            held[(uid, sid)] = level_by_id[lid]
    markers = extensions.matrix_markers(organization, user_ids, skill_ids) if user_ids else {}

    rows = []
    for person in rows_people:
        cells = []
        hit = False
        for skill in skills:
            level = held.get((person.pk, skill.pk))
            dimmed = False
            if level_id is not None:
                matches = level is not None and level.pk == level_id
                hit = hit or matches
                dimmed = not matches
            cells.append(MatrixCell(skill, level, markers.get((person.pk, skill.pk)), dimmed))
        if level_id is None or hit:
            label = person.get_full_name() or person.username
            rows.append(MatrixRow(person, label, cells))
    return Matrix(scale, skills, rows, teams, people, all_categories, team, people_page)


def matrix_cell(*, organization: Organization, user: User, skill: Skill) -> UserSkill | None:
    return (
        UserSkill.objects.filter(organization=organization, user=user, skill=skill)
        .select_related("level")
        .first()
    )


def _member(organization: Organization, user_id: int) -> User | None:
    with scopes_disabled():
        is_member = Membership.objects.filter(organization=organization, user_id=user_id).exists()
    return User.objects.filter(pk=user_id).first() if is_member else None


def agent_editable_by(*, organization: Organization, viewer: User, user_id: int) -> User | None:
    """The member ``user_id`` if the viewer may edit their skills, else None (→ 404)."""
    user = _member(organization, user_id)
    if user is not None and viewer.has_perm("skills.edit_user_skills", user):
        return user
    return None


def person_visible_to(*, organization: Organization, viewer: User, user_id: int) -> User | None:
    """The member ``user_id`` if the viewer may look at their skills page, else None (→ 404):
    themselves, the agents they may coach and, for skill and org admins, everyone."""
    user = _member(organization, user_id)
    if user is not None and (viewer.has_perm("tenancy.view_coaching_of", user)
                             or sees_everything(organization, viewer, Role.SKILL_ADMIN)):
        return user
    return None


# ---------------------------------------------------------------- skill overview

PIE_COLOURS = ["#9ec5fe", "#6ea8fe", "#3d8bfd", "#0a58ca", "#084298", "#052c65", "#031633"]


@dataclass
class CoverageSlice:
    level: SkillLevel
    count: int
    percent: float
    colour: str
    path: str  # SVG path of the pie slice ("" when count is 0)


@dataclass
class Mttr:
    mean: timedelta | None
    count: int
    since: object  # datetime or None for "all time"
    days: int | None


@dataclass
class Overview:
    skill: Skill
    ancestors: list[Skill]
    subtree: list[TreeNode]
    holder_count: int
    work_item_count: int
    experts: Page  # of UserSkill at the top level
    top_level: SkillLevel | None
    coverage: list[CoverageSlice]
    mttr: Mttr
    sections: list = field(default_factory=list)
    sub_skill_count: int = 0  # descendants whose work counts toward items and MTTR
    holders: object = None  # a Page of UserSkill
    items: object = None  # a Page of WorkItem requiring the skill or a sub-skill


def _pie_path(start: float, end: float, r: float = 90, cx: float = 100, cy: float = 100) -> str:
    if end - start >= 0.9999:
        # A full circle is two half arcs.
        return (f"M {cx} {cy - r} A {r} {r} 0 1 1 {cx} {cy + r} "
                f"A {r} {r} 0 1 1 {cx} {cy - r} Z")
    a0, a1 = 2 * math.pi * start - math.pi / 2, 2 * math.pi * end - math.pi / 2
    x0, y0 = cx + r * math.cos(a0), cy + r * math.sin(a0)
    x1, y1 = cx + r * math.cos(a1), cy + r * math.sin(a1)
    large = 1 if end - start > 0.5 else 0
    return f"M {cx} {cy} L {x0:.2f} {y0:.2f} A {r} {r} 0 {large} 1 {x1:.2f} {y1:.2f} Z"


def coverage(scale: list[SkillLevel], counts: dict[int, int]) -> list[CoverageSlice]:
    total = sum(counts.values())
    slices, start = [], 0.0
    for index, level in enumerate(scale):
        count = counts.get(level.pk, 0)
        share = count / total if total else 0.0
        path = _pie_path(start, start + share) if count else ""
        colour = PIE_COLOURS[min(index, len(PIE_COLOURS) - 1)]
        slices.append(CoverageSlice(level, count, round(share * 100, 1), colour, path))
        start += share
    return slices


def mttr(*, skill: Skill, days: int | None, skill_ids: list[int] | None = None) -> Mttr:
    """Mean resolved_at − opened_at over resolved work items requiring ``skill`` (or any of
    ``skill_ids``: the skill and its sub-skills, each item once).

    Counts items resolved in the last ``days`` days (all time when None).
    """
    since = timezone.now() - timedelta(days=days) if days else None
    items = WorkItem.objects.filter(
        pk__in=WorkItemSkill.objects.filter(skill_id__in=skill_ids or [skill.pk])
        .values("work_item_id"),
        resolved_at__isnull=False, opened_at__isnull=False,
    )
    if since is not None:
        items = items.filter(resolved_at__gte=since)
    result = items.aggregate(
        mean=Avg(ExpressionWrapper(F("resolved_at") - F("opened_at"),
                                   output_field=DurationField())),
        count=Count("pk", distinct=True),
    )
    mean = result["mean"]
    if mean is not None and not isinstance(mean, timedelta):
        mean = timedelta(microseconds=mean)
    return Mttr(mean, result["count"], since, days)


OVERVIEW_PAGE = 20  # holders and work items per page of a skill's overview


def _descendants(node: TreeNode | None) -> list[int]:
    found = []
    for child in node.children if node else []:
        found.append(child.skill.pk)
        found.extend(_descendants(child))
    return found


def overview(*, organization: Organization, skill: Skill, days: int | None,
             holders_page: int | str = 1, items_page: int | str = 1,
             experts_page: int | str = 1, sort_name=None) -> Overview:
    """A skill's figures. Work items and MTTR roll up its sub-skills (an item requiring a
    sub-skill needs the parent's knowledge too); holders are the skill's own. Holders, experts
    and items come as pages (``OVERVIEW_PAGE`` rows), so the page's queries stay constant.

    ``sort_name(user)``: order holders and experts by it instead of the name (a page that
    shows pseudonyms orders by them — :mod:`tenancy.pseudonyms`); the holders are then
    read whole and paged in Python."""
    all_skills = list(
        Skill.objects.filter(organization=organization).only("pk", "name", "parent_id", "active")
    )
    by_id = {s.pk: s for s in all_skills}
    ancestors, node, seen = [], by_id.get(skill.parent_id), set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        ancestors.insert(0, node)
        node = by_id.get(node.parent_id)
    forest = skill_forest(all_skills)
    subtree = _find_node(forest, skill.pk)
    scale = levels(organization)
    counts = dict(
        UserSkill.objects.filter(skill=skill).values_list("level_id").annotate(n=Count("pk"))
    )
    top = scale[-1] if scale else None
    experts = UserSkill.objects.none()
    if top is not None:
        experts = (UserSkill.objects.filter(skill=skill, level=top).select_related("user")
                   .order_by("user__first_name", "user__last_name", "user__username", "pk"))
    skill_ids = [skill.pk, *_descendants(subtree)]
    required = WorkItemSkill.objects.filter(skill_id__in=skill_ids).values("work_item_id")
    holders = (UserSkill.objects.filter(skill=skill).select_related("user", "level")
               .order_by("-level__rank", "user__first_name", "user__last_name",
                         "user__username"))
    if sort_name is not None:
        experts = sorted(experts, key=lambda us: sort_name(us.user))
        holders = sorted(holders, key=lambda us: (-us.level.rank, sort_name(us.user)))
    holders = Paginator(holders, OVERVIEW_PAGE).get_page(holders_page)
    experts = Paginator(experts, OVERVIEW_PAGE).get_page(experts_page)
    items = Paginator(
        WorkItem.objects.filter(organization=organization, pk__in=required)
        .select_related("assigned_to", "resolved_by")
        .order_by(F("opened_at").desc(nulls_last=True), "-pk"),
        OVERVIEW_PAGE)
    # Counted on the requirements alone (an item once, however many of the skills it
    # requires; a requirement is its item's tenant's): the work items table is not joined,
    # which cost a hash of every item of the tenant (issue 22).
    items.count = (WorkItemSkill.objects.filter(organization=organization,
                                                skill_id__in=skill_ids)
                   .aggregate(n=Count("work_item_id", distinct=True))["n"])
    items = items.get_page(items_page)
    return Overview(
        skill=skill,
        ancestors=ancestors,
        subtree=subtree.children if subtree else [],
        holder_count=sum(counts.values()),
        work_item_count=items.paginator.count,
        experts=experts,
        top_level=top,
        coverage=coverage(scale, counts),
        mttr=mttr(skill=skill, days=days, skill_ids=skill_ids),
        sub_skill_count=len(skill_ids) - 1,
        holders=holders,
        items=items,
    )


def _find_node(nodes: list[TreeNode], pk: int) -> TreeNode | None:
    for node in nodes:
        if node.skill.pk == pk:
            return node
        found = _find_node(node.children, pk)
        if found:
            return found
    return None


# ---------------------------------------------------------------- people and reviews


def skills_of(user: User) -> QuerySet[UserSkill]:
    return (
        UserSkill.objects.filter(user=user)
        .select_related("skill", "level", "awarded_by")
        .order_by("skill__name")
    )


def history_of(user: User, *, skill: Skill | None = None) -> QuerySet[SkillChange]:
    qs = SkillChange.objects.filter(user=user).select_related(
        "skill", "from_level", "to_level", "actor"
    )
    return qs.filter(skill=skill) if skill is not None else qs


def reviews_of(user: User) -> QuerySet[SkillReview]:
    return SkillReview.objects.filter(user=user).select_related(
        "skill", "level", "held_level", "decided_by"
    )


def visible_reviews(*, organization: Organization, user: User) -> QuerySet[SkillReview]:
    """Reviews the user may see (``skills.view_review``): every one for org admins,
    otherwise their own and those of the agents they may coach."""
    qs = SkillReview.objects.filter(organization=organization)
    if sees_everything(organization, user):
        return qs
    return qs.filter(Q(user=user) | Q(user_id__in=coachable_agents(organization, user)))


def reviews_for_decider(*, organization: Organization, viewer: User,
                        state: str = ReviewState.REQUESTED) -> QuerySet[SkillReview]:
    """The reviews a coach or org admin decides (never their own), in ``state`` when
    given."""
    qs = visible_reviews(organization=organization, user=viewer).exclude(user=viewer)
    qs = qs.select_related("user", "skill", "level", "held_level", "decided_by")
    return qs.filter(state=state) if state else qs


def review_options(user: User, organization: Organization) -> tuple[list[Skill], dict]:
    """Active skills and the level each is held at, for the self-review form."""
    skills = list(Skill.objects.filter(organization=organization, active=True).order_by("name"))
    held = dict(UserSkill.objects.filter(user=user).values_list("skill_id", "level__rank"))
    return skills, held


def award_options_for(*, user: User, organization: Organization) -> dict[Skill, list[SkillLevel]]:
    """For each active skill, the levels that would be a gain for ``user`` (what an
    assessment form should offer: nothing they already hold at that level or higher)."""
    scale = levels(organization)
    held = dict(UserSkill.objects.filter(user=user).values_list("skill_id", "level__rank"))
    options = {}
    for skill in Skill.objects.filter(organization=organization, active=True).order_by("name"):
        gains = [lv for lv in scale if lv.rank > held.get(skill.pk, 0)]
        if gains:
            options[skill] = gains
    return options


def members_for_api(organization: Organization) -> QuerySet[UserSkill]:
    return UserSkill.objects.filter(organization=organization).select_related(
        "user", "skill", "level"
    )



def my_skills_summary(request) -> dict | None:
    """The "My skills" card of the agent's My coaching page."""
    from django.urls import reverse

    if not request.user.has_perm("skills.view_my_skills"):
        return None
    held = UserSkill.objects.filter(organization=request.organization, user=request.user).count()
    pending = SkillReview.objects.filter(
        organization=request.organization, user=request.user, state=ReviewState.REQUESTED
    ).count()
    return {
        "title": "Skills held",
        "value": held,
        "caption": f"{pending} review request{'s' if pending != 1 else ''} pending",
        "url": reverse("skills:my_skills", kwargs={"org_slug": request.organization.slug}),
        "tone": None,
    }


# ---------------------------------------------------------------- recommendations


def recommendations(*, organization: Organization, state: str = "",
                    agent: str = "") -> QuerySet[SkillRecommendation]:
    """The tenant's recommendations, newest first; ``agent`` is a username."""
    queryset = SkillRecommendation.objects.filter(organization=organization).select_related(
        "user", "skill", "decided_by", "organization")
    if state:
        queryset = queryset.filter(state=state)
    if agent:
        queryset = queryset.filter(user__username=agent)
    return queryset.order_by("-created_at", "-id")


def visible_recommendations(*, organization: Organization,
                            user: User) -> QuerySet[SkillRecommendation]:
    """Recommendations the user sees: every one for skill and org admins; for coaches those
    about the agents they may coach (never about themselves)."""
    queryset = SkillRecommendation.objects.filter(organization=organization)
    if sees_everything(organization, user, Role.SKILL_ADMIN):
        return queryset
    return queryset.filter(user_id__in=coachable_agents(organization, user)).exclude(user=user)


def recommendations_for_decider(*, organization: Organization, viewer: User,
                                state: str = "") -> QuerySet[SkillRecommendation]:
    """What a coach decides from (:func:`visible_recommendations`), newest first."""
    queryset = visible_recommendations(organization=organization, user=viewer).select_related(
        "user", "skill", "decided_by", "organization")
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-id")


@dataclass(frozen=True)
class EvidenceRow:
    external_id: str
    work_item: WorkItem | None
    score: float
    tagged: bool
    neighbours: list[tuple[WorkItem | str, float]]


def recommendation_evidence(rec: SkillRecommendation) -> list[EvidenceRow]:
    """The evidence items with their work items (for excerpts and links) in one query."""
    ids = {e["work_item"] for e in rec.evidence}
    ids |= {n[0] for e in rec.evidence for n in e.get("neighbours", [])}
    items = WorkItem.objects.filter(organization_id=rec.organization_id, pk__in=ids).in_bulk()
    rows = []
    for e in rec.evidence:
        neighbours = [(items.get(n[0]) or str(n[0]), n[1]) for n in e.get("neighbours", [])]
        rows.append(EvidenceRow(e["external_id"], items.get(e["work_item"]), e["score"],
                                e["tagged"], neighbours))
    return rows


def pending_recommendation_markers(organization, user_ids, skill_ids) -> dict:
    """Matrix markers for pending recommendations (one query)."""
    from django.urls import reverse

    rows = SkillRecommendation.objects.filter(
        organization=organization, state=RecommendationState.PENDING,
        user_id__in=user_ids, skill_id__in=skill_ids,
    ).values_list("pk", "user_id", "skill_id")
    return {
        (user_id, skill_id): extensions.MatrixMarker(
            "Recommended", reverse("skills:recommendation_detail",
                                   kwargs={"org_slug": organization.slug, "pk": pk}))
        for pk, user_id, skill_id in rows
    }


def predicted_skills_for_items(item_ids: list[int]) -> dict[int, list[dict]]:
    """``{item id: [{"skill": name, "score": s}, …]}`` best first, for the work-item API."""
    result: dict[int, list[dict]] = {}
    rows = (WorkItemPrediction.objects.filter(work_item_id__in=item_ids)
            .order_by("work_item_id", "-score", "skill__name")
            .values_list("work_item_id", "skill__name", "score"))
    for item_id, name, score in rows:
        result.setdefault(item_id, []).append({"skill": name, "score": score})
    return result
