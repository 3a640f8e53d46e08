"""The learning task list pages (issue 22.3): soonest due first then by id (the order of index
learningtask_org_list), 50 a page, filters kept in the pager's links, the last page for a page
number out of range, the same queries at any size."""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from learning.models import LearningTask


def _tasks(world, count: int) -> list[int]:
    """``count`` completed tasks of abe (the coach's team) due over a week; their ids in the
    list's order."""
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    with scopes_disabled():
        made = LearningTask.objects.bulk_create([
            LearningTask(organization=world.tenant.org, assigned_to=world.agent,
                         course_item=world.article, state="completed",
                         due_date=today + datetime.timedelta(days=i % 7),
                         completed_at=timezone.now())
            for i in range(count)])
    return [t.pk for t in sorted(made, key=lambda t: (t.due_date, t.pk))]


def _ids(response):
    return [t.pk for t in response.context["tasks"]]


def test_task_list_pages_in_due_order(world, client):
    order = _tasks(world, 120)
    client.force_login(world.coach)
    target = world.tenant.url("learning/tasks/")
    first = client.get(target)
    assert _ids(first) == order[:50]
    html = first.content.decode()
    assert "120 tasks" in html and "tasks 1–50 of 120" in html
    assert _ids(client.get(target, {"page": 2})) == order[50:100]
    assert _ids(client.get(target, {"page": 3})) == order[100:]


def test_task_list_pager_keeps_the_filters_and_survives_a_bad_page(world, client):
    order = _tasks(world, 60)
    client.force_login(world.coach)
    target = world.tenant.url("learning/tasks/")
    query = {"state": "completed", "agent": world.agent.pk}
    response = client.get(target, query)
    assert (f'href="?state=completed&amp;agent={world.agent.pk}&amp;page=2" rel="next"'
            in response.content.decode())
    second = client.get(target, {**query, "page": 2})
    assert _ids(second) == order[50:]
    assert _ids(client.get(target, {**query, "page": 7})) == order[50:]
    assert _ids(client.get(target, {**query, "page": "last"})) == order[:50]
    assert _ids(client.get(target, {"state": "assigned", "page": 3})) == []


@pytest.mark.parametrize("who", ["coach", "learning_admin"])
def test_task_list_queries_do_not_grow_with_pages_of_rows(world, client, who,
                                                          django_assert_num_queries):
    _tasks(world, 60)
    client.force_login(getattr(world, who))
    target = world.tenant.url("learning/tasks/")
    client.get(target)
    with django_assert_num_queries(14) as small:
        client.get(target)
    _tasks(world, 240)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(target, {"page": 4})
    assert len(response.context["tasks"]) == 50
