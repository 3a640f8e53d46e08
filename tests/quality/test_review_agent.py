"""The agent's side of "Agent accept & dispute", through the pages: the review panel of the
evaluation page (who sees it, who may answer), accepting and disputing with exact results,
bad input that changes nothing, and the Review tabs of My coaching."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import ReviewState
from quality.models import Attribute, Dispute, Evaluation
from quality.services.disputes import Decision, DisputedAttribute, decide_dispute, raise_dispute
from quality.services.settings import update_dispute_settings

from .conftest import T0, make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


@pytest.fixture
def audit(world, card):
    turn_disputes_on(world.tenant.org)
    return released_audit(world)


def _url(world, path):
    return world.tenant.url(f"quality/{path}")


def _fresh(evaluation) -> Evaluation:
    with scopes_disabled():
        return Evaluation.objects.get(pk=evaluation.pk)


def _state(evaluation) -> tuple:
    fresh = _fresh(evaluation)
    return fresh.review_state, fresh.review_rounds, fresh.total


def _name(user) -> str:
    return user.get_full_name() or user.username


def _disputes() -> int:
    with scopes_disabled():
        return Dispute.objects.count()


# --- who sees what ------------------------------------------------------------------------


def test_review_panel_permission_matrix(world, audit, client, login):
    page_url = _url(world, f"evaluations/{audit.pk}/")

    anonymous = client.get(page_url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")

    login(world.agent)
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    review = page.context["review"]
    assert (review.is_agent, review.may_answer, review.may_dispute) == (True, True, True)
    assert 'id="review-accept"' in html and 'id="dispute-form"' in html
    assert [row.key for row in review.rows] == [
        "greeting", "empathy", "compliance", "product-knowledge", "communication", "etiquette"]

    # Everyone else who may see the audit reads its review, without the controls.
    for user in (world.coach, world.qa, world.admin):
        login(user)
        page = client.get(page_url)
        assert page.status_code == 200
        review = page.context["review"]
        assert (review.is_agent, review.may_answer, review.rows) == (False, False, [])
        html = page.content.decode()
        assert 'id="review-state"' in html
        assert 'id="review-accept"' not in html and 'id="dispute-form"' not in html
        assert review.may_open_rounds is True

    for user in (world.agent2, world.coach2, world.outsider):
        login(user)
        assert client.get(page_url).status_code == 404


def test_answer_urls_are_the_agents_only(world, audit, client, login):
    accept = _url(world, f"evaluations/{audit.pk}/accept/")
    dispute = _url(world, f"evaluations/{audit.pk}/dispute/")
    post = {"dispute": ["empathy"], "reason-empathy": "I apologised."}

    response = client.post(accept)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # Another agent, the coach, the QA analyst, the org admin, another tenant's user: 404.
    for user in (world.agent2, world.coach, world.qa, world.admin, world.coach2,
                 world.outsider):
        login(user)
        assert client.post(accept).status_code == 404
        assert client.post(dispute, post).status_code == 404
    login(world.agent)
    assert client.get(accept).status_code == 405
    assert _state(audit) == (ReviewState.PENDING_AGENT, 0, 80.0)
    assert _disputes() == 0


def test_no_panel_for_an_audit_not_under_review(world, card, client, login):
    evaluation = released_audit(world)  # disputes off
    login(world.agent)
    page = client.get(_url(world, f"evaluations/{evaluation.pk}/"))
    assert page.status_code == 200
    assert 'id="review"' not in page.content.decode()
    assert client.post(_url(world, f"evaluations/{evaluation.pk}/accept/")).status_code == 302
    assert _state(evaluation) == (ReviewState.NONE, 0, 80.0)


# --- accepting ------------------------------------------------------------------------------


def test_agent_accepts_through_the_page(world, audit, client, login):
    login(world.agent)
    response = client.post(_url(world, f"evaluations/{audit.pk}/accept/"), follow=True)
    assert response.redirect_chain == [(_url(world, f"evaluations/{audit.pk}/") + "#review",
                                        302)]
    assert [str(m) for m in response.context["messages"]] == [
        "You accepted the audit; its score 80 stands (accepted)."]
    assert _state(audit) == (ReviewState.ACCEPTED, 0, 80.0)
    review = response.context["review"]
    assert (review.state_label, review.may_answer) == ("Accepted", False)
    assert 'id="review-accept"' not in response.content.decode()

    again = client.post(_url(world, f"evaluations/{audit.pk}/accept/"), follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "The review of this audit is over (Accepted)."]
    assert _state(audit) == (ReviewState.ACCEPTED, 0, 80.0)


# --- disputing ------------------------------------------------------------------------------


def test_agent_disputes_then_accepts_the_outcome(world, audit, client, login):
    login(world.agent)
    response = client.post(_url(world, f"evaluations/{audit.pk}/dispute/"), {
        "dispute": ["empathy", "etiquette"],
        "reason-empathy": "I apologised in turn 2.", "proposed-empathy": "yes",
        "reason-etiquette": "I asked if there was anything else.", "proposed-etiquette": "",
        "reason-greeting": "typed but not ticked",
    }, follow=True)
    assert response.status_code == 200
    with scopes_disabled():
        dispute = Dispute.objects.get()
        items = [(i.attribute.key, i.reason, i.proposed, i.original)
                 for i in dispute.items.select_related("attribute")]
    assert (dispute.round, dispute.reviewer_id, dispute.total_before) == (1, world.qa.pk, 80.0)
    assert items == [("empathy", "I apologised in turn 2.", "Yes", "No"),
                     ("etiquette", "I asked if there was anything else.", "", "Yes")]
    assert _state(audit) == (ReviewState.PENDING_SUPERVISOR, 1, 80.0)
    due = timezone.localtime(dispute.due_at)
    assert [str(m) for m in response.context["messages"]] == [
        f"Dispute sent: 2 attributes for round 1. {_name(world.qa)} decides by "
        f"{due:%-d %b %Y %H:%M}."]
    review = response.context["review"]
    assert (review.state_label, review.may_answer, review.open_round.pk) == (
        "Pending supervisor review", False, dispute.pk)
    html = response.content.decode()
    assert "I apologised in turn 2." in html and "Awaiting decision" in html
    round_page = _url(world, f"disputes/review/{dispute.pk}/")
    assert round_page not in html
    login(world.qa)
    assert f'href="{round_page}">Open round 1</a>' in client.get(
        _url(world, f"evaluations/{audit.pk}/")).content.decode()
    login(world.agent)

    with scopes_disabled():
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "Right: the apology is there.", "yes"),
            Decision("etiquette", "upheld", "Already a yes.")])
    page = client.get(_url(world, f"evaluations/{audit.pk}/"))
    review = page.context["review"]
    assert (review.state, review.may_answer, review.may_dispute, review.rounds_left) == (
        ReviewState.RE_EVALUATED, True, True, 1)
    decided = [(i.attribute.key, i.decision, i.decided, i.comment)
               for i in review.rounds[0].items.all()]
    assert decided == [("empathy", "changed", "Yes", "Right: the apology is there."),
                       ("etiquette", "upheld", "Yes", "Already a yes.")]
    html = page.content.decode()
    assert "Accept the outcome" in html and "Right: the apology is there." in html
    assert "80 → 100" in html

    client.post(_url(world, f"evaluations/{audit.pk}/accept/"))
    assert _state(audit) == (ReviewState.RESOLVED, 1, 100.0)


def test_a_dispute_nobody_is_named_for_says_a_qa_analyst_decides(world, audit, client, login):
    """An audit whose auditor is gone (or an outside one nobody signed), no arbitrator: the
    agent is told a QA analyst decides, not "the reviewer" nobody is."""
    with scopes_disabled():
        Evaluation.objects.filter(pk=audit.pk).update(evaluator=None)
    login(world.agent)
    response = client.post(_url(world, f"evaluations/{audit.pk}/dispute/"), {
        "dispute": ["empathy"], "reason-empathy": "I apologised in turn 2.",
    }, follow=True)
    with scopes_disabled():
        dispute = Dispute.objects.get()
    assert dispute.reviewer_id is None
    due = timezone.localtime(dispute.due_at)
    assert [str(m) for m in response.context["messages"]] == [
        f"Dispute sent: 1 attribute for round 1. A QA analyst decides by "
        f"{due:%-d %b %Y %H:%M}."]
    html = response.content.decode()
    assert "Your dispute is with your organization’s QA analysts." in html
    assert "reviewer any QA analyst" in html


def _bad_post(client, world, audit, data):
    response = client.post(_url(world, f"evaluations/{audit.pk}/dispute/"), data)
    assert response.status_code == 400
    return response, response.context["review"]


def test_dispute_without_an_attribute(world, audit, client, login):
    login(world.agent)
    response, review = _bad_post(client, world, audit, {"reason-empathy": "kept"})
    assert review.general_error == "Choose at least one attribute to dispute."
    assert review.form_open is True
    html = response.content.decode()
    assert 'id="review-error"' in html and 'class="collapse show"' in html
    assert ">kept</textarea>" in html  # what the agent typed stays
    assert _state(audit) == (ReviewState.PENDING_AGENT, 0, 80.0)
    assert _disputes() == 0


def test_dispute_with_an_empty_reason(world, audit, client, login):
    login(world.agent)
    response, review = _bad_post(client, world, audit, {
        "dispute": ["greeting", "empathy"], "reason-greeting": "Said thanks at once.",
        "proposed-greeting": "no", "reason-empathy": "   ", "proposed-empathy": "yes"})
    rows = {row.key: row for row in review.rows}
    assert rows["empathy"].error == "Say why you dispute “Empathy”."
    assert rows["greeting"].error == ""
    assert review.general_error == ""
    assert (rows["greeting"].chosen, rows["greeting"].reason, rows["greeting"].proposed) == (
        True, "Said thanks at once.", "no")
    assert (rows["empathy"].chosen, rows["empathy"].proposed) == (True, "yes")
    html = response.content.decode()
    assert 'id="dispute-empathy-error"' in html
    assert '<option value="yes" selected>' in html
    assert _state(audit) == (ReviewState.PENDING_AGENT, 0, 80.0)
    assert _disputes() == 0


def test_dispute_after_the_window(world, audit, client, login):
    with scopes_disabled():
        Evaluation.objects.filter(pk=audit.pk).update(
            review_due_at=timezone.now() - timedelta(minutes=1))
    login(world.agent)
    page = client.get(_url(world, f"evaluations/{audit.pk}/"))
    review = page.context["review"]
    assert (review.window_passed, review.may_answer, review.may_dispute) == (True, False, False)
    html = page.content.decode()
    assert 'id="review-window-passed"' in html and 'id="review-accept"' not in html

    response, review = _bad_post(client, world, audit, {
        "dispute": ["empathy"], "reason-empathy": "Too late?"})
    assert review.general_error.startswith("The review window of this audit closed on ")
    assert 'id="review-error"' in response.content.decode()
    accepted = client.post(_url(world, f"evaluations/{audit.pk}/accept/"), follow=True)
    assert str(list(accepted.context["messages"])[0]).startswith(
        "The review window of this audit closed on ")
    assert _state(audit) == (ReviewState.PENDING_AGENT, 0, 80.0)
    assert _disputes() == 0


def test_non_disputable_attribute_is_shown_disabled_and_refused(world, card, client, login):
    with scopes_disabled():
        Attribute.objects.filter(scorecard=card, key="compliance").update(disputable=False)
    turn_disputes_on(world.tenant.org)
    audit = released_audit(world)
    login(world.agent)
    page = client.get(_url(world, f"evaluations/{audit.pk}/"))
    rows = {row.key: row for row in page.context["review"].rows}
    assert (rows["compliance"].disputable, rows["empathy"].disputable) == (False, True)
    html = page.content.decode()
    assert ('name="dispute" value="compliance" id="dispute-compliance-check" disabled'
            in html)
    assert "This attribute cannot be disputed on this scorecard." in html

    response, review = _bad_post(client, world, audit, {  # posted by hand
        "dispute": ["compliance"], "reason-compliance": "I never said it."})
    rows = {row.key: row for row in review.rows}
    assert rows["compliance"].error == "“Compliance” cannot be disputed."
    assert _state(audit) == (ReviewState.PENDING_AGENT, 0, 80.0)
    assert _disputes() == 0


def test_dispute_form_offers_only_other_answers(world, audit, client, login):
    login(world.agent)
    rows = {row.key: row for row in client.get(
        _url(world, f"evaluations/{audit.pk}/")).context["review"].rows}
    assert rows["empathy"].proposals == [("yes", "Yes"), ("na", "N/A")]
    assert rows["greeting"].proposals == [("no", "No"), ("na", "N/A")]


def test_no_dispute_form_at_the_round_limit_or_when_turned_off(world, card, client, login):
    turn_disputes_on(world.tenant.org, max_rounds=2)
    audit = released_audit(world)
    with scopes_disabled():
        update_dispute_settings(organization=world.tenant.org, enabled=False)
    login(world.agent)
    review = client.get(_url(world, f"evaluations/{audit.pk}/")).context["review"]
    assert (review.may_answer, review.may_dispute) == (True, False)
    _, review = _bad_post(client, world, audit, {
        "dispute": ["empathy"], "reason-empathy": "Why not?"})
    assert review.general_error == "Disputes are turned off in this organization."
    assert _state(audit) == (ReviewState.PENDING_AGENT, 0, 80.0)


# --- the Review tabs of My coaching -------------------------------------------------------


def _tab(client, world, tab, page=None):
    query = f"?review={tab}" + (f"&review_page={page}" if page else "")
    response = client.get(world.tenant.url("me/") + query)
    assert response.status_code == 200
    return response


def _rows(response) -> list[tuple]:
    html = response.content.decode()
    start = html.find('id="review-rows"')
    if start < 0:
        return []
    body = html[start:html.find("</table>", start)]
    import re

    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S):
        cells = [re.sub(r"<[^>]+>", " ", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                 re.S)]
        rows.append(tuple(" ".join(c.split()) for c in cells))
    return rows


@pytest.fixture
def reviews(world, card):
    """Four audits of alice: pending her review, disputed (pending supervisor), accepted,
    and disputed then resolved after 2 rounds; and one of bob's."""
    org = world.tenant.org
    turn_disputes_on(org, max_rounds=2)
    pending = released_audit(world, external_id="CHAT-P")
    disputed = released_audit(world, external_id="CHAT-D")
    accepted = released_audit(world, external_id="CHAT-A")
    resolved = released_audit(world, external_id="CHAT-R")
    released_audit(world, agent=world.agent2, external_id="CHAT-BOB")
    empathy = DisputedAttribute("empathy", "I apologised.", "yes")
    with scopes_disabled():
        from quality.services.disputes import acknowledge

        at = {pending: T0, disputed: T0 + timedelta(days=1), accepted: T0 + timedelta(days=2),
              resolved: T0 + timedelta(days=3)}
        for evaluation, when in at.items():
            Evaluation.objects.filter(pk=evaluation.pk).update(interaction_at=when)
        for evaluation, queue in ((pending, "billing"), (disputed, "support")):
            evaluation.interaction.queue = queue
            evaluation.interaction.save(update_fields=["queue"])
        raise_dispute(evaluation=disputed, agent=world.agent, items=[empathy])
        acknowledge(evaluation=accepted, agent=world.agent)
        first = raise_dispute(evaluation=resolved, agent=world.agent, items=[empathy])
        decide_dispute(dispute=first, reviewer=world.qa,
                       decisions=[Decision("empathy", "upheld", "No apology.")])
        second = raise_dispute(evaluation=resolved, agent=world.agent, items=[empathy])
        decide_dispute(dispute=second, reviewer=world.qa,
                       decisions=[Decision("empathy", "changed", "Found it.", "yes")])
    return {"pending": _fresh(pending), "disputed": _fresh(disputed),
            "accepted": _fresh(accepted), "resolved": _fresh(resolved)}


