"""Scorecard pages and the quality settings page: the permission matrix, the editor (rows,
versions, field-named refusals), the export download and constant list queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import Attribute, Scorecard
from quality.selectors import quality_settings
from quality.services.evaluations import open_evaluation

from .conftest import make_interaction, make_scorecard

ALLOWED, DENIED = ["admin", "qa"], ["coach", "agent"]


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


def _status(login, user, url, method="get", **data):
    return getattr(login(user), method)(url, data).status_code


@pytest.mark.parametrize("path", [
    "quality/scorecards/", "quality/scorecards/new/", "quality/scorecards/export/",
    "quality/scorecards/{pk}/", "quality/scorecards/{pk}/edit/",
    "quality/scorecards/{pk}/export/", "quality/settings/",
])
def test_scorecard_pages_permission_matrix(world, login, card, path):
    url = world.tenant.url(path.format(pk=card.pk))
    for role in ALLOWED:
        assert _status(login, getattr(world, role), url) == 200, role
    for role in DENIED:
        assert _status(login, getattr(world, role), url) == 403, role
    assert _status(login, world.outsider, url) == 404
    if "{pk}" in path:
        # Our scorecard under the other tenant's address: not found there either.
        other_admin = world.other.member(roles=["org_admin"], username="oscar")
        assert _status(login, other_admin, world.other.url(path.format(pk=card.pk))) == 404


def test_archive_permission_matrix(world, login, card):
    url = world.tenant.url(f"quality/scorecards/{card.pk}/archive/")
    assert _status(login, world.coach, url, "post") == 403
    assert _status(login, world.agent, url, "post") == 403
    assert _status(login, world.outsider, url, "post") == 404
    assert _status(login, world.qa, url, "get") == 405
    assert _status(login, world.qa, url, "post") == 302
    with scopes_disabled():
        card.refresh_from_db()
    assert (card.is_current, card.is_default) == (False, False)


def test_list_shows_counts_and_runs_constant_queries(world, login, card,
                                                     django_assert_num_queries):
    org = world.tenant.org
    item = make_interaction(org, agent=world.agent, external_id="C-1")
    with scopes_disabled():
        open_evaluation(interaction=item, scorecard=card, kind=EvaluationKind.MANUAL)
    client = login(world.qa)
    url = world.tenant.url("quality/scorecards/")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    rows = [[cell.strip() for cell in row] for row in _table(response.content.decode())]
    assert rows == [["Customer care", "1", "Default", "—", "6", "1"]]
    for n in range(3):
        make_scorecard(org, name=f"Queue {n}", key=f"queue-{n}", default=False,
                       queue=f"q{n}")
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def _table(html: str) -> list[list[str]]:
    """The text of each body row of the first table (tags stripped)."""
    import re

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", cell).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_detail_shows_sections_rules_and_versions(world, login, card):
    response = login(world.admin).get(world.tenant.url(f"quality/scorecards/{card.pk}/"))
    page = response.content.decode()
    for text in ("Opening", "Compliance", "Closing", "Critical",
                 "Agent says one of the phrases “thank you for calling”, “thanks for "
                 "contacting” within the first 2 agent turns",
                 "Handle time at most 600 s", "Scored by hand only", "Version 1",
                 "Total weight 100"):
        assert text in page, text


def _post_data(rows: list[dict], *, name="Sales", default="on", queue="", initial=0,
               **extra) -> dict:
    data = {"name": name, "description": "", "queue": queue,
            "attributes-TOTAL_FORMS": str(len(rows)),
            "attributes-INITIAL_FORMS": str(initial),
            "attributes-MIN_NUM_FORMS": "0", "attributes-MAX_NUM_FORMS": "100", **extra}
    if default:
        data["default"] = default
    for i, row in enumerate(rows):
        base = {"key": "", "name": "", "section": "", "answer_type": "yes_no", "scale_max": "",
                "weight": "1", "na_allowed": "on", "disputable": "on", "guidance": "",
                "auto": ""}
        for field, value in {**base, **row}.items():
            if value is not None:
                data[f"attributes-{i}-{field}"] = value
    return data


def test_create_through_the_editor(world, login):
    client = login(world.qa)
    response = client.post(world.tenant.url("quality/scorecards/new/"), _post_data([
        {"name": "Pitch", "section": "Sales", "weight": "3",
         "auto": '{"rule": "agent_says", "phrases": ["special offer"]}'},
        {"name": "Legal", "answer_type": "scale", "scale_max": "4", "weight": "0",
         "critical": "on", "na_allowed": None},
        {},  # the empty extra row adds nothing
    ]))
    assert response.status_code == 302
    with scopes_disabled():
        card = Scorecard.objects.get(organization=world.tenant.org, key="sales")
        assert response.url == world.tenant.url(f"quality/scorecards/{card.pk}/")
        assert (card.is_default, card.created_by) == (True, world.qa)
        assert list(card.attributes.values_list(
            "key", "section", "answer_type", "scale_max", "weight", "critical", "na_allowed",
            "auto")) == [
            ("pitch", "Sales", "yes_no", None, 3, False, True,
             {"rule": "agent_says", "phrases": ["special offer"]}),
            ("legal", "", "scale", 4, 0, True, False, None)]


@pytest.mark.parametrize(("rows", "field", "message"), [
    ([{"name": "A", "auto": '{"rule": "agent_says"}'}], "attributes-0-auto",
     "Rule “agent_says”: “phrases” must be a non-empty list of texts."),
    ([{"name": "A", "auto": "{rule"}], "attributes-0-auto",
     "Not valid JSON (column 2: Expecting property name enclosed in double quotes)."),
    ([{"name": "A", "answer_type": "scale"}], "attributes-0-scale_max",
     "Give the top of the scale (1 to 100)."),
    ([{"name": "A", "weight": "0"}], None,
     "Weights sum to 0: give at least one attribute a weight."),
    ([{"name": "A"}, {"name": "a"}], "attributes-1-name",
     "The name repeats attribute 1; attribute names must be unique within a scorecard."),
    ([{}], None, "A scorecard needs at least one attribute."),
])
def test_editor_refusals_are_named_and_write_nothing(world, login, rows, field, message):
    response = login(world.admin).post(world.tenant.url("quality/scorecards/new/"),
                                       _post_data(rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert message.replace("“", "&ldquo;") in page or message in page \
        or message.replace("'", "&#x27;") in page
    if field:
        assert f'id="id_{field}_error"' in page
    with scopes_disabled():
        assert not Scorecard.objects.filter(organization=world.tenant.org).exists()


def test_add_row_keeps_what_was_typed_without_errors(world, login):
    response = login(world.admin).post(world.tenant.url("quality/scorecards/new/"), _post_data(
        [{"name": "Pitch", "weight": "7"}], name="", add_row="1"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="attributes-TOTAL_FORMS" value="2"' in page
    assert 'name="attributes-0-name" value="Pitch"' in page
    assert "errorlist" not in page
    with scopes_disabled():
        assert not Scorecard.objects.exists()


def _edit_rows(card, **changes) -> list[dict]:
    with scopes_disabled():
        attributes = list(card.attributes.all())
    rows = []
    for a in attributes:
        row = {"key": a.key, "name": a.name, "section": a.section, "weight": str(a.weight),
               "critical": "on" if a.critical else None,
               "auto": json.dumps(a.auto) if a.auto else ""}
        rows.append({**row, **changes.get(a.key, {})})
    return rows


def test_edit_with_evaluations_saves_version_two(world, login, card):
    item = make_interaction(world.tenant.org, agent=world.agent, external_id="C-1")
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=card,
                                     kind=EvaluationKind.MANUAL)
    rows = _edit_rows(card, greeting={"name": "Warm greeting"},
                      etiquette={"DELETE": "on"})
    client = login(world.admin)
    response = client.post(world.tenant.url(f"quality/scorecards/{card.pk}/edit/"),
                           _post_data(rows, name="Customer care", initial=len(rows)))
    assert response.status_code == 302
    with scopes_disabled():
        v2 = Scorecard.objects.get(organization=world.tenant.org, key="customer-care",
                                   is_current=True)
        evaluation.refresh_from_db()
        assert (v2.version, evaluation.scorecard_id) == (2, card.pk)
        assert list(v2.attributes.values_list("key", "name")) == [
            ("greeting", "Warm greeting"), ("empathy", "Empathy"), ("compliance", "Compliance"),
            ("product-knowledge", "Product knowledge"), ("communication", "Communication")]
        assert Attribute.objects.filter(scorecard=card).count() == 6
    follow = client.get(response.url)
    assert "Saved as version 2: version 1 has evaluations, which keep it." in \
        follow.content.decode()
    # The old version's edit page sends to the latest.
    old = client.get(world.tenant.url(f"quality/scorecards/{card.pk}/edit/"))
    assert old.url == world.tenant.url(f"quality/scorecards/{v2.pk}/edit/")


def test_edit_queue_taken_is_shown_on_the_queue_field(world, login, card):
    make_scorecard(world.tenant.org, name="Billing", key="billing", default=False,
                   queue="billing")
    rows = _edit_rows(card)
    response = login(world.admin).post(
        world.tenant.url(f"quality/scorecards/{card.pk}/edit/"),
        _post_data(rows, name="Customer care", initial=len(rows), queue="billing"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_queue_error"' in page
    assert "already has the scorecard &ldquo;Billing&rdquo;" in page or \
        "already has the scorecard “Billing”" in page


def test_export_downloads_the_import_format(world, login, card):
    response = login(world.qa).get(world.tenant.url(f"quality/scorecards/{card.pk}/export/"))
    assert response["Content-Disposition"] == (
        'attachment; filename="scorecard-customer-care-v1.json"')
    entries = json.loads(response.content)
    assert [e["name"] for e in entries] == ["Customer care"]
    assert entries[0]["attributes"][2] == {
        "name": "Compliance", "section": "Compliance", "answer": "yes_no", "weight": 20,
        "critical": True, "na_allowed": True, "disputable": True, "guidance": "",
        "auto": {"rule": "agent_never_says", "phrases": ["guarantee", "your password is"]}}


# --- settings page ---------------------------------------------------------------------

SETTINGS = {"release_mode": "after_delay", "release_delay_hours": "12",
            "verify_min_kappa": "0.7", "verify_min_pairs": "40", "min_reviews": "8",
            "learned_min_answers": "60", "audits_per_agent_week": "3",
            "audits_per_evaluator_day": "40", "provider_enabled": "on",
            "provider_url": "http://127.0.0.1:9/v1", "provider_model": "tiny",
            "provider_api_key": "secret-key-123", "provider_timeout_seconds": "5"}


def test_settings_page_saves_and_never_renders_the_api_key(world, login):
    client = login(world.admin)
    url = world.tenant.url("quality/settings/")
    before = client.get(url).content.decode()
    assert "No key stored." in before
    assert "Remove the stored API key" not in before
    assert 'name="clear_provider_api_key"' not in before
    assert client.post(url, SETTINGS).status_code == 302
    org = world.tenant.org
    org.refresh_from_db()
    current = quality_settings(org)
    assert (current.release_mode, current.release_delay_hours, current.verify_min_kappa,
            current.min_reviews, current.provider.api_key, current.provider.timeout_seconds) \
        == ("after_delay", 12, 0.7, 8, "secret-key-123", 5.0)
    page = client.get(url).content.decode()
    assert "secret-key-123" not in page
    assert "A key is stored; leave empty to keep it" in page
    assert "Remove the stored API key" in page
    assert 'value="tiny"' in page
    # Removing it: the checkbox goes away again.
    assert client.post(url, {**SETTINGS, "provider_api_key": "",
                             "clear_provider_api_key": "on"}).status_code == 302
    org.refresh_from_db()
    assert quality_settings(org).provider.api_key == ""
    assert "Remove the stored API key" not in client.get(url).content.decode()


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"verify_min_kappa": "1.2"}, "verify_min_kappa",
     "Ensure this value is less than or equal to 1."),
    ({"audits_per_agent_week": "-1"}, "audits_per_agent_week",
     "Ensure this value is greater than or equal to 0."),
    ({"provider_url": "file:///etc/passwd"}, "provider_url",
     "The outside scorer's URL starts with http:// or https://."),
    ({"provider_model": ""}, "provider_model", "Give the outside scorer's model to turn it on."),
])
def test_settings_page_bounds_are_field_errors(world, login, changes, field, message):
    response = login(world.qa).post(world.tenant.url("quality/settings/"),
                                    {**SETTINGS, **changes})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in page
    assert message.replace("'", "&#x27;") in page
    org = world.tenant.org
    org.refresh_from_db()
    assert "quality" not in (org.settings or {})


def test_editor_shows_scale_top_only_for_scale_answers_and_the_rule_help_once(world, login):
    response = login(world.admin).post(world.tenant.url("quality/scorecards/new/"), _post_data([
        {"name": "Tone", "answer_type": "scale"},  # missing top: re-rendered with the error
        {"name": "Greeting"},
    ]))
    page = response.content.decode()
    assert response.status_code == 200
    assert ('<div class="col-md-3 scale-max" data-answer-type="id_attributes-0-answer_type">'
            in page)
    assert ('<div class="col-md-3 scale-max" data-answer-type="id_attributes-1-answer_type"'
            ' hidden>' in page)
    assert page.count("Rules: agent_says, agent_never_says") == 1
    assert page.count("Optional JSON; see “Automatic rules” above.") == 2  # one per row
    assert "Give the top of the scale (1 to 100)." in page
