"""Background work per tenant, written once (the pretix idea).

- :class:`TenantTask` is the base of every per-tenant Celery task: it is enqueued with
  ``organization_id=``, fetches the organization, enters its scope (everything a scope
  needs, see :func:`tenancy.scoping.organization_scope`) and calls the task's function
  with ``organization=``. A tenant deleted meanwhile is logged and skipped quietly.
- :func:`for_each_organization` is the body of a beat task: it enqueues one task per
  tenant, so one tenant's failure never stops the others.
- :func:`enqueue` sends a task by its registered name, so services never import the
  ``tasks`` module that calls them.

A per-tenant task reads::

    @shared_task(base=TenantTask, name="app.do_thing_for")
    def do_thing_for(*, organization: Organization) -> int:
        return services.do_thing(organization=organization)

    @shared_task(name="app.do_thing")  # the beat entry
    def do_thing() -> int:
        return for_each_organization(do_thing_for)
"""

import logging
from typing import Any

from celery import Task, current_app
from celery.signals import task_postrun, task_prerun

from . import rls
from .models import Organization
from .scoping import organization_scope

logger = logging.getLogger(__name__)


# Every task is a unit of work of its own for row-level security: it starts with no tenant
# (a TenantTask then pins its organization), whatever the worker ran before, and an eager
# task run inside a request does not inherit the request's tenant by accident.
_task_entries: dict[str, Any] = {}


@task_prerun.connect(dispatch_uid="tenancy.rls.task_entry")
def _enter_task(task_id=None, **kwargs: Any) -> None:
    entry = rls.entry()
    entry.__enter__()
    _task_entries[task_id] = entry


@task_postrun.connect(dispatch_uid="tenancy.rls.task_exit")
def _leave_task(task_id=None, **kwargs: Any) -> None:
    entry = _task_entries.pop(task_id, None)
    if entry is not None:
        entry.__exit__(None, None, None)


class TenantTask(Task):
    """A task run inside one organization's scope.

    Enqueue it (or call it) with ``organization_id=``; its function receives the
    :class:`Organization` as ``organization=`` instead. When the organization no longer
    exists the task logs a line and returns ``None`` without calling the function.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Celery checks the arguments of an enqueue against the function's signature
        # (``__header__``); callers send ``organization_id`` where it takes ``organization``.
        super().__init_subclass__(**kwargs)
        header = cls.__dict__.get("__header__")
        if header is None:
            return
        check = header.__func__ if isinstance(header, staticmethod) else header

        def check_arguments(*args: Any, organization_id: int, **kwargs: Any) -> Any:
            return check(*args, organization=organization_id, **kwargs)

        cls.__header__ = staticmethod(check_arguments)

    def __call__(self, *args: Any, organization_id: int, **kwargs: Any) -> Any:
        with organization_scope(organization_id) as organization:
            if organization is None:
                logger.info("Task %s skipped: organization %s no longer exists.",
                            self.name, organization_id)
                return None
            return super().__call__(*args, organization=organization, **kwargs)


def for_each_organization(task: Task | str, **kwargs: Any) -> int:
    """Enqueue ``task`` (a :class:`TenantTask` or its name) once per organization, with
    ``kwargs`` and the organization's id; return how many were enqueued.

    Each tenant's task runs, and fails, on its own. When it cannot be enqueued (broker
    down) or, in the in-process mode without a broker, when it raises, the error is logged
    with the organization's id and the other organizations go on; the next beat run tries
    again.
    """
    task = task_named(task) if isinstance(task, str) else task
    organization_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    enqueued = 0
    for organization_id in organization_ids:
        try:
            task.apply_async(kwargs={**kwargs, "organization_id": organization_id})
        except Exception:
            logger.exception("Task %s failed for organization %s; the other organizations "
                             "go on.", task.name, organization_id)
        else:
            enqueued += 1
    return enqueued


def task_named(name: str) -> Task:
    """The task registered under ``name``. A web process imports no ``tasks`` module of
    its own, so the first look-up runs Celery's autodiscovery (every app's ``tasks``)."""
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue(name: str, /, **kwargs: Any) -> None:
    """Send the task registered under ``name`` with keyword arguments ``kwargs``.

    Runs it in-process at once when there is no broker (``CELERY_TASK_ALWAYS_EAGER``);
    a broker error propagates (callers that must not fail log it and rely on a sweeper).
    """
    task_named(name).apply_async(kwargs=kwargs)
