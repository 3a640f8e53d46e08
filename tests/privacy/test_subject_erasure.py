"""manage.py erase_person: the person is anonymised in one tenant, its aggregates stay."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, ManagementUtility, call_command
from django.db.models import Count
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from coaching import selectors_monitor as monitor
from privacy.models import PersonalDataRequest
from privacy.subject import direct_rows, mentions
from quality import selectors as quality_selectors
from tenancy.models import Membership, Organization, TeamMember, User
from tests.factories import Tenant

from .subject_rows import EMAIL, NAME, USERNAME, build, tenant_text_hits


def M(label):
    return apps.get_model(label)


@pytest.fixture
def cast(db):
    return build(Tenant(slug="alpha"), Tenant(slug="beta"))


def _erase(*args) -> str:
    out = io.StringIO()
    call_command("erase_person", *args, stdout=out)
    return out.getvalue()


def _aggregates(cast) -> dict:
    """What the tenant's pages compute: the Support team's leaderboard (average audit
    score, agents listed) and the coaching monitor's counts for an org admin."""
    org, today = cast.tenant.org, timezone.localdate()
    with cast.tenant.scope():
        card = M("quality.Scorecard").objects.get(organization=org, key="calls")
        members = TeamMember.objects.filter(organization=org, team=cast.team).values("user_id")
        board = quality_selectors.leaderboard(org, scorecard=card, today=today, days=30,
                                              agents=members, extra_agents=members)
        filters = monitor.MonitorFilters(date_from=today - timedelta(days=7), date_to=today)
        page, rows = monitor.monitor_page(org, cast.admin, filters, today, 1)
        by_team = monitor.MonitorFilters(date_from=today - timedelta(days=7), date_to=today,
                                         teams=(cast.team.pk,))
        team_page, _ = monitor.monitor_page(org, cast.admin, by_team, today, 1)
        return {
            "team_audit_mean": board.overall.audit.value,
            "team_audit_n": board.overall.audit.n,
            "agents_listed": board.agent_count,
            "monitor_assignments": page.paginator.count,
            "monitor_team_assignments": team_page.paginator.count,
            "monitor_manual_now": [r.manual.now.value for r in rows],
            "assessments": M("coaching.CoachingAssessment").objects.filter(
                organization=org).count(),
            "team_members": TeamMember.objects.filter(team=cast.team).count(),
        }


def test_erase_person_leaves_no_trace_of_the_name_in_the_tenant(cast):
    org = cast.tenant.org
    before = tenant_text_hits(org, [NAME, EMAIL])
    assert before["work.Transcript"] == 1 and before["work.WorkItem"] == 1

    out = _erase("--org", "alpha", "--user", USERNAME, "--yes")

    assert tenant_text_hits(org, [NAME, EMAIL]) == {}
    ghost = User(username=USERNAME, first_name="Jane", last_name="Doe", email=EMAIL, pk=0)
    with cast.tenant.scope():
        assert list(mentions(org, ghost)) == []  # not even the username, as a word
        assert {label: qs.count() for label, qs in direct_rows(org, cast.person).items()
                if qs.count()} == {}
    assert out.startswith("Erased jdoe in Alpha: now “Erased person 1” (audit record #")


