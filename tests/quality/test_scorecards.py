"""Scorecards: import/export as code, versioning on edit, the default and queue rules,
archiving, and the quality settings service."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from quality.enums import AnswerType, EvaluationKind
from quality.models import Attribute, Scorecard
from quality.selectors import quality_settings
from quality.services.answers import AnswerInput, save_answers
from quality.services.errors import QualityError
from quality.services.evaluations import open_evaluation
from quality.services.scorecards import (
    AttributeData,
    ScorecardData,
    ScorecardInvalid,
    archive_scorecard,
    create_scorecard,
    scorecard_data,
    update_scorecard,
)
from quality.services.settings import update_quality_settings

from .conftest import make_interaction, make_scorecard

CARE = {
    "name": "Customer care",
    "default": True,
    "description": "How we treat callers.",
    "attributes": [
        {"name": "Greeting", "section": "Opening", "answer": "yes_no", "weight": 10,
         "critical": False, "na_allowed": True, "disputable": True,
         "guidance": "Greets and names the company.",
         "auto": {"rule": "agent_says", "phrases": ["thank you for calling"],
                  "within_first_turns": 2}},
        {"name": "Empathy", "section": "Conversation", "answer": "scale:5", "weight": 20,
         "critical": False, "na_allowed": False, "disputable": True, "guidance": "",
         "auto": {"rule": "customer_negative_then_agent_says", "phrases": ["sorry"],
                  "within_turns": 2}},
        {"name": "Compliance", "section": "Compliance", "answer": "yes_no", "weight": 0,
         "critical": True, "na_allowed": False, "disputable": False, "guidance": "",
         "auto": {"rule": "agent_never_says", "phrases": ["guarantee"]}},
    ],
}
BILLING = {
    "name": "Billing", "default": False, "queue": "billing",
    "attributes": [
        {"name": "Accuracy", "section": "", "answer": "yes_no", "weight": 1, "critical": False,
         "na_allowed": True, "disputable": True, "guidance": "", "auto": None},
    ],
}


def _import(org, entries, tmp_path):
    path = tmp_path / "scorecards.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    call_command("import_scorecards", "--org", org.slug, str(path))


def _export(org, capsys) -> list:
    capsys.readouterr()
    call_command("export_scorecards", "--org", org.slug)
    return json.loads(capsys.readouterr().out)


def _rows(org) -> list:
    with scopes_disabled():
        return list(Scorecard.objects.filter(organization=org).order_by("key", "version")
                    .values_list("key", "name", "version", "is_current", "is_default", "queue"))


def _evaluate(org, card, agent, external_id="C-1"):
    item = make_interaction(org, agent=agent, external_id=external_id,
                            turns=[("agent", "Hello"), ("customer", "Hi")])
    with scopes_disabled():
        return open_evaluation(interaction=item, scorecard=card, kind=EvaluationKind.MANUAL)


# --- import and export -----------------------------------------------------------------


def test_import_creates_scorecards_and_export_round_trips(world, tmp_path, capsys):
    org = world.tenant.org
    _import(org, [CARE, BILLING], tmp_path)
    assert "Imported into" in capsys.readouterr().out
    assert _rows(org) == [("billing", "Billing", 1, True, False, "billing"),
                          ("customer-care", "Customer care", 1, True, True, "")]
    with scopes_disabled():
        attrs = list(Attribute.objects.filter(scorecard__key="customer-care").values_list(
            "key", "position", "answer_type", "scale_max", "weight", "critical", "na_allowed",
            "disputable"))
    assert attrs == [("greeting", 0, "yes_no", None, 10, False, True, True),
                     ("empathy", 1, "scale", 5, 20, False, False, True),
                     ("compliance", 2, "yes_no", None, 0, True, False, False)]
    exported = _export(org, capsys)
    assert exported == [BILLING, CARE]
    # Importing the export changes nothing, and exports the same again.
    _import(org, exported, tmp_path)
    assert capsys.readouterr().out.strip().endswith("0 created, 0 updated, 2 unchanged.")
    assert _export(org, capsys) == exported
    assert _rows(org)[1] == ("customer-care", "Customer care", 1, True, True, "")


def test_import_normalizes_omitted_options(world, tmp_path, capsys):
    org = world.tenant.org
    _import(org, [{"name": "Short", "attributes": [{"name": "Tone"}]}], tmp_path)
    assert _export(org, capsys) == [{
        "name": "Short", "default": False,
        "attributes": [{"name": "Tone", "section": "", "answer": "yes_no", "weight": 1,
                        "critical": False, "na_allowed": True, "disputable": True,
                        "guidance": "", "auto": None}],
    }]


def _with(path: str, value):
    """CARE with the value at ``path`` (dotted, list indexes as numbers) replaced."""
    entry = copy.deepcopy(CARE)
    *parents, last = path.split(".")
    target = entry
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return entry


@pytest.mark.parametrize(("entries", "message"), [
    ({"name": "x"}, "The file must hold a list of scorecards."),
    ([_with("attributes.2.weight", 1001)],
     "Scorecard 1 (“Customer care”), attribute 3 (“Compliance”): weight must be a whole "
     "number from 0 to 1000."),
    ([_with("attributes.2.weight", 2.5)],
     "Scorecard 1 (“Customer care”), attribute 3 (“Compliance”): weight must be a whole "
     "number from 0 to 1000."),
    ([_with("attributes", [{**a, "weight": 0} for a in CARE["attributes"]])],
     "Scorecard 1 (“Customer care”): weights sum to 0: give at least one attribute a weight."),
    ([_with("attributes", [])],
     "Scorecard 1 (“Customer care”): a scorecard needs at least one attribute."),
    ([_with("attributes.1.name", "greeting")],
     "Scorecard 1 (“Customer care”), attribute 2 (“greeting”): the name repeats attribute 1; "
     "attribute names must be unique within a scorecard."),
    ([_with("attributes.1.answer", "scale:101")],
     "Scorecard 1 (“Customer care”), attribute 2 (“Empathy”): answer must be yes_no or "
     "scale:N with N from 1 to 100."),
    ([_with("attributes.1.answer", "scale:0")],
     "Scorecard 1 (“Customer care”), attribute 2 (“Empathy”): answer must be yes_no or "
     "scale:N with N from 1 to 100."),
    ([_with("attributes.0.auto", {"rule": "agent_says", "phrases": []})],
     "Scorecard 1 (“Customer care”), attribute 1 (“Greeting”): auto: rule “agent_says”: "
     "“phrases” must be a non-empty list of texts."),
    ([_with("attributes.0.auto", {"rule": "agent_says", "phrases": ["("], "regex": True})],
     "Scorecard 1 (“Customer care”), attribute 1 (“Greeting”): auto: rule “agent_says”: "
     "phrase 1 is not a valid regular expression (missing ), unterminated subpattern at "
     "position 0)."),
    ([_with("attributes.0.critical", "no")],
     "Scorecard 1 (“Customer care”), attribute 1 (“Greeting”): critical must be true or "
     "false."),
    ([_with("attributes.0.colour", "red")],
     "Scorecard 1 (“Customer care”), attribute 1 (“Greeting”): unknown key 'colour'."),
    ([_with("attributes.0.name", KeyError)],
     "Scorecard 1 (“Customer care”), attribute 1 (“”): 'name' is required and must be text."),
    ([_with("owner", "ada")], "Scorecard 1 (“Customer care”): unknown key 'owner'."),
    ([_with("name", "  ")], "Scorecard 1 (“  ”): give the scorecard a name."),
    ([BILLING, CARE, {**BILLING, "name": "billing", "queue": ""}],
     "Scorecard 3 (“billing”): the name repeats scorecard 1."),
    ([CARE, {**BILLING, "default": True}],
     "Scorecard 2 (“Billing”): only one scorecard can be the default (scorecard 1 already "
     "is)."),
    ([BILLING, {**CARE, "queue": "billing"}],
     "Scorecard 2 (“Customer care”): the queue “billing” already has the scorecard "
     "“Billing”; a queue has one scorecard."),
    (["Customer care"], "Scorecard 1: each scorecard is an object."),
])
def test_import_refuses_bad_files_naming_the_part_and_writes_nothing(
        world, tmp_path, entries, message):
    org = world.tenant.org
    make_scorecard(org, name="Existing", key="existing")
    before = _rows(org)
    with pytest.raises(CommandError) as excinfo:
        _import(org, entries, tmp_path)
    assert str(excinfo.value) == f"Nothing imported. {message}"
    assert _rows(org) == before
    with scopes_disabled():
        assert Attribute.objects.filter(organization=org).count() == 6


def test_import_refuses_a_second_bad_card_after_a_good_one_atomically(world, tmp_path):
    org = world.tenant.org
    with pytest.raises(CommandError):
        _import(org, [BILLING, _with("attributes.2.weight", -1)], tmp_path)
    assert _rows(org) == []


def test_import_commands_name_a_missing_organization_and_bad_json(world, tmp_path):
    with pytest.raises(CommandError, match="No organization with slug “nope”."):
        call_command("export_scorecards", "--org", "nope")
    path = tmp_path / "bad.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(CommandError, match=r"is not valid JSON \(line 1, column 3"):
        call_command("import_scorecards", "--org", world.tenant.org.slug, str(path))


def test_import_updates_by_name_making_a_new_version_when_evaluated(
        world, tmp_path, capsys):
    org = world.tenant.org
    _import(org, [CARE], tmp_path)
    with scopes_disabled():
        v1 = Scorecard.objects.get(organization=org, key="customer-care")
    evaluation = _evaluate(org, v1, world.agent)
    changed = _with("attributes.0.weight", 15)
    _import(org, [changed], tmp_path)
    assert capsys.readouterr().out.strip().endswith("0 created, 1 updated, 0 unchanged.")
    assert _rows(org) == [("customer-care", "Customer care", 1, False, False, ""),
                          ("customer-care", "Customer care", 2, True, True, "")]
    assert _export(org, capsys) == [changed]
    with scopes_disabled():
        evaluation.refresh_from_db()
        assert evaluation.scorecard_id == v1.pk
        assert list(v1.attributes.values_list("key", "weight")) == [
            ("greeting", 10), ("empathy", 20), ("compliance", 0)]


def test_import_keeps_other_tenants_apart(world, tmp_path, capsys):
    _import(world.tenant.org, [CARE], tmp_path)
    _import(world.other.org, [BILLING], tmp_path)
    assert _export(world.tenant.org, capsys) == [CARE]
    assert _export(world.other.org, capsys) == [BILLING]


# --- versioning ------------------------------------------------------------------------


def _edit(card, **changes) -> ScorecardData:
    with scopes_disabled():
        data = scorecard_data(card)
    return ScorecardData(**{**data.__dict__, **changes})


def test_edit_with_evaluations_makes_version_two_and_old_evaluation_keeps_v1(world):
    org = world.tenant.org
    v1 = make_scorecard(org)
    evaluation = _evaluate(org, v1, world.agent)
    with scopes_disabled():
        save_answers(evaluation=evaluation, actor=world.qa,
                     answers=[AnswerInput("greeting", "yes")])
        data = scorecard_data(v1)
        attributes = [AttributeData(**{**a.__dict__, "name": "Warm greeting"})
                      if a.key == "greeting" else a for a in data.attributes[:5]]
        attributes.append(AttributeData(name="Follow-up", weight=5))
        v2 = update_scorecard(scorecard=v1, data=ScorecardData(
            **{**data.__dict__, "attributes": attributes}), actor=world.qa)
        v1.refresh_from_db()
        evaluation.refresh_from_db()
        assert (v2.version, v2.key, v2.is_current, v2.is_default, v2.created_by) == (
            2, "customer-care", True, True, world.qa)
        assert (v1.version, v1.is_current, v1.is_default) == (1, False, False)
        assert evaluation.scorecard_id == v1.pk
        assert list(v1.attributes.values_list("key", "name")) == [
            ("greeting", "Greeting"), ("empathy", "Empathy"), ("compliance", "Compliance"),
            ("product-knowledge", "Product knowledge"), ("communication", "Communication"),
            ("etiquette", "Etiquette")]
        assert list(v2.attributes.values_list("key", "name", "position")) == [
            ("greeting", "Warm greeting", 0), ("empathy", "Empathy", 1),
            ("compliance", "Compliance", 2), ("product-knowledge", "Product knowledge", 3),
            ("communication", "Communication", 4), ("follow-up", "Follow-up", 5)]
        assert evaluation.answers.get().attribute.scorecard_id == v1.pk


def test_edit_without_evaluations_is_in_place(world):
    org = world.tenant.org
    card = make_scorecard(org)
    with scopes_disabled():
        data = scorecard_data(card)
        saved = update_scorecard(scorecard=card, data=ScorecardData(
            **{**data.__dict__, "name": "Care", "description": "New",
               "attributes": data.attributes[:2]}))
        assert saved.pk == card.pk
        assert (saved.name, saved.key, saved.version, saved.description) == (
            "Care", "customer-care", 1, "New")
        assert list(saved.attributes.values_list("key", flat=True)) == ["greeting", "empathy"]
        assert Scorecard.objects.filter(organization=org).count() == 1


def test_identical_edit_changes_nothing_even_with_evaluations(world):
    org = world.tenant.org
    card = make_scorecard(org)
    _evaluate(org, card, world.agent)
    with scopes_disabled():
        assert update_scorecard(scorecard=card, data=scorecard_data(card)).pk == card.pk
        assert Scorecard.objects.filter(organization=org).count() == 1


def test_only_the_latest_version_is_edited(world):
    org = world.tenant.org
    v1 = make_scorecard(org)
    _evaluate(org, v1, world.agent)
    with scopes_disabled():
        update_scorecard(scorecard=v1, data=_edit(v1, description="v2"))
        v1.refresh_from_db()
        with pytest.raises(QualityError) as excinfo:
            update_scorecard(scorecard=v1, data=_edit(v1, description="v3"))
    assert excinfo.value.message == (
        "Version 1 of “Customer care” is not its latest version; edit the latest one.")


def test_default_moves_and_queue_is_taken_once(world):
    org = world.tenant.org
    first = make_scorecard(org)
    with scopes_disabled():
        second = create_scorecard(organization=org, data=ScorecardData(
            name="Sales", default=True, queue="sales",
            attributes=[AttributeData(name="Pitch", weight=3)]))
        first.refresh_from_db()
        assert (first.is_default, second.is_default) == (False, True)
        with pytest.raises(ScorecardInvalid) as excinfo:
            update_scorecard(scorecard=first, data=_edit(first, queue="sales"))
        assert (excinfo.value.message, excinfo.value.field) == (
            "The queue “sales” already has the scorecard “Sales”; a queue has one scorecard.",
            "queue")
        update_scorecard(scorecard=first, data=_edit(first, default=True))
        assert list(Scorecard.objects.filter(organization=org, is_default=True)
                    .values_list("name", flat=True)) == ["Customer care"]


def test_create_refuses_a_taken_name_and_names_the_field(world):
    org = world.tenant.org
    make_scorecard(org)
    with scopes_disabled(), pytest.raises(ScorecardInvalid) as excinfo:
        create_scorecard(organization=org, data=ScorecardData(
            name="Customer Care", attributes=[AttributeData(name="A")]))
    assert (excinfo.value.message, excinfo.value.field) == (
        "A scorecard named “Customer care” already exists; edit it or choose another name.",
        "name")


def test_invalid_attribute_names_its_row_and_field(world):
    with pytest.raises(ScorecardInvalid) as excinfo:
        create_scorecard(organization=world.tenant.org, data=ScorecardData(
            name="X", attributes=[AttributeData(name="A"), AttributeData(name="B", weight=-1)]))
    error = excinfo.value
    assert (error.message, error.attribute, error.field) == (
        "Attribute 2 (“B”): weight must be a whole number from 0 to 1000.", 2, "weight")


def test_critical_with_weight_zero_is_allowed(world):
    with scopes_disabled():
        card = create_scorecard(organization=world.tenant.org, data=ScorecardData(
            name="X", attributes=[AttributeData(name="A", weight=1),
                                  AttributeData(name="Legal", weight=0, critical=True,
                                                answer="scale:3")]))
        assert list(card.attributes.values_list("key", "weight", "critical", "answer_type",
                                                "scale_max")) == [
            ("a", 1, False, AnswerType.YES_NO, None), ("legal", 0, True, AnswerType.SCALE, 3)]


def test_archive_and_revive(world, tmp_path):
    org = world.tenant.org
    card = make_scorecard(org)
    with scopes_disabled():
        archive_scorecard(scorecard=card)
        card.refresh_from_db()
        assert (card.is_current, card.is_default) == (False, False)
        with pytest.raises(QualityError, match="already archived"):
            archive_scorecard(scorecard=card)
        revived = update_scorecard(scorecard=card, data=_edit(card))
        assert (revived.pk, revived.is_current) == (card.pk, True)


# --- settings --------------------------------------------------------------------------

GOOD = dict(release_mode="after_delay", release_delay_hours=48, verify_min_kappa=0.7,
            verify_min_pairs=40, min_reviews=12, learned_min_answers=80,
            audits_per_agent_week=4, audits_per_evaluator_day=30, provider_enabled=True,
            provider_url="http://127.0.0.1:9999/v1", provider_model="small",
            provider_api_key="sk-1")


def test_the_outside_scorers_key_is_stored_sealed_never_in_clear(world):
    import json

    from tenancy.models import Organization

    org = world.tenant.org
    update_quality_settings(organization=org, **GOOD)
    stored = Organization.objects.get(pk=org.pk).settings
    provider = stored["quality"]["provider"]
    assert "sk-1" not in json.dumps(stored) and "api_key" not in provider
    assert provider["api_key_sealed"].startswith("sealed:v2:")
    assert quality_settings(Organization.objects.get(pk=org.pk)).provider.api_key == "sk-1"
    # a key sealed under another SECRET_KEY cannot be opened: no key, typed again
    provider["api_key_sealed"] = "sealed:v2:not-a-token"
    Organization.objects.filter(pk=org.pk).update(settings=stored)
    assert quality_settings(Organization.objects.get(pk=org.pk)).provider.api_key == ""


def test_settings_are_saved_and_the_api_key_is_kept_when_left_empty(world):
    org = world.tenant.org
    org.settings = {"surveys": {"anonymous": True}}
    org.save()
    update_quality_settings(organization=org, **GOOD)
    update_quality_settings(organization=org, **{**GOOD, "provider_api_key": ""})
    org.refresh_from_db()
    current = quality_settings(org)
    assert current.as_dict() == {
        "release_mode": "after_delay", "release_delay_hours": 48, "verify_min_kappa": 0.7,
        "verify_min_pairs": 40, "min_reviews": 12, "learned_min_answers": 80,
        "audits_per_agent_week": 4, "audits_per_evaluator_day": 30,
        "provider": {"enabled": True, "url": "http://127.0.0.1:9999/v1", "model": "small",
                     "api_key": "sk-1", "timeout_seconds": 10.0},
        "disputes": {"enabled": False, "max_rounds": 2, "window_days": 7, "sla_hours": 48,
                     "arbitrator_id": None},
    }
    assert org.settings["surveys"] == {"anonymous": True}
    update_quality_settings(organization=org, **{**GOOD, "provider_api_key": None,
                                                 "clear_provider_api_key": True})
    org.refresh_from_db()
    assert quality_settings(org).provider.api_key == ""


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"release_mode": "never"}, "release_mode", "Release audits on submit or after a delay."),
    ({"release_delay_hours": 0}, "release_delay_hours",
     "Release audits 1 to 720 hours (30 days) after submitting."),
    ({"verify_min_kappa": 1.5}, "verify_min_kappa",
     "The agreement bar (Cohen's κ) is a number from 0 to 1."),
    ({"verify_min_pairs": 4}, "verify_min_pairs",
     "Verify an attribute over 5 to 10,000 pairs of automatic and audit answers."),
    ({"min_reviews": 0}, "min_reviews", "The minimum number of reviews to act on is 1 to 1,000."),
    ({"learned_min_answers": 9}, "learned_min_answers",
     "A learned scorer needs 10 to 100,000 audit answers to train on."),
    ({"audits_per_agent_week": 101}, "audits_per_agent_week",
     "Audit 0 to 100 interactions per agent per week (0: allocate none)."),
    ({"audits_per_evaluator_day": 0}, "audits_per_evaluator_day",
     "An evaluator audits 1 to 500 interactions a day."),
    ({"provider_url": "ftp://x"}, "provider_url",
     "The outside scorer's URL starts with http:// or https://."),
    ({"provider_url": ""}, "provider_url", "Give the outside scorer's URL to turn it on."),
    ({"provider_model": " "}, "provider_model",
     "Give the outside scorer's model to turn it on."),
])
def test_settings_bounds_refuse_with_the_field_and_write_nothing(world, changes, field, message):
    org = world.tenant.org
    with pytest.raises(QualityError) as excinfo:
        update_quality_settings(organization=org, **{**GOOD, **changes})
    assert (excinfo.value.message, excinfo.value.field) == (message, field)
    org.refresh_from_db()
    assert "quality" not in (org.settings or {})

