"""The reviewers' side of agent disputes: the queue (permission matrix, overdue first, mine
and all, constant queries), the decision page (deciding through it, errors by field with
the input kept, deciding twice, read-only after), and the dispute settings section."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import ReviewState
from quality.models import Dispute, Evaluation, EvaluationChange
from quality.selectors import quality_settings
from quality.services.disputes import Decision, DisputedAttribute, decide_dispute, raise_dispute

from .conftest import make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

EMPATHY = DisputedAttribute("empathy", "I apologised in turn 2.", "yes")
QUEUE = "quality/disputes/review/"


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


def _dispute(world, *, agent=None, evaluator=None, external_id="CHAT-D1",
             items=(EMPATHY,)) -> Dispute:
    evaluation = released_audit(world, agent=agent, evaluator=evaluator,
                                external_id=external_id)
    with scopes_disabled():
        return raise_dispute(evaluation=evaluation, agent=agent or world.agent,
                             items=list(items))


def _set_times(dispute, *, raised_hours_ago, due_in_hours):
    now = timezone.now()
    with scopes_disabled():
        Dispute.objects.filter(pk=dispute.pk).update(
            raised_at=now - timedelta(hours=raised_hours_ago),
            due_at=now + timedelta(hours=due_in_hours))


def _labels(page) -> list[str]:
    return [d.evaluation.interaction.external_id for d, _ in page.context["page"].object_list]


def _fresh(model, pk):
    with scopes_disabled():
        return model.objects.get(pk=pk)


# --- the queue -----------------------------------------------------------------------------


def test_dispute_queue_permission_matrix(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    by_qa = _dispute(world, external_id="CHAT-QA")
    by_coach = _dispute(world, agent=world.agent2, evaluator=world.coach,
                        external_id="CHAT-COACH")
    url = world.tenant.url(QUEUE)

    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")

    login(world.agent)
    assert client.get(url).status_code == 403
    login(world.agent)
    assert client.get(world.tenant.url(f"{QUEUE}{by_qa.pk}/")).status_code == 403

    login(world.coach)  # reviews their own audit's dispute; no "all" filter
    page = client.get(url)
    assert page.status_code == 200
    assert (page.context["scope"], page.context["scopes"]) == ("mine", ("mine",))
    assert _labels(page) == ["CHAT-COACH"]
    assert _labels(client.get(url + "?show=all")) == ["CHAT-COACH"]

    login(world.qa)  # QA analysts see every reviewer's by default
    page = client.get(url)
    assert (page.context["scope"], page.context["scopes"]) == ("all", ("all", "mine"))
    assert _labels(page) == ["CHAT-QA", "CHAT-COACH"]
    assert _labels(client.get(url + "?show=mine")) == ["CHAT-QA"]

    login(world.admin)
    page = client.get(url)
    assert page.status_code == 200
    assert _labels(page) == ["CHAT-QA", "CHAT-COACH"]
    assert _labels(client.get(url + "?show=mine")) == []
    assert "No dispute waiting for you." in client.get(url + "?show=mine").content.decode()

    login(world.outsider)
    assert client.get(url).status_code == 404
    assert client.get(world.tenant.url(f"{QUEUE}{by_coach.pk}/")).status_code == 404


def test_dispute_queue_overdue_first_then_oldest(world, card, client, login):
    turn_disputes_on(world.tenant.org, sla_hours=48)
    fresh = _dispute(world, external_id="CHAT-FRESH")
    old = _dispute(world, external_id="CHAT-OLD")
    late = _dispute(world, external_id="CHAT-LATE")
    later = _dispute(world, external_id="CHAT-LATER")
    _set_times(fresh, raised_hours_ago=1, due_in_hours=47)
    _set_times(old, raised_hours_ago=45, due_in_hours=3)
    _set_times(late, raised_hours_ago=53, due_in_hours=-5)
    _set_times(later, raised_hours_ago=100, due_in_hours=-52)
    page = login(world.qa).get(world.tenant.url(QUEUE))
    assert _labels(page) == ["CHAT-LATER", "CHAT-LATE", "CHAT-OLD", "CHAT-FRESH"]
    assert [age.label for _, age in page.context["page"].object_list] == [
        "overdue by 2 d 4 h", "overdue by 5 h", "2 h left", "46 h left"]
    assert page.context["counts"] == {"open": 4, "overdue": 2}
    html = page.content.decode()
    assert "overdue by 5 h" in html and "1 of 2" in html
    assert 'class="badge text-bg-light border me-1">Empathy</span>' in html


def test_dispute_queue_decided_tab(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    dispute = _dispute(world)
    with scopes_disabled():
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "The apology is there.", "yes")])
    client = login(world.qa)
    assert _labels(client.get(world.tenant.url(QUEUE))) == []
    decided = client.get(world.tenant.url(QUEUE + "?tab=decided"))
    assert _labels(decided) == ["CHAT-D1"]
    assert "80 → 100" in decided.content.decode()


def test_dispute_queue_query_count_is_constant(world, card, client, login,
                                               django_assert_num_queries):
    turn_disputes_on(world.tenant.org)
    _dispute(world, external_id="CHAT-0")
    client = login(world.qa)
    url = world.tenant.url(QUEUE)
    client.get(url)  # warm the session
    with django_assert_num_queries(13):
        assert client.get(url).status_code == 200
    for i in range(1, 6):
        agent = (world.agent, world.agent2, world.agent3)[i % 3]
        _dispute(world, agent=agent, external_id=f"CHAT-{i}", items=[
            EMPATHY, DisputedAttribute("greeting", "I greeted.")])
    with django_assert_num_queries(13):
        page = client.get(url)
    assert len(page.context["page"].object_list) == 6


def test_dispute_queue_is_paged(world, card, client, login, monkeypatch):
    from quality.views import dispute_reviews

    monkeypatch.setattr(dispute_reviews, "QUEUE_PAGE", 2)
    turn_disputes_on(world.tenant.org)
    for i in range(3):
        dispute = _dispute(world, external_id=f"CHAT-{i}")
        _set_times(dispute, raised_hours_ago=10 - i, due_in_hours=30)
    client = login(world.qa)
    assert _labels(client.get(world.tenant.url(QUEUE))) == ["CHAT-0", "CHAT-1"]
    second = client.get(world.tenant.url(QUEUE + "?page=2"))
    assert _labels(second) == ["CHAT-2"]
    assert "Page 2 of 2" in second.content.decode()


def test_navigation_has_disputes_for_reviewers_only(world, card, client, login):
    entry = f'href="{world.tenant.url(QUEUE)}"'
    assert entry in login(world.coach).get(world.tenant.url(), follow=True).content.decode()
    assert entry in login(world.qa).get(world.tenant.url(), follow=True).content.decode()
    agent_page = login(world.agent).get(world.tenant.url(), follow=True)
    assert entry not in agent_page.content.decode()


# --- the decision page ----------------------------------------------------------------------


def test_dispute_page_permission_matrix(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    dispute = _dispute(world, agent=world.agent, evaluator=world.coach)
    url = world.tenant.url(f"{QUEUE}{dispute.pk}/")
    assert client.get(url).status_code == 302

    for who in (world.coach, world.qa, world.admin):  # the reviewer, QA, org admin decide
        page = login(who).get(url)
        assert page.status_code == 200
        assert page.context["deciding"] is True
        assert 'id="decide-form"' in page.content.decode()

    login(world.coach2)  # a coach of another team, not the reviewer: no such dispute
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    login(world.agent)
    assert client.get(url).status_code == 403
    login(world.outsider)
    assert client.get(url).status_code == 404


def test_dispute_page_shows_the_case_and_transcript(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    dispute = _dispute(world)
    page = login(world.qa).get(world.tenant.url(f"{QUEUE}{dispute.pk}/"))
    html = page.content.decode()
    assert "I apologised in turn 2." in html
    assert 'id="turn-0"' in html and "Hello" in html  # the audit screen's transcript partial
    assert [(value, label) for value, label in page.context["rows"][0].changes] == [
        ("yes", "Yes"), ("na", "N/A")]
    assert 'for="decision-empathy-upheld">Uphold No</label>' in html
    assert 'for="decision-empathy-yes">Change to Yes</label>' in html
    assert "round 1 of 2" in html


def test_deciding_through_the_page_changes_the_total(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    dispute = _dispute(world)
    client = login(world.qa)
    url = world.tenant.url(f"{QUEUE}{dispute.pk}/")
    response = client.post(url, {"decision-empathy": "yes",
                                 "comment-empathy": "Right: the apology is in turn 2."})
    assert response.status_code == 302
    assert response.url == world.tenant.url(QUEUE)
    evaluation = _fresh(Evaluation, dispute.evaluation_id)
    assert (evaluation.total, evaluation.review_state) == (100.0, ReviewState.RE_EVALUATED)
    dispute = _fresh(Dispute, dispute.pk)
    assert (dispute.total_before, dispute.total_after, dispute.decided_by_id) == (
        80.0, 100.0, world.qa.pk)
    followed = client.get(response.url)
    assert "Dispute of CHAT-D1 decided: the total went from 80 to 100." in \
        followed.content.decode()

    # Read-only afterwards: the decision, no form.
    page = client.get(url)
    html = page.content.decode()
    assert page.context["deciding"] is False
    assert 'id="decide-form"' not in html
    assert "Right: the apology is in turn 2." in html
    assert "80 → <strong>100</strong>" in html

    # Deciding twice: a message, nothing changed.
    with scopes_disabled():
        changes = EvaluationChange.objects.filter(evaluation_id=evaluation.pk)
        count = changes.count()
    again = client.post(url, {"decision-empathy": "upheld", "comment-empathy": "No."},
                        follow=True)
    assert "This dispute has already been decided." in again.content.decode()
    assert _fresh(Evaluation, evaluation.pk).total == 100.0
    with scopes_disabled():
        assert changes.count() == count
        item = dispute.items.get()
    assert (item.decision, item.comment) == ("changed", "Right: the apology is in turn 2.")


def test_upholding_through_the_page_keeps_the_total(world, card, client, login):
    turn_disputes_on(world.tenant.org, max_rounds=1)
    dispute = _dispute(world)
    response = login(world.qa).post(world.tenant.url(f"{QUEUE}{dispute.pk}/"), {
        "decision-empathy": "upheld", "comment-empathy": "No apology in the transcript."},
        follow=True)
    assert "Dispute of CHAT-D1 decided: the total stays 80." in response.content.decode()
    evaluation = _fresh(Evaluation, dispute.evaluation_id)
    assert (evaluation.total, evaluation.review_state) == (80.0, ReviewState.RESOLVED)


@pytest.mark.parametrize(("data", "message"), [
    ({"comment-empathy": "Because."}, "Uphold or change “Empathy”."),
    ({"decision-empathy": "yes", "comment-empathy": "  "}, "Tell the agent why, for “Empathy”."),
    ({"decision-empathy": "maybe", "comment-empathy": "Because."},
     "“Empathy” is answered yes, no or na; got 'maybe'."),
])
def test_deciding_errors_are_shown_by_field_with_the_input_kept(world, card, client, login,
                                                                data, message):
    turn_disputes_on(world.tenant.org)
    dispute = _dispute(world, items=[EMPATHY, DisputedAttribute("greeting", "I greeted.")])
    response = login(world.qa).post(world.tenant.url(f"{QUEUE}{dispute.pk}/"), {
        **data, "decision-greeting": "upheld", "comment-greeting": "Greeting kept."})
    assert response.status_code == 400
    html = response.content.decode()
    row = next(r for r in response.context["rows"] if r.key == "empathy")
    assert row.error == message
    assert f'id="error-empathy" role="alert">{message.replace(chr(39), "&#x27;")}</p>' in html
    assert ">Greeting kept.</textarea>" in html
    assert 'value="upheld" checked' in html
    assert _fresh(Dispute, dispute.pk).decided_at is None
    assert _fresh(Evaluation, dispute.evaluation_id).total == 80.0


def test_a_coach_who_sees_but_does_not_review_reads_only(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    dispute = _dispute(world)  # alice's audit by the QA analyst; carl coaches alice
    url = world.tenant.url(f"{QUEUE}{dispute.pk}/")
    page = login(world.coach).get(url)
    assert page.status_code == 200
    assert page.context["deciding"] is False
    assert f"Waiting for {world.qa.get_full_name()}’s decision." in page.content.decode()
    assert client.post(url, {"decision-empathy": "upheld",
                             "comment-empathy": "No."}).status_code == 403
    assert _fresh(Dispute, dispute.pk).decided_at is None


# --- the settings section ---------------------------------------------------------------------

SETTINGS = {"release_mode": "on_submit", "release_delay_hours": "24",
            "verify_min_kappa": "0.6", "verify_min_pairs": "30", "min_reviews": "10",
            "learned_min_answers": "50", "audits_per_agent_week": "5",
            "audits_per_evaluator_day": "50", "provider_timeout_seconds": "10"}


def test_settings_page_saves_the_dispute_section(world, client, login):
    client = login(world.admin)
    url = world.tenant.url("quality/settings/")
    page = client.get(url).content.decode()
    assert "Agent accept &amp; dispute" in page
    assert '<option value="" selected>The auditor</option>' in page
    assert f'<option value="{world.qa.pk}">{world.qa.get_full_name()}</option>' in page
    assert f'<option value="{world.coach.pk}">' not in page  # coaches do not arbitrate
    response = client.post(url, {**SETTINGS, "disputes-enabled": "on",
                                 "disputes-max_rounds": "3", "disputes-window_days": "5",
                                 "disputes-sla_hours": "24",
                                 "disputes-arbitrator": str(world.qa.pk)})
    assert response.status_code == 302
    org = world.tenant.org
    org.refresh_from_db()
    saved = quality_settings(org).disputes
    assert (saved.enabled, saved.max_rounds, saved.window_days, saved.sla_hours,
            saved.arbitrator_id) == (True, 3, 5, 24, world.qa.pk)
    page = client.get(url).content.decode()
    assert f'<option value="{world.qa.pk}" selected>' in page
    assert 'name="disputes-sla_hours" value="24"' in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"disputes-max_rounds": "9"}, "max_rounds", "Ensure this value is less than or equal to 5."),
    ({"disputes-sla_hours": "0"}, "sla_hours",
     "Ensure this value is greater than or equal to 1."),
])
def test_settings_page_dispute_errors_by_field(world, client, login, changes, field, message):
    response = login(world.qa).post(world.tenant.url("quality/settings/"), {
        **SETTINGS, "disputes-enabled": "on", "disputes-max_rounds": "2",
        "disputes-window_days": "7", "disputes-sla_hours": "48", **changes})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_disputes-{field}_error"' in html
    assert message in html
    org = world.tenant.org
    org.refresh_from_db()
    assert quality_settings(org).disputes.enabled is False
    assert "quality" not in (org.settings or {})


def test_settings_page_refuses_an_arbitrator_from_elsewhere(world, client, login):
    response = login(world.admin).post(world.tenant.url("quality/settings/"), {
        **SETTINGS, "disputes-enabled": "on", "disputes-max_rounds": "2",
        "disputes-window_days": "7", "disputes-sla_hours": "48",
        "disputes-arbitrator": str(world.coach.pk)})
    assert response.status_code == 200
    assert 'id="id_disputes-arbitrator_error"' in response.content.decode()
    org = world.tenant.org
    org.refresh_from_db()
    assert quality_settings(org).disputes.arbitrator_id is None


def test_scorecard_editor_saves_disputable(world, client, login):
    from quality.models import Attribute

    card = make_scorecard(world.tenant.org, attributes=[
        ("greeting", "Opening", "Greeting", 10, False, None)])
    client = login(world.admin)
    url = world.tenant.url(f"quality/scorecards/{card.pk}/edit/")
    page = client.get(url).content.decode()
    assert 'name="attributes-0-disputable"' in page
    data = {"name": "Customer care", "description": "", "queue": "", "default": "on",
            "attributes-TOTAL_FORMS": "1", "attributes-INITIAL_FORMS": "1",
            "attributes-MIN_NUM_FORMS": "0", "attributes-MAX_NUM_FORMS": "1000",
            "attributes-0-key": "greeting", "attributes-0-name": "Greeting",
            "attributes-0-section": "Opening", "attributes-0-answer_type": "yes_no",
            "attributes-0-weight": "10", "attributes-0-na_allowed": "on",
            "attributes-0-guidance": "", "attributes-0-auto": ""}
    assert client.post(url, data).status_code == 302
    with scopes_disabled():
        saved = Attribute.objects.get(scorecard__organization=world.tenant.org,
                                      scorecard__is_current=True, key="greeting")
    assert saved.disputable is False


def test_deciding_a_scale_attribute_offers_every_other_score(world, client, login):
    org = world.tenant.org
    make_scorecard(org, attributes=[
        ("greeting", "Opening", "Greeting", 10, False, None),
        ("tone", "Conversation", "Tone", 10, False, None, ("scale", 4)),
    ])
    turn_disputes_on(org)
    evaluation = released_audit(world, answers={"greeting": "yes", "tone": "2"})
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
            DisputedAttribute("tone", "My tone was calm throughout.", "4")])
    client = login(world.qa)
    url = world.tenant.url(f"{QUEUE}{dispute.pk}/")
    page = client.get(url)
    assert page.context["rows"][0].changes == [
        ("0", "0/4"), ("1", "1/4"), ("3", "3/4"), ("4", "4/4"), ("na", "N/A")]
    assert "Uphold 2/4" in page.content.decode()
    assert client.post(url, {"decision-tone": "3",
                             "comment-tone": "Calm, but one sharp reply."}).status_code == 302
    assert _fresh(Evaluation, evaluation.pk).total == 87.5  # (10 + 10 × 3/4) / 20
    with scopes_disabled():
        item = dispute.items.get()
    assert (item.decision, item.original, item.decided) == ("changed", "2/4", "3/4")
