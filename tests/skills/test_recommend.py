"""Skill recommendations: the threshold rule, predictions from similar tagged work, the
lifecycle, notifications, incremental vs full rebuild, tenant isolation."""

import json

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django_scopes import scopes_disabled

from skills.enums import RecommendationState, Source
from skills.models import (
    RecommenderIndex,
    SkillChange,
    SkillRecommendation,
    UserSkill,
    WorkItemPrediction,
)
from skills.services import (
    SkillError,
    approve_recommendation,
    award_skill,
    rebuild_recommendations,
    reject_recommendation,
    reopen_recommendation,
)
from tenancy.models import Membership
from work.models import WorkEvent, WorkItem
from work.services import process_work_events, upsert_work_items

# The coaches' e-mail is sent by a task enqueued after commit: run it here, as eagerly as
# without a broker, so the tests see it in the outbox.
pytestmark = pytest.mark.usefixtures("tasks_in_process")

FIREWALL_TEXTS = [
    "Firewall rule change to open port {n} on the perimeter firewall",
    "Blocked traffic on firewall policy for vendor VPN, port {n}",
    "Add firewall exception for application server {n}",
]
PRINTER_TEXT = "Printer on floor {n} jams and shows paper tray error"


def items(tenant, agent, count, *, prefix, skills=(), text=FIREWALL_TEXTS[0], state="resolved"):
    rows = [{
        "external_id": f"{prefix}-{n}", "kind": "incident", "state": state,
        "short_description": text.format(n=n), "resolved_by": agent.username,
        "skills": list(skills),
    } for n in range(count)]
    with tenant.scope():
        upsert_work_items(organization=tenant.org, items=rows)
    return rows


def rebuild(tenant, **kwargs):
    with tenant.scope():
        return rebuild_recommendations(organization=tenant.org, **kwargs)


def recs(tenant):
    with tenant.scope():
        return [(r.user.username, r.skill.name, r.count, r.threshold, r.state)
                for r in SkillRecommendation.objects.select_related("user", "skill")
                .order_by("user__username", "skill__name")]


def test_threshold_is_exact_and_one_recommendation_per_agent_and_skill(
        world, django_capture_on_commit_callbacks):
    items(world.tenant, world.agent, 9, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    assert recs(world.tenant) == []
    assert mail.outbox == []
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    with django_capture_on_commit_callbacks(execute=True):
        rebuild(world.tenant)
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "pending")]
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get()
        assert rec.evidence_ids == [f"FW-{n}" for n in sorted(range(10), key=str)]
        assert rec.score == 1.0
    items(world.tenant, world.agent, 12, prefix="FW", skills=["Firewall"])
    with django_capture_on_commit_callbacks(execute=True):
        rebuild(world.tenant)
        rebuild(world.tenant)
    assert recs(world.tenant) == [("abe", "Firewall", 12, 10, "pending")]
    # Only the coaches of abe's team (carl, cora), once, with an absolute link.
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["carl@example.com", "cora@example.com"]
    assert f"{settings.SITE_URL}/o/alpha/skills/recommendations/{rec.pk}/" in mail.outbox[0].body


