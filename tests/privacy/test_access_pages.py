"""The access log's pages: the agent's "Who looked at my data" (the issue's done-when: after
a coach opens their evaluation the agent sees the entry), the org admins' log with filters
and CSV export, the read-only admin; permission matrices and constant query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from privacy.access import record_access
from privacy.models import AccessRecord
from tenancy.services.tokens import create_api_token
from tests.coaching.assignment_fixtures import aw_fixture  # noqa: F401
from tests.factories import PASSWORD
from tests.quality.conftest import released_audit

pytestmark = pytest.mark.django_db

MINE = "privacy/me/access/"
LOG = "privacy/access-log/"
EXPORT = "privacy/access-log/export/"


def _as(client, user):
    client.logout()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def audit(aw):
    return released_audit(aw, agent=aw.agent)


@pytest.fixture
def opened(client, aw, audit):
    """carl (alice's coach) opened alice's evaluation page."""
    url = aw.tenant.url(f"quality/evaluations/{audit.pk}/")
    assert _as(client, aw.coach).get(url).status_code == 200
    with scopes_disabled():
        return AccessRecord.objects.get()


def _rows(response):
    return [(row["record"].viewer_label, row["record"].get_kind_display(),
             row["record"].object_label, row["url"]) for row in response.context["rows"]]


# --- Who looked at my data ---------------------------------------------------------------


def test_agent_sees_who_opened_their_evaluation(client, aw, audit, opened):
    page = _as(client, aw.agent).get(aw.tenant.url(MINE))

    assert page.status_code == 200
    evaluation_url = aw.tenant.url(f"quality/evaluations/{audit.pk}/")
    assert _rows(page) == [(str(aw.coach), "Evaluation", "Audit of CHAT-D1", evaluation_url)]
    html = page.content.decode()
    assert f'<a href="{evaluation_url}">Audit of CHAT-D1</a>' in html
    when = timezone.localtime(opened.viewed_at, aw.tenant.org.tzinfo).strftime("%-d %b %Y %H:%M")
    assert when in html
    # …and on My coaching, with a link to the whole list.
    home = client.get(aw.tenant.url("me/")).content.decode()
    assert "Who looked at my data" in home
    assert f"<strong>{aw.coach}</strong>" in home
    assert aw.tenant.url(MINE) in home


def test_my_access_permission_matrix(client, aw, opened):
    url = aw.tenant.url(MINE)
    anonymous = _as(client, None).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert _rows(_as(client, aw.agent2).get(url)) == []  # bob: nobody looked at his data
    assert _rows(_as(client, aw.coach).get(url)) == []  # carl's own entries, not alice's
    assert _as(client, aw.outsider).get(url).status_code == 404


def test_my_access_pages_newest_first_with_constant_queries(
        client, aw, audit, django_assert_num_queries):
    with aw.tenant.scope():
        record_access(aw.coach, subject=aw.agent, kind="evaluation", obj=audit, label="first")
    c = _as(client, aw.agent)
    c.get(aw.tenant.url(MINE))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        assert c.get(aw.tenant.url(MINE)).status_code == 200
    with aw.tenant.scope():
        for n in range(59):
            record_access(aw.coach, subject=aw.agent, kind="skills", obj=n, label=f"n{n}")
        # The first page holds an evaluation, as it did before (another viewer: no dedup).
        record_access(aw.qa, subject=aw.agent, kind="evaluation", obj=audit, label="n59")
    with django_assert_num_queries(len(one.captured_queries)):
        first = c.get(aw.tenant.url(MINE))
    assert [r[2] for r in _rows(first)][:2] == ["n59", "n58"]
    assert len(first.context["rows"]) == 50
    last = c.get(aw.tenant.url(MINE) + "?page=2")
    assert [r[2] for r in _rows(last)][-1] == "first"
    assert len(last.context["rows"]) == 11


def test_an_evaluation_not_released_to_the_agent_is_neither_named_nor_linked(
        client, aw, audit, opened):
    """A QA analyst opened an audit still in draft: alice learns that her evaluation was
    opened, not which one, and gets no link to a page that would say 404."""
    from quality.services.audits import start_audit
    from tests.quality.conftest import make_interaction

    with scopes_disabled():
        item = make_interaction(aw.tenant.org, agent=aw.agent, external_id="CHAT-D2",
                                turns=[("agent", "Hello"), ("customer", "Hi")])
        draft = start_audit(interaction=item, evaluator=aw.qa)
    with aw.tenant.scope():
        record_access(aw.qa, subject=aw.agent, kind="evaluation", obj=draft,
                      label="Audit of CHAT-D2")
    page = _as(client, aw.agent).get(aw.tenant.url(MINE))
    released_url = aw.tenant.url(f"quality/evaluations/{audit.pk}/")
    assert [(r["record"].viewer_label, r["url"], r["hidden"]) for r in page.context["rows"]] == [
        (str(aw.qa), "", True), (str(aw.coach), released_url, False)]
    html = page.content.decode()
    assert "CHAT-D2" not in html and f"quality/evaluations/{draft.pk}/" not in html
    assert "Evaluation: <span class=\"text-body-secondary\">not released to you</span>" in html
    home = client.get(aw.tenant.url("me/")).content.decode()
    assert "opened your evaluation (not released to you)" in home
    assert "opened your evaluation (Audit of CHAT-D1)" in home and "CHAT-D2" not in home
    # An org admin, who may open it, sees it named and linked in the organization's log.
    log = _as(client, aw.admin).get(aw.tenant.url(LOG)).content.decode()
    draft_url = aw.tenant.url(f"quality/evaluations/{draft.pk}/")
    assert f'<a href="{draft_url}">Audit of CHAT-D2</a>' in log


# --- the organization's access log -------------------------------------------------------


@pytest.fixture
def log(aw, audit):
    """Three records: carl opened alice's evaluation, quinn bob's skills, the integration
    token alice's transcript."""
    with aw.tenant.scope():
        record_access(aw.coach, subject=aw.agent, kind="evaluation", obj=audit,
                      label="Audit of CHAT-D1")
        record_access(aw.qa, subject=aw.agent2, kind="skills", obj=aw.agent2,
                      label="Skills and skill history")
        token, _raw = create_api_token(organization=aw.tenant.org, name="Workforce analytics",
                                       created_by=aw.admin)
        record_access(token, subject=aw.agent, kind="transcript", obj=audit.interaction,
                      label="Transcript of CHAT-D1")
    gina = aw.other.member(username="gina")
    with aw.other.scope():  # another tenant's record, never shown here
        record_access(aw.outsider, subject=gina, kind="skills", obj=gina, label="elsewhere")
    with scopes_disabled():
        return list(AccessRecord.objects.filter(organization=aw.tenant.org).order_by("pk"))


def test_access_log_permission_matrix(client, aw, log):
    for path in (LOG, EXPORT):
        url = aw.tenant.url(path)
        anonymous = _as(client, None).get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
        for user in (aw.agent, aw.coach, aw.qa):
            assert _as(client, user).get(url).status_code == 403, (path, user)
        assert _as(client, aw.outsider).get(url).status_code == 404
        assert _as(client, aw.admin).get(url).status_code == 200


def test_access_log_lists_the_tenants_records_newest_first(client, aw, audit, log):
    page = _as(client, aw.admin).get(aw.tenant.url(LOG))
    assert _rows(page) == [
        ("Workforce analytics", "Transcript", "Transcript of CHAT-D1",
         aw.tenant.url(f"quality/interactions/{audit.interaction_id}/")),
        (str(aw.qa), "Skills page", "Skills and skill history",
         aw.tenant.url(f"skills/people/{aw.agent2.pk}/")),
        (str(aw.coach), "Evaluation", "Audit of CHAT-D1",
         aw.tenant.url(f"quality/evaluations/{audit.pk}/")),
    ]
    assert "elsewhere" not in page.content.decode()


@pytest.mark.parametrize(("query", "expected"), [
    (lambda aw: {"subject": aw.agent.pk}, ["Transcript of CHAT-D1", "Audit of CHAT-D1"]),
    (lambda aw: {"viewer": aw.qa.pk}, ["Skills and skill history"]),
    (lambda aw: {"viewer": "token:Workforce analytics"}, ["Transcript of CHAT-D1"]),
    (lambda aw: {"kind": "evaluation"}, ["Audit of CHAT-D1"]),
    (lambda aw: {"date_from": timezone.localdate().isoformat(),
                 "date_to": timezone.localdate().isoformat()},
     ["Transcript of CHAT-D1", "Skills and skill history", "Audit of CHAT-D1"]),
    (lambda aw: {"date_to": (timezone.localdate() - timedelta(days=2)).isoformat()}, []),
], ids=["subject", "viewer", "token", "kind", "today", "before"])
def test_access_log_filters(client, aw, log, query, expected):
    page = _as(client, aw.admin).get(aw.tenant.url(LOG), query(aw))
    assert page.status_code == 200
    assert [r[2] for r in _rows(page)] == expected


def test_access_log_refuses_a_backwards_date_range(client, aw, log):
    page = _as(client, aw.admin).get(aw.tenant.url(LOG),
                                     {"date_from": "2026-11-10", "date_to": "2026-11-01"})
    assert page.status_code == 400
    assert "“To” is before “From”." in page.content.decode()


def test_access_log_export_is_the_filtered_log_as_csv(client, aw, audit, log):
    response = _as(client, aw.admin).get(aw.tenant.url(EXPORT), {"subject": aw.agent.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate(timezone=aw.tenant.org.tzinfo).isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="access-log-acme-{today}.csv"')
    tz = aw.tenant.org.tzinfo

    def at(record):
        return timezone.localtime(record.viewed_at, tz).isoformat(timespec="seconds")

    coach_record, _skills, token_record = log
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["viewed_at", "viewer", "viewer_id", "subject", "subject_id", "kind", "channel",
         "object_id", "object", "path"],
        [at(token_record), "Workforce analytics", "", str(aw.agent), str(aw.agent.pk),
         "transcript", "api", str(audit.interaction_id), "Transcript of CHAT-D1", ""],
        [at(coach_record), str(aw.coach), str(aw.coach.pk), str(aw.agent), str(aw.agent.pk),
         "evaluation", "page", str(audit.pk), "Audit of CHAT-D1", ""],
    ]
    # The export is not itself a record.
    with scopes_disabled():
        assert AccessRecord.objects.filter(organization=aw.tenant.org).count() == 3


def test_access_log_queries_stay_constant(client, aw, audit, log, django_assert_num_queries):
    c = _as(client, aw.admin)
    c.get(aw.tenant.url(LOG))
    with CaptureQueriesContext(connection) as one:
        assert c.get(aw.tenant.url(LOG)).status_code == 200
    with aw.tenant.scope():
        for n in range(30):
            viewer = (aw.coach, aw.qa, aw.coach2)[n % 3]
            record_access(viewer, subject=(aw.agent, aw.agent2, aw.agent3)[n % 3],
                          kind="assessment", obj=n, label=f"Assessment #{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(c.get(aw.tenant.url(LOG)).context["rows"]) == 33


def test_nav_shows_the_access_log_to_org_admins_only(client, aw):
    menu = _as(client, aw.admin).get(aw.tenant.url("me/")).content.decode()
    assert aw.tenant.url(LOG) in menu
    menu = _as(client, aw.coach).get(aw.tenant.url("me/")).content.decode()
    assert aw.tenant.url(LOG) not in menu


# --- Django admin --------------------------------------------------------------------------


def test_admin_is_read_only_and_tenant_scoped(client, aw, log):
    with scopes_disabled():
        aw.admin.is_staff = True
        aw.admin.save(update_fields=["is_staff"])
    c = _as(client, aw.admin)
    changelist = c.get("/admin/privacy/accessrecord/")
    assert changelist.status_code == 200
    assert sorted(r.object_label for r in changelist.context["cl"].result_list) == [
        "Audit of CHAT-D1", "Skills and skill history", "Transcript of CHAT-D1"]
    assert changelist.context["has_add_permission"] is False
    assert c.get("/admin/privacy/accessrecord/add/").status_code == 403
    model_admin = admin.site._registry[AccessRecord]
    request = RequestFactory().get("/admin/")
    request.user, request.organization = aw.admin, aw.tenant.org
    assert model_admin.has_change_permission(request, log[0]) is False
    assert model_admin.has_delete_permission(request, log[0]) is False


def test_access_log_people_filters_are_typed_with_suggestions(client, aw, log,
                                                              django_assert_num_queries):
    """Whose data / Viewed by are type-ahead boxes (a select offered every member twice):
    the label a suggestion fills in filters as the id did; suggestions are this tenant's
    members only; API tokens have a small select of their own; more members, same queries."""
    c = _as(client, aw.admin)
    url = aw.tenant.url(LOG)
    html = c.get(url).content.decode()
    assert '<select name="subject"' not in html and '<select name="viewer"' not in html
    assert 'list="id_subject-people"' in html and 'hx-get="?suggest=viewer"' in html
    assert '<option value="Workforce analytics">Workforce analytics</option>' in html
    with aw.tenant.scope():
        label = f"{aw.agent.get_full_name()} ({aw.agent.username})"
    page = c.get(url, {"subject": label})
    assert [r[2] for r in _rows(page)] == ["Transcript of CHAT-D1", "Audit of CHAT-D1"]
    assert f'value="{label}"' in page.content.decode()
    assert [r[2] for r in _rows(c.get(url, {"viewer": aw.qa.username}))] == [
        "Skills and skill history"]
    assert [r[2] for r in _rows(c.get(url, {"token": "Workforce analytics"}))] == [
        "Transcript of CHAT-D1"]
    nobody = c.get(url, {"viewer": "gina"})  # another tenant's member
    assert nobody.status_code == 400
    assert "Nobody you may choose here matches “gina”." in nobody.content.decode()
    suggested = c.get(url, {"suggest": "subject", "subject": aw.agent.username})
    assert suggested.content.decode().startswith(f'<option value="{label}">')
    assert "gina" not in c.get(url, {"suggest": "viewer", "viewer": "gin"}).content.decode()
    assert _as(client, aw.coach).get(url, {"suggest": "subject"}).status_code == 403
    assert _as(client, aw.outsider).get(url, {"suggest": "subject"}).status_code == 404
    c = _as(client, aw.admin)
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        c.get(url)
    for i in range(20):
        aw.tenant.member(username=f"more{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert c.get(url).status_code == 200
