"""A survey's results page lists its responses a page at a time (issue 22.3): latest first —
pending ones (not completed) first, then by completion, dispatch and id: the order of index
surveyresp_org_tpl_latest — 50 a page, the last page for a page number out of range, the
same queries at any size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from surveys.models import SurveyResponse


def _responses(world, count: int) -> list[int]:
    """``count`` responses of the coach about abe: every third one pending, the others
    completed a minute apart; their ids in the page's order."""
    now = timezone.now()
    with scopes_disabled():
        made = SurveyResponse.objects.bulk_create([
            SurveyResponse(organization=world.tenant.org, template=world.coach_survey,
                           respondent=world.coach, subject=world.agent,
                           due_at=now + timedelta(days=7),
                           state="pending" if i % 3 == 0 else "completed",
                           completed_at=None if i % 3 == 0 else now - timedelta(minutes=i))
            for i in range(count)])
        SurveyResponse.objects.filter(pk__in=[r.pk for r in made]).update(dispatched_at=now)
    pending = sorted((r.pk for r in made if r.completed_at is None), reverse=True)
    completed = [r.pk for r in sorted((r for r in made if r.completed_at),
                                      key=lambda r: (r.completed_at, r.pk), reverse=True)]
    return pending + completed


def _ids(response):
    return [r.pk for r in response.context["responses"]]


def test_results_page_lists_responses_a_page_at_a_time(world, client):
    order = _responses(world, 120)
    client.force_login(world.admin)
    url = world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/results/")
    first = client.get(url)
    assert _ids(first) == order[:50]
    html = first.content.decode()
    assert "· 120, latest first" in html and "responses 1–50 of 120" in html
    assert 'href="?page=2" rel="next"' in html
    assert _ids(client.get(url, {"page": 2})) == order[50:100]
    assert _ids(client.get(url, {"page": 3})) == order[100:]
    assert _ids(client.get(url, {"page": 30})) == order[100:]
    assert _ids(client.get(url, {"page": "x"})) == order[:50]


@pytest.mark.parametrize("who", ["admin", "qa"])
def test_results_page_queries_do_not_grow_with_responses(world, client, who,
                                                         django_assert_num_queries):
    _responses(world, 30)
    client.force_login(getattr(world, who))
    url = world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/results/")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _responses(world, 200)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["responses"]) == 50