def test_skill_threshold_overrides_the_tenant_default(world):
    with world.tenant.scope():
        world.tenant.org.settings = {"recommender": {"threshold": 4}}
        world.tenant.org.save()
        world.empathy.recommendation_threshold = 2
        world.empathy.save()
    items(world.tenant, world.agent, 3, prefix="FW", skills=["Firewall"])
    items(world.tenant, world.agent2, 2, prefix="EM", skills=["Empathy"],
          text="Calmed an upset caller {n}")
    rebuild(world.tenant)
    assert recs(world.tenant) == [("amy", "Empathy", 2, 2, "pending")]
    items(world.tenant, world.agent, 4, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    assert recs(world.tenant)[0] == ("abe", "Firewall", 4, 4, "pending")
    rebuild(world.tenant, threshold=20)  # a run-time threshold never removes a pending one
    assert len(recs(world.tenant)) == 2


def test_held_skills_and_unresolved_items_do_not_count(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.levels[0],
                    source=Source.MANUAL)
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    items(world.tenant, world.agent2, 10, prefix="OP", skills=["Firewall"], state="in_progress")
    rebuild(world.tenant)
    assert recs(world.tenant) == []


def test_approval_awards_the_lowest_level_from_the_recommendation(world):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get()
        approve_recommendation(recommendation=rec, decided_by=world.coach, comment="Agreed")
        held = UserSkill.objects.get(user=world.agent, skill=world.firewall)
        assert (held.level.name, held.source) == ("Novice", "recommendation")
        change = SkillChange.objects.get(user=world.agent)
        assert (change.cause_type, change.cause_id, change.actor) == (
            "skillrecommendation", rec.pk, world.coach)
        rec.refresh_from_db()
        assert (rec.state, rec.decided_by) == ("approved", world.coach)
        assert list(rec.activity.values_list("verb", flat=True)) == ["created", "approved"]
        with pytest.raises(SkillError, match="already approved"):
            approve_recommendation(recommendation=rec, decided_by=world.coach)


def test_only_the_agents_coaches_or_an_org_admin_decide(world):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get()
        for wrong in (world.coach2, world.agent, world.skill_admin):
            with pytest.raises(SkillError):
                approve_recommendation(recommendation=rec, decided_by=wrong)
        approve_recommendation(recommendation=rec, decided_by=world.admin)


def test_rejected_is_never_recommended_again_until_an_admin_reopens_it(world):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get()
        reject_recommendation(recommendation=rec, decided_by=world.co_coach, comment="No")
    items(world.tenant, world.agent, 30, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "rejected")]
    with world.tenant.scope():
        with pytest.raises(SkillError, match="Only an org admin"):
            reopen_recommendation(recommendation=rec, reopened_by=world.coach, reason="Why not")
        with pytest.raises(SkillError, match="Say why"):
            reopen_recommendation(recommendation=rec, reopened_by=world.admin, reason=" ")
        reopen_recommendation(recommendation=rec, reopened_by=world.admin,
                              reason="He moved to the network team.")
        assert list(rec.activity.values_list("verb", "note")) == [
            ("created", "10 resolved items against a threshold of 10."),
            ("rejected", "No"), ("reopened", "He moved to the network team.")]
    rebuild(world.tenant)
    assert recs(world.tenant) == [("abe", "Firewall", 30, 10, "pending")]


def test_holding_the_skill_by_another_path_supersedes(world):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.levels[2],
                    source=Source.ASSESSMENT)
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "superseded")]
    rebuild(world.tenant)
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "superseded")]


def _history(tenant, coach_agent):
    """Ten tagged firewall items and ten tagged printer items resolved by someone else."""
    for i, text in enumerate(FIREWALL_TEXTS):
        items(tenant, coach_agent, 4, prefix=f"T{i}", skills=["Firewall"], text=text)
    items(tenant, coach_agent, 10, prefix="TP", skills=["Empathy"], text=PRINTER_TEXT)


def test_untagged_items_get_skills_from_similar_tagged_ones(world, client):
    _history(world.tenant, world.agent2)
    items(world.tenant, world.agent, 10, prefix="U", text=FIREWALL_TEXTS[1])
    items(world.tenant, world.agent, 1, prefix="EMPTY", text="")
    rebuild(world.tenant)
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "pending"),
                                  ("amy", "Empathy", 10, 10, "pending"),
                                  ("amy", "Firewall", 12, 10, "pending")]
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get(user=world.agent)
        first = rec.evidence[0]
        assert first["tagged"] is False and 0.5 <= first["score"] <= 1
        # Real cosine similarities of the neighbours that needed the skill, at least the
        # default similarity threshold (0.1).
        assert first["neighbours"] and all(0.1 <= n[1] <= 1 for n in first["neighbours"])
        assert not WorkItemPrediction.objects.filter(work_item__external_id="EMPTY-0").exists()
        assert not WorkItemPrediction.objects.filter(work_item__external_id="T0-0").exists()
    from tests.skills.test_api import token_for

    client.force_login(world.coach)
    page = client.get(world.tenant.url(f"skills/recommendations/{rec.pk}/")).content.decode()
    assert "0 tagged with the skill, 10 predicted" in page
    assert "Every item here is tagged" not in page
    # Each predicted item: its probability of the skill and its neighbours' real
    # similarities; the confidence and the counting floor in words.
    assert "<th scope=\"col\">Probability of the skill</th>" in page
    assert f"<td>{first['score']:.2f}</td>" in page
    neighbour, similarity = first["neighbours"][0]
    with world.tenant.scope():
        shown = WorkItem.objects.get(pk=neighbour).external_id
    assert f">{shown}</a>: {similarity:.2f}</li>" in page
    assert "only when that probability is at least 0.30" in page
    assert "the cosine of their word-and-field vectors" in page
    client.logout()
    body = client.get("/api/v1/work-items/U-3", headers=token_for(world.tenant)).json()
    assert [p["skill"] for p in body["predicted_skills"]] == ["Firewall"]
    assert body["skills"] == []
    body = client.get("/api/v1/work-items/T1-0", headers=token_for(world.tenant)).json()
    assert (body["predicted_skills"], body["skills"]) == (
        [], [{"name": "Firewall", "minimum_level": None}])


