"""Skills' extension points: what the apps above skills (learning, coaching) show on skills
pages without this app importing them. Registered from their ``AppConfig.ready``; all are
read while a page is built.

- :data:`skill_overview_sections` — a section on a skill's overview page, e.g. learning's
  "pending users" (learning tasks in progress that grant the skill) and "course items".
- :data:`skill_matrix_markers` — a marker on matrix cells, e.g. the recommender's
  pending recommendation.
- :data:`history_causes` — how a history line links to what caused it (an assessment, a
  learning task…), keyed by the ``cause_type`` stored in history.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from tenancy.extensions import Registry


@dataclass(frozen=True)
class OverviewItem:
    label: str
    url: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class OverviewSection:
    title: str
    items: list[OverviewItem] = field(default_factory=list)
    empty_text: str = "None."


@dataclass(frozen=True)
class MatrixMarker:
    label: str
    url: str | None = None


@dataclass(frozen=True)
class CauseLink:
    label: str
    url_name: str | None  # a tenant URL name taking ``pk``


# fn(request, skill) -> OverviewSection | None ; one query at most, please.
skill_overview_sections: Registry[Callable[..., OverviewSection | None]] = Registry(
    "skills.skill_overview_sections"
)
# fn(organization, user_ids, skill_ids) -> dict[(user_id, skill_id), MatrixMarker] ; one query.
skill_matrix_markers: Registry[Callable[..., dict[tuple[int, int], MatrixMarker]]] = Registry(
    "skills.skill_matrix_markers"
)
# keyed by cause_type
history_causes: Registry[CauseLink] = Registry("skills.history_causes")


def overview_sections(request, skill) -> list[OverviewSection]:
    sections = (provider(request, skill) for provider in skill_overview_sections)
    return [s for s in sections if s is not None]


def matrix_markers(organization, user_ids, skill_ids) -> dict[tuple[int, int], MatrixMarker]:
    markers: dict[tuple[int, int], MatrixMarker] = {}
    for provider in skill_matrix_markers:
        markers.update(provider(organization, user_ids, skill_ids))
    return markers


def cause_link(cause_type: str) -> CauseLink | None:
    return history_causes.get(cause_type)