def test_erase_person_points_the_rows_at_a_pseudonym_that_cannot_sign_in(cast):
    _erase("--org", "alpha", "--user", USERNAME, "--yes")
    org = cast.tenant.org
    pseudonym = User.objects.get(username=f"erased-{org.pk}-1")
    assert (str(pseudonym), pseudonym.email, pseudonym.is_active,
            pseudonym.has_usable_password()) == ("Erased person 1", "", False, False)
    with cast.tenant.scope():
        membership = Membership.objects.get(organization=org, user=pseudonym)
        assert sorted(membership.roles) == ["agent"]
        assert membership.about == ""
        assert not Membership.objects.filter(organization=org, user=cast.person).exists()
        evaluation = M("quality.Evaluation").objects.get(organization=org, total=80)
        assert (evaluation.agent, evaluation.evaluator, evaluation.comment) == (
            pseudonym, cast.coach, "")
        assert M("quality.Answer").objects.get(evaluation=evaluation).comment == ""
        assert M("quality.DisputeItem").objects.get().reason == "[erased]"
        assert M("skills.SkillReview").objects.get().justification == "[erased]"
        assert M("surveys.Answer").objects.get().text == ""
        assert M("coaching.CoachingAssessment").objects.get(trainee=pseudonym).comments == ""
        assignment = M("coaching.CoachingAssignment").objects.get(agent=pseudonym)
        assert (assignment.strengths, assignment.improvements, assignment.action_plan) == (
            "", "", [])
        assert M("coaching.CoachingPlan").objects.get(agent=pseudonym).advice == "[erased]"
        assert M("coaching.PlanNote").objects.get().text == "[erased]"
        item = M("work.WorkItem").objects.get(organization=org, external_id="CALL-1")
        assert (item.assigned_to, item.resolved_by) == (pseudonym, pseudonym)
        assert item.transcript.turns == [
            {"speaker": "agent", "text": "Hello, this is Erased person 1, how can I help?"},
            {"speaker": "customer", "text": "Hi Erased person 1, my bill is wrong."}]
        assert M("work.WorkEvent").objects.get(work_item=item).changes == {
            "assigned_to": [None, pseudonym.username]}
        mentioned = M("work.WorkItem").objects.get(organization=org, external_id="INC-9")
        assert (mentioned.short_description, mentioned.description) == (
            f"Escalated by {pseudonym.username}",
            f"Ask Erased person 1 ({pseudonym.username}@erased.invalid).")
        decoy = M("work.WorkItem").objects.get(organization=org, external_id="INC-10")
        assert decoy.short_description == "jdoes and jdoe2 and xjdoe"
        assert M("routing.RoutingDecision").objects.get().candidates == [
            {"agent": pseudonym.username, "score": 1.0}]
        viewed = M("privacy.AccessRecord").objects.get(viewer=pseudonym)
        assert viewed.viewer_label == "Erased person 1"
        assert M("privacy.AccessRecord").objects.get(subject=pseudonym).viewer == cast.coach
        # What would make the placeholder act later is cleared instead.
        assert M("tenancy.Team").objects.get(name="Jane's desk").manager is None
        assert not M("tenancy.TeamManager").objects.filter(user=pseudonym).exists()
        assert M("opportunities.CoachingOpportunity").objects.get().named_coach is None
        assert M("tenancy.ApiToken").objects.get().revoked_at is not None


def test_erase_person_changes_only_this_tenant_of_a_shared_account(cast):
    _erase("--org", "alpha", "--user", USERNAME, "--yes")
    person = User.objects.get(pk=cast.person.pk)
    assert (person.username, person.get_full_name(), person.email, person.is_active) == (
        USERNAME, NAME, EMAIL, True)
    with cast.other_tenant.scope():
        membership = Membership.objects.get(organization=cast.other_tenant.org, user=person)
        assert membership.about == "Jane Doe at the other company."
        assert M("work.WorkItem").objects.get().assigned_to == person
    assert tenant_text_hits(cast.other_tenant.org, [NAME]) == {
        "tenancy.Membership": 1, "work.WorkItem": 1}


def test_erase_person_empties_an_account_of_no_other_tenant(cast):
    out = _erase("--org", "alpha", "--user", "peer", "--yes")
    peer = User.objects.get(pk=cast.peer.pk)
    assert (peer.username, peer.first_name, peer.last_name, peer.email, peer.is_active,
            peer.has_usable_password()) == (f"erased-user-{peer.pk}", "", "", "", False, False)
    assert "The account itself was emptied (no other organization)." in out


def test_erase_person_keeps_the_tenants_aggregates(cast):
    before = _aggregates(cast)
    assert before["team_audit_mean"] == 70.0 and before["monitor_team_assignments"] == 1
    _erase("--org", "alpha", "--user", USERNAME, "--yes")
    assert _aggregates(cast) == before


