"""Retention (issue 21 point 5): each kind with rows on both sides of the cutoff, what open
coaching keeps, dry runs that change nothing, anonymise against delete, the aggregates that
survive, the other tenant untouched, the command and the nightly task."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment, CoachingMark
from privacy.models import AccessRecord, PersonalDataRequest, RequestKind
from privacy.retention import apply_retention, retention_policy
from privacy.tasks import apply_retention_for, apply_retention_nightly
from quality import selectors as quality_selectors
from quality.models import Answer, Evaluation, EvaluationChange, ScoreRollup
from tenancy.models import TeamMember
from tenancy.scoping import organization_scope
from work.enums import WorkState
from work.models import Transcript, WorkItem

from .retention_fixtures import (
    THREE,
    access_records,
    closed_item,
    days_ago,
    interaction,
    make_scorecard,
    retention_world,  # noqa: F401 (the world fixture)
    scored,
    set_policy,
)


def run(org, *, dry_run=False, requested_by="test"):
    with organization_scope(org) as scoped:
        return apply_retention(organization=scoped, dry_run=dry_run, requested_by=requested_by)


def texts(item):
    with scopes_disabled():
        return [turn["text"] for turn in Transcript.objects.get(work_item=item).turns]


# --- transcripts ----------------------------------------------------------------------------


@pytest.fixture
def transcripts(world):
    org = world.tenant.org
    made = {
        "old": interaction(org, world.agent, "CHAT-OLD", age_days=100),
        "older": interaction(org, world.agent2, "CHAT-OLDER", age_days=130),
        "recent": interaction(org, world.agent, "CHAT-NEW", age_days=10),
        "coached": interaction(org, world.agent, "CHAT-COACHED", age_days=120),
        "other": interaction(world.other.org, world.outsider, "CHAT-GLOBEX", age_days=300),
    }
    with scopes_disabled():
        CoachingMark.objects.create(organization=org, agent=world.agent,
                                    attribute_key="empathy", attribute_name="Empathy",
                                    interaction=made["coached"], marked_by=world.qa)
    set_policy(org, transcripts_days=90)
    set_policy(world.other.org, transcripts_days=90)  # applied only when globex runs
    return made


def test_transcripts_lose_their_text_past_the_period(world, transcripts):
    result = run(world.tenant.org).outcome("transcripts")

    assert (result.action, result.count, result.kept, result.days) == ("remove text", 2, 1, 90)
    assert result.samples == ["CHAT-OLDER", "CHAT-OLD"]
    assert texts(transcripts["old"]) == ["", ""]
    assert texts(transcripts["older"]) == ["", ""]
    with scopes_disabled():
        turns = Transcript.objects.get(work_item=transcripts["old"]).turns
    assert turns == [{"speaker": "agent", "text": "", "at": 0},
                     {"speaker": "customer", "text": "", "at": 10}]
    assert texts(transcripts["recent"]) == ["Thank you for calling, Alice speaking",
                                            "My card is 4242"]
    assert texts(transcripts["coached"])[1] == "My card is 4242"  # open coaching keeps it
    assert texts(transcripts["other"])[1] == "My card is 4242"  # another tenant


def test_transcripts_second_run_finds_nothing(world, transcripts):
    run(world.tenant.org)
    again = run(world.tenant.org).outcome("transcripts")
    assert (again.count, again.kept, again.samples) == (0, 1, [])


def test_dry_run_changes_nothing_and_counts_what_a_run_does(world, transcripts):
    dry = run(world.tenant.org, dry_run=True).outcome("transcripts")

    assert (dry.count, dry.kept) == (2, 1)
    assert dry.oldest.date() == days_ago(130).date()
    assert texts(transcripts["old"])[0] == "Thank you for calling, Alice speaking"
    real = run(world.tenant.org).outcome("transcripts")
    assert (real.count, real.samples, real.oldest) == (dry.count, dry.samples, dry.oldest)


# --- evaluations ------------------------------------------------------------------------------


@pytest.fixture
def evaluations(world):
    org = world.tenant.org
    card = make_scorecard(org, attributes=THREE)
    made = {
        "e1": scored(org, card, world.agent, "E-1", age_days=100, evaluator=world.qa,
                     comment="Alice forgot the empathy statement",
                     answers={"greeting": "yes", "empathy": "no", "knowledge": "yes"}),
        "e2": scored(org, card, world.agent2, "E-2", age_days=120, evaluator=world.qa,
                     answers={"greeting": "yes", "empathy": "yes", "knowledge": "yes"}),
        "e3": scored(org, card, world.agent, "E-3", age_days=95, evaluator=world.qa,
                     answers={"greeting": "no", "empathy": "yes", "knowledge": "yes"}),
        "recent": scored(org, card, world.agent, "E-4", age_days=5, evaluator=world.qa,
                         answers={"greeting": "yes", "empathy": "yes", "knowledge": "yes"}),
    }
    other_card = make_scorecard(world.other.org, attributes=THREE)
    made["other"] = scored(world.other.org, other_card, world.outsider, "E-G", age_days=300,
                           answers={"greeting": "yes", "empathy": "yes", "knowledge": "yes"})
    made["card"] = card
    return made


def team_average(world, card):
    """The Care team's audit score over the last year, as the quality leaderboard shows it."""
    org = world.tenant.org
    with organization_scope(org):
        members = TeamMember.objects.filter(team=world.team).values("user_id")
        board = quality_selectors.leaderboard(org, scorecard=card, today=timezone.localdate(),
                                              days=365, agents=members)
    return board.overall.audit.value, board.overall.audit.n


