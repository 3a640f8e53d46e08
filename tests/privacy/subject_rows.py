"""One person with a row in every model that can hold data about them (subject access
and erasure tests), plus another person of the same tenant and the same person in a
second tenant, whose rows must never appear in the first tenant's export."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.utils import timezone
from django_scopes import scopes_disabled

from privacy.subject import installed
from tenancy.models import Team, TeamManager, TeamMember, User
from tests.factories import Tenant

NAME = "Jane Doe"
USERNAME = "jdoe"
EMAIL = "jane.doe@example.com"


def M(label):
    return apps.get_model(label)


@dataclass
class Cast:
    tenant: Tenant
    other_tenant: Tenant
    person: User
    coach: User
    admin: User
    peer: User
    team: Team
    expected: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    team_of_peer: Team | None = None


def build(tenant: Tenant, other_tenant: Tenant) -> Cast:
    """Jane Doe (agent and coach) with one row in each model of :data:`PERSON_FIELDS` and
    :data:`CHILDREN`; ``expected`` lists the rows her export must hold, by model."""
    org = tenant.org
    now = timezone.now()
    today = timezone.localdate()
    with scopes_disabled():
        person = tenant.member(roles=("agent", "coach"), username=USERNAME, first_name="Jane",
                               last_name="Doe", email=EMAIL)
        coach = tenant.member(roles=("coach",), username="coachy", first_name="Carl",
                              last_name="Coach")
        admin = tenant.member(roles=("org_admin",), username="boss", first_name="Ada",
                              last_name="Admin")
        peer = tenant.member(roles=("agent",), username="peer", first_name="Paul",
                             last_name="Peer")
        team = tenant.team(name="Support", manager=coach, members=[person, peer])
        own_team = tenant.team(name="Jane's desk", manager=person)
        cast = Cast(tenant, other_tenant, person, coach, admin, peer, team)
        e = cast.expected

        def add(obj, label=None):
            e[label or obj._meta.label].add(obj.pk)
            return obj

        def new(label, **kwargs):
            return M(label).objects.create(organization=org, **kwargs)

        add(person.memberships.get(organization=org))
        M("tenancy.Membership").objects.filter(organization=org, user=person).update(
            about="I am Jane Doe and I like chess.")
        add(own_team)
        add(TeamMember.objects.get(team=team, user=person))
        add(TeamManager.objects.create(organization=org, team=team, user=person))
        add(new("tenancy.Invitation", email=EMAIL, roles=["agent"], key="k" * 32,
                invited_by=admin, accepted_by=person, expires_at=now, accepted_at=now))
        add(new("tenancy.ApiToken", name="Jane's token", key_prefix="cd_abc",
                key_hash="h" * 64, user=person, created_by=person))

        item = add(new("work.WorkItem", kind="call", external_id="CALL-1", number="CALL0001",
                       short_description="Billing question", assigned_to=person,
                       resolved_by=person, team=team, opened_at=now))
        add(new("work.Transcript", work_item=item, turn_count=2, turns=[
            {"speaker": "agent", "text": "Hello, this is Jane Doe, how can I help?"},
            {"speaker": "customer", "text": "Hi Jane Doe, my bill is wrong."}]))
        add(new("work.WorkEvent", work_item=item, type="updated",
                changes={"assigned_to": [None, USERNAME]}))
        add(new("work.WorkImport", filename="items.csv", created_by=person))
        # Someone else's item that only names her: found by the text search.
        add(new("work.WorkItem", kind="incident", external_id="INC-9",
                short_description="Escalated by jdoe", description=f"Ask {NAME} ({EMAIL}).",
                assigned_to=peer))
        # Text that looks like her but is not (whole words only): never found.
        new("work.WorkItem", kind="incident", external_id="INC-10",
            short_description="jdoes and jdoe2 and xjdoe", assigned_to=peer)
        peer_item = new("work.WorkItem", kind="call", external_id="CALL-2", assigned_to=peer,
                        opened_at=now)

        level = new("skills.SkillLevel", name="Basic", rank=1)
        skill = new("skills.Skill", name="Billing")
        add(new("skills.UserSkill", user=person, skill=skill, level=level, source="manual",
                acquired_at=now, changed_at=now))
        add(new("skills.SkillChange", user=person, skill=skill, kind="added", to_level=level,
                source="manual"))
        add(new("skills.SkillReview", user=person, skill=skill, level=level,
                justification="I resolved forty billing cases."))
        recommendation = add(new("skills.SkillRecommendation", user=person, skill=skill,
                                 count=5, threshold=5, score=0.9))
        add(new("skills.RecommendationActivity", recommendation=recommendation,
                verb="created", actor=coach, note="Looks right for her."))

        add(new("learning.LearningCatalog", title="Jane's shelf", owner=person))
        course = add(new("learning.CourseItem", title="Billing 101", source="url",
                         url="https://example.com", created_by=person))
        task = add(new("learning.LearningTask", assigned_to=person, course_item=course,
                       due_date=today))

        template = new("surveys.SurveyTemplate", name="How was it?", audience="general")
        question = new("surveys.Question", template=template, text="Comments?", kind="text")
        response = add(new("surveys.SurveyResponse", template=template, respondent=person,
                           due_at=now))
        add(new("surveys.Answer", response=response, question=question,
                text="My coach was great."))

        card = add(new("quality.Scorecard", key="calls", name="Calls", created_by=person))
        attribute = new("quality.Attribute", scorecard=card, key="greeting", name="Greeting")
        evaluation = add(new("quality.Evaluation", interaction=item, agent=person,
                             scorecard=card, kind="manual", evaluator=coach, total=80,
                             interaction_at=now, comment="Jane greeted well."))
        add(new("quality.Answer", evaluation=evaluation, attribute=attribute, value=1,
                comment="Good greeting."))
        add(new("quality.EvaluationChange", evaluation=evaluation, actor=coach,
                action="submitted"))
        add(new("quality.BestResponse", interaction=item, attribute_key="greeting",
                attribute_name="Greeting", created_by=person))
        add(new("quality.AuditAssignment", interaction=item, agent=person, evaluator=coach,
                week=today))
        add(new("quality.ScoreRollup", agent=person, day=today, kind="manual",
                scorecard_key="calls", n=1, total=80, total_sq=6400))
        dispute = add(new("quality.Dispute", evaluation=evaluation, round=1, raised_by=person,
                          reviewer=coach, due_at=now))
        add(new("quality.DisputeItem", dispute=dispute, attribute=attribute,
                reason="I did greet the customer.", original="No"))
        add(new("quality.CalibrationCandidate", subject="evaluator", evaluator=person))
        session = add(new("quality.CalibrationSession", name="Week 1", scorecard=card,
                          lead=person, deadline=now))
        add(new("quality.CalibrationParticipant", session=session, evaluator=person))
        calibration_item = new("quality.CalibrationItem", session=session,
                               interaction=peer_item)
        add(new("quality.CalibrationReference", item=calibration_item, attribute=attribute,
                value=1, decided_by=person))
        add(new("quality.CalibrationDeviation", session=session, evaluator=person, n=1))

        opportunity = add(new("opportunities.CoachingOpportunity", name="Escalations",
                              named_coach=person, coach_choice="named"))
        add(new("opportunities.OpportunityMatch", opportunity=opportunity, work_item=item,
                agent=person, outcome="fired"))

        add(new("routing.RoutingDecision", work_item=item, trigger="auto",
                outcome="assigned", assigned_to=person, reason="Best match",
                candidates=[{"agent": USERNAME, "score": 1.0}]))
        if installed("routing.AgentRoutingState"):
            add(new("routing.AgentRoutingState", user=person, last_assigned_at=now))
        if installed("routing.AgentOpenItems"):
            add(new("routing.AgentOpenItems", user=person, kind="call", open_items=1))

        assessment = add(new("coaching.CoachingAssessment", trainee=person, coach=coach,
                             due_date=today, comments="Jane needs to slow down."))
        add(new("coaching.AssessmentSkill", assessment=assessment, skill=skill, level=level))
        add(new("coaching.AssessmentCourse", assessment=assessment, course=course))
        add(new("coaching.AssessmentLearningTask", assessment=assessment, task=task))
        add(new("coaching.AssessmentSurvey", assessment=assessment, response=response))
        add(new("coaching.AssessmentTransition", assessment=assessment, to_state="open",
                actor=coach, actor_label="Carl Coach"))
        group = add(new("coaching.CoachingGroup", name="Greeters", created_by=person))
        add(new("coaching.CoachingGroupAgent", group=group, agent=person))
        assignment = add(new("coaching.CoachingAssignment", name="Greeting", agent=person,
                             assigned_date=today, follow_up_date=today,
                             strengths="Friendly", improvements="Pace",
                             action_plan=["Listen first"]))
        add(new("coaching.AssignmentArea", assignment=assignment, attribute_key="greeting",
                attribute_name="Greeting"))
        add(new("coaching.AssignmentInteraction", assignment=assignment, interaction=item))
        best = M("quality.BestResponse").objects.get(interaction=item)
        add(new("coaching.AssignmentExample", assignment=assignment, best_response=best))
        add(new("coaching.CoachingMark", agent=person, attribute_key="greeting",
                attribute_name="Greeting", interaction=item, marked_by=coach))
        plan = add(new("coaching.CoachingPlan", agent=person, manager=coach,
                       attribute_key="greeting", attribute_name="Greeting",
                       advice="Greet by name.", target_percent=90, target_date=today))
        add(new("coaching.PlanExample", plan=plan, interaction=item))
        add(new("coaching.PlanNote", plan=plan, author=coach, text="We met on Monday."))
        add(new("coaching.AdviceFeedback", user=person, attribute_key="greeting",
                variant_key="v1", vote=1))

        add(new("privacy.AccessRecord", subject=person, viewer=coach,
                viewer_label="Carl Coach", kind="evaluation"))
        add(new("privacy.AccessRecord", subject=peer, viewer=person, viewer_label=NAME,
                kind="evaluation"))

        # The peer's own data (never in Jane's export).
        new("quality.Evaluation", interaction=peer_item, agent=peer, scorecard=card,
            kind="manual", evaluator=coach, total=60, interaction_at=now, comment="Fine.")
        new("quality.ScoreRollup", agent=peer, day=today, kind="manual",
            scorecard_key="calls", n=1, total=60, total_sq=3600)
        new("coaching.CoachingAssessment", trainee=peer, coach=coach, due_date=today)

        # Jane in the other tenant: her data there is another export.
        other = other_tenant.org
        M("tenancy.Membership").objects.create(organization=other, user=person, is_agent=True,
                                               about="Jane Doe at the other company.")
        M("work.WorkItem").objects.create(organization=other, kind="call",
                                          external_id="CALL-1", assigned_to=person,
                                          description="Jane Doe handled it.")
        cast.team_of_peer = team
    return cast


def tenant_text_hits(organization, words) -> dict[str, int]:
    """Rows of the tenant whose text or JSON columns contain any of ``words`` (any case,
    as a substring): the whole tenant searched, for the erasure tests."""
    from django.db import models
    from django.db.models import Q
    from django.db.models.functions import Cast as DbCast

    from privacy.subject import tenant_models

    hits = {}
    with scopes_disabled():
        for model_class in tenant_models():
            columns = [f for f in model_class._meta.concrete_fields
                       if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
            if not columns:
                continue
            q = Q()
            aliases = {}
            for f in columns:
                name = f.name
                if isinstance(f, models.JSONField):
                    name = f"_t_{f.name}"
                    aliases[name] = DbCast(f.name, models.TextField())
                for word in words:
                    q |= Q(**{f"{name}__icontains": word})
            n = (model_class.objects.filter(organization=organization).alias(**aliases)
                 .filter(q).count())
            if n:
                hits[model_class._meta.label] = n
    return hits
