"""Survey pages: the permission matrix, the answer form, the builder, results, effectiveness."""

from decimal import Decimal

import pytest
from django.core import mail

from surveys.enums import QuestionKind, ResponseState
from surveys.models import Answer, Question, SurveyResponse, SurveyTemplate
from surveys.selectors import survey_settings
from surveys.services import save_question, submit_survey

MANAGER_PAGES = ["surveys/"]


def _status(login, user, url, method="get", **data):
    client = login(user)
    return getattr(client, method)(url, data).status_code


def _complete(world, response, **raw):
    with world.tenant.scope():
        return submit_survey(response=response, respondent=response.respondent, answers=raw)


def _coach_answers(world, rating="4", yes="yes", choice="Partly"):
    with world.tenant.scope():
        choice_pk = world.q_choice.choices.get(label=choice).pk
    return {world.q_rating.pk: rating, world.q_yes.pk: yes, world.q_choice.pk: str(choice_pk)}


def _post_answers(world, raw):
    return {f"q{pk}": value for pk, value in raw.items()}


# --- permission matrix -------------------------------------------------------------------


@pytest.mark.parametrize("path, allowed, denied", [
    ("surveys/", ["admin", "qa", "coach"], ["agent"]),
    ("surveys/me/", ["admin", "qa", "coach", "agent"], []),
    ("surveys/templates/", ["admin", "qa"], ["coach", "agent"]),
    ("surveys/templates/new/", ["admin"], ["qa", "coach", "agent"]),
    ("surveys/templates/{coach_survey}/", ["admin"], ["qa", "coach", "agent"]),
    ("surveys/templates/{coach_survey}/edit/", ["admin"], ["qa", "coach", "agent"]),
    ("surveys/templates/{coach_survey}/preview/", ["admin"], ["qa", "coach", "agent"]),
    ("surveys/templates/{coach_survey}/results/", ["admin", "qa"], ["coach", "agent"]),
    ("surveys/templates/{coach_survey}/questions/new/", ["admin"], ["qa", "coach", "agent"]),
    ("surveys/questions/{q_rating}/edit/", ["admin"], ["qa", "coach", "agent"]),
    ("surveys/effectiveness/", ["admin", "qa", "coach"], ["agent"]),
    ("surveys/settings/", ["admin"], ["qa", "coach", "agent"]),
])
def test_survey_pages_permission_matrix(world, login, path, allowed, denied):
    has_ids = "{" in path
    path = path.format(coach_survey=world.coach_survey.pk, q_rating=world.q_rating.pk)
    url = world.tenant.url(path)
    for role in allowed:
        assert _status(login, getattr(world, role), url) == 200, role
    for role in denied:
        assert _status(login, getattr(world, role), url) == 403, role
    # Another tenant's member: 404 on our address, and 404 for our ids on their own address.
    assert _status(login, world.outsider, url) == 404
    if has_ids:
        assert _status(login, world.outsider, world.other.url(path)) == 404


@pytest.mark.parametrize("path", [
    "surveys/templates/{pk}/", "surveys/templates/{pk}/results/",
    "surveys/templates/{pk}/preview/", "surveys/questions/{q}/edit/",
])
def test_other_tenants_templates_and_questions_are_404(world, login, path):
    with world.other.scope():
        question = world.other_survey.questions.first()
    url = world.tenant.url(path.format(pk=world.other_survey.pk, q=question.pk))

    assert _status(login, world.admin, url) == 404


