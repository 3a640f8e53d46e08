"""The demo's calibration sessions (quality.demo_calibration), seeded on a small tenant
built here rather than the whole seed_demo: two finished sessions of three evaluators on
five demo interactions each, made through the services; Empathy flagged (α < 0.667);
Product knowledge from tentative to reliable; the automatic scorer as one more rater; a
second run adds nothing. Reached through quality.demo.seed_quality."""

from django_scopes import scope, scopes_disabled

from quality.demo import DEMO_PREFIX, SCORECARD, seed_quality
from quality.demo_calibration import SESSIONS, seed_calibration
from quality.enums import CalibrationState
from quality.models import (
    CalibrationAgreement,
    CalibrationDeviation,
    CalibrationReference,
    CalibrationSession,
    Evaluation,
)
from quality.selectors_calibration_agreement import agreement_panel
from quality.services.autoscore import score_interaction
from quality.services.scorecards import import_scorecards
from tenancy.demo import DemoPeople

from .conftest import make_interaction

OPENINGS = ["Thank you for calling Acme, this is Sam.", "Hi.", "Thanks for contacting Acme."]
CLOSINGS = ["Is there anything else I can help with? Goodbye.", "Bye.", "Have a nice day!"]


def small_demo(world, count=12) -> DemoPeople:
    """The demo scorecard and ``count`` demo interactions of three agents, scored
    automatically, on the quality tests' tenant."""
    org = world.tenant.org
    agents = [world.agent, world.agent2, world.agent3]
    with scopes_disabled():
        import_scorecards(organization=org, entries=[SCORECARD], actor=world.admin)
        for n in range(count):
            item = make_interaction(
                org, agent=agents[n % 3], external_id=f"{DEMO_PREFIX}{n:05d}",
                handle_time=300 if n % 2 else 900,
                turns=[("agent", OPENINGS[n % 3]), ("customer", "My order is late, I am upset."),
                       ("agent", "I'm sorry about that." if n % 4 else "Let me check."),
                       ("agent", "It is fixed now." if n % 5 else "Passing this on."),
                       ("agent", CLOSINGS[n % 3])])
            score_interaction(interaction=item)
    return DemoPeople(org_admin=world.admin, coaches=[world.coach, world.coach2],
                      qa_analyst=world.qa, skill_admin=None, learning_admin=None,
                      agents=agents)


def counts():
    with scopes_disabled():
        return (CalibrationSession.objects.count(),
                Evaluation.objects.filter(kind="calibration").count(),
                CalibrationReference.objects.count(), CalibrationAgreement.objects.count(),
                CalibrationDeviation.objects.count())


def test_demo_calibration_two_finished_sessions_and_idempotent(world):
    people = small_demo(world)
    org = world.tenant.org
    with scope(organization=org):
        seed_quality(org, people)  # the demo items exist: only the calibration is seeded
        sessions = list(CalibrationSession.objects.order_by("id"))
        assert [(s.name, s.state, s.lead_id) for s in sessions] == [
            (SESSIONS[0]["name"], CalibrationState.FINISHED, world.qa.pk),
            (SESSIONS[1]["name"], CalibrationState.FINISHED, world.qa.pk)]
        for session in sessions:
            assert [p.evaluator_id for p in session.participants.order_by("id")] == [
                world.qa.pk, world.coach.pk, world.coach2.pk]
            assert session.items.count() == 5
            assert all(i.interaction.external_id.startswith(DEMO_PREFIX)
                       for i in session.items.all())
            # 3 evaluators × 5 interactions, every one submitted
            assert Evaluation.objects.filter(calibration_item__session=session,
                                             state="submitted").count() == 15
        # the twelve interactions, two sessions of five: none in both
        first, second = ({i.interaction_id for i in s.items.all()} for s in sessions)
        assert not first & second

        def alpha(session, key):
            return CalibrationAgreement.objects.get(session=session, attribute_key=key).alpha

        assert round(alpha(sessions[0], "empathy"), 3) == -0.25
        assert round(alpha(sessions[1], "empathy"), 3) == -0.037
        assert round(alpha(sessions[0], "product-knowledge"), 3) == 0.705
        assert round(alpha(sessions[1], "product-knowledge"), 3) == 0.928
        panel = agreement_panel(sessions[0])
        assert [row.key for row in panel.flagged] == ["empathy"]
        assert panel.raters[-1].is_auto and panel.has_auto
        assert CalibrationDeviation.objects.filter(session=sessions[0], is_auto=True,
                                                   attribute_key="greeting").exists()
    before = counts()
    with scope(organization=org):
        seed_quality(org, people)
        assert seed_calibration(org, people) == 0
    assert counts() == before


def test_demo_calibration_needs_evaluators_and_interactions(world):
    org = world.tenant.org
    with scope(organization=org):
        nobody = DemoPeople(org_admin=world.admin, coaches=[], qa_analyst=None,
                            skill_admin=None, learning_admin=None, agents=[])
        assert seed_calibration(org, nobody) == 0  # no scorecard, one evaluator
    people = small_demo(world, count=5)
    with scope(organization=org):
        assert seed_calibration(org, people) == 1  # five interactions: one session
    assert counts()[0] == 1
