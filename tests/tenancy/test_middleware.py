"""TenantMiddleware: /o/<slug>/ resolves the organization, checks membership, enters scope."""

import re

from tests.factories import Tenant


def test_tenant_url_unknown_organization_returns_404(tenant_a, login):
    client = login(tenant_a.member(roles=["coach"]))

    response = client.get("/o/no-such-org/manage/")

    assert response.status_code == 404


def test_tenant_url_non_member_returns_404(tenant_a, tenant_b, login):
    client = login(tenant_b.member(roles=["org_admin", "coach"]))

    response = client.get(tenant_a.url("manage/"))

    assert response.status_code == 404


def test_tenant_url_anonymous_redirects_to_login(tenant_a, client):
    response = client.get(tenant_a.url("manage/"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/o/alpha/manage/"


def test_tenant_url_anonymous_unknown_organization_gets_the_same_login_redirect(db, client):
    response = client.get("/o/no-such-org/manage/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/o/no-such-org/manage/"


def test_tenant_url_member_returns_200_with_organization_on_request(tenant_a, login):
    client = login(tenant_a.member(roles=["coach"]))

    response = client.get(tenant_a.url("manage/"))

    assert response.status_code == 200
    assert response.wsgi_request.organization == tenant_a.org
    assert response.wsgi_request.membership.is_coach is True


def test_workspace_root_sends_each_role_to_its_first_workspace_page(tenant_a, client):
    client.force_login(tenant_a.member(roles=["coach"]))
    assert client.get(tenant_a.url())["Location"] == "/o/alpha/coaching/"

    client.force_login(tenant_a.member(roles=["skill_admin"]))
    assert client.get(tenant_a.url())["Location"] == "/o/alpha/skills/"

    client.force_login(tenant_a.member(roles=["agent"]))
    assert client.get(tenant_a.url())["Location"] == "/o/alpha/me/"


def test_home_redirects_to_the_organization_used_last(tenant_a, tenant_b, client):
    user = tenant_a.member(roles=["agent"])
    with tenant_b.scope():
        from tests.factories import MembershipFactory

        MembershipFactory(organization=tenant_b.org, user=user, is_agent=True)
    client.force_login(user)

    assert client.get("/")["Location"] == "/o/alpha/"
    client.get(tenant_b.url("me/"))
    assert client.get("/")["Location"] == "/o/beta/"


def test_org_switcher_lists_exactly_the_users_organizations(tenant_a, tenant_b, client):
    tenant_c = Tenant(slug="gamma")
    tenant_c.member(roles=["org_admin"])
    user = tenant_a.member(roles=["coach"])
    with tenant_b.scope():
        from tests.factories import MembershipFactory

        MembershipFactory(organization=tenant_b.org, user=user, is_agent=True)
    client.force_login(user)

    response = client.get(tenant_a.url("manage/"))

    html = response.content.decode()
    switcher = html[html.index('aria-labelledby="org-switcher"'):]
    switcher = switcher[: switcher.index("</ul>")]
    assert re.findall(r'href="(/o/[^"]+)">([^<]+)</a>', switcher) == [
        ("/o/alpha/", "Alpha"),
        ("/o/beta/", "Beta"),
    ]
    assert [m.organization.slug for m in response.context["org_memberships"]()] == [
        "alpha", "beta"
    ]


def test_org_switcher_is_hidden_for_a_user_of_one_organization(tenant_a, login):
    client = login(tenant_a.member(roles=["coach"]))

    response = client.get(tenant_a.url("manage/"))

    assert 'id="org-switcher"' not in response.content.decode()
