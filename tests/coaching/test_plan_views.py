"""The coaching plan pages: the permission matrix, creating and sending a plan (bad input
keeps what was typed), refresh and thumbs, the agent opening a plan, notes, delete, the
Coaching sessions tab with its agent switcher, the agent's calendar on My coaching, and
constant query counts on the list pages."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import AdviceFeedback, CoachingPlan, PlanNote
from coaching.services.plans import create_plan, send_plan

from .assignment_fixtures import aw_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _plan(aw, agent, manager, *, key="empathy", target=80, days=30, send=True, examples=()):
    with aw.tenant.scope():
        plan = create_plan(organization=aw.tenant.org, manager=manager, agent=agent,
                           attribute_key=key, advice=f"Advice on {key} for {agent.username}.",
                           target_percent=target, target_date=_today() + timedelta(days=days),
                           example_ids=list(examples))
        if send:
            plan = send_plan(plan=plan, actor=manager)
    return plan


@pytest.fixture
def plans(aw):
    """alice's sent Empathy plan (by carl, with her failed audit as an example), dora's
    (by cleo), and a draft Greeting plan for bob (by carl)."""
    failed = aw.audit(aw.agent, answers={"greeting": "yes", "empathy": "no", "compliance": "yes",
                                         "product-knowledge": "yes", "communication": "yes",
                                         "etiquette": "yes"})
    alice = _plan(aw, aw.agent, aw.coach, examples=[failed.interaction_id])
    dora = _plan(aw, aw.agent3, aw.coach2)
    bob = _plan(aw, aw.agent2, aw.coach, key="greeting", send=False)
    mail.outbox.clear()
    return {"alice": alice, "dora": dora, "bob": bob, "failed": failed}


def _as(client, user):
    client.force_login(user)
    return client


def _status(client, user, url, method="get", data=None):
    if user is None:
        client.logout()
    else:
        client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


# --- the permission matrix -------------------------------------------------------------


def test_plan_detail_matrix(client, aw, plans):
    url = aw.tenant.url(f"coaching/plans/{plans['alice'].pk}/")
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _status(client, aw.agent, url) == 200  # her own plan
    assert _status(client, aw.agent2, url) == 404  # another agent's plan
    assert _status(client, aw.coach, url) == 200  # coaches alice
    assert _status(client, aw.coach2, url) == 404  # coach of another team
    assert _status(client, aw.qa, url) == 404  # QA analysts do not plan
    assert _status(client, aw.admin, url) == 200  # org admin
    assert _status(client, aw.outsider, url) == 404  # another tenant


def test_a_draft_is_hidden_from_its_agent(client, aw, plans):
    url = aw.tenant.url(f"coaching/plans/{plans['bob'].pk}/")
    assert _status(client, aw.agent2, url) == 404
    assert _status(client, aw.coach, url) == 200


@pytest.mark.parametrize("page", ["create", "sessions", "delete", "advice"])
def test_manager_pages_matrix(client, aw, plans, page):
    alice, dora = aw.agent.pk, aw.agent3.pk
    urls = {
        "create": (f"coaching/plans/new/?agent={alice}&attribute=empathy",
                   f"coaching/plans/new/?agent={dora}&attribute=empathy"),
        "sessions": (f"coaching/agents/{alice}/sessions/", f"coaching/agents/{dora}/sessions/"),
        "delete": (f"coaching/plans/{plans['alice'].pk}/delete/",
                   f"coaching/plans/{plans['dora'].pk}/delete/"),
        "advice": (f"coaching/plans/new/advice/?agent={alice}&attribute=empathy",
                   f"coaching/plans/new/advice/?agent={dora}&attribute=empathy"),
    }
    mine, theirs = (aw.tenant.url(path) for path in urls[page])
    ok = 302 if page == "advice" else 200  # without htmx the refresh reloads the page
    response = client.get(mine)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _status(client, aw.agent, mine) == 403
    assert _status(client, aw.qa, mine) == 403
    assert _status(client, aw.coach, mine) == ok
    assert _status(client, aw.coach, theirs) == 404  # dora is not carl's
    assert _status(client, aw.coach2, mine) == 404
    assert _status(client, aw.admin, mine) == ok
    assert _status(client, aw.admin, theirs) == ok
    assert _status(client, aw.outsider, mine) == 404


def test_posts_on_someone_elses_plan_are_404(client, aw, plans):
    dora = plans["dora"]
    for path in ("notes/", "delete/", "send/"):
        url = aw.tenant.url(f"coaching/plans/{dora.pk}/{path}")
        assert _status(client, aw.coach, url, "post", {"text": "x"}) == 404
        assert _status(client, aw.agent3, url, "post", {"text": "x"}) == 403
    assert _status(client, aw.coach, aw.tenant.url("coaching/plans/new/feedback/"), "post",
                   {"agent": aw.agent3.pk, "attribute": "empathy", "variant_key": "v",
                    "vote": "1"}) == 404


# --- creating and sending --------------------------------------------------------------


def _create_url(aw, agent=None):
    return aw.tenant.url(f"coaching/plans/new/?agent={(agent or aw.agent).pk}"
                         "&attribute=empathy")


def test_create_page_offers_generated_advice_with_its_examples(client, aw, plans):
    body = _as(client, aw.coach).get(_create_url(aw)).content.decode()
    assert "Coaching plan: Empathy" in body
    assert 'name="advice"' in body and 'data-testid="advice-refresh"' in body
    label = plans["failed"].interaction.label
    assert f'value="{plans["failed"].interaction_id}" id="example-' in body
    assert label in body
    assert body.count(" checked") >= 1


def test_bad_target_and_date_keep_the_edited_advice(client, aw):
    c = _as(client, aw.coach)
    response = c.post(_create_url(aw), {
        "agent": aw.agent.pk, "attribute": "empathy", "advice": "My own edited words.",
        "target_percent": 101, "target_date": (_today() - timedelta(days=1)).isoformat(),
    })
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose a target between 0 and 100 %." in body
    assert "The target date is in the past: choose today or a later day." in body
    assert "My own edited words." in body
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 0
    assert mail.outbox == []


def test_send_creates_and_shares_the_plan_and_mails_a_direct_link(
        client, aw, plans, django_capture_on_commit_callbacks):
    target_date = _today() + timedelta(days=21)
    c = _as(client, aw.coach)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(_create_url(aw, aw.agent2), {
            "agent": aw.agent2.pk, "attribute": "empathy", "advice": "Name the feeling first.",
            "target_percent": 85, "target_date": target_date.isoformat(),
            "examples": [], "variant_key": "",
        })
    with scopes_disabled():
        plan = CoachingPlan.objects.get(agent=aw.agent2, status="shared")
    assert response.status_code == 302
    assert response["Location"] == aw.tenant.url(f"coaching/plans/{plan.pk}/")
    assert (plan.status, plan.target_percent, plan.target_date, plan.advice) == (
        "shared", 85, target_date, "Name the feeling first.")
    assert plan.manager == aw.coach and plan.agent == aw.agent2
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [aw.agent2.email]
    assert f"/o/acme/coaching/plans/{plan.pk}/" in mail.outbox[0].body


def test_refresh_swaps_another_variant_and_thumbs_are_recorded(client, aw):
    c = _as(client, aw.coach)
    first = c.get(_create_url(aw)).content.decode()
    variant = first.split('data-variant="')[1].split('"')[0]
    refreshed = c.get(aw.tenant.url(
        f"coaching/plans/new/advice/?agent={aw.agent.pk}&attribute=empathy&exclude={variant}"),
        headers={"HX-Request": "true"})
    body = refreshed.content.decode()
    assert refreshed.status_code == 200 and body.lstrip().startswith("<div id=\"advice-block\"")
    other = body.split('data-variant="')[1].split('"')[0]
    assert other != variant
    response = c.post(aw.tenant.url("coaching/plans/new/feedback/"), {
        "agent": aw.agent.pk, "attribute": "empathy", "variant_key": other, "vote": "1"},
        headers={"HX-Request": "true"})
    assert "Thumbs up recorded" in response.content.decode()
    with scopes_disabled():
        vote = AdviceFeedback.objects.get()
    assert (vote.user, vote.attribute_key, vote.variant_key, vote.vote) == (
        aw.coach, "empathy", other, 1)


# --- a plan ----------------------------------------------------------------------------


def test_the_agent_opening_the_plan_moves_it_to_working_on_it(client, aw, plans):
    url = aw.tenant.url(f"coaching/plans/{plans['alice'].pk}/")
    _as(client, aw.coach).get(url)
    with scopes_disabled():
        plans["alice"].refresh_from_db()
    assert plans["alice"].status == "shared"  # the manager looking changes nothing
    body = _as(client, aw.agent).get(url).content.decode()
    with scopes_disabled():
        plans["alice"].refresh_from_db()
    assert plans["alice"].status == "working"
    assert 'data-plan-status="working"' in body and "Working on it" in body
    assert "The agent opened the plan and is working on it." in body
    assert "Advice on empathy for alice." in body
    assert "80 %</strong> by" in body
    assert 'data-testid="plan-period"' in body
    assert "Add note" not in body and "plan-delete" not in body  # the agent only reads


def test_notes_until_the_target_date_both_sides_read_them(client, aw, plans):
    plan = plans["alice"]
    url = aw.tenant.url(f"coaching/plans/{plan.pk}/notes/")
    response = _as(client, aw.coach).post(url, {"text": "Met on Monday: practise openings."})
    assert response.status_code == 302
    body = _as(client, aw.agent).get(aw.tenant.url(f"coaching/plans/{plan.pk}/")).content
    assert "Met on Monday: practise openings." in body.decode()
    assert _as(client, aw.agent).post(url, {"text": "mine"}).status_code == 403
    with scopes_disabled():
        CoachingPlan.objects.filter(pk=plan.pk).update(target_date=_today() - timedelta(days=1))
    late = _as(client, aw.coach).post(url, {"text": "Too late."})
    assert late.status_code == 400
    assert "Too late." in late.content.decode()  # what was typed stays
    assert "notes can no longer be added." in late.content.decode()
    with scopes_disabled():
        assert list(PlanNote.objects.values_list("text", flat=True)) == [
            "Met on Monday: practise openings."]


def test_delete_asks_then_records_and_hides_the_plan(client, aw, plans):
    plan = plans["alice"]
    c = _as(client, aw.coach)
    confirm = c.get(aw.tenant.url(f"coaching/plans/{plan.pk}/delete/")).content.decode()
    assert "Delete this coaching plan?" in confirm
    response = c.post(aw.tenant.url(f"coaching/plans/{plan.pk}/delete/"))
    assert response["Location"] == aw.tenant.url(f"coaching/agents/{aw.agent.pk}/sessions/")
    with scopes_disabled():
        plan.refresh_from_db()
    assert plan.deleted_by == aw.coach and plan.deleted_at is not None
    assert c.get(aw.tenant.url(f"coaching/plans/{plan.pk}/")).status_code == 404
    assert _status(client, aw.agent, aw.tenant.url(f"coaching/plans/{plan.pk}/")) == 404


# --- Coaching sessions and My coaching -------------------------------------------------


def test_sessions_list_every_plan_with_status_and_switch_agents(client, aw, plans):
    c = _as(client, aw.coach)
    body = c.get(aw.tenant.url(f"coaching/agents/{aw.agent2.pk}/sessions/")).content.decode()
    assert "Greeting" in body and 'data-plan-status="draft"' in body
    assert 'id="agent-switch"' in body and "<option" not in body.split('id="agent-switch"')[1] \
        .split("</form>")[0]  # a type-ahead box (test_sessions_switcher.py), not a select
    switched = c.get(aw.tenant.url(f"coaching/agents/{aw.agent2.pk}/sessions/"
                                   f"?agent={aw.agent.pk}"))
    assert switched["Location"] == aw.tenant.url(f"coaching/agents/{aw.agent.pk}/sessions/")
    assert c.get(aw.tenant.url(f"coaching/agents/{aw.agent2.pk}/sessions/"
                               f"?agent={aw.agent3.pk}")).status_code == 404


def test_my_coaching_shows_the_calendar_by_target_date_and_the_list(client, aw, plans):
    plan = plans["alice"]
    c = _as(client, aw.agent)
    month = plan.target_date.strftime("%Y-%m")
    body = c.get(aw.tenant.url(f"me/?plans_month={month}")).content.decode()
    assert "My coaching plans" in body
    assert body.count(f'href="/o/acme/coaching/plans/{plan.pk}/"') == 2  # calendar + list
    assert plan.target_date.strftime("%B %Y") in body
    nxt = (plan.target_date.replace(day=1) + timedelta(days=65)).strftime("%Y-%m")
    later = c.get(aw.tenant.url(f"me/?plans_month={nxt}")).content.decode()
    assert later.count(f'href="/o/acme/coaching/plans/{plan.pk}/"') == 1  # the list only
    assert "Greeting" not in body  # bob's draft is not hers, and drafts never show


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_pages_keep_a_constant_number_of_queries(client, aw, plans):
    sessions = aw.tenant.url(f"coaching/agents/{aw.agent.pk}/sessions/")
    mine = aw.tenant.url("me/")
    c = _as(client, aw.coach)
    before_sessions = _count(c, sessions)
    c = _as(client, aw.agent)
    before_mine = _count(c, mine)
    for _ in range(3):
        _plan(aw, aw.agent, aw.coach)
    c = _as(client, aw.coach)
    assert _count(c, sessions) == before_sessions
    c = _as(client, aw.agent)
    assert _count(c, mine) == before_mine