def test_post_only_builder_actions_permission_matrix(world, login):
    move = world.tenant.url(f"surveys/questions/{world.q_yes.pk}/move/")
    delete = world.tenant.url(f"surveys/questions/{world.q_text.pk}/delete/")
    for user in (world.qa, world.coach, world.agent):
        assert _status(login, user, move, "post", direction="up") == 403
        assert _status(login, user, delete, "post") == 403
    assert _status(login, world.outsider, move, "post", direction="up") == 404
    with world.other.scope():
        foreign = world.other_survey.questions.first()
    assert _status(login, world.admin, world.tenant.url(
        f"surveys/questions/{foreign.pk}/move/"), "post", direction="up") == 404
    assert _status(login, world.admin, world.tenant.url(
        f"surveys/questions/{foreign.pk}/delete/"), "post") == 404
    assert _status(login, world.admin, move, "get") == 405
    with world.tenant.scope():
        assert Question.objects.filter(template=world.coach_survey).count() == 4


# --- taking a survey ---------------------------------------------------------------------


def test_respondent_answers_a_survey_and_sees_the_score(world, login):
    response = world.send()
    client = login(world.coach)
    url = world.tenant.url(f"surveys/responses/{response.pk}/")

    page = client.get(url)
    assert page.status_code == 200
    assert "Diagnosis quality" in page.content.decode()
    result = client.post(url, _post_answers(world, _coach_answers(world)), follow=True)

    assert result.redirect_chain == [(url, 302)]
    html = result.content.decode()
    assert "Thank you: your answers are saved." in html
    assert '<span class="stat-value" data-testid="survey-score">72.5' in html
    with world.tenant.scope():
        assert SurveyResponse.objects.get().state == ResponseState.COMPLETED


def test_survey_form_shows_errors_next_to_each_question_and_saves_nothing(world, login):
    response = world.send()
    client = login(world.coach)
    raw = _coach_answers(world, rating="9")
    raw.pop(world.q_yes.pk)
    page = client.post(world.tenant.url(f"surveys/responses/{response.pk}/"),
                       _post_answers(world, raw))

    html = page.content.decode()
    assert page.status_code == 200
    assert "2 answers need attention; nothing was saved." in html
    assert (f'id="id_q{world.q_rating.pk}_error" role="alert">9 is outside the scale: '
            f'choose from 1 to 5.</div>') in html
    assert (f'id="id_q{world.q_yes.pk}_error" role="alert">Answer this question; '
            f'it is required.</div>') in html
    # The respondent's other answers stay filled in.
    assert f'name="q{world.q_choice.pk}" id="id_q{world.q_choice.pk}_1" value=' in html
    with world.tenant.scope():
        assert Answer.objects.count() == 0


def test_answering_someone_elses_survey_is_404_and_saves_nothing(world, login):
    response = world.send()  # sent to the coach
    url = world.tenant.url(f"surveys/responses/{response.pk}/")
    data = _post_answers(world, _coach_answers(world))

    for user in (world.agent, world.admin, world.coach2):
        assert _status(login, user, url) == 404
        assert _status(login, user, url, "post", **data) == 404
    assert _status(login, world.outsider, url, "post", **data) == 404
    assert _status(login, world.outsider,
                   world.other.url(f"surveys/responses/{response.pk}/"), "post", **data) == 404
    with world.tenant.scope():
        assert Answer.objects.count() == 0


def test_answering_twice_in_the_browser_is_refused_with_a_message(world, login):
    response = world.send()
    _complete(world, response, **{str(k): v for k, v in _coach_answers(world).items()})
    client = login(world.coach)
    url = world.tenant.url(f"surveys/responses/{response.pk}/")

    result = client.post(url, _post_answers(world, _coach_answers(world, rating="1")),
                         follow=True)

    assert "You already answered this survey on" in result.content.decode()
    with world.tenant.scope():
        assert SurveyResponse.objects.get().score == Decimal("72.50")
        assert Answer.objects.count() == 3


def test_answering_an_expired_survey_in_the_browser_is_refused(world, login):
    from surveys.services import expire_overdue_surveys
    from tests.surveys.conftest import days

    response = world.send(due_at=days(1))
    with world.tenant.scope():
        expire_overdue_surveys(organization=world.tenant.org, now=days(2))
    client = login(world.coach)
    url = world.tenant.url(f"surveys/responses/{response.pk}/")

    assert "can no longer be answered" in client.get(url).content.decode()
    result = client.post(url, _post_answers(world, _coach_answers(world)), follow=True)
    assert "it can no longer be answered." in result.content.decode()
    with world.tenant.scope():
        assert Answer.objects.count() == 0


