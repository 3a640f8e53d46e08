"""What a newcomer's tenant needs for the plan flow (found walking it on a fresh tenant
built with create_org and import_work_items --create-missing): an agent imported with
their work has no password, so the plan's e-mail also carries a link to choose one, and
following both ends on the plan, Working on it."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingPlan, PlanStatus
from coaching.services.plans import create_plan, send_plan

from .assignment_fixtures import aw_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _send(aw, agent, capture):
    with capture(execute=True), aw.tenant.scope():
        plan = create_plan(organization=aw.tenant.org, manager=aw.coach, agent=agent,
                           attribute_key="empathy", advice="Say sorry first.",
                           target_percent=85,
                           target_date=timezone.localdate() + timedelta(days=14))
        return send_plan(plan=plan, actor=aw.coach)


def test_an_agent_without_a_password_is_sent_a_link_to_choose_one(
        client, aw, django_capture_on_commit_callbacks):
    with scopes_disabled():
        aw.agent.set_unusable_password()
        aw.agent.save(update_fields=["password"])
    mail.outbox.clear()
    plan = _send(aw, aw.agent, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    plan_url = f"http://testserver{aw.tenant.url(f'coaching/plans/{plan.pk}/')}"
    body = message.body.replace("http://127.0.0.1:8000", "http://testserver")
    assert "You have not signed in to Coachdesk yet. First choose your password" in body
    assert 'Then sign in with your username "alice" and open the plan' in body
    assert body.rstrip().endswith(plan_url)
    [link] = re.findall(r"http://testserver(/accounts/reset/\S+)", body)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"] is True
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Walk-through-2026!",
                                                    "new_password2": "Walk-through-2026!"})
    assert done.status_code == 302
    assert client.login(username="alice", password="Walk-through-2026!")
    assert client.get(plan_url).status_code == 200
    with scopes_disabled():
        assert CoachingPlan.objects.get(pk=plan.pk).status == PlanStatus.WORKING
    # The link worked once.
    client.logout()
    assert client.get(link, follow=True).context["validlink"] is False


def test_an_agent_with_a_password_gets_only_the_plans_link(
        aw, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    _send(aw, aw.agent, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "choose your password" not in message.body
    assert "/accounts/reset/" not in message.body
    assert "Open the plan (its examples and meeting notes) here:" in message.body


def test_a_fresh_tenant_says_what_to_do_on_the_empty_pages(client, db):
    """No team, no scorecard, nothing scored: each page says what to do next."""
    from tests.factories import Tenant
    from tests.quality.conftest import make_scorecard

    fresh = Tenant(slug="fresh")
    admin = fresh.member(roles=["org_admin"], username="fran")
    coach = fresh.member(roles=["coach"], username="cody")
    fresh.member(roles=["agent"], username="ed")
    client.force_login(admin)
    html = client.get(fresh.url("coaching/behaviours/")).content.decode()
    assert "No team yet. Create one under" in html and fresh.url("teams/") in html
    html = client.get(fresh.url("coaching/behaviours/required/")).content.decode()
    assert "No default scorecard yet: its attributes are the behaviours coached here." in html
    make_scorecard(fresh.org)
    html = client.get(fresh.url("coaching/behaviours/required/")).content.decode()
    assert "No interaction of all agents was scored in this period." in html
    client.force_login(coach)
    html = client.get(fresh.url("coaching/behaviours/")).content.decode()
    assert "You coach no team yet: an org admin makes you a team's manager" in html


def test_an_agent_in_no_team_is_compared_with_every_agent(client, aw):
    """eve came with work that named no team: her overview compares her with all agents
    (before, with only herself to compare with, it said nothing was below average)."""
    from .test_behaviours_selectors import evaluate

    eve = aw.tenant.member(roles=["agent"], username="eve")
    for _ in range(2):
        evaluate(aw, eve, {"empathy": "no"})
        evaluate(aw, aw.agent, {})
        evaluate(aw, aw.agent2, {})
    client.force_login(aw.admin)
    page = client.get(aw.tenant.url(f"coaching/behaviours/agents/{eve.pk}/"))
    assert page.context["teams"] == []
    # All agents: alice, bob, dora (none scored) and eve; empathy 4 of 6 passed.
    [need] = page.context["overview"].needs
    assert (need.attribute.key, need.failures, need.n) == ("empathy", 2, 2)
    assert need.team_score == pytest.approx(100 * 4 / 6)
    html = page.content.decode()
    name = eve.get_full_name() or eve.username
    assert f"{name} is in no team, so the comparison is with all agents of Acme." in html
    assert "reaching the all agents&#x27; average (66.7)" in html
