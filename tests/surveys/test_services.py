"""Dispatch, answering, scoring, the completion hook, the builder and settings."""

from decimal import Decimal

import pytest
from django.core import mail

from surveys.enums import Audience, QuestionKind, ResponseState
from surveys.extensions import after_survey_completed_committed as after_completed
from surveys.models import Answer, Question, SurveyResponse
from surveys.services import (
    SurveyAnswersInvalid,
    SurveyError,
    delete_question,
    dispatch_survey,
    move_question,
    save_question,
    save_template,
    submit_survey,
    update_survey_settings,
)
from tests.surveys.conftest import days


def _fresh(response) -> SurveyResponse:
    return SurveyResponse.objects.get(pk=response.pk)


def answer(world, response, respondent=None, **values):
    """Submit with values keyed by question attribute name (q_rating=4, q_choice="Partly")."""
    raw = {}
    for name, value in values.items():
        question = getattr(world, name)
        if name == "q_choice" and value not in ("na", ""):
            value = str(world.choice(value).pk)
        raw[question.pk] = value
    with world.tenant.scope():
        return submit_survey(response=response, respondent=respondent or response.respondent,
                             answers=raw)


# --- dispatch ----------------------------------------------------------------------------


def test_dispatch_survey_creates_pending_response_and_mails_a_direct_link(
    world, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://coach.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        response = world.send(context_label="INC0042 · password reset",
                              opportunity_label="Password resets")

    assert response.state == ResponseState.PENDING
    assert (response.context_label, response.opportunity_label) == (
        "INC0042 · password reset", "Password resets")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.coach.email]
    assert mail.outbox[0].subject == "Survey to take: Coach review"
    assert f"https://coach.example.com/o/alpha/surveys/responses/{response.pk}/" in (
        mail.outbox[0].body
    )
    assert "INC0042 · password reset" in mail.outbox[0].body


def test_dispatch_survey_sends_a_new_survey_each_time(world, django_capture_on_commit_callbacks):
    # Once per assessment is coaching's to keep (tests/coaching/test_learning_surveys.py).
    with django_capture_on_commit_callbacks(execute=True):
        first = world.send()
        again = world.send()

    assert again.pk != first.pk
    with world.tenant.scope():
        assert SurveyResponse.objects.count() == 2
    assert len(mail.outbox) == 2


def test_dispatch_survey_due_date_defaults_to_tenant_setting(world):
    with world.tenant.scope():
        update_survey_settings(organization=world.tenant.org, remind_after_days=2,
                               due_after_days=5)
    response = world.send()

    delta = response.due_at - response.dispatched_at
    assert delta.days == 4 and delta.seconds > 86_000  # five days minus the microseconds between


@pytest.mark.parametrize("case, message", [
    ("inactive", "The survey “Coach review” is inactive and cannot be sent."),
    ("outsider", "Surveys go only to members of Alpha: bob is not one."),
    ("no_subject", "“Coach review” is about a person: name who it is about."),
    ("self", "Nobody answers a coaching survey about themselves."),
    ("past_due", "The due date must be in the future."),
])
def test_dispatch_survey_refuses_bad_input(world, case, message):
    kwargs = {"template": world.coach_survey, "respondent": world.coach, "subject": world.agent}
    if case == "inactive":
        world.coach_survey.active = False
        world.coach_survey.save()
    elif case == "outsider":
        kwargs["subject"] = world.outsider
    elif case == "no_subject":
        kwargs["subject"] = None
    elif case == "self":
        kwargs["subject"] = world.coach
    elif case == "past_due":
        kwargs["due_at"] = days(-1)
    with world.tenant.scope(), pytest.raises(SurveyError) as error:
        dispatch_survey(**kwargs)

    assert error.value.message == message
    with world.tenant.scope():
        assert SurveyResponse.objects.count() == 0


def test_dispatch_survey_of_another_tenant_to_our_members_is_refused(world):
    with world.other.scope(), pytest.raises(SurveyError) as error:
        dispatch_survey(template=world.other_survey, respondent=world.coach, subject=world.agent)

    assert error.value.message == "Surveys go only to members of Beta: carl, abe is not one."