def test_anonymising_evaluations_keeps_scores_without_the_person(world, evaluations):
    org = world.tenant.org
    set_policy(org, evaluations_days=90, evaluations_mode="anonymise")
    before = team_average(world, evaluations["card"])
    assert before == (pytest.approx((50 + 100 + 83.33 + 100) / 4), 4)  # totals kept to 2 places
    with scopes_disabled():
        rollups_before = sorted(ScoreRollup.objects.filter(organization=org)
                                .values_list("agent_id", "day", "attribute_key", "n", "total"))

    result = run(org).outcome("evaluations")

    assert (result.action, result.count, result.kept) == ("anonymise", 3, 0)
    assert result.samples == [f"#{evaluations['e2'].pk}", f"#{evaluations['e1'].pk}",
                              f"#{evaluations['e3'].pk}"]
    with scopes_disabled():
        old = Evaluation.objects.filter(pk__in=[evaluations[k].pk for k in ("e1", "e2", "e3")])
        assert [(e.agent_id, e.comment) for e in old] == [(None, "")] * 3
        assert sorted(e.total for e in old) == [50.0, 83.33, 100.0]
        assert Answer.objects.filter(evaluation__in=old).count() == 9
        assert set(Answer.objects.filter(evaluation__in=old).values_list("comment", flat=True)) \
            == {""}
        # The interactions no longer lead to the person either.
        assert [(e.interaction.assigned_to_id, e.interaction.resolved_by_id) for e in old] \
            == [(None, None)] * 3
        recent = Evaluation.objects.get(pk=evaluations["recent"].pk)
        assert recent.agent_id == world.agent.pk
        assert recent.interaction.assigned_to_id == world.agent.pk
        assert Answer.objects.filter(evaluation=recent).exclude(comment="").count() == 3
        other = Evaluation.objects.get(pk=evaluations["other"].pk)
        assert other.agent_id == world.outsider.pk
        assert sorted(ScoreRollup.objects.filter(organization=org).values_list(
            "agent_id", "day", "attribute_key", "n", "total")) == rollups_before
    assert team_average(world, evaluations["card"]) == before  # aggregates survive


