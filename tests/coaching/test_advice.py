"""The embedded advice generator (issue 18): composed from the attribute's guidance, the
agent's weakest interactions (cited by id, with what the reviewer noted or what the agent
said) and colleagues' bookmarked best responses; Refresh (``exclude``) gives another
variant; thumbs up/down steer which variant comes first. Data goes through the quality
services."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.advice import VARIANTS, compose_advice, variant_order
from coaching.advice_provider import advice_provider_settings, variant_key_of
from coaching.services.plans import PlanError, record_advice_feedback, update_advice_provider
from quality.enums import EvaluationKind
from quality.models import Attribute, BestResponse
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tenancy.sealed import SealError, seal, unseal
from tests.quality.conftest import make_interaction
from tests.quality.test_provider import FakeProvider

from .assignment_fixtures import ALL_YES, aw_fixture  # noqa: F401

GUIDANCE = "Acknowledge the customer's feelings before solving the problem."


def audit(world, agent, external_id, *, empathy="no", comment="", hours_ago=1,
          turns=(("agent", "Hello."), ("customer", "I am upset about my bill."),
                 ("agent", "Your bill is correct."))):
    item = make_interaction(world.tenant.org, agent=agent, external_id=external_id,
                            opened_at=timezone.now() - timedelta(hours=hours_ago), turns=turns)
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=world.card,
                                     kind=EvaluationKind.MANUAL, evaluator=world.qa)
        answers = {**ALL_YES, "empathy": empathy}
        save_answers(evaluation=evaluation, actor=world.qa, require_complete=True, answers=[
            AnswerInput(k, v, comment=comment if k == "empathy" else "",
                        evidence=[2] if k == "empathy" and v == "no" else [])
            for k, v in answers.items()])
        evaluation.submit()
        start_counting(evaluation, actor=world.qa, action="submitted")
    return item


def setup(world):
    with scopes_disabled():
        Attribute.objects.filter(scorecard=world.card, key="empathy").update(guidance=GUIDANCE)
    older = audit(world, world.agent, "CH-101", hours_ago=5)
    newer = audit(world, world.agent, "CH-102", comment="No apology for the wrong bill.",
                  hours_ago=2)
    audit(world, world.agent, "CH-103", empathy="yes", hours_ago=1)  # passed: not an example
    good = audit(world, world.agent2, "CH-201", empathy="yes",
                 turns=(("agent", "I understand how frustrating that is."),))
    with scopes_disabled():
        BestResponse.objects.create(organization=world.tenant.org, interaction=good,
                                    attribute_key="empathy", attribute_name="Empathy",
                                    note="Names the frustration first", created_by=world.qa)
    return older, newer, good


def test_compose_advice_first_variant_exact_text(aw):
    older, newer, good = setup(aw)
    with aw.tenant.scope():
        advice = compose_advice(aw.tenant.org, aw.agent, "empathy")
    assert (advice.variant_key, advice.source, advice.note) == ("embedded:steps", "embedded", "")
    assert [i.pk for i in advice.examples] == [newer.pk, older.pk]
    assert [b.interaction_id for b in advice.best_examples] == [good.pk]
    assert advice.text == "\n".join([
        "Focus: Empathy", "",
        f"What good looks like: {GUIDANCE}", "",
        "Where it slipped recently:",
        f"- CH-102 (interaction {newer.pk}): the reviewer noted “No apology for the wrong "
        "bill.”.",
        f"- CH-101 (interaction {older.pk}): you said “Your bill is correct.”.", "",
        "What colleagues did well:",
        f"- CH-201 (interaction {good.pk}): “Names the frustration first”.", "",
        "Next steps:",
        "1. Reread the standard for Empathy before your next shift.",
        "2. Open one of your examples and write down what you would say instead.",
        "3. Use that wording in your next five conversations, then compare.",
    ])


def test_refresh_gives_each_variant_once_then_the_first_again(aw):
    setup(aw)
    seen = []
    with aw.tenant.scope():
        for _ in range(len(VARIANTS) + 1):
            seen.append(compose_advice(aw.tenant.org, aw.agent, "empathy",
                                       exclude=set(seen)).variant_key)
    assert seen == ["embedded:steps", "embedded:contrast", "embedded:questions",
                    "embedded:habit", "embedded:steps"]


def test_thumbs_steer_which_variant_is_offered_first(aw):
    setup(aw)
    org = aw.tenant.org
    with aw.tenant.scope():
        record_advice_feedback(organization=org, user=aw.coach, attribute_key="empathy",
                               variant_key="embedded:habit", vote=1)
        record_advice_feedback(organization=org, user=aw.admin, attribute_key="empathy",
                               variant_key="embedded:steps", vote=-1)
        record_advice_feedback(organization=org, user=aw.coach, attribute_key="greeting",
                               variant_key="embedded:questions", vote=1)  # another behaviour
        order = variant_order(org, "empathy")
        first = compose_advice(org, aw.agent, "empathy")
    assert order == ["embedded:habit", "embedded:contrast", "embedded:questions",
                     "embedded:steps"]
    assert first.variant_key == "embedded:habit"
    assert first.text.startswith("One week, one habit: Empathy\n\nEvery conversation this "
                                 f"week, check one thing: {GUIDANCE}")


def test_compose_advice_without_history_says_so(aw):
    with aw.tenant.scope():
        advice = compose_advice(aw.tenant.org, aw.agent, "greeting")
    assert (advice.examples, advice.best_examples) == ([], [])
    assert "- No recent interaction shows it failing; keep an eye on it." in advice.text
    assert ("- No best response is bookmarked for this behaviour yet; ask your coach for one."
            in advice.text)
    assert "What good looks like: Meet the scorecard's standard for Greeting in every " \
           "conversation." in advice.text


# --- the optional outside provider, against a local fake server only ------------------


@pytest.fixture
def fake():
    server = FakeProvider()
    yield server
    server.close()


def _turn_on(world, fake, **changes):
    with world.tenant.scope():
        update_advice_provider(organization=world.tenant.org, **{
            "enabled": True, "url": fake.url, "model": "fake-1", "api_key": "sk-secret",
            "timeout_seconds": 1.0, **changes})


def test_provider_is_off_by_default_and_its_key_is_stored_sealed(aw, fake):
    assert advice_provider_settings(aw.tenant.org).enabled is False
    _turn_on(aw, fake)
    with scopes_disabled():
        aw.tenant.org.refresh_from_db()
    stored = aw.tenant.org.settings["coaching"]["advice_provider"]
    assert "sk-secret" not in json.dumps(aw.tenant.org.settings)
    assert stored["api_key_sealed"].startswith("sealed:v2:")
    assert advice_provider_settings(aw.tenant.org).api_key() == "sk-secret"
    _turn_on(aw, fake, api_key=None)  # keeps the stored key
    assert advice_provider_settings(aw.tenant.org).api_key() == "sk-secret"
    _turn_on(aw, fake, clear_api_key=True)
    assert advice_provider_settings(aw.tenant.org).has_api_key is False


def test_sealed_values_do_not_open_when_altered_or_for_another_purpose():
    sealed = seal("sk-1", purpose="a")
    assert unseal(sealed, purpose="a") == "sk-1"
    with pytest.raises(SealError):
        unseal(sealed, purpose="b")
    with pytest.raises(SealError):
        unseal(sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], purpose="a")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"url": ""}, "url", "Give the advice service's URL to turn it on."),
    ({"url": "ftp://x"}, "url", "The advice service's URL starts with http:// or https:// "
                                "(at most 500 characters)."),
    ({"model": ""}, "model", "Give the advice service's model to turn it on."),
    ({"timeout_seconds": 0.5}, "timeout_seconds", "The timeout is 1 to 30 seconds."),
])
def test_provider_settings_refuse_bad_input_and_keep_the_old(aw, fake, changes, field, message):
    with pytest.raises(PlanError) as caught:
        _turn_on(aw, fake, **changes)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert advice_provider_settings(aw.tenant.org).enabled is False


def test_provider_writes_the_advice_from_the_same_material(aw, fake):
    older, newer, good = setup(aw)
    _turn_on(aw, fake)
    fake.content = json.dumps({"advice": "  Say sorry first, then fix the bill.  "})
    with aw.tenant.scope():
        advice = compose_advice(aw.tenant.org, aw.agent, "empathy", exclude={"x"})
    assert (advice.text, advice.source, advice.note) == (
        "Say sorry first, then fix the bill.", "provider", "")
    assert advice.variant_key == variant_key_of("Say sorry first, then fix the bill.")
    assert [i.pk for i in advice.examples] == [newer.pk, older.pk]
    [request] = fake.requests
    assert (request["path"], request["authorization"]) == (
        "/v1/chat/completions", "Bearer sk-secret")
    sent = json.loads(request["body"]["messages"][1]["content"])
    assert (sent["behaviour"], sent["guidance"], sent["attempt"]) == ("Empathy", GUIDANCE, 2)
    assert [e["interaction"] for e in sent["agent_examples"]] == [newer.pk, older.pk]
    assert [e["interaction"] for e in sent["best_responses"]] == [good.pk]


@pytest.mark.parametrize(("setup_fake", "reason"), [
    (lambda f: setattr(f, "delay", 1.5), "it did not answer within 1 s"),
    (lambda f: setattr(f, "status", 500), "it answered HTTP 500"),
    (lambda f: setattr(f, "content", "not json"), 'its reply has no {"advice": …} message'),
])
def test_provider_failure_falls_back_to_the_embedded_advice_and_says_so(aw, fake, setup_fake,
                                                                        reason):
    setup(aw)
    _turn_on(aw, fake)
    setup_fake(fake)
    with aw.tenant.scope():
        advice = compose_advice(aw.tenant.org, aw.agent, "empathy")
    assert (advice.source, advice.variant_key) == ("embedded", "embedded:steps")
    assert advice.note == (f"The outside advice service was not used: {reason}. This is the "
                           "built-in advice.")
    assert advice.text.startswith("Focus: Empathy\n")


def test_unreachable_provider_falls_back(aw, fake):
    _turn_on(aw, fake)
    fake.close()
    with aw.tenant.scope():
        advice = compose_advice(aw.tenant.org, aw.agent, "empathy")
    assert advice.source == "embedded"
    assert advice.note.startswith("The outside advice service was not used: it could not be "
                                  "reached (")
