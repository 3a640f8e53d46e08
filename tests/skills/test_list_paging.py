"""Paging of the skills lists (issue 22.3): the recommendations page and the skill matrix
show a page of rows in their index's order, keep their filters in the pager's links, show
the last page for a page number out of range, and cost the same queries as rows grow."""

import re

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from skills.models import Skill, SkillRecommendation
from tenancy.models import TeamMember
from tenancy.pseudonyms import pseudonym
from tests.skills.test_matrix import _populate


def _recommendations(world, skills: int) -> list[int]:
    """Pending recommendations of ``skills`` new skills for abe and amy (the coach's team),
    all made at one instant so the order is by id; their ids in the page's order."""
    with scopes_disabled():
        made = Skill.objects.bulk_create([
            Skill(organization=world.tenant.org, name=f"Paged {skills}-{i:03d}")
            for i in range(skills)])
        recs = SkillRecommendation.objects.bulk_create([
            SkillRecommendation(organization=world.tenant.org, user=agent, skill=skill,
                                count=10, threshold=10, score=1.0)
            for skill in made for agent in (world.agent, world.agent2)])
        SkillRecommendation.objects.filter(pk__in=[r.pk for r in recs]).update(
            created_at=timezone.now())
    return sorted((r.pk for r in recs), reverse=True)


def _ids(response, key="recommendations"):
    return [r.pk for r in response.context[key]]


def test_recommendations_page_in_order_and_continue(world, login):
    order = _recommendations(world, 60)  # 120 rows
    client = login(world.coach)
    url = world.tenant.url("skills/recommendations/")
    first = client.get(url)
    assert _ids(first) == order[:50]
    assert first.context["page"].paginator.count == 120
    html = first.content.decode()
    assert "recommendations 1–50 of 120" in html
    assert 'href="?page=2" rel="next"' in html
    assert _ids(client.get(url, {"page": 2})) == order[50:100]
    assert _ids(client.get(url, {"page": 3})) == order[100:]


def test_recommendations_pager_keeps_the_state_and_survives_a_bad_page(world, login):
    order = _recommendations(world, 30)  # 60 rows
    with scopes_disabled():
        SkillRecommendation.objects.filter(pk=order[0]).update(state="rejected")
    client = login(world.coach)
    url = world.tenant.url("skills/recommendations/")
    response = client.get(url, {"state": "all"})
    assert 'href="?state=all&amp;page=2" rel="next"' in response.content.decode()
    assert _ids(response) == order[:50]
    pending = client.get(url, {"state": "pending"})
    assert _ids(pending) == order[1:51]
    for page in ("99", "-1", "x", ""):
        response = client.get(url, {"state": "all", "page": page})
        assert response.status_code == 200
        expected = order[:50] if page in ("x", "") else order[50:]
        assert _ids(response) == expected, page


@pytest.mark.parametrize("role", ["coach", "admin"])
def test_recommendations_queries_do_not_grow_with_rows(world, login, role,
                                                       django_assert_num_queries):
    _recommendations(world, 10)
    client = login(getattr(world, role))
    url = world.tenant.url("skills/recommendations/?state=all")
    client.get(url)  # the first request of a session also saves the current organization
    expected = {"coach": 10, "admin": 8}[role]
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(response.context["recommendations"]) == 20
    _recommendations(world, 90)  # 20 → 200 rows
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(response.context["recommendations"]) == 50


# --- the skill matrix -----------------------------------------------------------------


def _labels(response):
    return [row.label for row in response.context["m"].rows]