def test_deleting_evaluations_keeps_the_dashboards(world, evaluations):
    org = world.tenant.org
    set_policy(org, evaluations_days=90, evaluations_mode="delete")
    before = team_average(world, evaluations["card"])

    result = run(org).outcome("evaluations")

    assert (result.action, result.count) == ("delete", 3)
    with scopes_disabled():
        assert list(Evaluation.objects.filter(organization=org).values_list("pk", flat=True)) \
            == [evaluations["recent"].pk]
        assert Answer.objects.filter(organization=org).count() == 3
        assert EvaluationChange.objects.filter(
            evaluation_id=evaluations["e1"].pk).count() == 0
        assert Evaluation.objects.filter(pk=evaluations["other"].pk).exists()
    assert team_average(world, evaluations["card"]) == before


def test_evaluations_under_review_or_in_coaching_are_kept(world, evaluations):
    org = world.tenant.org
    set_policy(org, evaluations_days=90, evaluations_mode="delete")
    with scopes_disabled():
        Evaluation.objects.filter(pk=evaluations["e1"].pk).update(review_state="pending_agent")
        CoachingMark.objects.create(
            organization=org, agent=world.agent2, attribute_key="empathy",
            attribute_name="Empathy", interaction=evaluations["e2"].interaction,
            evaluation=evaluations["e2"], marked_by=world.qa)

    dry = run(org, dry_run=True).outcome("evaluations")
    result = run(org).outcome("evaluations")

    assert (dry.count, dry.kept) == (1, 2)
    assert (result.count, result.kept, result.samples) == (1, 2, [f"#{evaluations['e3'].pk}"])
    with scopes_disabled():
        assert set(Evaluation.objects.filter(organization=org).values_list("pk", flat=True)) \
            == {evaluations[k].pk for k in ("e1", "e2", "recent")}


# --- work items -------------------------------------------------------------------------------


@pytest.fixture
def work_items(world):
    org = world.tenant.org
    made = {
        "closed": closed_item(org, "INC-1", closed_days_ago=200),
        "resolved": closed_item(org, "INC-2", closed_days_ago=250, state=WorkState.RESOLVED),
        "cancelled": closed_item(org, "INC-3", closed_days_ago=190, state=WorkState.CANCELLED),
        "recent": closed_item(org, "INC-4", closed_days_ago=20),
        "open": closed_item(org, "INC-5", closed_days_ago=400, state=WorkState.IN_PROGRESS),
        "coached": closed_item(org, "INC-6", closed_days_ago=300),
        "finished_coaching": closed_item(org, "INC-7", closed_days_ago=300),
        "other": closed_item(world.other.org, "INC-G", closed_days_ago=900),
    }
    with scopes_disabled():
        for key, state in (("coached", "in_progress"), ("finished_coaching", "closed_complete")):
            assessment = CoachingAssessment.objects.create(
                organization=org, trainee=world.agent, coach=world.coach,
                work_item=made[key], due_date=timezone.localdate())
            CoachingAssessment.objects.filter(pk=assessment.pk).update(state=state)
    set_policy(org, work_items_days=180)
    set_policy(world.other.org, work_items_days=180)
    return made


def test_closed_work_items_past_the_period_are_deleted(world, work_items):
    result = run(world.tenant.org).outcome("work_items")

    assert (result.action, result.count, result.kept) == ("delete", 4, 1)
    assert result.samples == ["INC-7", "INC-2", "INC-1", "INC-3"]  # oldest first (by closing)
    with scopes_disabled():
        left = set(WorkItem.objects.filter(organization=world.tenant.org)
                   .values_list("external_id", flat=True))
        assert left == {"INC-4", "INC-5", "INC-6"}
        assert WorkItem.objects.filter(external_id="INC-G").exists()
        # The finished assessment stays, without its work item.
        assert CoachingAssessment.objects.filter(state="closed_complete",
                                                 work_item__isnull=True).count() == 1