def test_general_survey_needs_no_subject(world):
    with world.tenant.scope():
        general = save_template(organization=world.tenant.org, name="Pulse",
                                audience=Audience.GENERAL)
        response = dispatch_survey(template=general, respondent=world.agent, subject=None)

    assert response.subject is None


# --- answering and scoring ---------------------------------------------------------------


def test_submit_survey_scores_weighted_mean_of_normalised_answers(world):
    response = world.send()
    done = answer(world, response, q_rating="4", q_yes="yes", q_choice="Partly",
                  q_text="Practise VPN cases")

    # rating 4 on 1–5 → 75 (weight 2); yes → 100; Partly → 40: (150 + 100 + 40) / 4
    assert done.score == Decimal("72.50")
    assert done.state == ResponseState.COMPLETED
    with world.tenant.scope():
        stored = _fresh(response)
        scores = dict(Answer.objects.values_list("question_id", "score"))
    assert stored.score == Decimal("72.50")
    assert stored.completed_at is not None
    assert scores == {world.q_rating.pk: Decimal("75.00"), world.q_yes.pk: Decimal("100.00"),
                      world.q_choice.pk: Decimal("40.00"), world.q_text.pk: None}


def test_submit_survey_leaves_not_applicable_out_of_the_denominator(world):
    response = world.send()
    done = answer(world, response, q_rating="5", q_yes="na", q_choice="Not at all")

    # (2×100 + 1×0) / 3 — the N/A question's weight is not counted
    assert done.score == Decimal("66.67")
    with world.tenant.scope():
        assert Answer.objects.get(question=world.q_yes).not_applicable is True


def test_survey_with_no_scored_answers_has_no_score_not_zero(world):
    with world.tenant.scope():
        for q in (world.q_rating, world.q_choice):
            q.required = False
            q.save()
    response = world.send()
    done = answer(world, response, q_yes="na", q_text="Only a comment")

    assert done.score is None
    assert done.state == ResponseState.COMPLETED


def test_lowest_answers_score_zero_not_none(world):
    response = world.send()

    assert answer(world, response, q_rating="1", q_yes="no", q_choice="Not at all").score == 0


@pytest.mark.parametrize("values, question, message", [
    ({"q_yes": "yes", "q_choice": "Fully"}, "q_rating", "Answer this question; it is required."),
    ({"q_rating": "6", "q_yes": "yes", "q_choice": "Fully"}, "q_rating",
     "6 is outside the scale: choose from 1 to 5."),
    ({"q_rating": "0", "q_yes": "yes", "q_choice": "Fully"}, "q_rating",
     "0 is outside the scale: choose from 1 to 5."),
    ({"q_rating": "four", "q_yes": "yes", "q_choice": "Fully"}, "q_rating",
     "Choose a whole number from 1 to 5."),
    ({"q_rating": "na", "q_yes": "yes", "q_choice": "Fully"}, "q_rating",
     "“Not applicable” is not an option for this question; choose an answer."),
    ({"q_rating": "3", "q_yes": "maybe", "q_choice": "Fully"}, "q_yes", "Answer yes or no."),
])
def test_submit_survey_refuses_bad_answers_and_saves_nothing(world, values, question, message):
    response = world.send()
    with pytest.raises(SurveyAnswersInvalid) as error:
        answer(world, response, **values)

    assert error.value.errors == {getattr(world, question).pk: message}
    assert error.value.message == "1 answer needs attention; nothing was saved."
    with world.tenant.scope():
        assert Answer.objects.count() == 0
        assert _fresh(response).state == ResponseState.PENDING


def test_submit_survey_refuses_a_choice_that_is_not_offered(world):
    with world.other.scope():
        foreign_choice = world.other_survey.questions.get(kind="choice").choices.first()
    response = world.send()
    for bad in (str(foreign_choice.pk), "999999", "Fully"):
        with pytest.raises(SurveyAnswersInvalid) as error, world.tenant.scope():
            submit_survey(response=response, respondent=world.coach, answers={
                world.q_rating.pk: "3", world.q_yes.pk: "yes", world.q_choice.pk: bad,
            })
        assert error.value.errors == {world.q_choice.pk: (
            "That option is not offered here; choose one of “Fully”, “Partly”, “Not at all”."
        )}
    with world.tenant.scope():
        assert Answer.objects.count() == 0


