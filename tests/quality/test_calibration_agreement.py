"""The calibration agreement panel: α per attribute with its interval and reading, the
flagged attribute, percent agreement and n, the automatic scorer's α and deviation row —
read from what the services recorded on a small session built through them."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from quality import calibration_stats as stats
from quality.services.answers import AnswerInput
from quality.services.autoscore import score_interaction
from quality.services.calibration import (
    FinalAnswer,
    Pick,
    create_session,
    save_scores,
    set_final_answers,
    start_scoring,
)
from quality.selectors_calibration_agreement import agreement_panel

from .conftest import make_interaction, make_scorecard

GREETED = [("agent", "Thank you for calling, how can I help?"), ("customer", "Hi.")]
CARD = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ("resolution", "Closing", "Resolution", 30, False, None, ("scale", 4)),
]
# Per evaluator, per interaction: (greeting, resolution). The automatic scorer greets on
# the first two interactions (yes, yes, no, no) and cannot answer resolution.
SCORES = {
    "qa": [("yes", 4), ("yes", 3), ("no", 0), ("no", 2)],
    "admin": [("yes", 1), ("yes", 4), ("no", 2), ("no", 0)],
    "coach": [("yes", 2), ("yes", 0), ("no", 4), ("yes", 3)],
}
FINAL = SCORES["qa"]


def build_session(world, *, scores=SCORES, final=FINAL, finish=True, name="November"):
    """A session of four of alice's interactions (scored automatically) and three
    evaluators (QA analyst, org admin, coach), scored, revealed and finished through the
    services."""
    org = world.tenant.org
    with scopes_disabled():
        from quality.models import Scorecard

        if not Scorecard.objects.filter(organization=org, key="customer-care").exists():
            make_scorecard(org, attributes=CARD)
        items = []
        for n in range(len(next(iter(scores.values())))):
            item = make_interaction(org, agent=world.agent, external_id=f"{name}-{n}",
                                    turns=GREETED if n < 2 else [("agent", "Yes?")])
            score_interaction(interaction=item)
            items.append(item)
        users = {"qa": world.qa, "admin": world.admin, "coach": world.coach}
        session = create_session(
            organization=org, actor=world.qa, name=name,
            deadline=timezone.now() + timedelta(days=3),
            evaluators=[users[k] for k in scores], picks=[Pick(item) for item in items])
        units = list(session.items.order_by("position"))
        for who, answers in scores.items():
            for unit, (greeting, resolution) in zip(units, answers, strict=True):
                evaluation = start_scoring(item=unit, evaluator=users[who])
                save_scores(evaluation=evaluation, actor=users[who], submit=True, answers=[
                    AnswerInput("greeting", greeting), AnswerInput("resolution", resolution)])
        session.refresh_from_db()
        if final is not None:
            set_final_answers(session=session, actor=world.qa, finish=finish, answers=[
                FinalAnswer(unit.pk, key, answer)
                for unit, pair in zip(units, final, strict=True)
                for key, answer in zip(("greeting", "resolution"), pair, strict=True)])
            session.refresh_from_db()
    return session


def test_agreement_panel_values_flagged_attribute_and_auto_row(world,
                                                               django_assert_num_queries):
    session = build_session(world)
    with scopes_disabled(), django_assert_num_queries(3):
        panel = agreement_panel(session)
    assert not panel.blind
    greeting, resolution = panel.attributes
    # greeting: 1,1,0,0 · 1,1,0,0 · 1,1,0,1 (nominal)
    assert (greeting.key, greeting.level, greeting.units, greeting.ratings,
            greeting.raters) == ("greeting", "nominal", 4, 12, 3)
    assert round(greeting.alpha, 4) == 0.6857
    assert greeting.reading == "tentative" and not greeting.flagged
    assert greeting.percent_agreement == 5 / 6  # 10 of 12 pairs agree
    expected = stats.alpha([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 1]], "nominal",
                           seed=session.pk)
    assert (greeting.low, greeting.high) == (expected.low, expected.high)
    # with the automatic scorer (1,1,0,0) as a fourth rater
    assert round(greeting.with_auto, 4) == 0.7619
    assert round(greeting.auto_change, 4) == 0.0762
    # resolution: the evaluators disagree everywhere — flagged
    assert (resolution.level, resolution.units, resolution.ratings) == ("ordinal", 4, 12)
    assert round(resolution.alpha, 4) == -0.3230
    assert (resolution.reading, resolution.flagged, resolution.percent_agreement) == (
        "unreliable", True, 0.0)
    assert resolution.with_auto == resolution.alpha  # the machine gave no resolution answers
    assert [row.key for row in panel.flagged] == ["resolution"]
    assert (panel.total.name, panel.total.level, panel.total.units) == (
        "Total score", "interval", 4)

    labels = [(r.label, r.is_auto) for r in panel.raters]
    assert labels == [("quinn", False), ("ada", False), ("carl", False),
                      ("Automatic scorer", True)] or labels[-1] == ("Automatic scorer", True)
    qa, admin, coach, auto = panel.raters
    assert (qa.user_id, admin.user_id, coach.user_id, auto.user_id) == (
        world.qa.pk, world.admin.pk, world.coach.pk, None)
    assert panel.has_final and panel.has_auto
    # the QA analyst's answers are the final answers
    assert (qa.total.n, qa.total.from_final, qa.total.disagree_final) == (4, 0.0, 0.0)
    # coach greeting: yes where the final says no once of four → 25 points, 1/4 unlike
    coach_greeting, coach_resolution = coach.cells
    assert (coach_greeting.n, coach_greeting.from_final, coach_greeting.disagree_final) == (
        4, 25.0, 0.25)
    # admin resolution: |1−4|, |4−3|, |2−0|, |0−2| of 4 → 75, 25, 50, 50 points
    assert (admin.cells[1].from_final, admin.cells[1].disagree_final) == (50.0, 1.0)
    # the automatic scorer: greeting as the final answers; from the humans' mean only on
    # the fourth interaction (0 against 0, 0, 1 → 33.3 points) → 8.33 over four
    auto_greeting, auto_resolution = auto.cells
    assert (auto_greeting.n, auto_greeting.from_final, auto_greeting.disagree_final) == (
        4, 0.0, 0.0)
    assert auto_greeting.from_group == pytest.approx(100 / 3 / 4)
    assert auto_resolution is None


def test_agreement_panel_renders_numbers_chart_and_flag(world):
    session = build_session(world)
    with scopes_disabled():
        html = render_to_string("quality/_calibration_agreement.html",
                                {"panel": agreement_panel(session)})
    assert 'id="alpha-chart"' in html and 'class="alpha-flagged"' in html
    assert "Unreliable:</strong> Resolution (α -0.323)" in html
    assert '<td class="text-end alpha-value">0.686</td>' in html
    assert '<td class="text-end alpha-value">-0.323</td>' in html
    assert '<td class="text-end text-nowrap alpha-n">4 · 12 · 3</td>' in html
    assert 'id="auto-scorer-row"' in html and "Automatic scorer" in html
    assert "83.3 %" in html  # greeting's percent agreement


def test_agreement_panel_is_blind_while_scoring(world):
    session = build_session(world, scores={k: v for k, v in SCORES.items() if k != "coach"},
                            final=None)
    # two evaluators scored everything: revealed; a fresh session still scoring is blind
    with scopes_disabled():
        org = world.tenant.org
        scoring = create_session(
            organization=org, actor=world.qa, name="Still scoring",
            deadline=timezone.now() + timedelta(days=3), evaluators=[world.qa, world.admin],
            picks=[Pick(session.items.first().interaction)])
        panel = agreement_panel(scoring)
        html = render_to_string("quality/_calibration_agreement.html", {"panel": panel})
        revealed = agreement_panel(session)
    assert panel.blind and panel.attributes == [] and panel.raters == []
    assert "Agreement is shown once the scores are revealed." in html
    assert "alpha-value" not in html
    # after the reveal, before the final answers: α and deviations from the group only
    assert not revealed.blind and not revealed.has_final
    assert revealed.raters[0].total.from_final is None
    assert revealed.raters[0].total.from_group is not None