def test_scored_interactions_follow_the_evaluations_policy(world, evaluations):
    org = world.tenant.org
    with scopes_disabled():
        WorkItem.objects.filter(organization=org).update(closed_at=days_ago(400),
                                                         state=WorkState.CLOSED)
    set_policy(org, work_items_days=180)
    assert run(org).outcome("work_items").count == 0
    with scopes_disabled():
        assert WorkItem.objects.filter(organization=org).count() == 4


# --- access log ----------------------------------------------------------------------------------


def test_access_records_past_the_period_are_deleted(world):
    org = world.tenant.org
    access_records(org, world.coach, world.agent, ages=[400, 370, 10])
    access_records(world.other.org, world.outsider, world.outsider, ages=[900])
    set_policy(org, access_log_days=365)

    dry = run(org, dry_run=True).outcome("access_log")
    with scopes_disabled():
        assert AccessRecord.objects.filter(organization=org).count() == 3
    result = run(org).outcome("access_log")

    assert (dry.count, result.count, result.kept) == (2, 2, 0)
    assert result.oldest.date() == days_ago(400).date()
    with scopes_disabled():
        assert AccessRecord.objects.filter(organization=org).count() == 1
        assert AccessRecord.objects.filter(organization=world.other.org).count() == 1


# --- defaults, the audit trail -------------------------------------------------------------------


def test_nothing_is_removed_without_a_policy(world, evaluations):
    org = world.tenant.org
    assert retention_policy(org).is_empty
    result = run(org)
    assert [o.action for o in result.outcomes] == ["keep"] * 4
    assert result.changed == 0
    with scopes_disabled():
        assert Evaluation.objects.filter(organization=org, agent__isnull=False).count() == 4


def test_each_run_is_recorded_with_a_summary_per_kind(world, transcripts):
    run(world.tenant.org, dry_run=True, requested_by="someone")
    run(world.tenant.org, requested_by="someone else")
    with scopes_disabled():
        records = list(PersonalDataRequest.objects.filter(
            organization=world.tenant.org, kind=RequestKind.RETENTION).order_by("pk"))
    assert [(r.requested_by, r.dry_run) for r in records] == [("someone", True),
                                                              ("someone else", False)]
    summary = records[1].summary
    assert sorted(summary) == ["access_log", "evaluations", "transcripts", "work_items"]
    assert (summary["transcripts"]["count"], summary["transcripts"]["kept"]) == (2, 1)
    assert summary["transcripts"]["action"] == "remove text"
    assert summary["transcripts"]["samples"] == ["CHAT-OLDER", "CHAT-OLD"]
    assert summary["work_items"] == {"action": "keep", "days": None, "cutoff": None,
                                     "count": 0, "oldest": None, "samples": [], "kept": 0}


# --- the command ---------------------------------------------------------------------------------


def call(*args):
    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_lists_what_it_would_remove(world, transcripts, work_items):
    access_records(world.tenant.org, world.coach, world.agent, ages=[400, 10])
    set_policy(world.tenant.org, transcripts_days=90, work_items_days=180, access_log_days=365)

    output = call("--org", "acme", "--dry-run")

    cutoff = lambda d: days_ago(d).strftime("%Y-%m-%d")  # noqa: E731
    lines = output.splitlines()
    assert lines[0] == "Dry run: nothing was changed. Organization acme:"
    assert lines[1] == (
        f"  Transcripts: would remove the text of 2 transcripts older than 90 days (before "
        f"{cutoff(90)}); oldest {cutoff(130)}; e.g. CHAT-OLDER, CHAT-OLD. 1 older one is "
        f"kept: in open coaching or an open review.")
    assert lines[2] == (
        f"  Work items: would delete 4 closed work items older than 180 days (before "
        f"{cutoff(180)}); oldest {cutoff(300)}; e.g. INC-7, INC-2, INC-1, INC-3. 1 older one "
        f"is kept: in open coaching or an open review.")
    assert lines[3] == "  Evaluations: kept forever (no retention period set)."
    with scopes_disabled():
        old_record = AccessRecord.objects.filter(organization=world.tenant.org).order_by(
            "viewed_at").first()
    assert lines[4] == (
        f"  Access log: would delete 1 access record older than 365 days (before "
        f"{cutoff(365)}); oldest {cutoff(400)}; e.g. #{old_record.pk}.")
    assert lines[5:] == ["Would change 7 rows in all."]
    # Nothing changed: the text, the items and the record are all still there.
    assert texts(transcripts["old"])[1] == "My card is 4242"
    with scopes_disabled():
        assert WorkItem.objects.filter(organization=world.tenant.org).count() == 7 + 4
        assert AccessRecord.objects.filter(organization=world.tenant.org).count() == 2
        assert PersonalDataRequest.objects.get().dry_run is True