def test_matrix_pages_by_people_and_keeps_its_filters(world, login):
    team = _populate(world.tenant.org, 120, 2)
    client = login(world.skill_admin)
    url = world.tenant.url("skills/")
    query = {"team": team.pk, "category": "Bulk"}
    first = client.get(url, query)
    assert _labels(first) == [f"Bulk {i:04d}" for i in range(50)]
    html = first.content.decode()
    assert "People 1–50 of 120 × 2 skills" in html
    assert "people 1–50 of 120" in html
    assert f'href="?team={team.pk}&amp;category=Bulk&amp;page=2" rel="next"' in html
    second = client.get(url, {**query, "page": 2})
    assert _labels(second) == [f"Bulk {i:04d}" for i in range(50, 100)]
    assert second.content.count(b"data-cell") == 50 * 2
    third = client.get(url, {**query, "page": 3})
    assert _labels(third) == [f"Bulk {i:04d}" for i in range(100, 120)]
    assert _labels(client.get(url, {**query, "page": 40})) == _labels(third)
    assert _labels(client.get(url, {**query, "page": "zz"})) == _labels(first)


def test_matrix_level_filter_is_applied_before_paging(world, login):
    # _populate gives person i the levels i % 4 and (i + 1) % 4: Expert (rank 4) for i % 4
    # in (2, 3), 60 of 120.
    team = _populate(world.tenant.org, 120, 2)
    client = login(world.skill_admin)
    query = {"team": team.pk, "category": "Bulk", "level": world.level("Expert").pk}
    experts = [f"Bulk {i:04d}" for i in range(120) if i % 4 in (2, 3)]
    first = client.get(world.tenant.url("skills/"), query)
    assert _labels(first) == experts[:50]
    assert first.context["m"].page.paginator.count == 60
    second = client.get(world.tenant.url("skills/"), {**query, "page": 2})
    assert _labels(second) == experts[50:]


def test_matrix_pages_pseudonyms_in_the_order_shown(world, login):
    team = _populate(world.tenant.org, 60, 1)
    org = world.tenant.org
    org.settings = {**(org.settings or {}), "privacy": {"pseudonymise_peers": True}}
    with scopes_disabled():
        org.save(update_fields=["settings"])
        ids = list(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    shown = sorted(((pseudonym(org.pk, pk), pk) for pk in ids),
                   key=lambda item: (item[0].casefold(), item[1]))
    client = login(world.skill_admin)  # coaches none of them: every one is a pseudonym
    query = {"team": team.pk, "category": "Bulk"}
    first = client.get(world.tenant.url("skills/"), query)
    second = client.get(world.tenant.url("skills/"), {**query, "page": 2})
    assert _labels(first) + _labels(second) == [label for label, _ in shown]
    assert len(_labels(first)) == 50
    assert "Bulk 00" not in first.content.decode()


def test_matrix_cell_editor_goes_back_to_the_same_page(world, login):
    team = _populate(world.tenant.org, 60, 1)
    client = login(world.skill_admin)
    page = client.get(world.tenant.url("skills/"),
                      {"team": team.pk, "category": "Bulk", "page": 2}).content.decode()
    hrefs = re.findall(r'data-cell class="[^"]*" href="([^"]+)"', page)
    assert len(hrefs) == 10
    href = hrefs[0].replace("&amp;", "&")
    assert href.endswith(f"/?team={team.pk}&page=2")
    form = client.get(href)
    assert form.status_code == 200
    response = client.post(href, {"level": world.level("Expert").pk, "lower": "on"})
    assert response.status_code == 302
    assert response["Location"] == world.tenant.url(f"skills/?team={team.pk}&page=2")


@pytest.mark.parametrize("agents", [60, 180])
def test_matrix_queries_are_the_same_at_any_size_and_page(world, login, agents,
                                                          django_assert_num_queries):
    team = _populate(world.tenant.org, agents, 5)
    client = login(world.skill_admin)
    url = world.tenant.url(f"skills/?team={team.pk}&category=Bulk")
    client.get(url)
    for page, rows in ((1, 50), (2, 10 if agents == 60 else 50)):
        with django_assert_num_queries(15):
            response = client.get(f"{url}&page={page}")
        assert len(response.context["m"].rows) == rows
    with django_assert_num_queries(16):  # the level filter: who holds it, before paging
        response = client.get(f"{url}&level={world.level('Expert').pk}")
    assert len(response.context["m"].rows) == 50
