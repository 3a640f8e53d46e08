"""The retention settings page: org admins only (the permission matrix, another tenant
404), the policy saved through the form, errors next to their field with nothing saved,
the preview of what a run today would do (saved and unsaved values), and the link from
the organization's Settings page."""

import pytest
from django_scopes import scopes_disabled

from privacy.models import PersonalDataRequest
from privacy.retention import retention_policy
from tenancy.models import Organization

from .retention_fixtures import interaction, retention_world, set_policy  # noqa: F401

PATH = "privacy/retention/"
GOOD = {"transcripts_days": "90", "evaluations_days": "365", "evaluations_mode": "delete",
        "access_log_days": "", "work_items_days": "730"}


def _policy(world):
    with scopes_disabled():
        return retention_policy(Organization.objects.get(pk=world.tenant.org.pk))


def _status(client, user, url, method="get", data=None):
    client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


def test_only_org_admins_reach_the_page(client, world):
    url = world.tenant.url(PATH)
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _status(client, world.agent, url) == 403
    assert _status(client, world.coach, url) == 403
    assert _status(client, world.qa, url) == 403
    assert _status(client, world.coach, url, "post", GOOD) == 403
    assert _status(client, world.outsider, url) == 404  # another tenant
    assert _status(client, world.outsider, url, "post", GOOD) == 404
    assert _status(client, world.admin, url) == 200
    assert _policy(world).is_empty  # nobody without the right saved anything


def test_the_page_says_nothing_is_removed_by_default(client, world):
    client.force_login(world.admin)
    response = client.get(world.tenant.url(PATH))
    page = response.content.decode()
    assert "Nothing is removed: no retention period is set." in page
    assert 'placeholder="Keep forever"' in page
    assert response.context["form"].initial["evaluations_mode"] == "anonymise"


def test_saving_a_policy(client, world):
    client.force_login(world.admin)
    response = client.post(world.tenant.url(PATH), GOOD)
    assert response.status_code == 302 and response["Location"] == world.tenant.url(PATH)
    policy = _policy(world)
    assert (policy.transcripts_days, policy.evaluations_days, policy.evaluations_mode,
            policy.access_log_days, policy.work_items_days) == (90, 365, "delete", None, 730)
    with scopes_disabled():
        assert Organization.objects.get(pk=world.tenant.org.pk).settings["retention"] == {
            "transcripts_days": 90, "evaluations_days": 365, "evaluations_mode": "delete",
            "access_log_days": None, "work_items_days": 730}
    page = client.get(response["Location"]).content.decode()
    assert "Retention policy saved." in page
    assert ("A run today would remove the text of 0 transcripts, delete 0 closed work items "
            "and delete 0 evaluations.") in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("transcripts_days", "10", "Transcripts: keep them at least 30 days (to avoid deleting "
                               "recent data by accident), or leave the field empty to keep "
                               "them forever."),
    ("access_log_days", "0", "Access log: keep them at least 30 days"),
    ("work_items_days", "-5", "Work items: keep them at least 30 days"),
    ("evaluations_days", "36501", "Evaluations: at most 36,500 days (100 years); leave the "
                                  "field empty to keep them forever."),
    ("transcripts_days", "ninety", "Enter a whole number of days, or leave it empty."),
    ("transcripts_days", "90.5", "Enter a whole number of days, or leave it empty."),
    ("evaluations_mode", "shred", "Select a valid choice. shred is not one of the available "
                                  "choices."),
])
def test_bad_values_are_refused_next_to_their_field(client, world, field, value, message):
    set_policy(world.tenant.org, transcripts_days=400)
    client.force_login(world.admin)
    response = client.post(world.tenant.url(PATH), {**GOOD, field: value})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert form.errors[field][0].startswith(message)
    page = response.content.decode()
    assert "Nothing was saved: correct the fields marked below." in page
    assert f'id="id_{field}_error"' in page
    assert _policy(world).transcripts_days == 400  # unchanged


def test_preview_shows_unsaved_values_and_saves_nothing(client, world):
    org = world.tenant.org
    interaction(org, world.agent, "CHAT-1", age_days=100)
    interaction(org, world.agent, "CHAT-2", age_days=200)
    interaction(org, world.agent, "CHAT-3", age_days=10)
    interaction(world.other.org, world.outsider, "CHAT-G", age_days=300)
    client.force_login(world.admin)

    response = client.post(world.tenant.url(PATH), {
        **GOOD, "transcripts_days": "60", "evaluations_days": "", "work_items_days": "",
        "preview": ""})

    assert response.status_code == 200
    page = response.content.decode()
    assert "A run today with these values (not saved)" in page
    assert "A run today would remove the text of 2 transcripts." in page
    assert _policy(world).is_empty
    with scopes_disabled():
        assert not PersonalDataRequest.objects.exists()  # a preview is not a run


def test_preview_of_the_saved_policy_counts_this_tenant_only(client, world):
    org = world.tenant.org
    interaction(org, world.agent, "CHAT-1", age_days=100)
    interaction(world.other.org, world.outsider, "CHAT-G", age_days=300)
    interaction(world.other.org, world.outsider, "CHAT-H", age_days=300)
    set_policy(org, transcripts_days=90, access_log_days=365)
    client.force_login(world.admin)
    page = client.get(world.tenant.url(PATH)).content.decode()
    assert ("A run today would remove the text of 1 transcript and delete 0 access records."
            in page)


def test_settings_page_links_to_retention(client, world):
    client.force_login(world.admin)
    page = client.get(world.tenant.url("settings/")).content.decode()
    assert f'href="/o/{world.tenant.org.slug}/privacy/retention/">Retention</a>' in page