def test_submit_survey_lists_every_missing_required_answer(world):
    response = world.send()
    with pytest.raises(SurveyAnswersInvalid) as error:
        answer(world, response)

    assert sorted(error.value.errors) == sorted([world.q_rating.pk, world.q_yes.pk,
                                                 world.q_choice.pk])
    assert error.value.message == "3 answers need attention; nothing was saved."


def test_submit_survey_of_someone_else_is_refused(world):
    response = world.send()
    with pytest.raises(SurveyError) as error:
        answer(world, response, respondent=world.agent, q_rating="3", q_yes="yes",
               q_choice="Fully")

    assert error.value.message == "This survey was sent to someone else; only they can answer it."
    with world.tenant.scope():
        assert Answer.objects.count() == 0


def test_submit_survey_twice_is_refused_and_keeps_the_first_answers(world):
    response = world.send()
    answer(world, response, q_rating="4", q_yes="yes", q_choice="Partly")
    with pytest.raises(SurveyError) as error:
        answer(world, response, q_rating="1", q_yes="no", q_choice="Not at all")

    assert error.value.message.startswith("You already answered this survey on ")
    with world.tenant.scope():
        assert _fresh(response).score == Decimal("72.50")
        assert Answer.objects.count() == 3


def test_submit_expired_survey_is_refused(world):
    from surveys.services import expire_overdue_surveys

    response = world.send(due_at=days(1))
    with world.tenant.scope():
        assert expire_overdue_surveys(organization=world.tenant.org, now=days(2)) == 1
    with pytest.raises(SurveyError) as error:
        answer(world, response, q_rating="4", q_yes="yes", q_choice="Partly")

    assert "expired on" in error.value.message
    assert error.value.message.endswith("it can no longer be answered.")
    with world.tenant.scope():
        assert Answer.objects.count() == 0


def test_submit_survey_past_its_due_date_is_refused_before_the_beat_expires_it(world):
    response = world.send(due_at=days(1))
    with world.tenant.scope(), pytest.raises(SurveyError) as error:
        submit_survey(response=response, respondent=world.coach, now=days(2), answers={
            world.q_rating.pk: "3", world.q_yes.pk: "yes",
            world.q_choice.pk: str(world.choice("Fully").pk)})

    assert "expired on" in error.value.message


# --- the completion hook -----------------------------------------------------------------


def test_completion_hook_gets_the_completed_response_after_commit(
    world, django_capture_on_commit_callbacks
):
    seen = []

    def record(response):
        seen.append((response.pk, response.context_label, response.score, response.state))

    after_completed.register("test.record", record)
    try:
        response = world.send(context_label="Assessment #41")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            answer(world, response, q_rating="4", q_yes="yes", q_choice="Partly")
        assert seen == []  # not before commit
        for callback in callbacks:
            callback()
    finally:
        after_completed.unregister("test.record")

    assert seen == [(response.pk, "Assessment #41", Decimal("72.50"), ResponseState.COMPLETED)]


def test_a_failing_completion_hook_does_not_stop_the_others(
    world, django_capture_on_commit_callbacks
):
    seen = []

    def broken(response):
        raise RuntimeError("boom")

    def record(response):
        seen.append(response.pk)

    after_completed.register("test.broken", broken)
    after_completed.register("test.record", record)
    try:
        response = world.send()
        with django_capture_on_commit_callbacks(execute=True):
            answer(world, response, q_rating="4", q_yes="yes", q_choice="Partly")
    finally:
        after_completed.unregister("test.broken")
        after_completed.unregister("test.record")

    assert seen == [response.pk]


# --- the builder ------------------------------------------------------------------------


