"""A team's page lists its members 50 a page with the shared pager (issue 22.3: every member
was loaded and listed): by username, or, where peers are pseudonyms, by what is shown of
them across pages; the pager keeps the other parameters; a page out of range shows the last
one; the queries are the same as members are added."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from tenancy.models import Membership, TeamMember, User
from tenancy.pseudonyms import pseudonym


def _team(tenant_a, tenant_b):
    coach = tenant_a.member(roles=["coach"], username="carl", first_name="Carl",
                            last_name="Coach")
    ana = tenant_a.member(roles=["agent"], username="ana", first_name="Ana", last_name="Lee")
    team = tenant_a.team(name="Service Desk", manager=coach, members=[ana])
    other = tenant_b.member(roles=["org_admin", "coach", "agent"], username="bob")
    return team, coach, ana, other


def _add(org, team, count: int, start: int = 0) -> list[User]:
    with scopes_disabled():
        users = User.objects.bulk_create([
            User(username=f"m{i:03d}", first_name="Member", last_name=f"{i:03d}")
            for i in range(start, start + count)])
        Membership.objects.bulk_create(
            [Membership(organization=org, user=u, is_agent=True) for u in users])
        TeamMember.objects.bulk_create(
            [TeamMember(organization=org, team=team, user=u) for u in users])
    return users


def _members(response) -> list[str]:
    assert response.status_code == 200
    return [m.username for m in response.context["page"].object_list]


def _pseudonymise(org):
    org.settings = {**(org.settings or {}), "privacy": {"pseudonymise_peers": True}}
    with scopes_disabled():
        org.save(update_fields=["settings"])


def test_team_detail_permission_matrix(tenant_a, tenant_b, login, client):
    team, coach, ana, other = _team(tenant_a, tenant_b)
    admin = tenant_a.member(roles=["org_admin"], username="olga")
    url = tenant_a.url(f"teams/{team.pk}/")
    for who, status in ((coach, 200), (admin, 200), (ana, 403), (other, 404)):
        for params in ({}, {"page": 2}):
            assert login(who).get(url, params).status_code == status, who.username
        client.logout()
    # the other tenant's team is no page here
    other_team = tenant_b.team(name="Billing", manager=other)
    assert login(admin).get(tenant_a.url(f"teams/{other_team.pk}/")).status_code == 404


def test_team_detail_pages_members_by_username(tenant_a, tenant_b, login):
    team, coach, _ana, _other = _team(tenant_a, tenant_b)
    _add(tenant_a.org, team, 59)  # 60 members with ana
    client = login(coach)
    url = tenant_a.url(f"teams/{team.pk}/")
    first = client.get(url)
    assert _members(first) == ["ana"] + [f"m{i:03d}" for i in range(49)]
    html = first.content.decode()
    assert "<h2 class=\"h5\">Members (60)</h2>" in html
    assert "members 1–50 of 60" in html
    assert 'href="?page=2" rel="next"' in html
    assert "Ana Lee <span class=\"text-body-secondary\">(ana)</span>" in html
    assert _members(client.get(url, {"page": 2})) == [f"m{i:03d}" for i in range(49, 59)]
    assert _members(client.get(url, {"page": 99})) == [f"m{i:03d}" for i in range(49, 59)]
    assert _members(client.get(url, {"page": "x"}))[0] == "ana"
    # other parameters are kept by the pager
    assert 'href="?x=1&amp;page=2"' in client.get(url, {"x": 1}).content.decode()


def test_team_detail_small_team_has_no_pager(tenant_a, tenant_b, login):
    team, coach, _ana, _other = _team(tenant_a, tenant_b)
    response = login(coach).get(tenant_a.url(f"teams/{team.pk}/"))
    assert _members(response) == ["ana"]
    assert "Pages of members" not in response.content.decode()


def test_team_detail_pseudonyms_in_the_order_shown_across_pages(tenant_a, tenant_b, login):
    team, _coach, ana, _other = _team(tenant_a, tenant_b)
    added = _add(tenant_a.org, team, 59)
    org = tenant_a.org
    _pseudonymise(org)
    viewer = tenant_a.member(roles=["coach"], username="cleo")  # coaches none of them
    people = [ana, *added]
    shown = sorted((pseudonym(org.pk, u.pk), u.pk) for u in people)
    shown = [label for label, _ in sorted(shown, key=lambda s: (s[0].casefold(), s[1]))]
    client = login(viewer)
    url = tenant_a.url(f"teams/{team.pk}/")
    pages = [client.get(url, {"page": n}).content.decode() for n in (1, 2)]
    listed = [item for html in pages
              for item in re.findall(r'<li class="list-group-item">(.*?)</li>', html)]
    assert listed == shown
    for html in pages:
        assert "Ana Lee" not in html and "(ana)" not in html
        assert "Member 0" not in html and "(m0" not in html
        assert "Carl Coach" in html  # the manager keeps their name


def test_team_detail_queries_constant_as_members_are_added(tenant_a, tenant_b, login):
    team, coach, _ana, _other = _team(tenant_a, tenant_b)
    viewer = tenant_a.member(roles=["coach"], username="cleo")
    url = tenant_a.url(f"teams/{team.pk}/")

    def count(client, page=1) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"page": page}).status_code == 200
        return len(queries)

    by_name, by_alias = login(coach), login(viewer)
    by_name.get(url)
    by_alias.get(url)  # the first request of a session also saves the current organization
    counts = {}
    for added, start in ((0, 0), (60, 0), (30, 60)):
        if added:
            _add(tenant_a.org, team, added, start)
        counts[added] = [count(by_name), count(by_name, 2)]
    _pseudonymise(tenant_a.org)
    for added, start in ((0, 0), (30, 90)):
        if added:
            _add(tenant_a.org, team, added, start)
        counts[f"pseudonyms {added}"] = [count(by_alias), count(by_alias, 2)]
    # by username: a count and a page of members; with pseudonyms: every member (sorted in
    # Python, tenancy.pseudonyms) and who is named, instead
    assert counts == {0: [12, 12], 60: [12, 12], 30: [12, 12],
                      "pseudonyms 0": [12, 12], "pseudonyms 30": [12, 12]}
