"""Calibration over time: per attribute α and per evaluator deviation from the final
answers across finished sessions, the filters, the permission matrix (QA analysts and org
admins only; 404 for anyone else) and a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.models import CalibrationSession

from .calibration_helpers import CLOSE, build_session

URL = "quality/calibration/drift/"


def values(series):
    return [None if p.value is None else round(p.value, 4) for p in series.points]


def test_drift_values_over_two_sessions(world, login):
    first = build_session(world, name="October")
    second = build_session(world, scores=CLOSE, name="November")
    page = login(world.qa).get(world.tenant.url(URL))
    assert page.status_code == 200
    drift = page.context["drift"]
    assert [s.pk for s in drift.sessions] == [first.pk, second.pk]
    by_key = {s.key: s for s in drift.attributes}
    assert [s.key for s in drift.attributes] == ["greeting", "resolution", ""]
    assert values(by_key["greeting"]) == [0.6857, 1.0]
    assert values(by_key["resolution"]) == [-0.323, 0.9236]
    assert round(by_key["resolution"].change, 4) == 1.2466
    assert values(by_key[""]) == [-0.0966, 0.9592]
    assert [p.n for p in by_key["greeting"].points] == [4, 4]
    people = {s.key: s for s in drift.evaluators}
    # totals 25 · greeting + 18.75 · resolution; the final answers are the QA analyst's
    assert values(people[str(world.qa.pk)]) == [0.0, 0.0]
    assert values(people[str(world.admin.pk)]) == [37.5, 4.6875]
    assert values(people[str(world.coach.pk)]) == [53.125, 4.6875]
    assert drift.evaluators[-1].is_auto and drift.evaluators[-1].label == "Automatic scorer"
    html = page.content.decode()
    assert 'id="alpha-drift"' in html and 'id="deviation-drift"' in html
    assert "53.1" in html and "-0.323" in html and "+1.247" in html
    assert f'href="/o/acme/quality/calibration/{first.pk}/"' in html


def test_drift_filters_period_and_scorecard(world, login):
    old = build_session(world, name="Spring")
    recent = build_session(world, scores=CLOSE, name="Autumn")
    with scopes_disabled():
        CalibrationSession.objects.filter(pk=old.pk).update(
            finished_at=timezone.now() - timedelta(days=200))
    client = login(world.admin)

    def shown(query):
        return [s.pk for s in client.get(world.tenant.url(URL + query)).context["drift"].sessions]

    assert shown("") == [old.pk, recent.pk]  # a year by default
    assert shown("?period=180") == [recent.pk]
    assert shown("?period=0") == [old.pk, recent.pk]
    assert shown("?scorecard=customer-care") == [old.pk, recent.pk]
    assert shown("?period=7&scorecard=nope") == [old.pk, recent.pk]  # not choices: default
    assert shown("?period=90&scorecard=customer-care") == [recent.pk]


def test_drift_permission_matrix(world, login, client):
    build_session(world)
    url = world.tenant.url(URL)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for who in ("qa", "admin"):
        client.logout()
        assert login(getattr(world, who)).get(url).status_code == 200
    for who in ("coach", "agent", "outsider"):
        client.logout()
        assert login(getattr(world, who)).get(url).status_code == 404, who


def test_drift_queries_stay_constant_as_sessions_grow(world, login):
    build_session(world, name="One")
    qa = login(world.qa)
    url = world.tenant.url(URL)
    qa.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        assert qa.get(url).status_code == 200
    build_session(world, scores=CLOSE, name="Two")
    build_session(world, name="Three")
    with CaptureQueriesContext(connection) as three:
        page = qa.get(url)
    assert len(page.context["drift"].sessions) == 3
    assert len(three) == len(one)


@pytest.mark.parametrize("who", ["qa", "admin"])
def test_drift_page_without_sessions(world, login, who):
    page = login(getattr(world, who)).get(world.tenant.url(URL))
    assert page.status_code == 200
    assert "No calibration session finished in this period." in page.content.decode()