def _when(value) -> str:
    return f"{timezone.localtime(value):%-d %b %Y %H:%M}"


def test_review_tabs_rows(world, reviews, client, login):
    login(world.agent)
    pending = _tab(client, world, "pending")
    assert _tabs(pending) == [("pending", 2), ("disputes", 1), ("resolved", 2)]
    due = f"{timezone.localtime(reviews['pending'].review_due_at):%-d %b %Y}"
    assert _rows(pending) == [
        (_when(T0 + timedelta(days=1)), "CHAT-D", "support", "80",
         "Pending supervisor review"),
        (_when(T0), "CHAT-P", "billing", "80", f"Pending agent review answer by {due}"),
    ]
    assert _rows(_tab(client, world, "disputes")) == [
        (_when(T0 + timedelta(days=1)), "CHAT-D", "support", "80", "1")]
    resolved = reviews["resolved"]
    accepted = reviews["accepted"]
    assert _rows(_tab(client, world, "resolved")) == [
        (_when(resolved.reviewed_at), "CHAT-R", "—", "100", "2", "Resolved"),
        (_when(accepted.reviewed_at), "CHAT-A", "—", "80", "0", "Accepted"),
    ]
    html = pending.content.decode()
    link = _url(world, f"evaluations/{reviews['disputed'].pk}/") + "#review"
    assert f'href="{link}"' in html
    assert 'href="?review=disputes#review"' in html
    assert 'class="nav-link active" aria-current="page" href="?review=pending#review"' in html

    login(world.agent2)
    assert [c for _k, c in _tabs(_tab(client, world, "pending"))] == [1, 0, 0]


