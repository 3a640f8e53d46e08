"""The advice provider's settings page: org admins only (the permission matrix), errors
next to their field with what was typed kept and nothing saved, and the API key
write-only (never shown back, kept when left empty, removed only when asked)."""

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
