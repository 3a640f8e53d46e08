"""Sending a flagged evaluator or attribute to calibration: one open candidate per subject
with the figures and the disputed evaluations, a second send changes nothing, a subject
not flagged is refused; the button and its permission matrix on the analytics page."""

import threading

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from quality.models import CalibrationCandidate
from quality.services.calibration_candidates import send_to_calibration
from quality.services.errors import QualityError

from .conftest import make_scorecard, turn_disputes_on
from .test_dispute_analytics import plant, set_min_reviews

pytestmark = pytest.mark.django_db

URL = "quality/disputes/analytics/"
SEND = "quality/disputes/analytics/calibrate/"


@pytest.fixture
def flagged(world):
    """Quinn (the QA analyst) had empathy changed in 3 of 3 disputes (Wilson lower bound
    0.439 > 0.25, with the tenant's minimum at 3); Ada (the org admin) 0 of 3."""
    org = world.tenant.org
    turn_disputes_on(org, max_rounds=1)
    make_scorecard(org)
    set_min_reviews(org, 3)
    disputes = [plant(world, decisions={"empathy": "changed"}) for _ in range(3)]
    for _ in range(3):
        plant(world, decisions={"greeting": "upheld"}, evaluator=world.admin)
    return disputes


def _candidates() -> list[CalibrationCandidate]:
    with scopes_disabled():
        return list(CalibrationCandidate.objects.order_by("pk"))


def _evaluations(candidate) -> list[int]:
    with scopes_disabled():
        return sorted(candidate.evaluations.values_list("pk", flat=True))


def test_send_flagged_evaluator_once_then_it_waits(world, flagged):
    org = world.tenant.org
    with scopes_disabled():
        sent = send_to_calibration(organization=org, actor=world.admin, subject="evaluator",
                                   evaluator_id=world.qa.pk, days=90)
    assert sent.created is True
    candidate = sent.candidate
    assert (candidate.subject, candidate.evaluator_id, candidate.attribute_key,
            candidate.created_by_id, candidate.taken_at) == ("evaluator", world.qa.pk, "",
                                                             world.admin.pk, None)
    assert candidate.reason == (
        f"{world.qa.get_full_name()}: 3 of 3 disputed attributes changed in the last 90 days"
        " — overturn rate 100.0% (95% interval 43.9–100.0%), lower bound above the 25% flag.")
    assert _evaluations(candidate) == sorted(d.evaluation_id for d in flagged)
    with scopes_disabled():
        again = send_to_calibration(organization=org, actor=world.qa, subject="evaluator",
                                    evaluator_id=world.qa.pk, days=30)
    assert (again.created, again.candidate.pk) == (False, candidate.pk)
    [only] = _candidates()
    assert (only.reason, only.created_by_id) == (candidate.reason, world.admin.pk)


def test_send_flagged_attribute(world, flagged):
    with scopes_disabled():
        sent = send_to_calibration(organization=world.tenant.org, actor=world.qa,
                                   subject="attribute", attribute_key="empathy", days=90)
    assert (sent.created, sent.candidate.subject, sent.candidate.attribute_key,
            sent.candidate.attribute_name, sent.candidate.evaluator_id) == (
        True, "attribute", "empathy", "Empathy", None)
    assert sent.candidate.reason.startswith("Empathy: 3 of 3 disputed attributes changed")
    assert len(_evaluations(sent.candidate)) == 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"subject": "evaluator", "evaluator_id": "admin"},
     "{name} is not flagged: its overturn rate's lower bound is not above 25% over enough "
     "disputes."),
    ({"subject": "attribute", "attribute_key": "greeting"},
     "Greeting is not flagged: its overturn rate's lower bound is not above 25% over enough "
     "disputes."),
    ({"subject": "attribute", "attribute_key": "compliance"},
     "No decided disputes of this attribute in the last 90 days."),
    ({"subject": "team"}, "Send an evaluator or an attribute."),
])
def test_subject_not_flagged_is_refused_and_nothing_written(world, flagged, kwargs, message):
    if kwargs.get("evaluator_id") == "admin":
        kwargs = {**kwargs, "evaluator_id": world.admin.pk}
    with scopes_disabled(), pytest.raises(QualityError) as error:
        send_to_calibration(organization=world.tenant.org, actor=world.qa, days=90, **kwargs)
    assert error.value.message == message.format(name=world.admin.get_full_name())
    assert _candidates() == []