def test_command_applies_and_says_so(world, transcripts):
    output = call("--org", "acme")
    assert output.splitlines()[0] == "Retention applied. Organization acme:"
    assert output.splitlines()[1].startswith(
        "  Transcripts: removed the text of 2 transcripts older than 90 days")
    assert output.splitlines()[-1] == "Changed 2 rows in all."
    assert texts(transcripts["old"]) == ["", ""]
    assert texts(transcripts["other"])[1] == "My card is 4242"


def test_command_refuses_an_unknown_organization(world):
    with pytest.raises(CommandError, match="No organization with slug “nope”"):
        call("--org", "nope", "--dry-run")


# --- the nightly task ----------------------------------------------------------------------------


def test_nightly_task_runs_once_per_tenant(world, transcripts, tasks_in_process, settings):
    assert settings.CELERY_BEAT_SCHEDULE["privacy-apply-retention"] == {
        "task": "privacy.apply_retention", "schedule": 86400.0}

    assert apply_retention_nightly() == 2  # one task per organization

    assert texts(transcripts["old"]) == ["", ""]
    assert texts(transcripts["other"]) == ["", ""]  # globex's own policy, in its own run
    with scopes_disabled():
        records = PersonalDataRequest.objects.filter(kind=RequestKind.RETENTION)
        assert sorted((r.organization.slug, r.requested_by, r.dry_run) for r in records) == [
            ("acme", "nightly retention task", False),
            ("globex", "nightly retention task", False)]


def test_nightly_task_skips_a_tenant_without_a_policy(world, tasks_in_process):
    assert apply_retention_for(organization_id=world.tenant.org.pk) is None
    with scopes_disabled():
        assert not PersonalDataRequest.objects.exists()


def test_anonymising_clears_what_names_the_agent_around_the_scores(world, evaluations):
    from quality.models import Dispute, DisputeItem
    from work.models import WorkEvent

    org = world.tenant.org
    e1 = evaluations["e1"]
    with scopes_disabled():
        event = WorkEvent.objects.create(
            organization=org, work_item=e1.interaction, type="resolved",
            processed_at=timezone.now(),
            changes={"assigned_to": [None, "alice"], "state": ["new", "resolved"]})
        dispute = Dispute.objects.create(organization=org, evaluation=e1, round=1,
                                         raised_by=world.agent, reviewer=world.qa,
                                         due_at=days_ago(98))
        item = DisputeItem.objects.create(
            organization=org, dispute=dispute, attribute=e1.answers.first().attribute,
            reason="I did say sorry, ask Bob", original="No", comment="Alice is right")
    set_policy(org, evaluations_days=90, evaluations_mode="anonymise")

    assert run(org).outcome("evaluations").count == 3

    with scopes_disabled():
        event.refresh_from_db()
        dispute.refresh_from_db()
        item.refresh_from_db()
    assert event.changes == {"assigned_to": [None, None], "state": ["new", "resolved"]}
    assert (dispute.raised_by_id, dispute.reviewer_id) == (None, world.qa.pk)
    assert (item.reason, item.comment, item.original) == ("", "", "No")