def test_my_surveys_lists_pending_with_due_dates_and_answered_with_scores(world, login):
    from tests.surveys.conftest import days

    pending = world.send(world.trainee_survey, respondent=world.agent, subject=world.coach,
                         due_at=days(3), context_label="Reopened incidents")
    done = world.send(world.trainee_survey, respondent=world.agent, subject=world.coach2)
    _complete(world, done, **{str(world.t_rating.pk): "5", str(world.t_yes.pk): "no"})
    world.send()  # the coach's, not the agent's

    html = login(world.agent).get(world.tenant.url("surveys/me/")).content.decode()

    assert f"/surveys/responses/{pending.pk}/" in html
    assert "Reopened incidents" in html
    assert pending.due_at.strftime("%-d %b %Y") in html
    assert f"/surveys/responses/{done.pk}/" in html
    assert '<td class="text-end">50.0</td>' in html  # rating 5 → 100, no → 0: (100 + 0) / 2
    assert "Coach review" not in html


# --- the builder --------------------------------------------------------------------------


def test_admin_creates_a_template_and_adds_questions(world, login):
    client = login(world.admin)
    response = client.post(world.tenant.url("surveys/templates/new/"), {
        "name": "Quality check", "audience": "coach_about_trainee", "description": "",
        "active": "on",
    })
    with world.tenant.scope():
        template = SurveyTemplate.objects.get(name="Quality check")
    assert response.status_code == 302
    assert response["Location"] == world.tenant.url(f"surveys/templates/{template.pk}/")

    add = world.tenant.url(f"surveys/templates/{template.pk}/questions/new/")
    client.post(add, {"text": "Greeting", "kind": "choice", "weight": "2", "required": "on",
                      "choices": "Warm = 100\nNeutral = 50\nCold = 0"})
    client.post(add, {"text": "Scale", "kind": "rating", "scale_min": "0", "scale_max": "10",
                      "weight": "1"})
    with world.tenant.scope():
        questions = list(template.questions.prefetch_related("choices"))
    assert [(q.text, q.kind, q.weight, q.required) for q in questions] == [
        ("Greeting", "choice", 2, True), ("Scale", "rating", 1, False)]
    assert [(c.label, c.score) for c in questions[0].choices.all()] == [
        ("Warm", 100), ("Neutral", 50), ("Cold", 0)]
    assert (questions[1].scale_min, questions[1].scale_max) == (0, 10)


@pytest.mark.parametrize("data, field, message", [
    ({"kind": "choice", "choices": "Warm 100"}, "choices",
     "Line 1 (“Warm 100”) needs the form “label = points”."),
    ({"kind": "choice", "choices": "Warm = 150\nCold = 0"}, "choices",
     "Line 1: points must be from 0 to 100, not 150."),
    ({"kind": "choice", "choices": "Warm = 100"}, "choices", "Give at least two options."),
    ({"kind": "rating", "scale_min": "5", "scale_max": "1"}, None,
     "The lowest value of the scale must be below its highest value."),
])
def test_question_form_shows_errors_and_saves_nothing(world, login, data, field, message):
    client = login(world.admin)
    page = client.post(
        world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/questions/new/"),
        {"text": "New question", "weight": "1", **data},
    )

    assert page.status_code == 200
    form = page.context["form"]
    assert form.errors[field or "__all__"] == [message]
    with world.tenant.scope():
        assert world.coach_survey.questions.count() == 4


