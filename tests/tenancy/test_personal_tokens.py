"""Personal API tokens: a member's own token, made and revoked on My profile (the page's
permission matrix, the key shown once), seen and revoked by org admins on the tokens page,
made by ``create_api_token --user``; in the API it reaches only the operations marked as
accepting personal tokens (403 with one sentence elsewhere) and there sees only what its
person may see; revoked, or its person gone, it is a 401."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.services.assignments import MarkedInteraction, create_assignment
from config.api import PERSONAL_TOKEN_REFUSED
from tenancy.models import ApiToken, Membership
from tenancy.selectors import active_token_for
from tenancy.services import TenancyError, create_api_token, remove_member, revoke_api_token
from tests.factories import Tenant, make_world
from tests.quality.conftest import (
    QualityWorld,
    make_interaction,
    make_scorecard,
    released_audit,
)
from tests.work.conftest import ApiClient

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {"detail": "Send a valid API token as “Authorization: Bearer <token>”."}
# The operations a personal token may use (method, path); every other one answers 403.
PERSONAL_OPERATIONS = {
    ("get", "/api/v1/evaluations"),
    ("get", "/api/v1/evaluations/{evaluation_id}"),
    ("post", "/api/v1/evaluations/{evaluation_id}/acknowledge"),
    ("post", "/api/v1/evaluations/{evaluation_id}/disputes"),
    ("get", "/api/v1/coaching-assignments"),
    ("get", "/api/v1/coaching-assignments/{assignment_id}"),
    ("get", "/api/v1/agents/{username}/behaviours"),
    ("get", "/api/v1/coaching-plans"),
    ("get", "/api/v1/calibration-sessions"),
    ("get", "/api/v1/calibration-sessions/{session_id}"),
    ("get", "/api/v1/access-records"),  # an org admin's token only (tests/privacy)
}


@pytest.fixture
def world(db) -> QualityWorld:
    """acme: admin ada, QA analyst quinn, coach carl of Care (alice, bob), coach cleo of
    Billing (dora); globex: olga (every role)."""
    base = make_world(
        tenant=Tenant(slug="acme"), other=Tenant(slug="globex"), admin="ada", coach="carl",
        agent="alice", agent2="bob", agent3="dora", coach2="cleo", outsider="olga",
        team="Care", team2="Billing", other_team="Elsewhere",
        staff={"qa": (["qa_analyst"], "quinn")},
    )
    return QualityWorld(**base.as_kwargs(), qa=base.staff["qa"])


def _token(world, user=None, *, tenant=None, name="script") -> tuple[ApiToken, str]:
    tenant = tenant or world.tenant
    with scopes_disabled():
        return create_api_token(organization=tenant.org, name=name, user=user,
                                created_by=user)


def _api(client, raw) -> ApiClient:
    return ApiClient(client=client, token=raw)


def _tokens() -> list[tuple]:
    with scopes_disabled():
        return sorted(ApiToken.objects.values_list("name", "user__username", "revoked_at"))


# --- the service and the command --------------------------------------------------------


def test_create_api_token_with_user_makes_a_personal_token(world):
    token, raw = _token(world, world.agent, name="My script")

    assert (token.user, token.is_personal, token.name) == (world.agent, True, "My script")
    assert active_token_for(raw) == token
    org_token, _ = _token(world)
    assert (org_token.user, org_token.is_personal) == (None, False)


def test_create_api_token_for_someone_of_another_tenant_is_refused(world):
    with scopes_disabled(), pytest.raises(TenancyError) as error:
        create_api_token(organization=world.tenant.org, name="x", user=world.outsider)

    assert (error.value.field, error.value.message) == ("user", "olga is not a member of Acme.")
    assert _tokens() == []


def test_create_api_token_command_with_user(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "--org", "acme", "--name", "Alice's script",
                 "--user", "alice", stdout=out, stderr=err)

    raw = out.getvalue().rstrip("\n").splitlines()[-1]
    token = active_token_for(raw)
    assert (token.organization, token.user, token.name) == (
        world.tenant.org, world.agent, "Alice's script")
    assert err.getvalue() == "alice's personal token “Alice's script” for Acme (shown once):\n"


@pytest.mark.parametrize(("username", "message"), [
    ("nobody", "No user with username “nobody”."),
    ("olga", "olga is not a member of Acme."),
])
def test_create_api_token_command_with_a_bad_user_fails_and_creates_nothing(world, username,
                                                                          message):
    with pytest.raises(CommandError) as error:
        call_command("create_api_token", "--org", "acme", "--name", "x", "--user", username,
                     stdout=io.StringIO(), stderr=io.StringIO())

    assert str(error.value) == message
    assert _tokens() == []


# --- reach: only the marked operations --------------------------------------------------


def _operations(client) -> dict[tuple[str, str], dict]:
    schema = client.get("/api/v1/openapi.json").json()
    return {(method, path): operation for path, operations in schema["paths"].items()
            for method, operation in operations.items()}


def test_the_marked_operations_are_exactly_those_documented_for_personal_tokens(client):
    operations = _operations(client)

    documented = {key for key, operation in operations.items()
                  if "Personal tokens allowed" in operation.get("description", "")}
    assert documented == PERSONAL_OPERATIONS
    assert all("403" in operation["responses"] for operation in operations.values())


def test_a_personal_token_gets_403_on_every_other_read(world, client):
    """Every GET not marked, its path parameters filled, answers the personal token 403
    with one sentence; the organization token gets past the gate."""
    _, personal = _token(world, world.admin)
    _, organization = _token(world, name="feed")
    gets = [path for (method, path) in _operations(client)
            if method == "get" and (method, path) not in PERSONAL_OPERATIONS]
    assert len(gets) >= 10

    for path in gets:
        url = path.removeprefix("/api/v1/")
        for name in ("external_id", "assessment_id", "assignment_id", "evaluation_id"):
            url = url.replace("{" + name + "}", "1")
        assert "{" not in url, path
        refused = _api(client, personal).get(url)
        assert (refused.status_code, refused.json()) == (
            403, {"detail": PERSONAL_TOKEN_REFUSED}), path
        assert _api(client, organization).get(url).status_code in (200, 404), path


def test_a_personal_token_cannot_write_work_items(world, client):
    _, personal = _token(world, world.admin)

    response = _api(client, personal).post("work-items", [
        {"external_id": "INC1", "kind": "incident", "short_description": "VPN down"}])

    assert (response.status_code, response.json()) == (403, {"detail": PERSONAL_TOKEN_REFUSED})
    assert PERSONAL_TOKEN_REFUSED == (
        "A personal API token cannot use this operation: it reaches only the operations "
        "marked “personal tokens allowed”. Use an organization token (Settings → API tokens).")


# --- what a personal token sees ---------------------------------------------------------


@pytest.fixture
def audits(world):
    """alice: two released audits and one only submitted; bob and dora: one released each."""
    from quality.models import Evaluation

    make_scorecard(world.tenant.org)
    mine = [released_audit(world, external_id="A1"), released_audit(world, external_id="A2")]
    held = released_audit(world, external_id="A3")
    with scopes_disabled():
        Evaluation.objects.filter(pk=held.pk).update(state="submitted", released_at=None)
    bobs = released_audit(world, agent=world.agent2, external_id="B1")
    doras = released_audit(world, agent=world.agent3, external_id="D1")
    return {"alice": [e.pk for e in mine], "held": held.pk, "bob": bobs.pk, "dora": doras.pk}


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return [item["id"] for item in response.json()["items"]]


def test_an_agents_token_lists_only_their_own_released_evaluations(world, client, audits):
    _, alice = _token(world, world.agent)
    _, bob = _token(world, world.agent2)

    assert _ids(_api(client, alice).get("evaluations")) == sorted(audits["alice"], reverse=True)
    assert _ids(_api(client, bob).get("evaluations")) == [audits["bob"]]
    assert _ids(_api(client, alice).get("evaluations", {"agent": "bob"})) == []
    for pk in (audits["held"], audits["bob"], audits["dora"]):
        response = _api(client, alice).get(f"evaluations/{pk}")
        assert (response.status_code, response.json()) == (
            404, {"detail": "No evaluation with this id in your organization."})
    assert _api(client, alice).get(f"evaluations/{audits['alice'][0]}").json()["agent"] == "alice"


def test_a_coachs_token_sees_their_teams_and_an_org_token_everything(world, client, audits):
    _, carl = _token(world, world.coach)
    _, quinn = _token(world, world.qa)
    _, feed = _token(world, name="feed")
    everything = sorted([*audits["alice"], audits["held"], audits["bob"], audits["dora"]],
                        reverse=True)

    assert _ids(_api(client, carl).get("evaluations")) == sorted(
        [*audits["alice"], audits["held"], audits["bob"]], reverse=True)
    assert _ids(_api(client, quinn).get("evaluations")) == everything
    assert _ids(_api(client, feed).get("evaluations")) == everything


@pytest.fixture
def assignments(world):
    follow_up = timezone.localdate() + timedelta(days=7)
    made = {}
    with world.tenant.scope():
        for number, user in enumerate((world.agent, world.agent2, world.agent)):
            item = make_interaction(world.tenant.org, agent=user, external_id=f"C{number}")
            assignment = create_assignment(
                organization=world.tenant.org, agent=user, assigner=world.coach,
                name=f"Coaching: {user}", areas=[("empathy", "Empathy")],
                interactions=[MarkedInteraction(item)], follow_up_date=follow_up)
            made.setdefault(user.username, []).append(assignment.pk)
    return made


def test_an_agents_token_reads_only_their_own_coaching_assignments(world, client, assignments):
    _, alice = _token(world, world.agent)
    _, carl = _token(world, world.coach)
    _, feed = _token(world, name="feed")

    assert _ids(_api(client, alice).get("coaching-assignments")) == sorted(
        assignments["alice"], reverse=True)
    assert _ids(_api(client, alice).get("coaching-assignments", {"agent": "bob"})) == []
    assert _ids(_api(client, carl).get("coaching-assignments")) == []
    assert _ids(_api(client, feed).get("coaching-assignments")) == sorted(
        [*assignments["alice"], *assignments["bob"]], reverse=True)
    own = _api(client, alice).get(f"coaching-assignments/{assignments['alice'][0]}")
    assert (own.status_code, own.json()["agent"]) == (200, "alice")
    other = _api(client, alice).get(f"coaching-assignments/{assignments['bob'][0]}")
    assert (other.status_code, other.json()) == (
        404, {"detail": "No coaching assignment with this id in your organization."})


# --- 401: revoked, or the person is gone -------------------------------------------------


def test_a_revoked_personal_token_is_a_401(world, client):
    token, raw = _token(world, world.agent)
    assert _api(client, raw).get("evaluations").status_code == 200

    with scopes_disabled():
        revoke_api_token(token=token)
    response = _api(client, raw).get("evaluations")

    assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)


def test_a_personal_token_stops_when_its_person_leaves_or_is_deactivated(world, client):
    _, alice = _token(world, world.agent)
    _, bob = _token(world, world.agent2)

    with scopes_disabled():
        remove_member(membership=Membership.objects.get(user=world.agent,
                                                        organization=world.tenant.org))
    world.agent2.is_active = False
    world.agent2.save(update_fields=["is_active"])

    for raw in (alice, bob):
        response = _api(client, raw).get("evaluations")
        assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)


# --- My profile ------------------------------------------------------------------------------


PROFILE = "me/profile/"


def test_profile_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(world.tenant.url(PROFILE))

    assert (response.status_code, response["Location"]) == (
        302, "/accounts/login/?next=/o/acme/me/profile/")


@pytest.mark.parametrize("who", ["agent", "coach", "qa", "admin"])
def test_profile_every_member_sees_it_and_makes_their_own_token(world, client, who):
    user = getattr(world, who)
    client.force_login(user)

    page = client.get(world.tenant.url(PROFILE))
    created = client.post(world.tenant.url(PROFILE), {"name": "My script"})

    assert page.status_code == 200
    assert "My API tokens" in page.content.decode()
    assert created.status_code == 200
    new_key = created.context["new_key"]
    token = active_token_for(new_key)
    assert (token.user, token.created_by, token.organization, token.name) == (
        user, user, world.tenant.org, "My script")
    html = created.content.decode()
    assert html.count(new_key) == 1
    assert "Personal token “My script” created. Copy it now: it is shown once." in html
    # Shown once: the next visit lists it by its prefix only.
    again = client.get(world.tenant.url(PROFILE)).content.decode()
    assert new_key not in again and f"{token.key_prefix}…" in again


def test_profile_lists_only_my_personal_tokens(world, client):
    _token(world, world.agent, name="Alice's script")
    _token(world, world.agent2, name="Bob's script")
    _token(world, name="ServiceNow sync")
    client.force_login(world.agent)

    response = client.get(world.tenant.url(PROFILE))

    assert [t.name for t in response.context["tokens"]] == ["Alice's script"]


def test_profile_blank_name_is_a_form_error_and_creates_nothing(world, client):
    client.force_login(world.agent)

    response = client.post(world.tenant.url(PROFILE), {"name": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert _tokens() == []


def test_profile_revoke_my_token(world, client):
    token, raw = _token(world, world.agent, name="Alice's script")
    client.force_login(world.agent)

    response = client.post(world.tenant.url(f"me/profile/tokens/{token.pk}/revoke/"))

    assert (response.status_code, response["Location"]) == (302, "/o/acme/me/profile/")
    assert active_token_for(raw) is None
    with scopes_disabled():
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_profile_revoke_someone_elses_or_an_org_token_is_404_and_changes_nothing(world,
                                                                                 client):
    bobs, _ = _token(world, world.agent2, name="Bob's script")
    feed, _ = _token(world, name="ServiceNow sync")
    client.force_login(world.admin)  # even an org admin: their profile holds their own
    before = _tokens()

    for token in (bobs, feed):
        response = client.post(world.tenant.url(f"me/profile/tokens/{token.pk}/revoke/"))
        assert response.status_code == 404
    assert client.get(world.tenant.url(f"me/profile/tokens/{bobs.pk}/revoke/")
                      ).status_code == 405
    assert _tokens() == before


def test_profile_user_of_another_tenant_gets_404_and_changes_nothing(world, client):
    token, _ = _token(world, world.agent, name="Alice's script")
    client.force_login(world.outsider)
    before = _tokens()

    assert client.get(world.tenant.url(PROFILE)).status_code == 404
    assert client.post(world.tenant.url(PROFILE), {"name": "x"}).status_code == 404
    assert client.post(world.tenant.url(f"me/profile/tokens/{token.pk}/revoke/")
                       ).status_code == 404
    # Tenant A's token id through the outsider's own tenant: not found either.
    assert client.post(world.other.url(f"me/profile/tokens/{token.pk}/revoke/")
                       ).status_code == 404
    assert _tokens() == before


def test_profile_page_queries_stay_constant(world, client, django_assert_num_queries):
    client.force_login(world.agent)
    _token(world, world.agent, name="one")
    client.get(world.tenant.url(PROFILE))

    with CaptureQueriesContext(connection) as one:
        client.get(world.tenant.url(PROFILE))
    for name in ("two", "three", "four"):
        _token(world, world.agent, name=name)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(world.tenant.url(PROFILE))
    assert len(response.context["tokens"]) == 4


def test_user_menu_links_my_profile(world, client):
    client.force_login(world.agent)

    html = client.get(world.tenant.url("me/")).content.decode()

    assert 'href="/o/acme/me/profile/">My profile</a>' in html


# --- the org admins' tokens page ----------------------------------------------------------


def test_admins_see_every_token_and_revoke_a_personal_one(world, client):
    alices, raw = _token(world, world.agent, name="Alice's script")
    _token(world, name="ServiceNow sync")
    client.force_login(world.admin)

    page = client.get(world.tenant.url("settings/api-tokens/"))
    revoked = client.post(world.tenant.url(f"settings/api-tokens/{alices.pk}/revoke/"))

    assert sorted(t.name for t in page.context["tokens"]) == ["Alice's script",
                                                              "ServiceNow sync"]
    assert "acts as alice" in page.content.decode()
    assert revoked.status_code == 302
    assert active_token_for(raw) is None


def test_the_tokens_page_still_makes_organization_tokens(world, client):
    client.force_login(world.admin)

    response = client.post(world.tenant.url("settings/api-tokens/"), {"name": "Zendesk"})

    token = active_token_for(response.context["new_key"])
    assert (token.name, token.user, token.is_personal) == ("Zendesk", None, False)
