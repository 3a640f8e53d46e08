"""Catalogs: create and edit them, their applicable teams, and the courses on them."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from tenancy.models import Organization, Team, User

from ..errors import LearningError
from ..models import CatalogCourse, CatalogTeam, CourseItem, LearningCatalog
from .common import require_members, require_same_tenant


def _title_taken(organization: Organization, title: str, catalog: LearningCatalog | None) -> bool:
    clash = LearningCatalog.objects.filter(organization=organization, title__iexact=title.strip())
    if catalog is not None:
        clash = clash.exclude(pk=catalog.pk)
    return clash.exists()


def validate_catalog_title(*, organization: Organization, title: str,
                           catalog: LearningCatalog | None = None) -> None:
    if _title_taken(organization, title, catalog):
        raise LearningError(f"A catalog called “{title.strip()}” already exists; "
                            "choose another title.", field="title")


@transaction.atomic
def save_catalog(
    *,
    organization: Organization,
    title: str,
    description: str = "",
    owner: User | None = None,
    teams: Iterable[Team] = (),
    catalog: LearningCatalog | None = None,
) -> LearningCatalog:
    """Create or update a catalog with exactly the given applicable teams.

    The title is unique per organization (case-insensitive); a clash raises LearningError.
    """
    teams = list(teams)
    require_same_tenant(organization, teams, what="Applicable teams")
    require_members(organization, [owner], what="The owner")
    validate_catalog_title(organization=organization, title=title, catalog=catalog)
    if catalog is None:
        catalog = LearningCatalog(organization=organization)
    catalog.title, catalog.description, catalog.owner = title.strip(), description, owner
    try:
        with transaction.atomic():
            catalog.save()
    except IntegrityError:
        raise LearningError(f"A catalog called “{title.strip()}” already exists; "
                            "choose another title.", field="title") from None
    wanted = {t.pk for t in teams}
    CatalogTeam.objects.filter(catalog=catalog).exclude(team_id__in=wanted).delete()
    present = set(CatalogTeam.objects.filter(catalog=catalog).values_list("team_id", flat=True))
    CatalogTeam.objects.bulk_create(
        CatalogTeam(organization=organization, catalog=catalog, team_id=pk)
        for pk in sorted(wanted - present)
    )
    return catalog


@transaction.atomic
def add_course_to_catalog(*, catalog: LearningCatalog,
                          courses: Iterable[CourseItem]) -> LearningCatalog:
    """Put courses on a catalog; courses already on it are left as they are."""
    courses = list(courses)
    organization = catalog.organization
    require_same_tenant(organization, courses, what="Course items")
    present = set(CatalogCourse.objects.filter(catalog=catalog).values_list("course_id",
                                                                            flat=True))
    CatalogCourse.objects.bulk_create(
        [CatalogCourse(organization=organization, catalog=catalog, course=c)
         for c in courses if c.pk not in present],
        ignore_conflicts=True,
    )
    return catalog


@transaction.atomic
def remove_course_from_catalog(*, catalog: LearningCatalog, course: CourseItem) -> LearningCatalog:
    """Take a course off a catalog. Tasks already assigned from it keep their catalog."""
    CatalogCourse.objects.filter(catalog=catalog, course=course).delete()
    return catalog