def test_question_move_reorders_with_and_without_htmx(world, login):
    client = login(world.admin)
    move = world.tenant.url(f"surveys/questions/{world.q_text.pk}/move/")

    plain = client.post(move, {"direction": "up"})
    assert plain.status_code == 302
    assert plain["Location"].endswith(f"/surveys/templates/{world.coach_survey.pk}/"
                                      f"#question-{world.q_text.pk}")
    fragment = client.post(move, {"direction": "up"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="question-list"')
    assert "data-focus" in html
    with world.tenant.scope():
        order = list(world.coach_survey.questions.values_list("text", flat=True))
    assert order == ["Diagnosis quality", "What next?", "Followed the procedure?", "Work notes"]


def test_question_edit_and_delete(world, login):
    client = login(world.admin)
    client.post(world.tenant.url(f"surveys/questions/{world.q_yes.pk}/edit/"), {
        "text": "Procedure followed?", "kind": "yes_no", "weight": "3", "allows_na": "on",
    })
    client.post(world.tenant.url(f"surveys/questions/{world.q_text.pk}/delete/"))
    with world.tenant.scope():
        rows = list(world.coach_survey.questions.values_list("text", "weight", "required"))

    assert rows == [("Diagnosis quality", 2, True), ("Procedure followed?", 3, False),
                    ("Work notes", 1, True)]


def test_preview_shows_the_questions_as_a_respondent_sees_them(world, login):
    html = login(world.admin).get(
        world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/preview/")
    ).content.decode()

    assert "Answers given here are not saved." in html
    for text in ("Diagnosis quality", "Followed the procedure?", "Work notes", "What next?"):
        assert text in html
    assert "1 = Poor" in html and "5 = Expert" in html
    assert "Not applicable" in html
    assert "How the score is calculated" in html


def test_settings_page_saves_reminder_and_due_days(world, login):
    client = login(world.admin)
    url = world.tenant.url("surveys/settings/")

    bad = client.post(url, {"remind_after_days": "10", "due_after_days": "5"})
    assert "The reminder must go out before the survey is due" in bad.content.decode()
    good = client.post(url, {"remind_after_days": "2", "due_after_days": "10"})

    assert good.status_code == 302
    world.tenant.org.refresh_from_db()
    settings = survey_settings(world.tenant.org)
    assert (settings.remind_after_days, settings.due_after_days) == (2, 10)


# --- results and effectiveness -----------------------------------------------------------


def test_results_show_distribution_chart_and_table(world, login):
    for rating, yes, choice in (("5", "yes", "Fully"), ("4", "na", "Partly"),
                                ("4", "no", "Partly")):
        _complete(world, world.send(),
                  **{str(k): v for k, v in _coach_answers(world, rating, yes, choice).items()})
    world.send()  # pending
    page = login(world.admin).get(
        world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/results/"))

    results = page.context["results"]
    rating = results.questions[0]
    assert [(b.label, b.count, b.percent) for b in rating.bars] == [
        ("1", 0, 0), ("2", 0, 0), ("3", 0, 0), ("4", 2, 67), ("5", 1, 33)]
    yes = results.questions[1]
    assert [(b.label, b.count) for b in yes.bars] == [("Yes", 1), ("No", 1), ("Not applicable", 1)]
    assert (results.completed, results.pending, results.expired) == (3, 1, 0)
    # scores: (200+100+100)/4=100, (150+40)/3=63.33, (150+0+40)/4=47.5 → mean 70.28
    assert results.average_score == Decimal("70.3")
    html = page.content.decode()
    assert '<svg class="bar-chart"' in html
    assert "<td>Partly <span" in html


def test_coach_effectiveness_averages_trainee_scores_per_coach_and_opportunity(world, login):
    ann = world.tenant.member(roles=["agent"], username="ann")
    for respondent, coach, rating, yes, label in (
        (world.agent, world.coach, "5", "yes", "Reopened incidents"),   # 100
        (world.agent2, world.coach, "3", "no", "SLA breaches"),          # (50 + 0) / 2 = 25
        (ann, world.coach, "4", "yes", "SLA breaches"),                  # (75 + 100) / 2 = 87.5
        (world.agent2, world.coach2, "4", "yes", "SLA breaches"),        # 87.5
    ):
        response = world.send(world.trainee_survey, respondent=respondent, subject=coach,
                              opportunity_label=label)
        _complete(world, response, **{str(world.t_rating.pk): rating, str(world.t_yes.pk): yes})
    unscored = world.trainee_survey  # a free-text-only answer has no score but counts
    with world.tenant.scope():
        for q in (world.t_rating, world.t_yes):
            q.required = False
            q.save()
    _complete(world, world.send(unscored, respondent=world.agent, subject=world.coach2),
              **{str(world.t_text.pk): "Fine"})

    page = login(world.admin).get(world.tenant.url("surveys/effectiveness/?period=all"))
    rows = [(r.label, r.average, r.responses, r.scored) for r in page.context["per_coach"]]
    # Cleo's one score is not an average anyone may see: fewer than 3.
    assert rows == [("Carl Coach", Decimal("70.8"), 3, 3), ("Cleo Coach", None, 2, 1)]
    per_opp = [(r.label, r.average, r.responses) for r in page.context["per_opportunity"]]
    assert per_opp == [("No opportunity (manual assessments)", None, 1),
                       ("Reopened incidents", None, 1),
                       ("SLA breaches", Decimal("66.7"), 3)]
    assert page.content.decode().count("too few responses to show (n &lt; 3)") == 3

    own = login(world.coach).get(world.tenant.url("surveys/effectiveness/?period=all"))
    assert [(r.label, r.average) for r in own.context["per_coach"]] == [
        ("Carl Coach", Decimal("70.8"))]
    # Per opportunity, Carl's rows are one trainee each except SLA breaches (two).
    assert [(r.label, r.average) for r in own.context["per_opportunity"]] == [
        ("Reopened incidents", None), ("SLA breaches", None)]


# --- query counts ----------------------------------------------------------------------


def _grow(world, n):
    for i in range(n):
        agent = world.tenant.member(roles=["agent"], username=f"extra{n}-{i}")
        response = world.send(world.trainee_survey, respondent=agent, subject=world.coach,
                              opportunity_label=f"Opp {i}")
        _complete(world, response, **{str(world.t_rating.pk): "4", str(world.t_yes.pk): "yes",
                                      str(world.t_text.pk): f"Comment {i}"})
        world.send(respondent=world.coach, subject=agent)
        world.send(world.trainee_survey, respondent=world.agent, subject=world.coach)


@pytest.mark.parametrize("path, user", [
    ("surveys/", "coach"), ("surveys/me/", "agent"), ("surveys/templates/", "admin"),
    ("surveys/templates/{coach}/", "admin"), ("surveys/templates/{trainee}/results/", "admin"),
    ("surveys/effectiveness/?period=all", "admin"),
])
def test_list_pages_run_a_constant_number_of_queries(
    world, login, django_assert_num_queries, path, user
):
    url = world.tenant.url(path.format(coach=world.coach_survey.pk,
                                       trainee=world.trainee_survey.pk))
    client = login(getattr(world, user))
    _grow(world, 1)
    client.get(url)  # warm caches (session, membership)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(world, 4)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_reminder_and_dispatch_mails_link_to_the_take_page(world, settings,
                                                           django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://coach.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        response = world.send()

    assert f"https://coach.example.com/o/alpha/surveys/responses/{response.pk}/" in (
        mail.outbox[0].body)


def test_save_question_from_service_shows_in_builder(world, login):
    with world.tenant.scope():
        save_question(template=world.coach_survey, text="Extra", kind=QuestionKind.YES_NO)
    html = login(world.admin).get(
        world.tenant.url(f"surveys/templates/{world.coach_survey.pk}/")).content.decode()

    positions = [html.index(text) for text in (
        "Diagnosis quality", "Followed the procedure?", "Work notes", "What next?", "Extra")]
    assert positions == sorted(positions)
    assert "Move question 5 up" in html