def test_empty_text_everywhere_does_not_crash(world):
    items(world.tenant, world.agent, 10, prefix="E", skills=["Firewall"], text="")
    items(world.tenant, world.agent2, 3, prefix="F", text="")
    report = rebuild(world.tenant)
    assert (report.resolved, report.tagged, report.predicted) == (13, 10, 0)
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "pending")]


def _snapshot(tenant):
    with tenant.scope():
        return sorted(
            (r.user.username, r.skill.name, r.count, r.state,
             [(e["external_id"], e["tagged"]) for e in r.evidence])
            for r in SkillRecommendation.objects.select_related("user", "skill"))


def test_incremental_updates_equal_a_full_rebuild(world, django_capture_on_commit_callbacks):
    _history(world.tenant, world.agent2)
    rebuild(world.tenant)
    with world.tenant.scope():
        WorkEvent.objects.update(processed_at="2020-01-01T00:00:00Z")
    mail.outbox.clear()
    items(world.tenant, world.agent, 6, prefix="U", text=FIREWALL_TEXTS[2])
    items(world.tenant, world.agent, 4, prefix="G", skills=["Firewall"], text="Change {n}")
    items(world.tenant, world.agent3, 9, prefix="H", text=FIREWALL_TEXTS[0])
    with world.tenant.scope():
        pending = list(WorkEvent.objects.filter(processed_at__isnull=True)
                       .values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            process_work_events(organization=world.tenant.org, event_ids=pending)
    incremental = _snapshot(world.tenant)
    assert [(u, s, c) for u, s, c, *_ in incremental] == [
        ("abe", "Firewall", 10), ("amy", "Empathy", 10), ("amy", "Firewall", 12)]
    assert [sorted(m.to) for m in mail.outbox] == [["carl@example.com", "cora@example.com"]]
    rebuild(world.tenant)
    assert _snapshot(world.tenant) == incremental


def _vote_only_index(world) -> None:
    """The neighbour vote alone (every skill at probability 0.1 counts), agent2's history
    indexed by a rebuild, and its events taken for processed."""
    with world.tenant.scope():
        world.tenant.org.settings = {"recommender": {
            "classifier_weight": 0, "min_probability": 0.1, "max_skills": 0}}
        world.tenant.org.save()
    _history(world.tenant, world.agent2)
    rebuild(world.tenant)
    with world.tenant.scope():
        WorkEvent.objects.update(processed_at="2020-01-01T00:00:00Z")


def test_a_newly_resolved_tagged_item_is_a_neighbour_at_once(
        world, django_capture_on_commit_callbacks):
    """Freshness (issue 23.4): no rebuild between the tagged item and the untagged one."""
    _vote_only_index(world)
    text = "Printer exception on the firewall {n}"  # words the index knows, a new mixture
    items(world.tenant, world.agent2, 1, prefix="NEW", skills=["Router"], text=text)
    items(world.tenant, world.agent, 1, prefix="ASK", text=text)
    with world.tenant.scope():
        pending = list(WorkEvent.objects.filter(processed_at__isnull=True)
                       .values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            process_work_events(organization=world.tenant.org, event_ids=pending)
        new = WorkItem.objects.get(external_id="NEW-0")
        router = WorkItemPrediction.objects.get(work_item__external_id="ASK-0",
                                                skill=world.router)
        assert router.neighbours == [[new.pk, 1.0]]
        assert 0.1 <= router.score < 1
        # The stored index is the nightly one; the fresh row lives beside it until then.
        assert RecommenderIndex.objects.get().item_count == 22


def test_nothing_crosses_tenants(world):
    # The other tenant has the tagged history; alpha's untagged firewall work learns nothing.
    with world.other.scope():
        rows = [{"external_id": f"B-{n}", "kind": "incident", "state": "resolved",
                 "short_description": FIREWALL_TEXTS[0].format(n=n),
                 "resolved_by": world.outsider.username, "skills": ["Firewall"]}
                for n in range(12)]
        upsert_work_items(organization=world.other.org, items=rows)
    items(world.tenant, world.agent, 12, prefix="B", text=FIREWALL_TEXTS[0])
    rebuild(world.tenant)
    rebuild(world.other)
    assert recs(world.tenant) == []
    assert recs(world.other) == [("bob", "Firewall", 12, 10, "pending")]
    with world.other.scope():
        rec = SkillRecommendation.objects.get()
        assert len(rec.evidence) == 12
        ids = {e["work_item"] for e in rec.evidence}
    with scopes_disabled():
        assert set(WorkItem.objects.filter(pk__in=ids).values_list(
            "organization_id", flat=True)) == {world.other.org.pk}
        assert not WorkItemPrediction.objects.exists()


def test_done_when_import_then_recommend_prints_one_line(world, tmp_path, capsys):
    path = tmp_path / "work.csv"
    lines = ["external_id,kind,state,short_description,resolved_by,skills"]
    lines += [f"A-{n},incident,resolved,Reset firewall rule {n},abe,BGP" for n in range(10)]
    lines += [f"B-{n},incident,resolved,Reset firewall rule {n},amy,BGP" for n in range(9)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_work_items", str(path), "--org", "alpha", "--create-missing")
    capsys.readouterr()
    call_command("recommend_skills", "--org", "alpha", "--json")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    line = json.loads(out[0])
    assert line == {"agent": "abe", "skill": "BGP", "count": 10, "threshold": 10,
                    "evidence": sorted(f"A-{n}" for n in range(10)), "score": 1.0}
    call_command("recommend_skills", "--org", "alpha", "--threshold", "9", "--json")
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["agent"], x["count"], x["threshold"]) for x in out] == [
        ("amy", 9, 9), ("abe", 10, 9)]


def test_recommend_skills_command_summary_and_errors(world, capsys):
    call_command("recommend_skills", "--org", "alpha")
    assert capsys.readouterr().out.startswith("0 resolved items (0 tagged")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No organization"):
        call_command("recommend_skills", "--org", "nope")


@pytest.fixture
def pending(world):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    with world.tenant.scope():
        return SkillRecommendation.objects.get()


def test_recommendation_pages_permission_matrix(world, pending, login):
    detail = world.tenant.url(f"skills/recommendations/{pending.pk}/")
    listing = world.tenant.url("skills/recommendations/")
    for user, list_status, detail_status in [
        (world.coach, 200, 200), (world.co_coach, 200, 200), (world.admin, 200, 200),
        (world.skill_admin, 200, 200), (world.coach2, 200, 404), (world.agent, 403, 403),
    ]:
        client = login(user)
        assert client.get(listing).status_code == list_status, user
        assert client.get(detail).status_code == detail_status, user
    client = login(world.outsider)
    assert client.get(detail).status_code == 404
    assert client.get(world.other.url(f"skills/recommendations/{pending.pk}/")).status_code == 404


def test_recommendation_page_shows_evidence_and_decides(world, pending, login):
    client = login(world.coach)
    page = client.get(world.tenant.url(f"skills/recommendations/{pending.pk}/")).content.decode()
    assert "against a threshold of 10" in page and "FW-7" in page and "tagged" in page
    assert '<dd class="col-sm-8" id="rec-evidence-split">10 tagged with the skill, 0 predicted' \
        in page
    assert "Every item here is tagged, so it is 1" in page
    assert "Open port 7" not in page and "open port 7 on the perimeter firewall" in page
    response = client.get(world.tenant.url("skills/recommendations/"))
    assert [r.pk for r in response.context["recommendations"]] == [pending.pk]
    assert login(world.coach2).get(world.tenant.url("skills/recommendations/")).context[
        "recommendations"].count() == 0
    # coach2 cannot decide for another team's agent: 404, nothing changes.
    url = world.tenant.url(f"skills/recommendations/{pending.pk}/approve/")
    assert login(world.coach2).post(url).status_code == 404
    client = login(world.coach)
    response = client.post(url)
    assert response.status_code == 302
    with world.tenant.scope():
        pending.refresh_from_db()
        assert pending.state == RecommendationState.APPROVED
        assert UserSkill.objects.filter(user=world.agent, skill=world.firewall).exists()
    response = client.post(url)  # decided already: the page says so
    assert response.status_code == 400
    assert "already approved" in response.content.decode()


def test_matrix_shows_the_recommended_marker(world, pending, login):
    page = login(world.coach).get(world.tenant.url("skills/")).content.decode()
    assert f"skills/recommendations/{pending.pk}/" in page and "Recommended" in page


def test_admin_reopens_from_the_page(world, pending, login):
    with world.tenant.scope():
        reject_recommendation(recommendation=pending, decided_by=world.coach)
    url = world.tenant.url(f"skills/recommendations/{pending.pk}/reopen/")
    assert login(world.coach).post(url, {"reason": "x"}).status_code == 403
    client = login(world.admin)
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Moved teams"}).status_code == 302
    assert recs(world.tenant) == [("abe", "Firewall", 10, 10, "pending")]


def test_api_lists_recommendations_with_filters(world, pending, client):
    from tests.skills.test_api import token_for

    rows = client.get("/api/v1/skill-recommendations?state=pending&agent=abe",
                      headers=token_for(world.tenant)).json()
    assert [(r["agent"], r["skill"], r["count"], r["threshold"], len(r["evidence"]), r["score"],
             r["state"]) for r in rows] == [("abe", "Firewall", 10, 10, 10, 1.0, "pending")]
    assert client.get("/api/v1/skill-recommendations?agent=amy",
                      headers=token_for(world.tenant)).json() == []
    assert client.get("/api/v1/skill-recommendations",
                      headers=token_for(world.other)).json() == []
    assert client.get("/api/v1/skill-recommendations?state=nope",
                      headers=token_for(world.tenant)).status_code == 422


def test_rebuild_task_enters_the_scope_and_skips_a_missing_organization(world):
    from skills.tasks import rebuild_recommendations as task

    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    assert task(organization_id=world.tenant.org.pk) == 1
    assert task(organization_id=world.tenant.org.pk) == 0
    assert task(organization_id=987654321) is None


def test_recommendation_list_query_count_is_constant(world, login, django_assert_max_num_queries):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    client = login(world.admin)
    url = world.tenant.url("skills/recommendations/")
    client.get(url)
    with django_assert_max_num_queries(20) as one:
        client.get(url)
    for n, skill in enumerate(["Router", "Empathy", "Networking"]):
        items(world.tenant, world.agent2, 10, prefix=f"X{n}", skills=[skill])
    rebuild(world.tenant)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["recommendations"]) == 4


