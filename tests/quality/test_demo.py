"""seed_demo's quality data: the "Customer care" scorecard, interactions with transcripts
all scored automatically, about a tenth audited but at least enough for the verification
bar (one draft, some awaiting release), best responses, verified and unverified
attributes; a second run adds nothing.

The seeder runs once for the module, with 150 interactions instead of the demo's 300, on a
small demo-like tenant (three teams, a QA analyst); the full ``seed_demo`` run is covered
by tests/tenancy/test_commands.py."""

import random

import pytest
from django_scopes import scope, scopes_disabled

from quality.demo import AWAITING_RELEASE, DEMO_PREFIX, SCORECARD, seed_quality
from quality.demo_transcripts import TOPICS, make_conversation, style_for
from quality.models import (
    Answer,
    AttributeAgreement,
    AuditAssignment,
    BestResponse,
    Evaluation,
    Scorecard,
)
from quality.services.allocation import allocate_week, current_week
from tenancy.demo import DemoPeople
from tenancy.models import TenantModel
from tests.factories import Tenant
from work.models import Transcript, WorkEvent, WorkItem

# Half of the demo's 300, to keep the test quick; audits stay over the verification bar
# (36: the bar of 30 pairs + 6, one of them left a draft).
N = 150


def _rows() -> dict[str, int]:
    from django.apps import apps

    with scopes_disabled():
        return {m._meta.label: m.objects.count()
                for m in apps.get_models() if issubclass(m, TenantModel)}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back at the end, so
    the other tests' database stays empty."""
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            tenant = Tenant(slug="demoqa")
            admin = tenant.member(roles=["org_admin"], username="dq-admin")
            qa = tenant.member(roles=["qa_analyst"], username="dq-qa")
            coaches = [tenant.member(roles=["coach"], username=f"dq-coach-{i}")
                       for i in range(1, 4)]
            agents = [tenant.member(roles=["agent"], username=f"dq-agent-{i:02d}",
                                    first_name=f"Agent{i}") for i in range(1, 13)]
            teams = [tenant.team(name=name, manager=coaches[i], members=agents[i::3])
                     for i, name in enumerate(["Service Desk", "Customer Care", "Billing"])]
            people = DemoPeople(admin, coaches, qa, None, None, agents, teams)
            with scope(organization=tenant.org):
                seed_quality(tenant.org, people, None, interactions=N)
            before = _rows()
            with scope(organization=tenant.org):
                seed_quality(tenant.org, people, None, interactions=N)
            after = _rows()
            yield {"tenant": tenant, "before": before, "after": after}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(seeded, db):
    return seeded


def test_seed_quality_imports_the_customer_care_scorecard(demo):
    with scope(organization=demo["tenant"].org):
        card = Scorecard.objects.get(is_current=True)
        attributes = list(card.attributes.order_by("position").values_list(
            "name", "section", "weight", "critical", "answer_type", "scale_max"))

    assert (card.name, card.is_default, card.version) == ("Customer care", True, 1)
    assert attributes == [
        ("Greeting", "Opening", 10, False, "yes_no", None),
        ("Empathy", "Conversation", 20, False, "yes_no", None),
        ("Product knowledge", "Conversation", 20, False, "scale", 4),
        ("Communication", "Conversation", 10, False, "yes_no", None),
        ("Compliance", "Compliance", 15, True, "yes_no", None),
        ("Problem solving", "Resolution", 15, False, "yes_no", None),
        ("Etiquette", "Closing", 10, False, "yes_no", None),
    ]
    assert sum(a["weight"] for a in SCORECARD["attributes"]) == 100


def test_seed_quality_scores_every_interaction_automatically(demo):
    with scope(organization=demo["tenant"].org):
        items = WorkItem.objects.filter(external_id__startswith=DEMO_PREFIX)
        kinds = set(items.values_list("kind", flat=True))
        queues = set(items.values_list("queue", flat=True))
        transcripts = Transcript.objects.filter(work_item__in=items)
        turn_counts = set(transcripts.values_list("turn_count", flat=True))
        autos = Evaluation.objects.filter(kind="auto", interaction__in=items)
        auto_states = set(autos.values_list("state", flat=True))
        agents = set(items.values_list("assigned_to__username", flat=True))
        totals = set(autos.values_list("total", flat=True))

    assert items.count() == N
    assert transcripts.count() == N
    assert min(turn_counts) >= 8 and max(turn_counts) <= 30
    assert kinds == {"call", "chat", "email"}
    assert queues == {"Billing", "Orders", "Sales", "Technical support"}
    assert agents == {f"dq-agent-{i:02d}" for i in range(1, 13)}
    assert autos.count() == N
    assert autos.values("interaction").distinct().count() == N
    assert auto_states == {"released"}
    assert 0.0 in totals and 100.0 in totals  # a compliance slip, and a perfect contact


def test_seed_quality_audits_about_a_tenth(demo):
    with scope(organization=demo["tenant"].org):
        audits = Evaluation.objects.filter(kind="manual")
        states = sorted(audits.values_list("state", flat=True))
        evaluators = set(audits.values_list("evaluator__username", flat=True))
        bookmarks = sorted(BestResponse.objects.values_list("attribute_key", flat=True))

    assert states.count("draft") == 1
    assert states.count("submitted") == AWAITING_RELEASE
    assert len(states) == 36
    assert states.count("released") == 36 - 1 - AWAITING_RELEASE
    assert "dq-qa" in evaluators and evaluators & {"dq-coach-1", "dq-coach-2", "dq-coach-3"}
    assert bookmarks == ["empathy", "etiquette", "problem-solving"]


