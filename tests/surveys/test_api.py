"""GET /api/v1/survey-responses: filters, scores, answers, pagination, tenant isolation."""

from decimal import Decimal

import pytest

from surveys.services import submit_survey
from tenancy.services import create_api_token


@pytest.fixture
def token(world):
    with world.tenant.scope():
        return create_api_token(organization=world.tenant.org, name="BI export")[1]


def _get(client, token, query=""):
    return client.get(f"/api/v1/survey-responses{query}",
                      headers={"Authorization": f"Bearer {token}"})


def _answered(world, rating, yes, choice, **kwargs):
    response = world.send(**kwargs)
    with world.tenant.scope():
        choice_pk = world.q_choice.choices.get(label=choice).pk
        return submit_survey(response=response, respondent=world.coach, answers={
            world.q_rating.pk: rating, world.q_yes.pk: yes, world.q_choice.pk: str(choice_pk),
            world.q_text.pk: "Keep going",
        })


def test_api_lists_responses_with_scores_filtered_by_template_and_state(world, client, token):
    done = _answered(world, "4", "na", "Partly", opportunity_label="SLA breaches",
                     context_label="Assessment #5 · SLA breaches")
    world.send()  # pending coach survey
    world.send(world.trainee_survey, respondent=world.agent, subject=world.coach)

    body = _get(client, token, f"?template={world.coach_survey.pk}&state=completed").json()

    assert body["next_cursor"] is None
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert {k: item[k] for k in ("id", "template", "audience", "state", "respondent", "subject",
                                 "opportunity_label", "context_label")} == {
        "id": done.pk, "template": "Coach review", "audience": "coach_about_trainee",
        "state": "completed", "respondent": "carl", "subject": "abe",
        "opportunity_label": "SLA breaches", "context_label": "Assessment #5 · SLA breaches",
    }
    assert "assessment_id" not in item and "opportunity_id" not in item  # coaching's links
    # (2×75 + 40) / 3 with the N/A answer out of the denominator
    assert Decimal(item["score"]) == Decimal("63.33")
    assert [(a["question"], a["value"], a["not_applicable"],
             None if a["score"] is None else Decimal(a["score"])) for a in item["answers"]] == [
        ("Diagnosis quality", 4, False, Decimal("75")),
        ("Followed the procedure?", None, True, None),
        ("Work notes", "Partly", False, Decimal("40")),
        ("What next?", "Keep going", False, None),
    ]
    # The trainee survey was sent anonymously (the default): the API never lists it.
    pending = _get(client, token, "?state=pending").json()["items"]
    assert [(i["template"], i["score"]) for i in pending] == [("Coach review", None)]
    assert len(_get(client, token).json()["items"]) == 2


def test_api_pages_with_a_cursor(world, client, token):
    sent = [world.send(), world.send(world.q_rating.template, subject=world.agent2),
            world.send(context_label="Assessment #3")]

    first = _get(client, token, "?limit=2").json()
    second = _get(client, token, f"?limit=2&cursor={first['next_cursor']}").json()

    assert [i["id"] for i in first["items"]] == [r.pk for r in sent[:2]]
    assert [i["id"] for i in second["items"]] == [sent[2].pk]
    assert second["next_cursor"] is None


def test_api_refuses_bad_input(world, client, token):
    assert _get(client, token, "?state=done").status_code == 422
    assert _get(client, token, "?cursor=abc").json() == {
        "detail": "The cursor is not one this API returned."}
    missing = _get(client, token, f"?template={world.other_survey.pk}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"No survey template with id {world.other_survey.pk}."}


def test_api_never_shows_another_tenants_responses(world, client):
    world.send()
    with world.other.scope():
        other_token = create_api_token(organization=world.other.org, name="Other")[1]

    assert _get(client, other_token).json() == {"items": [], "next_cursor": None}
    assert _get(client, "cd_not-a-token").status_code == 401