def test_too_few_disputes_are_not_flagged(world, flagged):
    set_min_reviews(world.tenant.org, 4)  # 3 of 3 is no longer enough to act
    with scopes_disabled(), pytest.raises(QualityError):
        send_to_calibration(organization=world.tenant.org, actor=world.qa,
                            subject="evaluator", evaluator_id=world.qa.pk, days=90)
    assert _candidates() == []


def test_a_candidate_taken_up_lets_the_subject_be_sent_again(world, flagged):
    org = world.tenant.org
    with scopes_disabled():
        first = send_to_calibration(organization=org, actor=world.qa, subject="evaluator",
                                    evaluator_id=world.qa.pk, days=90).candidate
        CalibrationCandidate.objects.filter(pk=first.pk).update(taken_at=timezone.now())
        second = send_to_calibration(organization=org, actor=world.qa, subject="evaluator",
                                     evaluator_id=world.qa.pk, days=90)
    assert second.created is True and second.candidate.pk != first.pk


def test_page_button_sends_once_then_says_waiting(world, flagged, login):
    qa = login(world.qa)
    page = qa.get(world.tenant.url(URL))
    rows = {r.evaluator_id: r for r in page.context["analytics"].by_evaluator}
    assert (rows[world.qa.pk].flagged, rows[world.qa.pk].waiting) == (True, False)
    html = page.content.decode()
    assert html.count(">Send to calibration<") == 2  # quinn and empathy
    data = {"subject": "evaluator", "evaluator": world.qa.pk, "period": 90}
    sent = qa.post(world.tenant.url(SEND), data, follow=True)
    assert sent.redirect_chain == [("/o/acme/quality/disputes/analytics/?period=90", 302)]
    assert [str(m) for m in sent.context["messages"]] == [
        f"{world.qa.get_full_name()} was sent to calibration with 3 disputed evaluations."]
    rows = {r.evaluator_id: r for r in sent.context["analytics"].by_evaluator}
    assert (rows[world.qa.pk].flagged, rows[world.qa.pk].waiting) == (True, True)
    html = sent.content.decode()
    assert "Waiting for calibration</span>" in html
    assert html.count(">Send to calibration<") == 1  # empathy only
    assert 'id="open-candidates"' in html and "3 evaluations" in html
    again = qa.post(world.tenant.url(SEND), data, follow=True)
    today = timezone.localdate()
    assert [str(m) for m in again.context["messages"]] == [
        f"{world.qa.get_full_name()} is already waiting for calibration "
        f"(sent {today:%-d %b %Y}); nothing changed."]
    assert len(_candidates()) == 1
    refused = qa.post(world.tenant.url(SEND), {"subject": "evaluator",
                                                "evaluator": world.admin.pk, "period": 30},
                      follow=True)
    assert refused.redirect_chain == [("/o/acme/quality/disputes/analytics/?period=30", 302)]
    assert [str(m) for m in refused.context["messages"]] == [
        f"{world.admin.get_full_name()} is not flagged: its overturn rate's lower bound is not "
        "above 25% over enough disputes."]
    assert len(_candidates()) == 1


def test_send_permission_matrix(world, flagged, login, client):
    url = world.tenant.url(SEND)
    data = {"subject": "attribute", "attribute": "empathy", "period": 90}
    anonymous = client.post(url, data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for who, status in (("agent", 403), ("coach", 403), ("outsider", 404)):
        client.logout()
        assert login(getattr(world, who)).post(url, data).status_code == status, who
    client.logout()
    coach_page = login(world.coach).get(world.tenant.url(URL)).content.decode()
    assert "Flagged</span>" in coach_page and ">Send to calibration<" not in coach_page
    assert "QA analysts send flagged ones to calibration." in coach_page
    assert _candidates() == []
    client.logout()
    assert login(world.admin).get(url).status_code == 405
    assert login(world.admin).post(url, data).status_code == 302
    assert [(c.subject, c.attribute_key) for c in _candidates()] == [("attribute", "empathy")]


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_make_one_candidate(world, flagged):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL")
    org = world.tenant.org
    barrier = threading.Barrier(2)
    created = []

    def send(actor):
        try:
            with scope(organization=org):
                barrier.wait()
                created.append(send_to_calibration(
                    organization=org, actor=actor, subject="attribute",
                    attribute_key="empathy", days=90).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(u,)) for u in (world.qa, world.admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False, True]
    [only] = _candidates()
    assert len(_evaluations(only)) == 3