def test_erase_person_records_the_erasure_under_the_pseudonym(cast):
    _erase("--org", "alpha", "--user", EMAIL, "--yes")
    org = cast.tenant.org
    with cast.tenant.scope():
        record = PersonalDataRequest.objects.get(organization=org, kind="erasure")
    pseudonym = User.objects.get(username=f"erased-{org.pk}-1")
    assert (record.subject, record.subject_label, record.dry_run) == (
        pseudonym, "Erased person 1", False)
    assert record.requested_by.startswith("manage.py erase_person")
    summary = record.summary
    assert summary["rows_pseudonymised"]["quality.Evaluation"] == 1
    assert summary["rows_pseudonymised"]["work.WorkItem"] == 1
    assert summary["rows_pseudonymised"]["tenancy.ApiToken"] == 1
    assert summary["rows_through_parent"] == {
        "coaching.AssessmentCourse": 1, "coaching.AssessmentLearningTask": 1,
        "coaching.AssessmentSkill": 1, "coaching.AssessmentSurvey": 1,
        "coaching.AssignmentArea": 1, "coaching.AssignmentExample": 1,
        "coaching.AssignmentInteraction": 1, "coaching.PlanExample": 1,
        "quality.Answer": 1, "quality.DisputeItem": 1, "surveys.Answer": 1,
        "work.Transcript": 1, "work.WorkEvent": 1}
    assert summary["texts_erased"] == {
        "coaching.CoachingAssessment": 1, "coaching.CoachingAssignment": 1,
        "coaching.CoachingPlan": 1, "coaching.PlanNote": 1, "quality.Answer": 1,
        "quality.DisputeItem": 1, "quality.Evaluation": 1,
        "skills.RecommendationActivity": 1, "skills.SkillReview": 1,
        "surveys.Answer": 1, "tenancy.Membership": 1}
    assert summary["references_cleared"] == {
        "opportunities.CoachingOpportunity (named coach cleared)": 1,
        "tenancy.ApiToken (revoked)": 1, "tenancy.Team (manager cleared)": 1,
        "tenancy.TeamManager (deleted)": 1}
    assert summary["account_emptied"] is False
    assert NAME not in str(summary) and USERNAME not in str(summary)


def test_erase_person_a_second_erasure_gets_the_next_pseudonym(cast):
    _erase("--org", "alpha", "--user", USERNAME, "--yes")
    out = _erase("--org", "alpha", "--user", "peer", "--yes")
    assert "now “Erased person 2”" in out
    with cast.tenant.scope():
        assert _aggregates(cast)["team_members"] == 2


def _snapshot(cast) -> dict:
    with scopes_disabled():
        person = User.objects.get(pk=cast.person.pk)
        return {
            "users": User.objects.count(),
            "requests": PersonalDataRequest.objects.count(),
            "hits": tenant_text_hits(cast.tenant.org, [NAME, EMAIL, USERNAME]),
            "person": (person.username, person.email, person.is_active),
            "rows": {label: qs.count()
                     for label, qs in direct_rows(cast.tenant.org, cast.person).items()},
            "settings": Organization.objects.get(pk=cast.tenant.org.pk).settings,
        }


def test_erase_person_dry_run_changes_nothing(cast):
    before = _snapshot(cast)
    assert before["rows"]["quality.Evaluation"] == 1  # the snapshot sees her rows
    assert before["hits"]["work.Transcript"] == 1
    out = _erase("--org", "alpha", "--user", USERNAME, "--dry-run")
    assert _snapshot(cast) == before
    assert out.splitlines()[0] == (
        "Dry run: nothing was changed. Erasing jdoe in Alpha would make them "
        "“Erased person 1”:")
    assert "    quality.Evaluation: 1" in out


def test_erase_person_refuses_without_yes(cast):
    before = _snapshot(cast)
    with pytest.raises(CommandError, match="run it with --dry-run to see what would change, "
                                           "then again with --yes"):
        _erase("--org", "alpha", "--user", USERNAME)
    assert _snapshot(cast) == before


def test_erase_person_refuses_the_last_org_admin(cast):
    before = _snapshot(cast)
    with pytest.raises(CommandError, match="boss is the last org admin of Alpha; make someone "
                                           "else org admin first."):
        _erase("--org", "alpha", "--user", "boss", "--yes")
    assert _snapshot(cast) == before
    cast.tenant.member(roles=("org_admin",), username="second")
    _erase("--org", "alpha", "--user", "boss", "--yes")
    with cast.tenant.scope():
        assert list(Membership.objects.filter(organization=cast.tenant.org, is_org_admin=True)
                    .values_list("user__username", flat=True)) == ["second"]


