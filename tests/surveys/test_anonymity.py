"""The trainee survey's promise everywhere: coaches see trainee answers only as aggregates of
at least three; org admins see them one by one only for surveys sent while the
organization's surveys were not anonymous; the wording trainees read follows the setting."""

from decimal import Decimal

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from surveys.models import SurveyResponse
from surveys.selectors import survey_settings
from surveys.services import submit_survey, update_survey_settings
from tenancy.services import create_api_token

ANONYMOUS_PROMISE = (
    "Your coach sees only averages over at least 3 responses, never your name or your own "
    "answers. Your answers are anonymous: nobody sees them with your name."
)
OPEN_PROMISE = (
    "Your coach sees only averages over at least 3 responses, never your name or your own "
    "answers. Your organization&#x27;s admins can read your answers with your name."
)
TOO_FEW = "too few responses to show (n &lt; 3)"


def _set_anonymous(world, anonymous: bool):
    with world.tenant.scope():
        update_survey_settings(organization=world.tenant.org, remind_after_days=3,
                               due_after_days=14, anonymous=anonymous)


def _trainee_answers(world, respondent, *, rating="4", yes="yes", text="", coach=None):
    """A completed trainee survey about ``coach`` (default Carl): 4 & yes → 87.5."""
    response = world.send(world.trainee_survey, respondent=respondent,
                          subject=coach or world.coach)
    with world.tenant.scope():
        return submit_survey(response=response, respondent=respondent, answers={
            world.t_rating.pk: rating, world.t_yes.pk: yes, world.t_text.pk: text})


def _agents(world, n, prefix="trainee"):
    return [world.tenant.member(roles=["agent"], username=f"{prefix}{i}") for i in range(n)]


def _results(client, world):
    return client.get(world.tenant.url(f"surveys/templates/{world.trainee_survey.pk}/results/"))


# --- the setting and the wording ----------------------------------------------------------


def test_surveys_are_anonymous_by_default_and_the_settings_page_switches_it(world, login):
    assert survey_settings(world.tenant.org).anonymous is True
    client = login(world.admin)
    url = world.tenant.url("surveys/settings/")
    assert ('<input type="checkbox" name="anonymous" class="form-check-input" '
            'aria-describedby="id_anonymous_helptext" id="id_anonymous" checked>') in (
        client.get(url).content.decode())

    saved = client.post(url, {"remind_after_days": "3", "due_after_days": "14"})

    assert saved.status_code == 302
    world.tenant.org.refresh_from_db()
    assert survey_settings(world.tenant.org).anonymous is False


