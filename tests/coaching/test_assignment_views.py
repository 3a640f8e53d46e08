"""The Marked for coaching workspace, the assignments pages and the agent's pages: the
permission matrix, bad input, the agent never seeing a group, constant query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingAssignment, CoachingGroup, CoachingMark
from coaching.services.assignments import create_assignment_from_evaluation, dispatch_group
from coaching.services.marks import (
    add_agents_to_group,
    create_group,
    mark_for_coaching,
)
from quality.models import Evaluation
from quality.services.audits import release_due_audits

from .assignment_fixtures import aw_fixture, follow_up  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(aw):
    """alice and bob marked and dispatched as group "Empathy refresher" (assignments named
    "Empathy coaching"); alice also has an individual assignment; dora waits marked; an
    empty pending group "Closing"."""
    e1, e2, e3, e4 = aw.audit(aw.agent), aw.audit(aw.agent2), aw.audit(aw.agent), \
        aw.audit(aw.agent3)
    with aw.tenant.scope():
        mark_for_coaching(evaluation=e1, area_keys=["empathy"], marked_by=aw.qa)
        mark_for_coaching(evaluation=e2, area_keys=["empathy"], marked_by=aw.qa)
        mark_for_coaching(evaluation=e4, area_keys=["greeting", "etiquette", "empathy"],
                          marked_by=aw.qa)
        group = create_group(organization=aw.tenant.org, name="Empathy refresher",
                             area_keys=["empathy"], created_by=aw.qa)
        add_agents_to_group(group=group, agents=[aw.agent, aw.agent2], actor=aw.qa)
        sent = dispatch_group(group_id=group.pk, actor=aw.qa, follow_up_date=follow_up(),
                              name="Empathy coaching")
        single = create_assignment_from_evaluation(
            evaluation=e3, assigner=aw.coach, name="Greeting basics", area_keys=["greeting"],
            follow_up_date=follow_up())
        empty = create_group(organization=aw.tenant.org, name="Closing", created_by=aw.qa)
    return {"group": group, "sent": sent, "single": single, "empty": empty, "e1": e1,
            "e4": e4, "alice_group": next(a for a in sent if a.agent_id == aw.agent.pk)}


def _client(client, user):
    client.force_login(user)
    return client


def _urls(aw, flow):
    t = aw.tenant.url
    return {
        "marked": t("coaching/marked/"),
        "marked_groups": t("coaching/marked/?tab=groups"),
        "mark": t(f"coaching/marked/evaluations/{flow['e4'].pk}/mark/"),
        "group_create": t("coaching/marked/groups/new/"),
        "name_check": t("coaching/marked/groups/check-name/?name=closing"),
        "dispatch": t(f"coaching/marked/groups/{flow['empty'].pk}/dispatch/"),
        "assign_marks": t(f"coaching/marked/agents/{aw.agent3.pk}/assign/"),
        "from_evaluation": t(f"coaching/assignments/new/evaluations/{flow['e1'].pk}/"),
        "list": t("coaching/assignments/"),
        "group_agents": t(f"coaching/assignments/groups/{flow['group'].pk}/"),
        "agents": t(f"coaching/assignments/{flow['single'].pk}/agents/"),
        "detail": t(f"coaching/assignments/{flow['single'].pk}/"),
    }


SUPERVISOR_PAGES = ["marked", "marked_groups", "mark", "group_create", "name_check",
                    "dispatch", "assign_marks", "from_evaluation", "list", "group_agents",
                    "agents", "detail"]


@pytest.mark.parametrize("page", SUPERVISOR_PAGES)
def test_supervisor_pages_matrix(client, aw, flow, page):
    url = _urls(aw, flow)[page]
    assert _client(client, aw.qa).get(url).status_code == 200
    assert _client(client, aw.agent).get(url).status_code == 403
    assert _client(client, aw.outsider).get(url).status_code == 404


def test_a_coach_reaches_only_their_teams_agents(client, aw, flow):
    urls = _urls(aw, flow)
    c = _client(client, aw.coach)
    assert c.get(urls["detail"]).status_code == 200  # alice, of carl's team
    assert c.get(urls["mark"]).status_code == 404  # dora's evaluation, another team
    assert c.get(urls["assign_marks"]).status_code == 404  # dora
    c = _client(client, aw.coach2)
    assert c.get(urls["detail"]).status_code == 404


def test_the_agent_sees_one_list_row_per_assignment_and_never_the_group(client, aw, flow):
    c = _client(client, aw.agent)
    listing = c.get(aw.tenant.url("coaching/me/assignments/")).content.decode()
    detail = c.get(aw.tenant.url(f"coaching/me/assignments/{flow['alice_group'].pk}/"))
    body = detail.content.decode()
    assert listing.count("Empathy coaching") == 1
    assert listing.count("Start coaching") == 2
    assert detail.status_code == 200
    for page in (listing, body):
        assert "Empathy refresher" not in page and "Group" not in page
    assert "No best response examples for these areas yet." in body


def test_an_agent_opening_someone_elses_assignment_gets_404(client, aw, flow):
    bobs = next(a for a in flow["sent"] if a.agent_id == aw.agent2.pk)
    c = _client(client, aw.agent)
    assert c.get(aw.tenant.url(f"coaching/me/assignments/{bobs.pk}/")).status_code == 404
    with scopes_disabled():
        link_id = bobs.interaction_links.get().pk
    url = aw.tenant.url(f"coaching/me/assignments/{bobs.pk}/review/interaction/{link_id}/")
    assert c.post(url).status_code == 404
    assert _client(client, aw.outsider).get(
        aw.tenant.url("coaching/me/assignments/")).status_code == 404


def test_reviewing_moves_the_status_and_supervisors_see_it(client, aw, flow):
    single = flow["single"]
    with scopes_disabled():
        link_id = single.interaction_links.get().pk
    c = _client(client, aw.agent)
    response = c.post(aw.tenant.url(
        f"coaching/me/assignments/{single.pk}/review/interaction/{link_id}/"))
    assert response.status_code == 302
    with scopes_disabled():
        single.refresh_from_db()
    assert single.status == "completed"
    page = _client(client, aw.qa).get(aw.tenant.url(f"coaching/assignments/{single.pk}/"))
    assert "Completed" in page.content.decode()


def test_marking_twice_in_the_dialog_names_the_area_and_writes_nothing(client, aw, flow):
    c = _client(client, aw.qa)
    response = c.post(_urls(aw, flow)["mark"], {"areas": ["empathy"]})
    assert response.status_code == 400
    assert ("You already marked Dora for coaching in “Empathy”; remove that mark before "
            "marking again.") in response.content.decode()
    with scopes_disabled():
        assert CoachingMark.objects.filter(agent=aw.agent3).count() == 3


def test_a_follow_up_before_the_assigned_date_is_refused(client, aw, flow):
    c = _client(client, aw.qa)
    yesterday = timezone.localdate() - timedelta(days=1)
    with scopes_disabled():
        before = CoachingAssignment.objects.count()
    response = c.post(_urls(aw, flow)["assign_marks"], {
        "name": "Closing", "areas": ["greeting"], "follow_up_date": yesterday.isoformat()})
    assert response.status_code == 400
    today = timezone.localdate()
    assert (f"The follow-up date ({yesterday:%d %b %Y}) is before the assigned date "
            f"({today:%d %b %Y}); choose that day or a later one.") in response.content.decode()
    with scopes_disabled():
        assert CoachingAssignment.objects.count() == before


def test_duplicate_group_name_live_check_and_on_save(client, aw, flow):
    c = _client(client, aw.qa)
    check = c.get(aw.tenant.url("coaching/marked/groups/check-name/?name=CLOSING"),
                  headers={"HX-Request": "true"})
    assert "A group named “CLOSING” is waiting to be sent; choose another name." in \
        check.content.decode()
    free = c.get(aw.tenant.url("coaching/marked/groups/check-name/?name=Empathy refresher"))
    assert "“Empathy refresher” is available." in free.content.decode()  # that one was sent
    response = c.post(_urls(aw, flow)["group_create"], {"name": "closing"})
    assert response.status_code == 400
    with scopes_disabled():
        assert CoachingGroup.objects.filter(name__iexact="closing").count() == 1


def test_an_empty_group_shows_assign_coaching_disabled_and_refuses_dispatch(client, aw, flow):
    c = _client(client, aw.qa)
    page = c.get(_urls(aw, flow)["marked_groups"]).content.decode()
    assert "disabled aria-describedby" in page
    assert "No conversations yet: add marked agents first." in page
    response = c.post(_urls(aw, flow)["dispatch"], {
        "name": "X", "follow_up_date": follow_up().isoformat()})
    assert response.status_code == 400
    assert ("“Closing” has no marked conversations; add agents with marks before assigning "
            "coaching.") in response.content.decode()


def test_list_filters_and_group_rows(client, aw, flow):
    c = _client(client, aw.qa)
    base = aw.tenant.url("coaching/assignments/")
    everything = c.get(base).content.decode()
    assert "Group · 2 agents" in everything and "Greeting basics" in everything
    groups = c.get(base + "?origin=group").content.decode()
    assert "Empathy refresher" in groups and "Greeting basics" not in groups
    by_area = c.get(base + "?area=greeting").content.decode()
    assert "Greeting basics" in by_area and "Empathy refresher" not in by_area
    started = c.get(base + "?status=in_progress").content.decode()
    assert "No coaching assignments match." in started
    assert '<div class="fs-3" data-testid="agents-in-coaching">2</div>' in everything


def test_the_list_costs_the_same_queries_with_more_rows(client, aw, flow):
    c = _client(client, aw.qa)
    url = aw.tenant.url("coaching/assignments/")
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        c.get(url)
    for agent in (aw.agent2, aw.agent3):
        evaluation = aw.audit(agent)
        with aw.tenant.scope():
            create_assignment_from_evaluation(
                evaluation=evaluation, assigner=aw.qa, name=f"More {agent}",
                area_keys=["empathy", "greeting", "etiquette"], follow_up_date=follow_up())
    with CaptureQueriesContext(connection) as large:
        response = c.get(url)
    assert "+1" in response.content.decode()  # three areas: two tags and "+1"
    assert len(large) == len(small)


def test_agents_in_coaching_counts_each_agent_once(aw, flow):
    from coaching.selectors_assignments import agents_in_coaching

    with aw.tenant.scope():
        counts = agents_in_coaching(aw.tenant.org, aw.qa)
    # alice: one from the group and one individual; bob: one from the group.
    assert counts == {"agents": 2, "open": 2}


def test_the_evaluation_actions_render_for_qa_and_not_for_agents(rf, aw, flow):
    from quality.extensions import evaluation_actions_html

    request = rf.get("/")
    request.organization = aw.tenant.org
    with aw.tenant.scope():
        request.user = aw.qa
        html = evaluation_actions_html(request, flow["e1"])
        request.user = aw.agent
        none = evaluation_actions_html(request, flow["e1"])
    assert len(html) == 1 and "Mark for coaching" in html[0]
    assert f"/o/acme/coaching/marked/evaluations/{flow['e1'].pk}/mark/" in html[0]
    assert none == []


def test_agents_in_coaching_counts_an_agent_of_two_groups_and_one_individual_once(rf, aw):
    """The QA dashboard card: alice in two dispatched groups and one individual assignment,
    bob in one group: two agents; once bob completes, one of them is not completed."""
    from quality.extensions import dashboard_cards_for

    with aw.tenant.scope():
        for name in ("Empathy refresher", "Empathy again"):
            for agent in (aw.agent, aw.agent2) if name == "Empathy refresher" else (aw.agent,):
                mark_for_coaching(evaluation=aw.audit(agent), area_keys=["empathy"],
                                  marked_by=aw.qa)
            group = create_group(organization=aw.tenant.org, name=name,
                                 area_keys=["empathy"], created_by=aw.qa)
            add_agents_to_group(group=group, agents=[aw.agent] if name == "Empathy again"
                                else [aw.agent, aw.agent2], actor=aw.qa)
            dispatch_group(group_id=group.pk, actor=aw.qa, follow_up_date=follow_up(),
                           name=name)
        create_assignment_from_evaluation(
            evaluation=aw.audit(aw.agent), assigner=aw.qa, name="Greeting basics",
            area_keys=["greeting"], follow_up_date=follow_up())
        per_agent = sorted(CoachingAssignment.objects.values_list("agent__username", "name"))
        request = rf.get("/")
        request.organization, request.user = aw.tenant.org, aw.qa
        card = next(c for c in dashboard_cards_for(request) if c["title"] == "Agents in coaching")
        bobs = CoachingAssignment.objects.get(agent=aw.agent2)
        from coaching.services.assignments import review_item

        review_item(assignment_id=bobs.pk, kind="interaction",
                    link_id=bobs.interaction_links.get().pk, agent=aw.agent2)
        after = next(c for c in dashboard_cards_for(request)
                     if c["title"] == "Agents in coaching")
        request.user = aw.agent
        agent_cards = [c["title"] for c in dashboard_cards_for(request)]
    assert per_agent == [("alice", "Empathy again"), ("alice", "Empathy refresher"),
                         ("alice", "Greeting basics"), ("bob", "Empathy refresher")]
    assert (card["value"], card["caption"]) == (2, "2 not completed yet")
    assert card["url"] == "/o/acme/coaching/assignments/"
    assert (after["value"], after["caption"]) == (2, "1 not completed yet")
    assert "Agents in coaching" not in agent_cards


def test_adding_an_agent_returns_to_individuals_while_others_wait(client, aw):
    with aw.tenant.scope():
        for agent in (aw.agent, aw.agent2):
            mark_for_coaching(evaluation=aw.audit(agent), area_keys=["empathy", "greeting"],
                              marked_by=aw.qa)
        group = create_group(organization=aw.tenant.org, name="Warm openings",
                             created_by=aw.qa)
    c = _client(client, aw.qa)
    url = aw.tenant.url("coaching/marked/groups/agents/")
    first = c.post(url, {"group": group.pk, "agents": [aw.agent.pk]})
    assert first.headers["Location"] == "/o/acme/coaching/marked/?tab=individuals"
    second = c.post(url, {"group": group.pk, "agents": [aw.agent2.pk]})
    assert second.headers["Location"] == "/o/acme/coaching/marked/?tab=groups"
    page = c.get(aw.tenant.url("coaching/marked/?tab=groups")).content.decode()
    # No shared areas chosen: the group shows the areas its agents were marked for.
    assert ('<span class="badge text-bg-light border me-1">Empathy</span>'
            '<span class="badge text-bg-light border me-1">Greeting</span>') in page


def test_the_workspace_costs_the_same_queries_with_more_groups_and_agents(client, aw):
    c = _client(client, aw.qa)

    def queries():
        counts = []
        for tab in ("individuals", "groups"):
            with CaptureQueriesContext(connection) as captured:
                assert c.get(aw.tenant.url(f"coaching/marked/?tab={tab}")).status_code == 200
            counts.append(len(captured))
        return counts

    def grouped(agent, area, name):
        mark_for_coaching(evaluation=aw.audit(agent), area_keys=[area], marked_by=aw.qa)
        group = create_group(organization=aw.tenant.org, name=name, created_by=aw.qa)
        add_agents_to_group(group=group, agents=[agent], actor=aw.qa)

    with aw.tenant.scope():
        grouped(aw.agent, "empathy", "Group 1")
        mark_for_coaching(evaluation=aw.audit(aw.agent2), area_keys=["empathy"],
                          marked_by=aw.qa)
    queries()  # the first request of a session costs more (session, membership caches)
    small = queries()
    with aw.tenant.scope():
        grouped(aw.agent, "greeting", "Group 2")
        mark_for_coaching(evaluation=aw.audit(aw.agent3), area_keys=["empathy", "greeting"],
                          marked_by=aw.qa)
    assert queries() == small


def test_the_read_only_evaluation_page_for_the_agent_and_the_supervisor(client, aw, flow):
    """Level 3 of the drill-down, and the agent's "open the evaluation": transcript,
    results, the coaching feedback; the history for supervisors only; nothing to edit."""
    alice = flow["alice_group"]
    with scopes_disabled():
        CoachingAssignment.objects.filter(pk=alice.pk).update(
            strengths="Warm greeting", improvements="Name the next step")
        evaluation_id = alice.interaction_links.get().evaluation_id
    url = aw.tenant.url(f"coaching/assignments/{alice.pk}/evaluations/{evaluation_id}/")
    detail_url = aw.tenant.url(f"coaching/me/assignments/{alice.pk}/")
    # A submitted audit not yet released: no link and no audit score for the agent, the
    # page itself 404s; the supervisor has both.
    waiting = _client(client, aw.agent).get(detail_url).content.decode()
    assert f'href="{url}"' not in waiting and ">100<" not in waiting
    assert _client(client, aw.agent).get(url).status_code == 404
    assert f'href="{url}"' in _client(client, aw.qa).get(
        aw.tenant.url(f"coaching/assignments/{alice.pk}/")).content.decode()
    with scopes_disabled():
        Evaluation.objects.filter(pk=evaluation_id).update(
            release_at=timezone.now() - timedelta(minutes=1))
        assert release_due_audits(organization=aw.tenant.org) == 1
    detail = _client(client, aw.agent).get(detail_url)
    assert f'href="{url}"' in detail.content.decode()
    mine = _client(client, aw.agent).get(url)
    body = mine.content.decode()
    assert mine.status_code == 200
    assert "<strong>Agent:</strong> Hello, how can I help?" in body
    assert "<strong>Customer:</strong> My bill is wrong" in body
    assert "Warm greeting" in body and "Name the next step" in body
    assert "<h2 class=\"h5\">History</h2>" not in body
    assert 'method="post"' not in body.split("Results", 1)[1]  # read-only
    assert "Empathy refresher" not in body and "Group" not in body
    supervisor = _client(client, aw.qa).get(url).content.decode()
    assert "<h2 class=\"h5\">History</h2>" in supervisor
    other = aw.tenant.url(f"coaching/assignments/{alice.pk}/evaluations/{flow['e4'].pk}/")
    assert _client(client, aw.qa).get(other).status_code == 404  # not in this assignment
    assert _client(client, aw.agent2).get(url).status_code == 404  # bob: not his
    assert _client(client, aw.outsider).get(url).status_code == 404


def test_the_follow_up_reminder_is_sent_once_without_the_group(
        aw, flow, django_capture_on_commit_callbacks):
    from django.core import mail

    from coaching.services.assignments import send_follow_up_reminders

    today = timezone.localdate()
    with scopes_disabled():
        CoachingAssignment.objects.filter(pk=flow["alice_group"].pk).update(
            follow_up_date=today + timedelta(days=1))
        CoachingAssignment.objects.filter(pk=flow["single"].pk).update(
            follow_up_date=today + timedelta(days=2))
    mail.outbox.clear()
    with aw.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        first = send_follow_up_reminders(organization=aw.tenant.org, today=today)
        again = send_follow_up_reminders(organization=aw.tenant.org, today=today)
    assert (first, again) == (1, 0)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["alice@example.com"],
         f"Coaching follow-up on {today + timedelta(days=1):%d %b %Y}: Empathy coaching")]
    body = mail.outbox[0].body
    assert f"/o/acme/coaching/me/assignments/{flow['alice_group'].pk}/" in body
    assert "refresher" not in body and "group" not in body.lower()


def test_the_agent_opens_a_best_response_example_read_only(client, aw):
    best = aw.best_response(aw.agent3)  # dora's bookmarked Empathy conversation
    with aw.tenant.scope():
        assignment = create_assignment_from_evaluation(
            evaluation=aw.audit(aw.agent), assigner=aw.qa, name="Empathy basics",
            area_keys=["empathy"], follow_up_date=follow_up())
        link = assignment.example_links.get()
    assert link.best_response_id == best.pk
    url = aw.tenant.url(f"coaching/assignments/{assignment.pk}/examples/{link.pk}/")
    c = _client(client, aw.agent)
    detail = c.get(aw.tenant.url(f"coaching/me/assignments/{assignment.pk}/")).content.decode()
    assert f'<a href="{url}">Open {best.interaction.label}</a>' in detail
    page = c.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert f"<h1>Best response: {best.interaction.label}</h1>" in body
    assert "<strong>Agent:</strong> Hello, how can I help?" in body
    assert f'href="/o/acme/coaching/me/assignments/{assignment.pk}/"' in body
    assert _client(client, aw.qa).get(url).status_code == 200
    assert _client(client, aw.agent2).get(url).status_code == 404
    assert _client(client, aw.outsider).get(url).status_code == 404
    assert _client(client, aw.agent).get(
        aw.tenant.url(f"coaching/assignments/{assignment.pk}/examples/{link.pk + 99}/")
    ).status_code == 404


def test_the_quality_leaderboard_shows_agents_in_coaching(client, aw, flow):
    client.force_login(aw.qa)
    response = client.get("/o/acme/quality/leaderboard/")
    assert response.status_code == 200
    cards = {card["title"]: card for card in response.context["cards"]}
    assert cards["Agents in coaching"]["value"] == 2
    assert b"Agents in coaching" in response.content