def test_evaluation_script_skips_cleanly_without_the_data(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "bench" / "recommender_eval.py"
    missing = tmp_path / "none.zip"
    done = subprocess.run([sys.executable, str(script), "--hbase", str(tmp_path),
                           "--bpi2013", str(missing)], capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"Skipping hbase: no data at {tmp_path} (local evaluation data).",
        f"Skipping bpi2013: no data at {missing} (local evaluation data)."]


def test_a_demoted_manager_still_recorded_on_the_team_cannot_decide_recommendations(world):
    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)
    with scopes_disabled():
        Membership.objects.filter(user=world.coach).update(is_coach=False, is_agent=True)
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get()
        assert world.coach.has_perm("skills.decide_recommendation", rec) is False
        with pytest.raises(SkillError):
            approve_recommendation(recommendation=rec, decided_by=world.coach)
        with pytest.raises(SkillError):
            reject_recommendation(recommendation=rec, decided_by=world.coach, comment="No")
        rec.refresh_from_db()
        assert rec.state == "pending"
        assert not UserSkill.objects.filter(user=world.agent).exists()


def test_the_coaches_email_is_sent_once_by_its_task(world):
    """The rule does not wait for the e-mail: a task sends it after commit, and a task run
    twice (a redelivery) sends nothing more."""
    from skills.tasks import notify_recommendation_coaches as task

    items(world.tenant, world.agent, 10, prefix="FW", skills=["Firewall"])
    rebuild(world.tenant)  # its after-commit callbacks never run here: nothing sent yet
    assert mail.outbox == []
    with world.tenant.scope():
        rec = SkillRecommendation.objects.get()
    assert rec.coaches_notified_at is None
    assert task(organization_id=world.tenant.org.pk, recommendation_id=rec.pk) is True
    assert task(organization_id=world.tenant.org.pk, recommendation_id=rec.pk) is False
    assert [(m.subject, sorted(m.to)) for m in mail.outbox] == [
        ("Skill recommendation: Firewall for Abe Ames",
         ["carl@example.com", "cora@example.com"])]
    assert f"{settings.SITE_URL}/o/alpha/skills/recommendations/{rec.pk}/" in mail.outbox[0].body
    with world.tenant.scope():
        rec.refresh_from_db()
    assert rec.coaches_notified_at is not None
    # Gone, or another tenant's: nothing, quietly.
    assert task(organization_id=world.tenant.org.pk, recommendation_id=987654321) is False
    assert task(organization_id=world.other.org.pk, recommendation_id=rec.pk) is False
    assert task(organization_id=987654321, recommendation_id=rec.pk) is None
    assert len(mail.outbox) == 1


