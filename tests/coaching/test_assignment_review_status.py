"""Coaching assignment statuses follow the review of their linked audits (issue 16): "Pending
agent review" while a linked interaction's audit of the agent waits for them, "Pending
supervisor review" while its dispute waits for QA (that one wins) — only with the tenant's
"Agent accept & dispute" on, read at request time, the stored status untouched."""

import re

import pytest
from django_scopes import scopes_disabled

from coaching.models import AssignmentStatus, CoachingAssignment
from coaching.selectors_assignments import with_review_status
from coaching.services.assignments import create_assignment_from_evaluation
from quality.services.disputes import (
    Decision,
    DisputedAttribute,
    acknowledge,
    decide_dispute,
    raise_dispute,
)
from quality.services.settings import update_dispute_settings
from tests.coaching.assignment_fixtures import follow_up
from tests.factories import Tenant, make_world
from tests.quality.conftest import QualityWorld, make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

EMPATHY = DisputedAttribute("empathy", "I apologised.", "yes")


@pytest.fixture
def world(db) -> QualityWorld:
    """The quality tests' cast (tests/quality/conftest.py)."""
    base = make_world(
        tenant=Tenant(slug="acme"), other=Tenant(slug="globex"), admin="ada", coach="carl",
        agent="alice", agent2="bob", agent3="dora", coach2="cleo", outsider="olga",
        team="Care", team2="Billing", other_team="Elsewhere",
        staff={"qa": (["qa_analyst"], "quinn")},
    )
    return QualityWorld(**base.as_kwargs(), qa=base.staff["qa"])


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


def _assign(world, evaluation, name="Empathy coaching") -> CoachingAssignment:
    with world.tenant.scope():  # the coaching permission reads the tenant's scope
        return create_assignment_from_evaluation(
            evaluation=evaluation, assigner=world.qa, name=name, area_keys=["empathy"],
            follow_up_date=follow_up())


def _statuses(world) -> dict[str, str]:
    with scopes_disabled():
        qs = with_review_status(CoachingAssignment.objects.filter(
            organization=world.tenant.org), world.tenant.org)
        return {a.name: a.review_status for a in qs}


def _badges(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(
        r'<span [^>]*data-assignment-status="[^"]*"[^>]*>([^<]*)</span>', html)]


def test_review_status_follows_the_linked_audit(world, card):
    org = world.tenant.org
    turn_disputes_on(org)
    waiting = released_audit(world, external_id="CHAT-W")
    disputed = released_audit(world, external_id="CHAT-D")
    accepted = released_audit(world, external_id="CHAT-A")
    _assign(world, waiting, "Waiting")
    _assign(world, disputed, "Disputed")
    _assign(world, accepted, "Accepted")
    with scopes_disabled():
        dispute = raise_dispute(evaluation=disputed, agent=world.agent, items=[EMPATHY])
        acknowledge(evaluation=accepted, agent=world.agent)
    assert _statuses(world) == {"Waiting": "pending_agent", "Disputed": "pending_supervisor",
                                "Accepted": ""}

    with scopes_disabled():  # decided: back to the agent (re-evaluated)
        decide_dispute(dispute=dispute, reviewer=world.qa,
                       decisions=[Decision("empathy", "upheld", "No apology.")])
    assert _statuses(world)["Disputed"] == "pending_agent"

    with scopes_disabled():
        update_dispute_settings(organization=org, enabled=False)
    assert _statuses(world) == {"Waiting": "", "Disputed": "", "Accepted": ""}
    with scopes_disabled():
        stored = set(CoachingAssignment.objects.values_list("status", flat=True))
    assert stored == {AssignmentStatus.NOT_STARTED}


def test_the_api_reports_the_review_status_beside_the_stored_one(world, card, client):
    from tests.work.conftest import ApiClient, make_token

    turn_disputes_on(world.tenant.org)
    waiting = released_audit(world, external_id="CHAT-W")
    disputed = released_audit(world, external_id="CHAT-D")
    _assign(world, waiting, "Waiting")
    _assign(world, disputed, "Disputed")
    with scopes_disabled():
        raise_dispute(evaluation=disputed, agent=world.agent, items=[EMPATHY])
    api = ApiClient(client=client, token=make_token(tenant=world.tenant))
    response = api.get("coaching-assignments")
    assert response.status_code == 200
    assert {a["name"]: (a["status"], a["review_status"]) for a in response.json()["items"]} == {
        "Waiting": ("not_started", "pending_agent"),
        "Disputed": ("not_started", "pending_supervisor")}
    for item in response.json()["items"]:
        detail = api.get(f"coaching-assignments/{item['id']}").json()
        assert detail["review_status"] == item["review_status"]


def test_pending_supervisor_wins_over_pending_agent(world, card):
    turn_disputes_on(world.tenant.org)
    first = released_audit(world, external_id="CHAT-1")
    second = released_audit(world, external_id="CHAT-2")
    assignment = _assign(world, first, "Both")
    with scopes_disabled():
        from coaching.models import AssignmentInteraction

        AssignmentInteraction.objects.create(organization=world.tenant.org,
                                             assignment=assignment,
                                             interaction=second.interaction,
                                             evaluation=second)
    assert _statuses(world) == {"Both": "pending_agent"}
    with scopes_disabled():
        raise_dispute(evaluation=second, agent=world.agent, items=[EMPATHY])
    assert _statuses(world) == {"Both": "pending_supervisor"}