def test_save_question_appends_and_move_question_reorders(world):
    with world.tenant.scope():
        move_question(question=world.q_text, direction="up")
        move_question(question=world.q_rating, direction="up")  # already first: no change
        move_question(question=world.q_rating, direction="down")
        order = list(world.coach_survey.questions.values_list("text", flat=True))

    assert order == ["Followed the procedure?", "Diagnosis quality", "What next?", "Work notes"]


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "rating", "scale_min": 5, "scale_max": 5},
     "The lowest value of the scale must be below its highest value."),
    ({"kind": "rating", "scale_min": 0, "scale_max": 11},
     "Use a scale of at most 11 points starting at 0 or above (for example 1–5 or 0–10)."),
    ({"kind": "choice", "choices": [("Only", 100)]},
     "A single-choice question needs at least two options."),
    ({"kind": "choice", "choices": [("A", 100), ("a", 0)]}, "Each option needs a different label."),
    ({"kind": "choice", "choices": [("A", 100), ("B", 101)]},
     "The option “B” must be worth 0 to 100 points."),
    ({"kind": "rating", "weight": 0}, "The weight must be a whole number from 1 to 100."),
    ({"kind": "essay"}, "“essay” is not a question type; choose one of the listed ones."),
])
def test_save_question_refuses_bad_definitions(world, kwargs, message):
    with world.tenant.scope(), pytest.raises(SurveyError) as error:
        save_question(template=world.coach_survey, text="New", **kwargs)

    assert error.value.message == message


def test_answered_question_keeps_its_kind_scale_and_cannot_be_deleted(world):
    answer(world, world.send(), q_rating="4", q_yes="yes", q_choice="Partly")
    with world.tenant.scope():
        with pytest.raises(SurveyError) as error:
            save_question(template=world.coach_survey, question=world.q_rating,
                          text="Diagnosis", kind=QuestionKind.RATING, scale_min=0, scale_max=10)
        assert error.value.message.startswith("This question has answers, so its type")
        with pytest.raises(SurveyError) as error:
            delete_question(question=world.q_rating)
        assert error.value.message == (
            "This question has 1 answer and cannot be deleted; edit its wording or make it "
            "optional instead."
        )
        renamed = save_question(template=world.coach_survey, question=world.q_choice,
                                text="Quality of the work notes", kind=QuestionKind.CHOICE,
                                choices=[("Fully", 100), ("Partly", 40), ("Not at all", 0)],
                                weight=3)
        assert (renamed.text, renamed.weight) == ("Quality of the work notes", 3)


def test_delete_unanswered_question_renumbers_the_rest(world):
    with world.tenant.scope():
        delete_question(question=world.q_yes)
        orders = list(Question.objects.filter(template=world.coach_survey)
                      .values_list("text", "order"))

    assert orders == [("Diagnosis quality", 0), ("Work notes", 1), ("What next?", 2)]


def test_template_names_are_unique_and_audience_is_fixed_once_sent(world):
    world.send()
    with world.tenant.scope():
        with pytest.raises(SurveyError) as error:
            save_template(organization=world.tenant.org, name="coach REVIEW",
                          audience=Audience.GENERAL)
        assert error.value.message == "A survey named “coach REVIEW” already exists."
        with pytest.raises(SurveyError) as error:
            save_template(organization=world.tenant.org, template=world.coach_survey,
                          name="Coach review", audience=Audience.GENERAL)
        assert error.value.message.startswith("This survey has already been sent")


@pytest.mark.parametrize("remind, due, message", [
    (-1, 14, "Remind after 0 to 365 days (0 sends no reminders)."),
    (3, 0, "Surveys are due 1 to 365 days after they are sent."),
    (7, 7, "The reminder must go out before the survey is due: remind after fewer days than "
           "the 7 days a survey stays open."),
])
def test_update_survey_settings_refuses_bad_values(world, remind, due, message):
    with pytest.raises(SurveyError) as error:
        update_survey_settings(organization=world.tenant.org, remind_after_days=remind,
                               due_after_days=due)

    assert error.value.message == message


def test_update_survey_settings_keeps_other_settings(world):
    world.tenant.org.settings = {"skills": {"threshold": 7}}
    world.tenant.org.save()
    update_survey_settings(organization=world.tenant.org, remind_after_days=0, due_after_days=9)
    world.tenant.org.refresh_from_db()

    assert world.tenant.org.settings == {
        "skills": {"threshold": 7},
        "surveys": {"remind_after_days": 0, "due_after_days": 9, "anonymous": True},
    }
