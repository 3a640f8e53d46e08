"""Extension points other apps fill in from their ``AppConfig.ready``, so skills pages show
their data without this app importing them (skills sits below learning and coaching).

- :func:`register_overview_section` — a section on a skill's overview page, e.g. learning's
  "pending users" (learning tasks in progress that grant the skill) and "course items".
- :func:`register_matrix_marker` — a marker on matrix cells, e.g. the recommender's
  pending recommendation.
- :func:`register_cause` — how a history line links to what caused it (an assessment, a
  learning task…), keyed by the ``cause_type`` stored in history.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


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
_OVERVIEW_SECTIONS: dict[str, Callable] = {}
# fn(organization, user_ids, skill_ids) -> dict[(user_id, skill_id), MatrixMarker] ; one query.
_MATRIX_MARKERS: dict[str, Callable] = {}
_CAUSES: dict[str, CauseLink] = {}


def register_overview_section(key: str, provider: Callable) -> None:
    _OVERVIEW_SECTIONS[key] = provider


def register_matrix_marker(key: str, provider: Callable) -> None:
    _MATRIX_MARKERS[key] = provider


def register_cause(cause_type: str, *, label: str, url_name: str | None = None) -> None:
    _CAUSES[cause_type] = CauseLink(label, url_name)


def overview_sections(request, skill) -> list[OverviewSection]:
    sections = (provider(request, skill) for provider in _OVERVIEW_SECTIONS.values())
    return [s for s in sections if s is not None]


def matrix_markers(organization, user_ids, skill_ids) -> dict[tuple[int, int], MatrixMarker]:
    markers: dict[tuple[int, int], MatrixMarker] = {}
    for provider in _MATRIX_MARKERS.values():
        markers.update(provider(organization, user_ids, skill_ids))
    return markers


def cause_link(cause_type: str) -> CauseLink | None:
    return _CAUSES.get(cause_type)


register_cause("skillreview", label="Self-review", url_name="skills:review_detail")
