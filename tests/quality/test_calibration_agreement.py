"""The calibration agreement panel: α per attribute with its interval and reading, the
flagged attribute, percent agreement and n, the automatic scorer's α and deviation row —
read from what the services recorded on a small session built through them."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from quality import calibration_stats as stats
from quality.selectors_calibration_agreement import agreement_panel
from quality.services.calibration import Pick, create_session

from .calibration_helpers import SCORES, build_session


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

    assert [(r.label, r.is_auto) for r in panel.raters] == [
        (world.qa.get_full_name(), False), (world.admin.get_full_name(), False),
        (world.coach.get_full_name(), False), ("Automatic scorer", True)]
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
