"""Calibration alerts: the thresholds (service and form), and the e-mail to QA analysts and
org admins, with a direct link to the session, when a finished session has an attribute
below the α threshold or an evaluator above the deviation threshold; none within them."""

import pytest
from django.conf import settings
from django.core import mail
from django_scopes import scopes_disabled

from quality.services.calibration_alerts import (
    CalibrationThresholds,
    calibration_thresholds,
    update_calibration_thresholds,
)
from quality.services.errors import QualityError

from .calibration_helpers import CLOSE, build_session

SUBJECT = "Calibration below threshold: "


def alerts():
    return [m for m in mail.outbox if m.subject.startswith(SUBJECT)]


def finish(world, capture, **kwargs):
    with capture(execute=True):
        return build_session(world, **kwargs)


def test_alert_mails_qa_leads_with_a_link_to_the_session(world, django_capture_on_commit_callbacks):
    session = finish(world, django_capture_on_commit_callbacks, name="October")
    sent = alerts()
    # QA analysts and org admins of the tenant (the coach and the agents are not told)
    assert sorted(m.to[0] for m in sent) == sorted([world.admin.email, world.qa.email])
    assert {m.subject for m in sent} == {SUBJECT + "October"}
    body = sent[0].body
    link = f"{settings.SITE_URL}/o/acme/quality/calibration/{session.pk}/"
    assert link in body
    assert f"{settings.SITE_URL}/o/acme/quality/calibration/drift/" in body
    assert "- Resolution: α -0.323 over 4 interactions" in body
    assert "Greeting" not in body  # α 0.686: above 0.667
    # the deviation on the total from the final answers: coach 53.1, admin 37.5 points
    coach, admin = world.coach.get_full_name(), world.admin.get_full_name()
    assert f"- {coach}: 53.1 points over 4 interactions\n- {admin}: 37.5 points" in body
    assert world.qa.get_full_name() + ":" not in body  # 0 points from the final answers
    assert "more than 15 points" in body


def test_no_alert_within_the_thresholds_and_one_past_raised_ones(
        world, django_capture_on_commit_callbacks):
    finish(world, django_capture_on_commit_callbacks, scores=CLOSE, name="Close")
    assert alerts() == []  # α 1 and 0.924; 4.7 points at most
    assert len(mail.outbox) > 0  # the invitations and the reveal were sent
    with scopes_disabled():
        update_calibration_thresholds(organization=world.tenant.org, alpha_threshold=0.95,
                                      deviation_threshold=4.5)
    finish(world, django_capture_on_commit_callbacks, scores=CLOSE, name="Stricter")
    sent = alerts()
    assert len(sent) == 2
    body = sent[0].body
    assert "Attributes below α 0.950" in body and "- Resolution: α 0.924 over 4" in body
    assert "more than 4.5 points" in body and "4.7 points over 4 interactions" in body


def test_the_automatic_scorer_far_from_the_final_answers_is_in_the_alert(
        world, django_capture_on_commit_callbacks):
    """The lead's final answers say the first interaction was not greeted, where the
    automatic scorer (and every evaluator) said it was: 1 of 4 greeting answers off by 100
    points = 25 points > 15. It cannot answer resolution, so that attribute is not judged."""
    final = [("no", 4), ("yes", 3), ("no", 0), ("no", 2)]
    finish(world, django_capture_on_commit_callbacks, scores=CLOSE, final=final,
           name="Machine")
    sent = alerts()
    assert len(sent) == 2
    body = sent[0].body
    assert ("The automatic scorer, more than 15 points from the final answers (its rules "
            "disagree with your evaluators: check them before trusting its scores):\n"
            "- Greeting: 25.0 points over 4 interactions\n") in body
    assert "Resolution: " not in body.split("The automatic scorer")[1]


def test_nothing_sent_before_the_session_finishes(world, django_capture_on_commit_callbacks):
    finish(world, django_capture_on_commit_callbacks, name="Revealed", final=None)
    assert alerts() == []


def test_thresholds_default_update_and_refusals(world):
    org = world.tenant.org
    assert calibration_thresholds(org) == CalibrationThresholds(0.667, 15.0)
    with scopes_disabled():
        update_calibration_thresholds(organization=org, alpha_threshold=0.8,
                                      deviation_threshold=10)
        org.refresh_from_db()
        assert calibration_thresholds(org) == CalibrationThresholds(0.8, 10.0)
        for alpha, deviation, field in ((1.5, 10, "alpha_threshold"),
                                        (0.8, -1, "deviation_threshold"),
                                        (True, 10, "alpha_threshold"),
                                        (0.8, float("nan"), "deviation_threshold")):
            with pytest.raises(QualityError) as error:
                update_calibration_thresholds(organization=org, alpha_threshold=alpha,
                                              deviation_threshold=deviation)
            assert error.value.field == field
        org.refresh_from_db()
        assert calibration_thresholds(org) == CalibrationThresholds(0.8, 10.0)
        # the other quality settings are kept
        assert "calibration" in org.settings["quality"]


def test_thresholds_form_permission_matrix_and_errors(world, login, client):
    url = world.tenant.url("quality/calibration/thresholds/")
    data = {"calibration-alpha_threshold": "0.7", "calibration-deviation_threshold": "12.5"}
    anonymous = client.post(url, data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for who in ("coach", "agent", "outsider"):
        client.logout()
        assert login(getattr(world, who)).post(url, data).status_code == 404, who
    world.tenant.org.refresh_from_db()
    assert calibration_thresholds(world.tenant.org) == CalibrationThresholds()
    client.logout()
    saved = login(world.qa).post(url, data)
    assert saved.status_code == 302 and saved["Location"] == "/o/acme/quality/calibration/drift/"
    world.tenant.org.refresh_from_db()
    assert calibration_thresholds(world.tenant.org) == CalibrationThresholds(0.7, 12.5)
    refused = client.post(url, {"calibration-alpha_threshold": "2",
                                "calibration-deviation_threshold": "12"})
    assert refused.status_code == 200
    assert refused.context["thresholds_form"].errors == {
        "alpha_threshold": ["Ensure this value is less than or equal to 1."]}
    assert 'id="id_calibration-alpha_threshold_error"' in refused.content.decode()
    world.tenant.org.refresh_from_db()
    assert calibration_thresholds(world.tenant.org) == CalibrationThresholds(0.7, 12.5)
    # the quality settings page carries the same form, for org admins and QA analysts
    client.logout()
    settings_page = login(world.admin).get(world.tenant.url("quality/settings/"))
    html = settings_page.content.decode()
    assert 'action="/o/acme/quality/calibration/thresholds/"' in html
    assert 'value="0.7"' in html and 'value="12.5"' in html