def _process_pending(tenant, capture):
    with tenant.scope():
        pending = list(WorkEvent.objects.filter(processed_at__isnull=True)
                       .values_list("pk", flat=True))
        with capture(execute=True):
            process_work_events(organization=tenant.org, event_ids=pending)


def test_a_tagged_item_resolved_after_the_worker_read_the_index_joins_it(
        world, django_capture_on_commit_callbacks):
    """Freshness (issue 23.4) with the index already in this process: the tagged item's
    own batch, then an untagged one with the same text in the next."""
    _vote_only_index(world)
    items(world.tenant, world.agent, 1, prefix="WARM", text=FIREWALL_TEXTS[0])
    _process_pending(world.tenant, django_capture_on_commit_callbacks)  # the index is read
    text = "Printer exception on the firewall {n}"
    items(world.tenant, world.agent2, 1, prefix="NEW", skills=["Router"], text=text)
    _process_pending(world.tenant, django_capture_on_commit_callbacks)
    items(world.tenant, world.agent, 1, prefix="ASK", text=text)
    _process_pending(world.tenant, django_capture_on_commit_callbacks)
    with world.tenant.scope():
        new = WorkItem.objects.get(external_id="NEW-0")
        router = WorkItemPrediction.objects.get(work_item__external_id="ASK-0",
                                                skill=world.router)
        assert router.neighbours == [[new.pk, 1.0]]
        assert list(WorkItemPrediction.objects.filter(work_item__external_id="WARM-0")
                    .values_list("skill__name", flat=True)) == ["Firewall"]


def test_the_freshness_check_is_one_query_when_nothing_changed(
        world, django_assert_num_queries):
    from skills.services.recommendations import _stored_index

    _history(world.tenant, world.agent2)
    rebuild(world.tenant)
    with world.tenant.scope():
        index = _stored_index(world.tenant.org)  # read from the database
        assert len(index) == 22
        with django_assert_num_queries(1):
            assert _stored_index(world.tenant.org) is index
        rebuild(world.tenant)
        rebuilt = _stored_index(world.tenant.org)
        assert rebuilt is not index
        assert len(rebuilt) == 22
