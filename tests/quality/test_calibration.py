"""Calibration sessions: Krippendorff's α against his own worked examples, percent agreement
and deviations by hand; the session's blind scoring, reveal, final answers and the recorded
agreement with the automatic scorer as one more rater; calibration never counts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality import calibration_stats as stats
from quality.enums import CalibrationSource, CalibrationState, EvaluationKind
from quality.models import (
    CalibrationAgreement,
    CalibrationCandidate,
    CalibrationDeviation,
    CalibrationSession,
    Evaluation,
    ScoreRollup,
)
from quality.selectors import visible_evaluations
from quality.services.answers import AnswerInput
from quality.services.autoscore import score_interaction
from quality.services.calibration import (
    FinalAnswer,
    Pick,
    create_session,
    reveal,
    reveal_due_sessions,
    save_scores,
    set_final_answers,
    start_scoring,
)
from quality.services.errors import QualityError

from .conftest import make_interaction, make_scorecard

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: four
# observers, twelve units, values 1–5, missing data. Published: nominal .743, ordinal .815,
# interval .849, ratio .797.
N = None
RELIABILITY_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Example A: two observers, ten units, binary data. Published: α = 0.095.
BINARY = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


@pytest.mark.parametrize(("level", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_alpha_matches_krippendorffs_worked_example(level, published):
    result = stats.alpha(RELIABILITY_DATA, level, samples=200)
    assert round(result.alpha, 3) == published
    # unit 12 has one rating only: it is not pairable
    assert (result.units, result.ratings, result.raters) == (11, 40, 4)
    assert result.low < result.alpha < result.high <= 1


def test_alpha_of_the_binary_example_and_its_reading():
    result = stats.alpha(BINARY, "nominal", samples=0)
    assert round(result.alpha, 3) == 0.095
    assert (result.low, result.high) == (None, None)  # no resamples asked for
    assert stats.reading(result.alpha) == "unreliable"
    assert [stats.reading(v) for v in (0.8, 0.7999, 0.667, None)] == [
        "reliable", "tentative", "tentative", "undefined"]


def test_bootstrap_interval_is_reproducible_and_alpha_undefined_without_variation():
    first = stats.alpha(RELIABILITY_DATA, "nominal", samples=300, seed=7)
    assert stats.alpha(RELIABILITY_DATA, "nominal", samples=300, seed=7) == first
    same = stats.alpha([[1, 1, 1], [1, 1, 1]], "nominal")
    assert (same.alpha, same.units, same.reason) == (
        None, 3, "Every answer was the same: there is no variation to agree on.")
    lonely = stats.alpha([[1, N], [N, 0]], "nominal")
    assert (lonely.alpha, lonely.units, lonely.reason) == (
        None, 0, "No interaction has answers from two raters.")


def test_percent_agreement_counts_pairs_within_units():
    # unit 1: 3 raters agree (3 of 3 pairs); unit 2: 1, 1, 0 (1 of 3); unit 3: one rating
    assert stats.percent_agreement([[1, 1, 0], [1, 1, N], [1, 0, N]]) == 4 / 6
    assert stats.percent_agreement([[1, N], [N, 1]]) is None


def test_deviation_from_the_final_answer_and_the_group():
    matrix = [[1, 0, 2], [1, 1, 4], [N, 1, 4]]  # scale 0–4
    dev = stats.deviation(matrix, 0, [1, 1, 4], scale=4)
    # from final: |1−1|, |0−1|, |2−4| → 0, 25, 50 points; 2 of 3 differ
    assert (dev.n, dev.from_final, dev.disagree_final) == (3, 25.0, 2 / 3)
    # from the others' mean: |1−1|, |0−1|, |2−4| → 0, 25, 50
    assert dev.from_group == 25.0
    # the third rater: |1 − 0.5| and |4 − 3| → 12.5 and 25 points
    assert stats.deviation(matrix, 2, None, scale=4) == stats.Deviation(2, None, None, 18.75)


# --- the session -------------------------------------------------------------------------

GREETED = [("agent", "Thank you for calling, how can I help?"), ("customer", "Hi.")]
CARD = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ("resolution", "Closing", "Resolution", 30, False, None, ("scale", 4)),
]


@pytest.fixture
def calibration(world):
    """A scorecard with a yes/no and a 0–4 attribute, three interactions of alice (scored
    automatically: greeted, greeted, not greeted), and a session of three evaluators."""
    org = world.tenant.org
    make_scorecard(org, attributes=CARD)
    items = []
    with scopes_disabled():
        for n in range(3):
            item = make_interaction(org, agent=world.agent, external_id=f"CAL-{n}",
                                    turns=GREETED if n < 2 else [("agent", "Yes?")])
            score_interaction(interaction=item)
            items.append(item)
        session = create_session(
            organization=org, actor=world.qa, name="November calibration",
            deadline=timezone.now() + timedelta(days=3),
            evaluators=[world.qa, world.admin, world.coach],
            picks=[Pick(item) for item in items],
        )
    return session, items


def _score(session, user, answers):
    """``user`` scores every item: ``answers`` is a list per item of (greeting, resolution)."""
    with scopes_disabled():
        for item, (greeting, resolution) in zip(session.items.order_by("position"), answers,
                                                strict=True):
            evaluation = start_scoring(item=item, evaluator=user)
            save_scores(evaluation=evaluation, actor=user, submit=True, answers=[
                AnswerInput("greeting", greeting), AnswerInput("resolution", resolution)])


def test_creating_a_session_refuses_bad_input(world, calibration):
    org = world.tenant.org
    _, items = calibration
    soon = timezone.now() + timedelta(days=1)

    def refused(**kwargs):
        given = {"organization": org, "actor": world.qa, "name": "S", "deadline": soon,
                 "evaluators": [world.qa, world.admin], "picks": [Pick(items[0])], **kwargs}
        with scopes_disabled(), pytest.raises(QualityError) as error:
            create_session(**given)
        return error.value.field, error.value.message

    assert refused(actor=world.coach) == (
        "session", "Only QA analysts and org admins run calibration sessions.")
    assert refused(name="  ") == ("name", "Give the session a name.")
    assert refused(deadline=timezone.now() - timedelta(hours=1)) == (
        "deadline", "The deadline is in the future.")
    assert refused(picks=[]) == ("interactions", "Pick at least one interaction.")
    assert refused(evaluators=[world.qa]) == (
        "evaluators", "Invite at least two evaluators: agreement needs two raters.")
    assert refused(evaluators=[world.qa, world.agent2])[0] == "evaluators"
    with scopes_disabled():
        own = make_interaction(org, agent=world.coach, external_id="OWN")
    assert refused(evaluators=[world.qa, world.coach], picks=[Pick(own)])[0] == "evaluators"
    with scopes_disabled():
        assert CalibrationSession.objects.count() == 1  # only the fixture's


def test_blind_scoring_reveals_when_everyone_submitted(world, calibration):
    session, items = calibration
    _score(session, world.qa, [("yes", 4), ("yes", 3), ("no", 0)])
    with scopes_disabled():
        session.refresh_from_db()
        assert session.state == CalibrationState.SCORING
        # scoring again after submitting is refused
        evaluation = start_scoring(item=session.items.get(position=1), evaluator=world.qa)
        with pytest.raises(QualityError, match="already submitted"):
            save_scores(evaluation=evaluation, actor=world.qa, answers=[])
        # a member who is not invited cannot score
        with pytest.raises(QualityError, match="not an evaluator"):
            start_scoring(item=session.items.get(position=1), evaluator=world.coach2)
        # the lead cannot reveal early
        with pytest.raises(QualityError, match="2 evaluators still scoring"):
            reveal(session=session, actor=world.qa)
    _score(session, world.admin, [("yes", 4), ("yes", 4), ("no", 1)])
    _score(session, world.coach, [("yes", 2), ("no", 3), ("no", 0)])
    with scopes_disabled():
        session.refresh_from_db()
        assert session.state == CalibrationState.REVEALED
        assert session.participants.filter(submitted_at__isnull=True).count() == 0
        # calibration counts nowhere and is shown to nobody through the evaluation lists
        assert ScoreRollup.objects.filter(kind=EvaluationKind.CALIBRATION).count() == 0
        calibrations = Evaluation.objects.filter(kind=EvaluationKind.CALIBRATION)
        assert calibrations.count() == 9
        assert not visible_evaluations(world.tenant.org, world.agent).filter(
            kind=EvaluationKind.CALIBRATION).exists()
        assert not visible_evaluations(world.tenant.org, world.qa).filter(
            kind=EvaluationKind.CALIBRATION).exists()


def test_final_answers_record_agreement_and_deviations(world, calibration):
    session, items = calibration
    _score(session, world.qa, [("yes", 4), ("yes", 3), ("no", 0)])
    _score(session, world.admin, [("yes", 4), ("yes", 4), ("no", 1)])
    _score(session, world.coach, [("yes", 2), ("no", 3), ("no", 0)])
    with scopes_disabled():
        session.refresh_from_db()
        units = list(session.items.order_by("position"))
        with pytest.raises(QualityError) as missing:
            set_final_answers(session=session, actor=world.qa, finish=True, answers=[
                FinalAnswer(units[0].pk, "greeting", "yes")])
        assert missing.value.field == f"{units[0].pk}-resolution"
        with pytest.raises(QualityError) as bad:
            set_final_answers(session=session, actor=world.qa, answers=[
                FinalAnswer(units[0].pk, "resolution", 9)])
        assert bad.value.field == f"{units[0].pk}-resolution"
        final = [("yes", 4), ("yes", 3), ("no", 0)]
        set_final_answers(session=session, actor=world.qa, finish=True, notes="Agreed.",
                          answers=[FinalAnswer(unit.pk, key, answer, "why")
                                   for unit, pair in zip(units, final, strict=True)
                                   for key, answer in zip(("greeting", "resolution"), pair,
                                                          strict=True)])
        session.refresh_from_db()
        assert (session.state, session.notes) == (CalibrationState.FINISHED, "Agreed.")

        greeting = CalibrationAgreement.objects.get(session=session, attribute_key="greeting")
        expected = stats.alpha([[1, 1, 0], [1, 1, 0], [1, 0, 0]], "nominal", samples=0)
        assert (greeting.level, greeting.units, greeting.ratings, greeting.raters) == (
            "nominal", 3, 9, 3)
        assert greeting.alpha == pytest.approx(expected.alpha)
        assert greeting.percent_agreement == 7 / 9
        # the automatic scorer said yes, yes, no: α with it is computed on four rows
        with_auto = stats.alpha([[1, 1, 0], [1, 1, 0], [1, 0, 0], [1, 1, 0]], "nominal",
                                samples=0)
        assert greeting.alpha_with_auto == pytest.approx(with_auto.alpha)
        resolution = CalibrationAgreement.objects.get(session=session,
                                                      attribute_key="resolution")
        expected = stats.alpha([[4, 3, 0], [4, 4, 1], [2, 3, 0]], "ordinal", samples=0)
        # 4,4,2 · 3,4,3 · 0,1,0: one agreeing pair of three in each interaction
        assert (resolution.level, resolution.percent_agreement) == ("ordinal", 1 / 3)
        assert resolution.alpha == pytest.approx(expected.alpha)
        # the automatic scorer gave no resolution answers: the same α with it
        assert resolution.alpha_with_auto == pytest.approx(expected.alpha)
        total = CalibrationAgreement.objects.get(session=session, attribute_key="")
        assert (total.attribute_name, total.level, total.units) == ("Total score", "interval", 3)

        coach = CalibrationDeviation.objects.get(session=session, evaluator=world.coach,
                                                 attribute_key="resolution")
        # |2−4|/4, |3−3|/4, |0−0|/4 → 50, 0, 0 points
        assert (coach.n, coach.from_final, coach.disagree_final) == (3, 50 / 3, 1 / 3)
        greeting_auto = CalibrationDeviation.objects.get(session=session, is_auto=True,
                                                         attribute_key="greeting")
        assert (greeting_auto.n, greeting_auto.from_final) == (3, 0.0)
        # the automatic scorer answered no resolution (a hand-only attribute)
        assert not CalibrationDeviation.objects.filter(
            session=session, is_auto=True, attribute_key="resolution").exists()
        qa_total = CalibrationDeviation.objects.get(session=session, evaluator=world.qa,
                                                    attribute_key="")
        assert (qa_total.n, qa_total.from_final) == (3, 0.0)
        with pytest.raises(QualityError, match="finished"):
            set_final_answers(session=session, actor=world.qa, answers=[])


def test_deadline_reveals_what_was_scored(world, calibration):
    session, _ = calibration
    _score(session, world.qa, [("yes", 4), ("yes", 3), ("no", 0)])
    with scopes_disabled():
        assert reveal_due_sessions(organization=world.tenant.org) == 0
        CalibrationSession.objects.filter(pk=session.pk).update(
            deadline=timezone.now() - timedelta(minutes=1))
        late = start_scoring(item=session.items.get(position=1), evaluator=world.admin)
        with pytest.raises(QualityError, match="deadline passed"):
            save_scores(evaluation=late, actor=world.admin, answers=[])
        assert reveal_due_sessions(organization=world.tenant.org) == 1
        session.refresh_from_db()
        assert session.state == CalibrationState.REVEALED
        greeting = CalibrationAgreement.objects.get(session=session, attribute_key="greeting")
        assert (greeting.alpha, greeting.units, greeting.raters) == (None, 0, 0)


def test_candidates_and_disputed_evaluations_bring_their_interactions(world, calibration):
    org = world.tenant.org
    _, items = calibration
    with scopes_disabled():
        auto = Evaluation.objects.get(interaction=items[0], kind=EvaluationKind.AUTO)
        flagged = Evaluation.objects.get(interaction=items[1], kind=EvaluationKind.AUTO)
        candidate = CalibrationCandidate.objects.create(
            organization=org, subject="attribute", attribute_key="greeting",
            attribute_name="Greeting")
        candidate.evaluations.add(flagged)
        session = create_session(
            organization=org, actor=world.admin, name="From disputes",
            deadline=timezone.now() + timedelta(days=1), evaluators=[world.qa, world.coach],
            disputed=[auto], candidates=[candidate])
        assert [(i.interaction_id, i.source, i.source_evaluation_id)
                for i in session.items.order_by("position")] == [
            (items[0].pk, CalibrationSource.DISPUTED, auto.pk),
            (items[1].pk, CalibrationSource.FLAGGED, flagged.pk)]
        candidate.refresh_from_db()
        assert candidate.session_id == session.pk and candidate.taken_at is not None
