"""The assessments list pages with the shared pager (issue 22.3): newest first then by id
(index assessment_org_list), 50 a page, filters kept in the pager's links, the last page for
a page number out of range, the same queries at any size."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment


def _assessments(world, count: int) -> list[int]:
    """``count`` assessments of abe and amy by the coach, every other one in progress, all
    created at one instant (so ordered by id); their ids in the list's order."""
    now = timezone.now()
    with scopes_disabled():
        made = CoachingAssessment.objects.bulk_create([
            CoachingAssessment(organization=world.tenant.org,
                               trainee=world.agent if i % 2 else world.agent2,
                               coach=world.coach, state="open" if i % 2 else "in_progress",
                               due_date=(now + timedelta(days=7)).date(), created_at=now)
            for i in range(count)])
    return sorted((a.pk for a in made), reverse=True)


def _ids(response):
    return [a.pk for a in response.context["page"].object_list]


def test_assessment_list_pages_and_keeps_its_filters(world, login):
    order = _assessments(world, 120)
    client = login(world.coach)
    url = world.tenant.url("coaching/assessments/")
    first = client.get(url)
    assert _ids(first) == order[:50]
    assert "assessments 1–50 of 120" in first.content.decode()
    assert _ids(client.get(url, {"page": 2})) == order[50:100]
    assert _ids(client.get(url, {"page": 3})) == order[100:]
    assert _ids(client.get(url, {"page": 12})) == order[100:]
    in_progress = order[1::2]  # the even i: created first, so the odd positions
    response = client.get(url, {"state": "in_progress", "scope": "mine"})
    assert _ids(response) == in_progress[:50]
    assert ('href="?state=in_progress&amp;scope=mine&amp;page=2" rel="next"'
            in response.content.decode())
    response = client.get(url, {"state": "in_progress", "scope": "mine", "page": "2"})
    assert _ids(response) == in_progress[50:]


def test_assessment_list_queries_do_not_grow_with_pages_of_rows(world, login,
                                                                django_assert_num_queries):
    _assessments(world, 60)
    client = login(world.coach)
    url = world.tenant.url("coaching/assessments/")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _assessments(world, 240)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, {"page": 5})
    assert len(response.context["page"].object_list) == 50
