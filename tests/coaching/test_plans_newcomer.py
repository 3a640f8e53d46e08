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