def _tabs(response) -> list[tuple[str, int]]:
    import re

    html = response.content.decode()
    return [(key, int(count)) for key, count in re.findall(
        r'id="review-tab-(\w+)">[^<]*<span class="badge[^"]*">(\d+)</span>', html)]


def test_review_section_shown_only_when_on_or_with_rows(world, card, client, login):
    login(world.agent)
    assert 'id="review"' not in _tab(client, world, "pending").content.decode()
    turn_disputes_on(world.tenant.org)
    page = _tab(client, world, "pending")
    assert 'id="review"' in page.content.decode()
    assert 'id="review-empty"' in page.content.decode()
    login(world.admin)  # not an agent, no audit of theirs under review
    assert 'id="review"' not in _tab(client, world, "pending").content.decode()
    login(world.agent)
    released_audit(world)
    with scopes_disabled():
        update_dispute_settings(organization=world.tenant.org, enabled=False)
    assert _tabs(_tab(client, world, "pending")) == [
        ("pending", 1), ("disputes", 0), ("resolved", 0)]
    login(world.agent2)  # no rows, setting off
    assert 'id="review"' not in _tab(client, world, "pending").content.decode()


def test_review_tab_query_count_is_constant(world, card, client, login,
                                           django_assert_num_queries):
    turn_disputes_on(world.tenant.org)
    released_audit(world, external_id="CHAT-0")
    login(world.agent)
    _tab(client, world, "pending")  # warm the session

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            _tab(client, world, "pending")
        return len(queries)

    one = count()
    for i in range(1, 6):
        released_audit(world, external_id=f"CHAT-{i}")
    with django_assert_num_queries(one):
        response = _tab(client, world, "pending")
    assert len(_rows(response)) == 6


def test_review_tab_pages(world, card, client, login):
    from quality.views.review import REVIEW_PAGE

    turn_disputes_on(world.tenant.org)
    for i in range(REVIEW_PAGE + 1):
        released_audit(world, external_id=f"CHAT-{i:02d}")
    login(world.agent)
    first = _tab(client, world, "pending")
    assert len(_rows(first)) == REVIEW_PAGE
    assert "Page 1 of 2" in first.content.decode()
    second = _tab(client, world, "pending", page=2)
    assert len(_rows(second)) == 1