def test_only_the_assignments_agents_audits_count(world, card):
    turn_disputes_on(world.tenant.org)
    alices = released_audit(world, external_id="CHAT-A")
    # bob's audit of the same interaction does not make alice's assignment pending.
    assignment = _assign(world, alices, "Alice")
    with scopes_disabled():
        acknowledge(evaluation=alices, agent=world.agent)
        from quality.enums import EvaluationState, ReviewState
        from quality.models import Evaluation

        Evaluation.objects.create(
            organization=world.tenant.org, interaction=alices.interaction, agent=world.agent2,
            scorecard=alices.scorecard, kind="manual", evaluator=world.qa,
            interaction_at=alices.interaction_at, state=EvaluationState.RELEASED,
            review_state=ReviewState.PENDING_AGENT)
    assert _statuses(world) == {assignment.name: ""}


def _pages(client, login, world, assignment):
    """The status shown on the agent's list and detail, and the supervisors' list and
    detail."""
    login(world.agent)
    mine = client.get(world.tenant.url("coaching/me/assignments/"))
    my_detail = client.get(world.tenant.url(f"coaching/me/assignments/{assignment.pk}/"))
    login(world.qa)
    listing = client.get(world.tenant.url("coaching/assignments/"))
    detail = client.get(world.tenant.url(f"coaching/assignments/{assignment.pk}/"))
    for response in (mine, my_detail, listing, detail):
        assert response.status_code == 200
    return (_badges(mine.content.decode()), my_detail.context["status_label"],
            _badges(listing.content.decode()), detail.context["status_label"])


def test_pages_show_the_review_status_only_with_the_setting_on(world, card, client, login):
    org = world.tenant.org
    turn_disputes_on(org)
    audit = released_audit(world)
    assignment = _assign(world, audit)
    assert _pages(client, login, world, assignment) == (
        ["Pending agent review"], "Pending agent review",
        ["Pending agent review"], "Pending agent review")
    with scopes_disabled():
        raise_dispute(evaluation=audit, agent=world.agent, items=[EMPATHY])
    assert _pages(client, login, world, assignment) == (
        ["Pending supervisor review"], "Pending supervisor review",
        ["Pending supervisor review"], "Pending supervisor review")
    with scopes_disabled():
        update_dispute_settings(organization=org, enabled=False)
    assert _pages(client, login, world, assignment) == (
        ["Start coaching"], "Start coaching", ["Yet to start"], "Yet to start")


def test_assignment_pages_permission_matrix(world, card, client, login):
    turn_disputes_on(world.tenant.org)
    assignment = _assign(world, released_audit(world))
    mine = world.tenant.url(f"coaching/me/assignments/{assignment.pk}/")
    theirs = world.tenant.url(f"coaching/assignments/{assignment.pk}/")
    anonymous = client.get(mine)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    login(world.agent)
    assert client.get(mine).status_code == 200
    login(world.agent2)
    assert client.get(mine).status_code == 404
    for user in (world.coach, world.qa, world.admin):
        login(user)
        assert client.get(theirs).status_code == 200
    login(world.coach2)
    assert client.get(theirs).status_code == 404
    login(world.outsider)
    assert client.get(mine).status_code == 404
    assert client.get(theirs).status_code == 404


def test_list_query_counts_are_constant(world, card, client, login, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    turn_disputes_on(world.tenant.org)
    _assign(world, released_audit(world, external_id="CHAT-0"), "A0")

    def counts() -> tuple[int, int]:
        out = []
        for user, url in ((world.agent, "coaching/me/assignments/"),
                          (world.qa, "coaching/assignments/")):
            login(user)
            client.get(world.tenant.url(url))
            with CaptureQueriesContext(connection) as queries:
                assert client.get(world.tenant.url(url)).status_code == 200
            out.append(len(queries))
        return tuple(out)

    before = counts()
    for i in range(1, 5):
        audit = released_audit(world, external_id=f"CHAT-{i}")
        _assign(world, audit, f"A{i}")
        if i % 2:
            with scopes_disabled():
                raise_dispute(evaluation=audit, agent=world.agent, items=[EMPATHY])
    login(world.agent)
    client.get(world.tenant.url("coaching/me/assignments/"))
    with django_assert_num_queries(before[0]):
        mine = client.get(world.tenant.url("coaching/me/assignments/"))
    assert _badges(mine.content.decode()).count("Pending supervisor review") == 2
    login(world.qa)
    client.get(world.tenant.url("coaching/assignments/"))
    with django_assert_num_queries(before[1]):
        listing = client.get(world.tenant.url("coaching/assignments/"))
    assert _badges(listing.content.decode()).count("Pending agent review") == 3


def test_the_agents_evaluation_page_of_an_assignment_leads_to_the_review(world, card, client,
                                                                         login):
    turn_disputes_on(world.tenant.org)
    audit = released_audit(world)
    assignment = _assign(world, audit)
    review = world.tenant.url(f"quality/evaluations/{audit.pk}/") + "#review"
    login(world.agent)
    page = client.get(world.tenant.url(
        f"coaching/assignments/{assignment.pk}/evaluations/{audit.pk}/")).content.decode()
    assert f'href="{review}">Accept or dispute it</a>' in page
    assert "Review of this audit: <strong>Pending agent review</strong>" in page
    login(world.qa)
    page = client.get(world.tenant.url(
        f"coaching/assignments/{assignment.pk}/evaluations/{audit.pk}/")).content.decode()
    assert f'href="{review}">Open the review</a>' in page
