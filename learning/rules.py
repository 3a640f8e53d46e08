"""Who may do what with learning.

- Learning admins and org admins own catalogs and course items, see every task and may
  assign any course to any member.
- Coaches see the tasks of the agents in the teams they manage (or co-manage) and assign
  courses to those agents; they may cancel those tasks.
- Every member sees "My learning": their own tasks, which only they start and complete.
- Org admins switch the "exclude weekends from learning due dates" setting.
"""

import rules

from tenancy.rules import is_coach, is_coach_of, is_learning_admin, is_member, is_org_admin

is_content_owner = is_learning_admin | is_org_admin


@rules.predicate
def is_own_task(user, task) -> bool:
    return task is not None and task.assigned_to_id == user.pk


@rules.predicate
def is_coach_of_task_agent(user, task) -> bool:
    return task is not None and is_coach_of(user, task.assigned_to)


@rules.predicate
def is_open_task(user, task) -> bool:
    return task is not None and task.is_open


can_oversee_task = is_content_owner | is_coach_of_task_agent

rules.add_perm("learning.view_learning_workspace", is_content_owner | is_coach)
rules.add_perm("learning.view_team_tasks", is_content_owner | is_coach)
rules.add_perm("learning.assign_courses", is_content_owner | is_coach)
rules.add_perm("learning.manage_content", is_content_owner)
rules.add_perm("learning.manage_settings", is_org_admin)
rules.add_perm("learning.view_my_learning", is_member)
# Who sees which task is ``learning.selectors.visible_learning_tasks``. Only the assignee
# starts and completes a task; whether it is still open is the service's check.
rules.add_perm("learning.work_on_task", is_own_task)
rules.add_perm("learning.cancel_task", can_oversee_task & is_open_task)
