"""Learning tasks: the coaches' list with filters, assigning courses, a task's page with
its content, and the agent's actions on their own tasks."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenancy.people import suggestions

from .. import selectors, services
from ..enums import DueStatus, TaskState
from ..extensions import with_origins
from ..forms import AssignForm, TaskFilterForm
from .common import org_permission_required, org_url

PAGE_SIZE = 50


@org_permission_required("learning.view_learning_workspace")
def index(request):
    return redirect(org_url(request, "learning:task_list"))


@org_permission_required("learning.view_team_tasks")
def task_list(request):
    organization = request.organization
    today = selectors.local_today(organization)
    agents = list(selectors.assignable_people(organization, request.user))
    courses = list(selectors.course_choices(organization))
    form = TaskFilterForm(request.GET or None, agents=agents, courses=courses)
    filters = selectors.TaskFilters()
    if form.is_valid():
        filters = selectors.TaskFilters(**form.cleaned_data)
    visible = selectors.team_tasks(organization, request.user, selectors.TaskFilters(),
                                   today=today)
    page = Paginator(selectors.team_tasks(organization, request.user, filters, today=today),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    tasks = with_origins(selectors.decorate(page.object_list, today=today))
    context = {
        "form": form, "page": page, "tasks": tasks, "today": today,
        "counts": selectors.state_counts(visible, today=today),
        "filtered": bool(request.GET),
        "can_assign": request.user.has_perm("learning.assign_courses", organization),
        "DueStatus": DueStatus,
    }
    template = "learning/task_list.html"
    if request.htmx and request.htmx.target == "task-results":
        template += "#results"
    return render(request, template, context)


@org_permission_required("learning.assign_courses")
def assign(request):
    organization = request.organization
    initial = {}
    for name in ("course", "catalog"):
        if request.GET.get(name, "").isdigit():
            initial[name] = int(request.GET[name])
    form = AssignForm(request.POST or None, organization=organization, user=request.user,
                      initial=initial)
    if (answer := suggestions(request, form)) is not None:  # the agents box's type-ahead
        return answer
    if request.method == "POST" and form.is_valid():
        try:
            tasks = services.assign_courses(
                course_items=[form.cleaned_data["course"]], assignees=form.cleaned_data["people"],
                assigned_by=request.user, catalog=form.cleaned_data["catalog"],
            )
        except services.LearningError as error:
            form.add_error(None, error.message)
        else:
            course = form.cleaned_data["course"]
            new = sum(1 for t in tasks if t.is_new)
            kept = len(tasks) - new
            messages.success(
                request,
                f"“{course.title}” assigned to {new} {'person' if new == 1 else 'people'}."
                + (f" {kept} already had it open and keep{'s' if kept == 1 else ''} that "
                   "task." if kept else ""),
            )
            return redirect(org_url(request, "learning:task_list") + f"?course={course.pk}")
    return render(request, "learning/assign.html", {"form": form})


@org_permission_required("learning.view_my_learning")
def my_learning(request):
    organization = request.organization
    today = selectors.local_today(organization)
    tasks = selectors.decorate(selectors.my_tasks(organization, request.user), today=today)
    open_tasks = [t for t in tasks if t.is_open]
    context = {
        "open_tasks": open_tasks,
        "done_tasks": sorted((t for t in tasks if t.state == TaskState.COMPLETED),
                             key=lambda t: t.completed_at, reverse=True),
        "cancelled_tasks": [t for t in tasks if t.state == TaskState.CANCELLED],
        "overdue_count": sum(1 for t in open_tasks if t.due_status == DueStatus.OVERDUE),
        "today_count": sum(1 for t in open_tasks if t.due_status == DueStatus.TODAY),
        "today": today,
    }
    return render(request, "learning/my_learning.html", context)


def _visible_task(request, pk: int):
    """A task the user may see (404 otherwise, never 403)."""
    visible = selectors.visible_learning_tasks(organization=request.organization,
                                               user=request.user)
    task = selectors.task_for(visible, pk)
    if task is None:
        raise Http404("No such learning task.")
    return task


def _own_task(request, pk: int):
    """The user's own task; anyone else's is 404, as if it did not exist."""
    task = selectors.task_for(selectors.my_tasks(request.organization, request.user), pk)
    if task is None:
        raise Http404("No such learning task.")
    return task


@org_permission_required("learning.view_my_learning")
def task_detail(request, pk: int):
    task = _visible_task(request, pk)
    today = selectors.local_today(request.organization)
    with_origins(selectors.decorate([task], today=today))
    context = {
        "task": task,
        "course": task.course_item,
        "is_mine": task.assigned_to_id == request.user.pk,
        "can_cancel": request.user.has_perm("learning.cancel_task", task),
        "DueStatus": DueStatus,
    }
    return render(request, "learning/task_detail.html", context)


def _back(request, task):
    target = request.POST.get("next", "")
    if target == "my_learning":
        return redirect(org_url(request, "learning:my_learning"))
    return redirect(org_url(request, "learning:task_detail", pk=task.pk))


@require_POST
@org_permission_required("learning.view_my_learning")
def task_start(request, pk: int):
    task = _own_task(request, pk)
    try:
        services.start_task(task=task, actor=request.user)
    except services.LearningError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{task.course_item.title}” started. Good luck!")
    return _back(request, task)


@require_POST
@org_permission_required("learning.view_my_learning")
def task_complete(request, pk: int):
    task = _own_task(request, pk)
    try:
        done = services.complete_task(task=task, actor=request.user)
    except services.LearningError as error:
        messages.error(request, error.message)
    else:
        extra = selectors.completion_message(done)
        messages.success(request, f"“{done.course_item.title}” completed."
                                  f"{' ' + extra if extra else ''}")
    return _back(request, task)


@require_POST
@org_permission_required("learning.view_my_learning")
def task_cancel(request, pk: int):
    task = _visible_task(request, pk)
    if not request.user.has_perm("learning.cancel_task", task):
        if task.is_open:
            raise PermissionDenied("Only the agent's coach or a learning admin cancels a task.")
        messages.error(request, "This task is no longer open, so it cannot be cancelled.")
        return redirect(org_url(request, "learning:task_detail", pk=task.pk))
    try:
        services.cancel_task(task=task, actor=request.user)
    except services.LearningError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Task “{task.course_item.title}” for {task.assigned_to} "
                                  "cancelled.")
    return redirect(org_url(request, "learning:task_detail", pk=task.pk))
