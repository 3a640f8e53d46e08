"""The advice provider's settings page: org admins only (the permission matrix), errors
next to their field with what was typed kept and nothing saved, and the API key
write-only (never shown back, kept when left empty, removed only when asked)."""

import json

import pytest
from django_scopes import scopes_disabled

from coaching.advice_provider import advice_provider_settings
from tenancy.models import Organization

from .assignment_fixtures import aw_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

PATH = "coaching/settings/advice/"
GOOD = {"enabled": "on", "url": "https://llm.example.com/v1", "model": "small-1",
        "api_key": "sk-secret-123", "timeout_seconds": "4"}


def _provider(aw):
    with scopes_disabled():
        return advice_provider_settings(Organization.objects.get(pk=aw.tenant.org.pk))


def _status(client, user, url, method="get", data=None):
    client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


def test_only_org_admins_reach_the_page(client, aw):
    url = aw.tenant.url(PATH)
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _status(client, aw.agent, url) == 403
    assert _status(client, aw.coach, url) == 403
    assert _status(client, aw.qa, url) == 403
    assert _status(client, aw.coach, url, "post", GOOD) == 403
    assert _status(client, aw.admin, url) == 200
    assert _status(client, aw.outsider, url) == 404  # another tenant
    assert _status(client, aw.outsider, url, "post", GOOD) == 404
    assert _provider(aw).enabled is False  # nobody but the admin saved anything


def test_the_coaching_menu_links_the_page_for_org_admins_only(client, aw):
    url = aw.tenant.url(PATH)
    client.force_login(aw.admin)
    assert f'href="{url}"' in client.get(aw.tenant.url("coaching/behaviours/")).content.decode()
    client.force_login(aw.coach)
    assert f'href="{url}"' not in client.get(
        aw.tenant.url("coaching/behaviours/")).content.decode()


def test_saving_seals_the_key_and_never_shows_it_back(client, aw):
    client.force_login(aw.admin)
    url = aw.tenant.url(PATH)
    response = client.post(url, GOOD)
    assert response.status_code == 302 and response["Location"] == url
    saved = _provider(aw)
    assert (saved.enabled, saved.url, saved.model, saved.timeout_seconds) == (
        True, "https://llm.example.com/v1", "small-1", 4.0)
    assert saved.api_key() == "sk-secret-123"
    assert "sk-secret-123" not in saved.api_key_sealed
    html = client.get(url).content.decode()
    assert "sk-secret-123" not in html and saved.api_key_sealed not in html
    assert "A key is stored (it is never shown). Leave empty to keep it" in html
    assert 'name="clear_api_key"' in html
    # Left empty: the key stays; the other fields change.
    client.post(url, {**GOOD, "api_key": "", "model": "small-2"})
    assert (_provider(aw).model, _provider(aw).api_key()) == ("small-2", "sk-secret-123")
    # Removed when asked.
    client.post(url, {**GOOD, "api_key": "", "clear_api_key": "on"})
    assert (_provider(aw).has_api_key, _provider(aw).enabled) == (False, True)
    assert 'name="clear_api_key"' not in client.get(url).content.decode()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"url": "ftp://llm.example.com"}, "url",
     "The advice service&#x27;s URL starts with http:// or https://"),
    ({"url": ""}, "url", "Give the advice service&#x27;s URL to turn it on."),
    ({"model": ""}, "model", "Give the advice service&#x27;s model to turn it on."),
    ({"timeout_seconds": "90"}, "timeout_seconds", "less than or equal to 30"),
    ({"timeout_seconds": "soon"}, "timeout_seconds", "Enter a number."),
])
def test_a_wrong_field_is_named_input_kept_nothing_saved(client, aw, data, field, message):
    client.force_login(aw.admin)
    url = aw.tenant.url(PATH)
    response = client.post(url, {**GOOD, **data})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    html = response.content.decode()
    assert message in html and f'id="id_{field}_error"' in html
    assert "Nothing was saved" in html
    kept = {**GOOD, **data}
    if field != "url":
        assert 'value="https://llm.example.com/v1"' in html
    if field != "model":
        assert f'value="{kept["model"]}"' in html
    assert "sk-secret-123" not in html  # a key typed is not echoed back either
    assert _provider(aw) == advice_provider_settings(Organization(settings={}))


