"""Overview figures, catalogue, levels, reviews, My skills and the upload: permission matrix,
exact effects and bad input."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from skills.enums import Source
from skills.models import Skill, SkillLevel, SkillReview, UserSkill
from skills.services import award_skill, request_skill_review
from work.models import WorkItem
from work.services import upsert_work_items


def status(login, client, user, url, method="get", data=None):
    response = getattr(login(user), method)(url, data or {})
    client.logout()
    return response.status_code


# (path under /o/<slug>/, method, allowed, denied role in the same tenant)
MATRIX = [
    ("skills/catalogue/", "get", "coach", "agent"),
    ("skills/catalogue/new/", "get", "skill_admin", "coach"),
    ("skills/catalogue/{skill}/", "get", "coach", "agent"),
    ("skills/catalogue/{skill}/edit/", "get", "skill_admin", "coach"),
    ("skills/levels/", "get", "skill_admin", "coach"),
    ("skills/levels/{level}/", "get", "skill_admin", "coach"),
    ("skills/import/", "get", "skill_admin", "coach"),
    ("skills/reviews/", "get", "coach", "skill_admin"),
    ("skills/people/{agent}/", "get", "coach", "agent"),
]


@pytest.mark.parametrize("path,method,allowed,denied", MATRIX)
def test_permission_matrix(world, login, client, path, method, allowed, denied):
    users = {"coach": world.coach, "agent": world.agent, "skill_admin": world.skill_admin}
    url = world.tenant.url(path.format(skill=world.firewall.pk, level=world.levels[0].pk,
                                       agent=world.agent.pk))
    assert status(login, client, users[allowed], url, method) == 200
    assert status(login, client, users[denied], url, method) == 403
    assert status(login, client, world.outsider, url, method) == 404
    # Tenant B's member on B's address with A's ids: not found either.
    other_url = world.other.url(path.format(skill=world.firewall.pk, level=world.levels[0].pk,
                                            agent=world.agent.pk))
    if "{" in path:
        assert status(login, client, world.outsider, other_url, method) == 404


def test_coach_cannot_open_skills_of_an_agent_outside_their_teams(world, login):
    assert login(world.coach2).get(world.tenant.url(f"skills/people/{world.agent.pk}/")) \
        .status_code == 404


def _work_item(org, n, opened, resolved):
    with scopes_disabled():
        return WorkItem.objects.create(organization=org, kind="incident", external_id=f"W{n}",
                                       opened_at=opened, resolved_at=resolved)


def test_overview_figures_on_known_data(world, login):
    now = timezone.now()
    with world.tenant.scope():
        for agent, level in ((world.agent, "Expert"), (world.agent2, "Novice"),
                             (world.agent3, "Expert")):
            award_skill(user=agent, skill=world.firewall, level=world.level(level),
                        source=Source.MANUAL)
        items = [
            _work_item(world.tenant.org, 1, now - timedelta(days=3), now - timedelta(days=2)),
            _work_item(world.tenant.org, 2, now - timedelta(days=5), now - timedelta(days=4,
                                                                                 hours=12)),
            _work_item(world.tenant.org, 3, now - timedelta(days=200), now - timedelta(days=199)),
            _work_item(world.tenant.org, 4, now - timedelta(hours=5), None),  # open
        ]
        # Through ingest, the one writer of requirements ("Advanced" is rank 3).
        upsert_work_items(organization=world.tenant.org, items=[
            {"external_id": item.external_id, "skills": [{"name": "firewall", "minimum_level": 3}]}
            for item in items
        ])
        _work_item(world.tenant.org, 5, now - timedelta(days=1), now)  # other skill: none
    response = login(world.coach).get(world.tenant.url(f"skills/catalogue/{world.firewall.pk}/"))
    o = response.context["o"]
    assert o.holder_count == 3
    assert o.work_item_count == 4
    assert [e.user.username for e in o.experts] == ["abe", "ann"]
    assert [(s.level.name, s.count, s.percent) for s in o.coverage] == [
        ("Novice", 1, 33.3), ("Intermediate", 0, 0.0), ("Advanced", 0, 0.0), ("Expert", 2, 66.7)]
    # Last 90 days: items 1 (24 h) and 2 (12 h) → mean 18 h.
    assert (o.mttr.mean, o.mttr.count) == (timedelta(hours=18), 2)
    assert [a.name for a in o.ancestors] == ["Networking"]
    html = response.content.decode()
    assert "18 h 0 min" in html
    assert "<svg" in html and "<path d=" in html
    response = login(world.coach).get(
        world.tenant.url(f"skills/catalogue/{world.firewall.pk}/?period=0"))
    mttr = response.context["o"].mttr
    # All time adds item 3 (24 h): (24 + 12 + 24) / 3 = 20 h.
    assert (mttr.mean, mttr.count, mttr.since) == (timedelta(hours=20), 3, None)


def test_overview_rolls_up_sub_skills_and_lists_holders_and_work_in_pages(
        world, login, django_assert_num_queries):
    now = timezone.now()

    def items(numbers):  # items requiring Firewall (a sub-skill of Networking)
        with world.tenant.scope():
            for n in numbers:
                _work_item(world.tenant.org, n, now - timedelta(days=2, minutes=n),
                           now - timedelta(days=1, minutes=n))
            upsert_work_items(organization=world.tenant.org, items=[
                {"external_id": f"W{n}", "skills": [{"name": "firewall"}]} for n in numbers])

    with world.tenant.scope():
        for agent, level in ((world.agent, "Novice"), (world.agent2, "Expert")):
            award_skill(user=agent, skill=world.networking, level=world.level(level),
                        source=Source.MANUAL)
    url = world.tenant.url(f"skills/catalogue/{world.networking.pk}/")
    client = login(world.coach)
    items(range(3))
    client.get(url)  # warm the session
    few = len(_queries(client, url + "?items=1"))
    items(range(3, 23))
    with django_assert_num_queries(few):  # 3 → 23 items: the same queries
        response = client.get(url + "?items=2")
    o = response.context["o"]
    assert (o.work_item_count, o.sub_skill_count, o.mttr.count) == (23, 2, 23)
    assert o.mttr.mean == timedelta(days=1)
    # newest first: page 2 holds the three oldest (opened 20, 21 and 22 minutes earlier)
    assert [i.external_id for i in o.items] == ["W20", "W21", "W22"]
    assert [(h.user.username, h.level.name) for h in o.holders] == [
        (world.agent2.username, "Expert"), (world.agent.username, "Novice")]
    html = response.content.decode()
    assert "or one of its 2 sub-skills" in html and "Page 2 of 2" in html
    assert 'href="?items=1#items"' in html


def test_overview_counts_each_work_item_once_and_only_its_tenants(world, login):
    now = timezone.now()
    with world.tenant.scope():
        for n in range(3):
            _work_item(world.tenant.org, n, now - timedelta(days=2), now - timedelta(days=1))
        _work_item(world.tenant.org, 3, now - timedelta(days=2), None)  # requires nothing
        upsert_work_items(organization=world.tenant.org, items=[
            {"external_id": "W0", "skills": [{"name": "networking"}, {"name": "firewall"}]},
            {"external_id": "W1", "skills": [{"name": "firewall"}, {"name": "router"}]},
            {"external_id": "W2", "skills": [{"name": "router"}]},
        ])
    with world.other.scope():  # the other tenant's item requiring its own "Firewall"
        _work_item(world.other.org, 0, now - timedelta(days=2), now - timedelta(days=1))
        upsert_work_items(organization=world.other.org, items=[
            {"external_id": "W0", "skills": [{"name": "firewall"}]}])
    client = login(world.coach)
    counts = {}
    for skill in (world.networking, world.firewall, world.router):
        o = client.get(world.tenant.url(f"skills/catalogue/{skill.pk}/")).context["o"]
        counts[skill.name] = (o.work_item_count, o.items.paginator.num_pages,
                              sorted(i.external_id for i in o.items))
    # Networking rolls up Firewall and Router: W0 and W1 require two of them, counted once.
    assert counts == {"Networking": (3, 1, ["W0", "W1", "W2"]),
                      "Firewall": (2, 1, ["W0", "W1"]), "Router": (2, 1, ["W1", "W2"])}
    assert login(world.outsider).get(
        world.tenant.url(f"skills/catalogue/{world.firewall.pk}/")).status_code == 404


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return captured.captured_queries


def test_overview_of_networking_shows_its_subtree(world, login):
    response = login(world.skill_admin).get(
        world.tenant.url(f"skills/catalogue/{world.networking.pk}/"))
    assert [n.skill.name for n in response.context["o"].subtree] == ["Firewall", "Router"]


def test_skill_admin_creates_a_skill_and_a_cycle_is_refused(world, login):
    client = login(world.skill_admin)
    response = client.post(world.tenant.url("skills/catalogue/new/"), {
        "name": "VPN", "category": "Infrastructure", "skill_type": "technical",
        "parent": world.networking.pk, "active": "on"})
    assert response.status_code == 302
    with world.tenant.scope():
        vpn = Skill.objects.get(name="VPN")
        assert vpn.parent == world.networking
    response = client.post(world.tenant.url(f"skills/catalogue/{world.networking.pk}/edit/"), {
        "name": "Networking", "skill_type": "technical", "parent": vpn.pk, "active": "on"})
    assert response.status_code == 200
    assert "would make a cycle" in response.content.decode()
    response = client.post(world.tenant.url("skills/catalogue/new/"), {
        "name": "vpn", "skill_type": "technical"})
    assert "A skill named “vpn” already exists." in response.content.decode()
    response = client.post(world.tenant.url("skills/catalogue/new/"), {
        "name": "Other", "skill_type": "technical", "parent": world.other_skill.pk})
    assert "Select a valid choice" in response.content.decode()
    with world.tenant.scope():
        world.networking.refresh_from_db()
        assert world.networking.parent is None
        assert Skill.objects.count() == 5


def test_levels_page_adds_and_moves(world, login):
    client = login(world.skill_admin)
    assert client.post(world.tenant.url("skills/levels/"), {"new-name": "Master"}) \
        .status_code == 302
    with world.tenant.scope():
        master = SkillLevel.objects.get(name="Master")
    client.post(world.tenant.url(f"skills/levels/{master.pk}/move/down/"))
    with world.tenant.scope():
        assert list(SkillLevel.objects.order_by("rank").values_list("name", flat=True)) == [
            "Novice", "Intermediate", "Advanced", "Master", "Expert"]
    assert login(world.coach).post(world.tenant.url(f"skills/levels/{master.pk}/delete/")) \
        .status_code == 403


def test_agent_requests_a_review_and_the_coach_approves_in_the_browserless_flow(
    world, login, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.agent).post(world.tenant.url("skills/me/"), {
            "skill": world.empathy.pk, "level": world.level("Advanced").pk,
            "justification": "Handled three escalations"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    with world.tenant.scope():
        review = SkillReview.objects.get()
    client.logout()
    # Another team's coach: not theirs to see.
    assert login(world.coach2).get(world.tenant.url(f"skills/reviews/{review.pk}/")) \
        .status_code == 404
    assert client.post(world.tenant.url(f"skills/reviews/{review.pk}/approve/")).status_code \
        == 404
    client.logout()
    coach = login(world.coach)
    assert [r.pk for r in coach.get(world.tenant.url("skills/reviews/")).context["reviews"]] \
        == [review.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = coach.post(world.tenant.url(f"skills/reviews/{review.pk}/approve/"),
                              {"comment": "Agreed"})
    assert response.status_code == 302
    with world.tenant.scope():
        assert UserSkill.objects.get(user=world.agent).level.name == "Advanced"
    assert mail.outbox[-1].to == ["abe@example.com"]
    client.logout()
    page = login(world.agent).get(world.tenant.url("skills/me/")).content.decode()
    assert "Self-review #" in page
    assert "Approved" in page


def test_agent_cannot_decide_their_own_review_and_reject_needs_comment(world, login, client):
    with world.tenant.scope():
        review = request_skill_review(user=world.agent, skill=world.router,
                                      level=world.levels[0], justification="x",
                                      requested_by=world.agent)
    assert login(world.agent).post(
        world.tenant.url(f"skills/reviews/{review.pk}/approve/")).status_code == 403
    client.logout()
    response = login(world.coach).post(world.tenant.url(f"skills/reviews/{review.pk}/reject/"),
                                       {"comment": ""})
    assert response.status_code == 400
    assert "a rejection needs a comment" in response.content.decode()
    with world.tenant.scope():
        review.refresh_from_db()
        assert review.state == "requested"


def test_only_agents_send_review_requests(world, login):
    response = login(world.skill_admin).post(world.tenant.url("skills/me/"), {
        "skill": world.empathy.pk, "level": world.levels[0].pk, "justification": "x"})
    assert response.status_code == 404
    with world.tenant.scope():
        assert not SkillReview.objects.exists()


def test_upload_imports_atomically_with_errors_by_line(world, login):
    client = login(world.skill_admin)
    bad = "user,skill,level\nabe,Firewall,Advanced\nzed,Firewall,Novice\namy,Nope,Novice\n"
    response = client.post(world.tenant.url("skills/import/"), {
        "file": SimpleUploadedFile("s.csv", bad.encode()), "dry_run": ""})
    assert response.context["report"].errors == [
        (3, "No member of Alpha has the username or e-mail “zed”."),
        (4, "No skill is named “Nope” (use --create-missing, or “Create unknown skills”, to "
            "add it)."),
    ]
    with world.tenant.scope():
        assert not UserSkill.objects.exists()
    good = ("user,skill,level,parent,category\nabe,Firewall,Advanced,,\n"
            "amy@example.com,IPv6,,Networking,Infrastructure\n")
    response = client.post(world.tenant.url("skills/import/"), {
        "file": SimpleUploadedFile("s.csv", good.encode()), "create_missing": "on"})
    assert response.context["report"].summary() == (
        "Imported 2 lines: 2 skills added, 0 raised, 0 already held at that level, 0 kept at "
        "a higher level; new skills: IPv6.")
    with world.tenant.scope():
        assert sorted(UserSkill.objects.values_list("user__username", "skill__name",
                                                    "level__name", "source")) == [
            ("abe", "Firewall", "Advanced", "import"), ("amy", "IPv6", "Novice", "import")]
        assert Skill.objects.get(name="IPv6").parent == world.networking
