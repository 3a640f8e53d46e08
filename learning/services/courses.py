"""Course items: internal (link, knowledge article, free form) and external courses, the
catalogs they sit in and the skills they grant."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from skills.models import Skill, SkillLevel
from tenancy.models import Organization, User

from ..enums import SOURCES_WITH_BODY, SOURCES_WITH_URL, ContentSource, Provider
from ..errors import LearningError
from ..models import CatalogCourse, CourseItem, CourseSkill, LearningCatalog, http_url_validator
from ..sanitize import clean_html
from .common import require_same_tenant


def _check_content(*, source: str, provider: str, url: str, body: str) -> tuple[str, str, str]:
    """Validate the content fields for the source; return (provider, url, body) to store."""
    source = ContentSource(source)
    if source in SOURCES_WITH_URL:
        if not url:
            raise LearningError("Enter the course's web address.", field="url")
        try:
            http_url_validator(url)
        except ValidationError:
            raise LearningError("Enter a web address starting with http:// or https:// "
                                "(other kinds of links are refused).", field="url") from None
    else:
        url = ""
    if source == ContentSource.EXTERNAL:
        if provider not in Provider.values:
            raise LearningError("Choose the provider of an external course.", field="provider")
    else:
        provider = ""
    if source in SOURCES_WITH_BODY:
        body = clean_html(body)
        if source == ContentSource.ARTICLE and not body:
            raise LearningError("Write the article's text.", field="body")
    else:
        body = ""
    return provider, url, body


@transaction.atomic
def save_course_item(
    *,
    organization: Organization,
    title: str,
    source: str,
    description: str = "",
    provider: str = "",
    url: str = "",
    body: str = "",
    days_to_complete: int = 5,
    estimated_minutes: int | None = None,
    active: bool = True,
    catalogs: Iterable[LearningCatalog] | None = None,
    skills: Iterable[tuple[Skill, SkillLevel]] | None = None,
    created_by: User | None = None,
    course: CourseItem | None = None,
) -> CourseItem:
    """Create or update a course item.

    The article or free-form body is sanitised (no scripts, event handlers or
    ``javascript:`` links); a web address must be http(s). ``catalogs`` and ``skills``,
    when given, replace the course's catalogs and granted skills (one level per skill).
    """
    if not 1 <= int(days_to_complete) <= 365:
        raise LearningError("Days to complete must be between 1 and 365.",
                            field="days_to_complete")
    provider, url, body = _check_content(source=source, provider=provider, url=url.strip(),
                                         body=body)
    catalogs = list(catalogs) if catalogs is not None else None
    skills = list(skills) if skills is not None else None
    require_same_tenant(organization, catalogs or [], what="Catalogs")
    if skills:
        require_same_tenant(organization, [s for s, _ in skills], what="Skills")
        require_same_tenant(organization, [lv for _, lv in skills], what="Skill levels")
        names = [s.name for s, _ in skills]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise LearningError(f"Give each skill once: {', '.join(doubled)}.", field="skills")
    if course is None:
        course = CourseItem(organization=organization, created_by=created_by)
    course.title, course.description, course.source = title.strip(), description, source
    course.provider, course.url, course.body = provider, url, body
    course.days_to_complete, course.estimated_minutes = int(days_to_complete), estimated_minutes
    course.active = active
    course.save()
    if catalogs is not None:
        wanted = {c.pk for c in catalogs}
        CatalogCourse.objects.filter(course=course).exclude(catalog_id__in=wanted).delete()
        present = set(CatalogCourse.objects.filter(course=course)
                      .values_list("catalog_id", flat=True))
        CatalogCourse.objects.bulk_create(
            CatalogCourse(organization=organization, catalog_id=pk, course=course)
            for pk in sorted(wanted - present)
        )
    if skills is not None:
        CourseSkill.objects.filter(course=course).delete()
        CourseSkill.objects.bulk_create(
            CourseSkill(organization=organization, course=course, skill=skill, level=level)
            for skill, level in skills
        )
    return course