def test_take_page_and_emails_say_what_the_response_was_sent_with(
        world, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        anonymous = world.send(world.trainee_survey, respondent=world.agent,
                               subject=world.coach)
    _set_anonymous(world, False)
    with django_capture_on_commit_callbacks(execute=True):
        openly = world.send(world.trainee_survey, respondent=world.agent2, subject=world.coach)
        coach_survey = world.send()

    assert (anonymous.anonymous, openly.anonymous, coach_survey.anonymous) == (
        True, False, False)
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert ANONYMOUS_PROMISE in bodies[world.agent.email]
    assert OPEN_PROMISE.replace("&#x27;", "'") in bodies[world.agent2.email]
    assert "averages" not in bodies[world.coach.email]
    # The page says what this response was sent with, not what the setting is now.
    page = login(world.agent).get(world.tenant.url(f"surveys/responses/{anonymous.pk}/"))
    assert ANONYMOUS_PROMISE in page.content.decode()
    page = login(world.agent2).get(world.tenant.url(f"surveys/responses/{openly.pk}/"))
    assert OPEN_PROMISE in page.content.decode()
    preview = login(world.admin).get(
        world.tenant.url(f"surveys/templates/{world.trainee_survey.pk}/preview/"))
    assert OPEN_PROMISE in preview.content.decode()


def test_completing_a_trainee_survey_emails_nobody(world, django_capture_on_commit_callbacks):
    response = world.send(world.trainee_survey, respondent=world.agent, subject=world.coach,
                          notify=False)

    with django_capture_on_commit_callbacks(execute=True), world.tenant.scope():
        submit_survey(response=response, respondent=world.agent,
                      answers={world.t_rating.pk: "2", world.t_yes.pk: "no"})

    assert mail.outbox == []


# --- coach effectiveness: the aggregate appears at three -----------------------------------


def test_coach_sees_their_average_only_from_the_third_response(world, login):
    first, second, third = _agents(world, 3)
    client = login(world.coach)
    url = world.tenant.url("surveys/effectiveness/?period=all")
    _trainee_answers(world, first, rating="5", yes="yes")   # 100
    _trainee_answers(world, second, rating="1", yes="no")   # 0

    page = client.get(url)
    assert [(r.label, r.average, r.scored) for r in page.context["per_coach"]] == [
        ("Carl Coach", None, 2)]
    html = page.content.decode()
    assert TOO_FEW in html
    assert first.username not in html and second.username not in html

    _trainee_answers(world, third, rating="4", yes="yes")   # 87.5
    page = client.get(url)
    assert [(r.label, r.average, r.scored) for r in page.context["per_coach"]] == [
        ("Carl Coach", Decimal("62.5"), 3)]
    assert '<td class="text-end">62.5</td>' in page.content.decode()


# --- results: aggregates only, individual answers only for open surveys to org admins ------


def test_results_of_two_trainee_answers_show_nothing_that_identifies(world, login):
    a, b = _agents(world, 2)
    _trainee_answers(world, a, rating="5", text="Great session")
    _trainee_answers(world, b, rating="2", text="Too fast")

    for viewer in (world.admin, world.qa):
        page = _results(login(viewer), world)
        results = page.context["results"]
        assert (results.too_few, results.average_score, results.completed) == (True, None, 2)
        assert [(q.too_few, q.bars, q.average) for q in results.questions[:2]] == [
            (True, [], None), (True, [], None)]
        assert (results.questions[2].comments, results.questions[2].comment_count,
                results.questions[2].comments_withheld) == ([], 2, True)
        assert list(page.context["responses"]) == []
        html = page.content.decode()
        assert "Great session" not in html and a.username not in html
        assert html.count(TOO_FEW) == 3


def test_results_of_three_anonymous_answers_show_aggregates_but_no_quotes(world, login):
    for agent, rating in zip(_agents(world, 3), ("5", "4", "2"), strict=True):
        _trainee_answers(world, agent, rating=rating, text=f"Said by {agent.username}")

    page = _results(login(world.admin), world)

    results = page.context["results"]
    # 4 & yes: (75+100)/2 = 87.5, (100+100)/2 = 100, (25+100)/2 = 62.5 → 83.3
    assert (results.too_few, results.average_score) == (False, Decimal("83.3"))
    assert [(b.label, b.count) for b in results.questions[0].bars] == [
        ("1", 0), ("2", 1), ("3", 0), ("4", 1), ("5", 1)]
    assert (results.questions[2].comments, results.questions[2].comments_withheld) == (
        [], True)
    assert list(page.context["responses"]) == []
    assert "Said by" not in page.content.decode()


def test_open_trainee_answers_are_quoted_and_listed_to_org_admins_only(world, login):
    earlier = _agents(world, 1, prefix="earlier")[0]
    _trainee_answers(world, earlier, text="Said under the promise")
    _set_anonymous(world, False)
    for agent in _agents(world, 3)[1:] + [world.agent]:
        _trainee_answers(world, agent, text=f"Said by {agent.username}")

    admin_page = _results(login(world.admin), world)
    quotes = admin_page.context["results"].questions[2].comments
    assert sorted(quotes) == ["Said by abe", "Said by trainee1", "Said by trainee2"]
    assert sorted(r.respondent.username for r in admin_page.context["responses"]) == [
        "abe", "trainee1", "trainee2"]
    assert "Said under the promise" not in admin_page.content.decode()

    qa_page = _results(login(world.qa), world)
    assert qa_page.context["results"].questions[2].comments == []
    assert list(qa_page.context["responses"]) == []
    assert "Said by" not in qa_page.content.decode()


def test_coach_survey_results_are_unchanged(world, login):
    response = world.send(subject=world.agent)
    with world.tenant.scope():
        submit_survey(response=response, respondent=world.coach, answers={
            world.q_rating.pk: "4", world.q_yes.pk: "yes",
            world.q_choice.pk: str(world.choice("Fully").pk), world.q_text.pk: "Solid work"})

    page = login(world.qa).get(
        world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/results/"))

    assert page.context["results"].average_score == Decimal("87.5")  # (75×2 + 100 + 100) / 4
    assert page.context["results"].questions[3].comments == ["Solid work"]
    assert [r.pk for r in page.context["responses"]] == [response.pk]


# --- the Django admin ------------------------------------------------------------------------


def test_admin_lists_trainee_answers_only_when_not_sent_anonymously(world, client):
    with scopes_disabled():
        world.admin.is_staff = True
        world.admin.save()
    hidden = _trainee_answers(world, world.agent)
    _set_anonymous(world, False)
    shown = _trainee_answers(world, world.agent2)
    client.force_login(world.admin)

    listed = client.get("/admin/surveys/surveyresponse/").context["cl"].result_list
    assert [r.pk for r in listed] == [shown.pk]
    assert client.get(f"/admin/surveys/surveyresponse/{hidden.pk}/change/").status_code == 302
    assert client.get(f"/admin/surveys/surveyresponse/{shown.pk}/change/").status_code == 200

    superuser = world.tenant.member(roles=["agent"], username="root", is_staff=True,
                                    is_superuser=True)
    client.force_login(superuser)
    listed = client.get("/admin/surveys/surveyresponse/").context["cl"].result_list
    assert [r.pk for r in listed] == [shown.pk]


def test_coach_with_staff_status_has_no_survey_admin(world, client):
    with scopes_disabled():
        world.coach.is_staff = True
        world.coach.save()
    _trainee_answers(world, world.agent)
    client.force_login(world.coach)

    assert client.get("/admin/surveys/surveyresponse/").status_code == 403


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def token(world):
    with world.tenant.scope():
        return create_api_token(organization=world.tenant.org, name="BI export")[1]


def test_api_lists_no_anonymous_trainee_answer(world, client, token):
    hidden = _trainee_answers(world, world.agent)
    _set_anonymous(world, False)
    shown = _trainee_answers(world, world.agent2)
    coach_survey = world.send()

    body = client.get("/api/v1/survey-responses",
                      headers={"Authorization": f"Bearer {token}"}).json()

    assert [(i["id"], i["respondent"], i["score"]) for i in body["items"]] == [
        (shown.pk, "amy", "87.50"), (coach_survey.pk, "carl", None)]
    with world.tenant.scope():
        assert SurveyResponse.objects.get(pk=hidden.pk).anonymous is True
    filtered = client.get(f"/api/v1/survey-responses?template={world.trainee_survey.pk}",
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert [i["id"] for i in filtered["items"]] == [shown.pk]