def test_a_new_key_and_remove_together_is_refused(client, aw):
    client.force_login(aw.admin)
    url = aw.tenant.url(PATH)
    client.post(url, GOOD)
    response = client.post(url, {**GOOD, "api_key": "sk-other", "clear_api_key": "on"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["clear_api_key"]
    assert _provider(aw).api_key() == "sk-secret-123"


def test_turning_it_off_keeps_url_model_and_key(client, aw):
    client.force_login(aw.admin)
    url = aw.tenant.url(PATH)
    client.post(url, GOOD)
    client.post(url, {"url": GOOD["url"], "model": GOOD["model"], "timeout_seconds": "5"})
    saved = _provider(aw)
    assert (saved.enabled, saved.url, saved.api_key(), saved.timeout_seconds) == (
        False, GOOD["url"], "sk-secret-123", 5.0)
    html = client.get(url).content.decode()
    assert "Advice is written by the built-in generator (no outside service)." in html


# --- Test connection: the saved settings, against a local fake server only ----------------

CHECK = "coaching/settings/advice/check/"


@pytest.fixture
def fake():
    from tests.quality.test_provider import FakeProvider

    server = FakeProvider()
    yield server
    server.close()


def _save(client, aw, fake, **changes):
    client.force_login(aw.admin)
    response = client.post(aw.tenant.url(PATH), {**GOOD, "url": fake.url, "enabled": "",
                                                 "timeout_seconds": "1", **changes}, follow=True)
    assert _said(response) == [("success", "Advice provider saved.")]  # shown, so gone


def _said(response):
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def test_test_connection_permission_matrix(client, aw, fake):
    _save(client, aw, fake)
    url = aw.tenant.url(CHECK)
    client.logout()
    anonymous = client.post(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    for who, status in (("agent", 403), ("coach", 403), ("qa", 403), ("outsider", 404)):
        assert _status(client, getattr(aw, who), url, "post") == status, who
    assert fake.requests == []  # nobody but an org admin made it call out
    assert _status(client, aw.admin, url) == 405  # a GET never calls out either
    assert fake.requests == []


def test_test_connection_says_it_works_without_sending_agents_data(client, aw, fake):
    _save(client, aw, fake)
    fake.content = '{"advice": "Greet them by name, then say what happens next."}'
    response = client.post(aw.tenant.url(CHECK), follow=True)
    [(level, message)] = _said(response)
    assert level == "success"
    assert message.startswith("The advice service answered in ")
    assert message.endswith(" ms with advice of 47 characters.")
    [request] = fake.requests
    assert (request["path"], request["authorization"]) == (
        "/v1/chat/completions", "Bearer sk-secret-123")
    sent = request["body"]
    assert sent["model"] == "small-1"
    assert json.loads(sent["messages"][1]["content"]) == {
        "behaviour": "Connection test", "attempt": 1, "agent_examples": [],
        "best_responses": [],
        "guidance": "Greet the customer by name and say what you will do next."}
    assert _provider(aw).enabled is False  # testing changes nothing


@pytest.mark.parametrize(("setup_fake", "message"), [
    (lambda f: setattr(f, "status", 401), "The advice service did not work: it answered HTTP 401."),
    (lambda f: setattr(f, "delay", 1.5),
     "The advice service did not work: it did not answer within 1 s."),
    (lambda f: setattr(f, "content", "plain words"),
     'The advice service did not work: its reply has no {"advice": …} message.'),
])
def test_test_connection_says_why_it_failed(client, aw, fake, setup_fake, message):
    _save(client, aw, fake)
    setup_fake(fake)
    response = client.post(aw.tenant.url(CHECK), follow=True)
    assert _said(response) == [("error", message)]
    assert f"{message}" in response.content.decode().replace("&#x27;", "'").replace(
        "&quot;", '"')


def test_test_connection_button_only_once_a_url_is_saved(client, aw, fake):
    client.force_login(aw.admin)
    button = 'id="check-provider"'
    assert button not in client.get(aw.tenant.url(PATH)).content.decode()
    response = client.post(aw.tenant.url(CHECK), follow=True)
    assert _said(response) == [("error", "Save the service's URL and model first.")]
    _save(client, aw, fake)
    assert button in client.get(aw.tenant.url(PATH)).content.decode()