def test_seed_quality_agents_behave_differently(demo):
    # Agent 1 works by the book, agent 3 is brisk (rarely greets or apologises), agent 7
    # now and then promises what compliance forbids (quality.demo_transcripts.STYLE_CYCLE).
    with scope(organization=demo["tenant"].org):
        answers = Answer.objects.filter(evaluation__kind="auto", na=False)

        def passed(username, key):
            mine = answers.filter(evaluation__agent__username=username, attribute__key=key)
            return mine.filter(value=1).count() / mine.count()

        assert passed("dq-agent-01", "greeting") > passed("dq-agent-03", "greeting")
        assert passed("dq-agent-01", "compliance") == 1.0
        assert passed("dq-agent-07", "compliance") < 1.0


def test_seed_quality_verifies_some_attributes_and_not_others(demo):
    with scope(organization=demo["tenant"].org):
        rows = {r.attribute_key: r for r in AttributeAgreement.objects.all()}

    verified = {key for key, row in rows.items() if row.verified}
    unverified = {key for key, row in rows.items() if not row.verified}
    assert {"greeting", "compliance", "etiquette"} <= verified
    assert "communication" in unverified
    assert all(row.pairs >= 30 for row in rows.values() if row.verified)
    assert all(row.kappa >= 0.6 for row in rows.values() if row.verified)


def test_seed_quality_allocates_this_weeks_audits_to_the_qa_analyst(demo):
    org = demo["tenant"].org
    with scope(organization=org):
        week = current_week(org)
        rows = list(AuditAssignment.objects.values_list(
            "week", "evaluator__username", "interaction__transcript__turn_count"))
        rerun = allocate_week(organization=org, week_start=week)

    # Every agent with interactions this week already has what the rules allow.
    assert (rerun.assigned, rerun.shortfall, rerun.agents_covered) == (0, 0, rerun.agents)
    assert rerun.agents == 0 or len(rows) > 0
    assert {w for w, _, _ in rows} <= {week}
    assert {u for _, u, _ in rows} <= {"dq-qa"}
    assert all(n is not None and n > 0 for _, _, n in rows)


def test_the_outbox_handler_leaves_the_seeded_automatic_evaluation(demo):
    from quality.handlers import autoscore

    with scope(organization=demo["tenant"].org):
        event = WorkEvent.objects.select_related("work_item").get(
            work_item__external_id=f"{DEMO_PREFIX}00001", type="created")
        evaluation = Evaluation.objects.get(kind="auto", interaction=event.work_item)
        history = evaluation.changes.count()
        autoscore([event])
        again = Evaluation.objects.get(pk=evaluation.pk)
        assert Evaluation.objects.filter(kind="auto", interaction=event.work_item).count() == 1
        assert (again.updated_at, again.total, again.changes.count()) == (
            evaluation.updated_at, evaluation.total, history)


def test_seed_quality_twice_adds_nothing(demo):
    assert demo["after"] == demo["before"]


def test_conversations_are_deterministic_and_in_shape():
    def one(seed):
        rng = random.Random(seed)
        return [make_conversation(rng, channel=channel, style=style_for(i), topic=TOPICS[i],
                                  agent_name="Mia", org_name="Acme")
                for i, channel in enumerate(["call", "chat", "email"] * 2)]

    first, again = one(7), one(7)
    assert [c.turns for c in first] == [c.turns for c in again]
    for conversation in first:
        assert 8 <= len(conversation.turns) <= 30
        assert {t["speaker"] for t in conversation.turns} == {"agent", "customer"}
        offsets = [t["at"] for t in conversation.turns]
        assert offsets == sorted(offsets) and offsets[0] == 0
        assert conversation.handle_time_seconds > 0


def test_seed_quality_puts_six_audits_under_the_agents_review(demo):
    from collections import Counter

    from quality.demo import REVIEWS
    from quality.models import Dispute
    from quality.selectors import quality_settings

    org = demo["tenant"].org
    with scope(organization=org):
        reviewed = Evaluation.objects.exclude(review_state="")
        states = Counter(reviewed.values_list("review_state", flat=True))
        people = set(reviewed.values_list("evaluator__username", "kind", "state"))
        rounds = {e.review_state: e.review_rounds for e in reviewed}
        disputes = sorted(
            (d.evaluation.review_state, d.round, d.decided_at is not None,
             [(i.decision, i.original, i.decided) for i in d.items.all()])
            for d in Dispute.objects.select_related("evaluation").prefetch_related("items"))
        settings = quality_settings(org).disputes

    assert REVIEWS == {"pending_agent": 2, "pending_supervisor": 1, "re_evaluated": 1,
                       "resolved": 1, "accepted": 1}
    assert dict(states) == REVIEWS
    assert people == {("dq-qa", "manual", "released")}
    assert (settings.enabled, settings.max_rounds) == (True, 2)
    assert rounds == {"pending_agent": 0, "pending_supervisor": 1, "re_evaluated": 1,
                      "resolved": 2, "accepted": 0}
    assert disputes == [
        ("pending_supervisor", 1, False, [("", "No", "")]),
        ("re_evaluated", 1, True, [("changed", "No", "Yes")]),
        ("resolved", 1, True, [("upheld", "No", "No")]),
        ("resolved", 2, True, [("upheld", "No", "No")]),
    ]