@pytest.mark.parametrize(("org", "user", "message"), [
    ("nowhere", USERNAME, "No organization with slug “nowhere”."),
    ("alpha", "ghost", "No user with the username or e-mail address “ghost”."),
])
def test_erase_person_refuses_an_unknown_organization_or_person(cast, org, user, message):
    before = _snapshot(cast)
    with pytest.raises(CommandError, match=message):
        _erase("--org", org, "--user", user, "--yes")
    assert _snapshot(cast) == before


def test_erase_person_exits_non_zero_on_error(cast, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "erase_person", "--org", "alpha",
                           "--user", "ghost", "--yes"]).execute()
    assert exit_info.value.code == 1
    assert "No user with the username or e-mail address “ghost”." in capsys.readouterr().err


def test_erase_person_clears_the_dispute_arbitrator(cast):
    org = cast.tenant.org
    with scopes_disabled():
        Organization.objects.filter(pk=org.pk).update(settings={"quality": {"disputes": {
            "enabled": True, "max_rounds": 2, "window_days": 7, "sla_hours": 48,
            "arbitrator_id": cast.person.pk}}})
    out = _erase("--org", "alpha", "--user", USERNAME, "--yes")
    org.refresh_from_db()
    assert org.settings["quality"]["disputes"] == {
        "enabled": True, "max_rounds": 2, "window_days": 7, "sla_hours": 48,
        "arbitrator_id": None}
    assert "    quality settings (arbitrator cleared): 1" in out


def _demo_aggregates(org, admin) -> dict:
    today = timezone.localdate(timezone=org.tzinfo)
    with scope(organization=org):
        cards = quality_selectors.dashboard_scorecards(org)
        result = {}
        for team in M("tenancy.Team").objects.filter(organization=org).order_by("name"):
            members = TeamMember.objects.filter(organization=org, team=team).values("user_id")
            board = quality_selectors.leaderboard(org, scorecard=cards[0], today=today,
                                                  days=90, agents=members,
                                                  extra_agents=members)
            result[team.name] = (board.overall.auto.value, board.overall.audit.value,
                                 board.overall.audit.n, board.agent_count)
        filters = monitor.MonitorFilters(date_from=today - timedelta(days=365), date_to=today)
        page, rows = monitor.monitor_page(org, admin, filters, today, 1)
        result["monitor"] = (page.paginator.count,
                             [(r.manual.now.value, r.auto.now.value) for r in rows])
        result["assessments"] = M("coaching.CoachingAssessment").objects.filter(
            organization=org).count()
        return result


def test_erase_person_keeps_the_demo_tenants_team_scores_and_monitor(demo_db):
    with scopes_disabled():
        org = Organization.objects.get(slug="acme")
        admin = User.objects.get(username="acme-admin")
        # The agent with the most audits: the erasure moves the most numbers.
        agent_id = (M("quality.Evaluation").objects.filter(organization=org, kind="manual")
                    .values("agent").annotate(n=Count("id"))
                    .order_by("-n").values_list("agent", flat=True)[0])
        agent = User.objects.get(pk=agent_id)
    before = _demo_aggregates(org, admin)
    assert before["monitor"][0] > 0
    assert any(scores[1] is not None for name, scores in before.items()
               if name not in ("monitor", "assessments"))
    _erase("--org", "acme", "--user", agent.username, "--yes")
    assert _demo_aggregates(org, admin) == before
    with scopes_disabled():
        assert not M("quality.Evaluation").objects.filter(organization=org,
                                                          agent=agent).exists()


def test_erase_person_dry_run_counts_what_the_erasure_then_does(cast):
    from privacy.subject import find_subject
    from privacy.subject_erasure import erase_person

    with cast.tenant.scope():
        subject = find_subject(organization=cast.tenant.org, reference=USERNAME)
        planned = erase_person(subject=subject, requested_by="test", dry_run=True).summary
        done = erase_person(subject=subject, requested_by="test", dry_run=False).summary
    assert done.pop("account_emptied") is False
    assert planned == done
    assert planned["names_replaced"]["work.WorkItem"] == 1  # INC-9 names her
