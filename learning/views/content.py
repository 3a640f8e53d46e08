"""Learning admins' pages: catalogs, the internal course editor, external course entry,
and the organization's learning settings."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tenancy.enums import WEEKDAYS
from tenancy.errors import add_service_error

from .. import selectors, services
from ..due_dates import excludes_weekends
from ..enums import ContentSource
from ..forms import (
    CatalogAddCoursesForm,
    CatalogForm,
    CourseForm,
    CourseSkillFormSet,
    LearningSettingsForm,
)
from ..models import CourseItem, LearningCatalog
from .common import org_permission_required, org_url


@org_permission_required("learning.view_learning_workspace")
def catalog_list(request):
    context = {
        "catalogs": selectors.catalog_list(request.organization, request.user),
        "can_manage": request.user.has_perm("learning.manage_content", request.organization),
    }
    return render(request, "learning/catalog_list.html", context)


@org_permission_required("learning.view_learning_workspace")
def catalog_detail(request, pk: int):
    catalog = selectors.catalog_detail(request.organization, request.user, pk)
    if catalog is None:
        raise Http404("No such catalog.")
    can_manage = request.user.has_perm("learning.manage_content", request.organization)
    context = {
        "catalog": catalog,
        "can_manage": can_manage,
        "add_form": CatalogAddCoursesForm(catalog=catalog) if can_manage else None,
        "can_assign": request.user.has_perm("learning.assign_courses", request.organization),
    }
    return render(request, "learning/catalog_detail.html", context)


@org_permission_required("learning.manage_content")
def catalog_edit(request, pk: int | None = None):
    catalog = get_object_or_404(LearningCatalog, pk=pk) if pk is not None else None
    initial = {}
    if catalog is not None:
        initial = {"title": catalog.title, "description": catalog.description,
                   "teams": list(catalog.teams.all())}
    form = CatalogForm(request.POST or None, organization=request.organization,
                       catalog=catalog, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            catalog = services.save_catalog(
                organization=request.organization, catalog=catalog,
                owner=catalog.owner if catalog else request.user, **form.cleaned_data,
            )
        except services.LearningError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Catalog “{catalog.title}” saved.")
            return redirect(org_url(request, "learning:catalog_detail", pk=catalog.pk))
    return render(request, "learning/catalog_form.html", {"form": form, "catalog": catalog})


@require_POST
@org_permission_required("learning.manage_content")
def catalog_add_courses(request, pk: int):
    catalog = get_object_or_404(LearningCatalog, pk=pk)
    form = CatalogAddCoursesForm(request.POST, catalog=catalog)
    if form.is_valid():
        courses = list(form.cleaned_data["courses"])
        services.add_course_to_catalog(catalog=catalog, courses=courses)
        messages.success(request, f"Added {len(courses)} course item"
                                  f"{'' if len(courses) == 1 else 's'} to “{catalog.title}”.")
    else:
        messages.error(request, " ".join(form.errors.get("courses", ["Choose course items."])))
    return redirect(org_url(request, "learning:catalog_detail", pk=catalog.pk))


@require_POST
@org_permission_required("learning.manage_content")
def catalog_remove_course(request, pk: int, course_id: int):
    catalog = get_object_or_404(LearningCatalog, pk=pk)
    course = get_object_or_404(CourseItem, pk=course_id)
    services.remove_course_from_catalog(catalog=catalog, course=course)
    messages.success(request, f"“{course.title}” removed from “{catalog.title}”.")
    return redirect(org_url(request, "learning:catalog_detail", pk=catalog.pk))


@org_permission_required("learning.view_learning_workspace")
def course_list(request):
    source = request.GET.get("source", "")
    source = source if source in ("internal", "external") else ""
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "courses": selectors.course_list(request.organization, source=source, q=q),
        "source": source, "q": q,
        "can_manage": request.user.has_perm("learning.manage_content", request.organization),
        "can_assign": request.user.has_perm("learning.assign_courses", request.organization),
    }
    return render(request, "learning/course_list.html", context)


@org_permission_required("learning.view_learning_workspace")
def course_detail(request, pk: int):
    course = selectors.course_detail(request.organization, pk)
    if course is None:
        raise Http404("No such course item.")
    context = {
        "course": course,
        "can_manage": request.user.has_perm("learning.manage_content", request.organization),
        "can_assign": request.user.has_perm("learning.assign_courses", request.organization)
        and course.active,
    }
    return render(request, "learning/course_detail.html", context)


def _course_initial(course: CourseItem | None) -> tuple[dict, list[dict]]:
    if course is None:
        return {}, []
    initial = {
        "title": course.title, "description": course.description, "source": course.source,
        "provider": course.provider, "url": course.url, "body": course.body,
        "days_to_complete": course.days_to_complete,
        "estimated_minutes": course.estimated_minutes, "active": course.active,
        "catalogs": list(course.catalogs.all()),
    }
    skills = [{"skill": g.skill, "level": g.level} for g in course.granted_skills.all()]
    return initial, skills


@org_permission_required("learning.manage_content")
def course_edit(request, pk: int | None = None, external: bool = False):
    organization = request.organization
    course = None
    if pk is not None:
        course = selectors.course_detail(organization, pk)
        if course is None:
            raise Http404("No such course item.")
        external = course.source == ContentSource.EXTERNAL
    initial, skill_initial = _course_initial(course)
    form = CourseForm(request.POST or None, organization=organization, external=external,
                      initial=initial or None)
    formset = CourseSkillFormSet(request.POST or None, prefix="skills",
                                 initial=skill_initial or None,
                                 form_kwargs={"organization": organization})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        try:
            course = services.save_course_item(
                organization=organization, course=course, created_by=request.user,
                skills=formset.grants(), **data,
            )
        except services.LearningError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Course “{course.title}” saved.")
            return redirect(org_url(request, "learning:course_detail", pk=course.pk))
    context = {"form": form, "formset": formset, "course": course, "external": external}
    return render(request, "learning/course_form.html", context)


@org_permission_required("learning.manage_settings")
def learning_settings(request):
    organization = request.organization
    # A form of one checkbox posts nothing when unticked: bind on the method, not the data.
    form = LearningSettingsForm(request.POST if request.method == "POST" else None,
                                initial={"exclude_weekends": excludes_weekends(organization)})
    if request.method == "POST" and form.is_valid():
        services.set_exclude_weekends(organization=organization,
                                      exclude=form.cleaned_data["exclude_weekends"])
        messages.success(request, "Learning settings saved.")
        return redirect(org_url(request, "learning:settings"))
    names = dict(WEEKDAYS)
    weekend = [names[d] for d in sorted(organization.weekend_days) if d in names]
    return render(request, "learning/settings.html", {"form": form, "weekend_names": weekend})
