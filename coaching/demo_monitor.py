"""Demo data for the coaching monitor (``seed_demo``, after the coaching-from-quality
seeder): two coaching assignments dated six days ago, so the monitor's default filter
(assigned in the last 7 days) shows them with a full week before and after —

- one agent whose coached attribute went from mostly "no" to mostly "yes" while their team
  mates stayed level: a significant improvement against the comparison group;
- one agent with two audits before and one after: "too little data to tell".

Every score is a real audit of a real interaction, written through the quality services
(ingest, :func:`quality.services.audits.submit_audit`, whose answer writer keeps the
rollups). The coached attribute is one the monitor reads from audits (no verified
automatic scorer), so the audits are what it shows. Skips quietly when the quality demo
did not run, when no team has six agents, or when it ran before (idempotent).
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

PREFIX = "DEMO-CM-"
PER_DAY = 3  # audits a day of the coached agent; team mates get about half
MATES = 5


def _pattern(count: int, yes: int) -> list[bool]:
    """``yes`` of ``count`` answers "yes", spread evenly (deterministic)."""
    return [(i * yes) // count != ((i + 1) * yes) // count for i in range(count)]


def seed_coaching_monitor(organization, people, stdout) -> None:
    from django.db.models import Sum

    from quality.enums import EvaluationKind
    from quality.models import ScoreRollup
    from quality.services.answers import AnswerInput
    from quality.services.audits import start_audit, submit_audit
    from skills.services import rebuild_recommendations
    from work.models import WorkItem
    from work.services import upsert_work_items

    from .models import AssignmentInteraction, CoachingAssignment
    from .selectors_monitor import scoring_of
    from .services.assignments import MarkedInteraction, create_assignment, today_for

    qa = people.qa_analyst or people.org_admin
    if qa is None or WorkItem.objects.filter(organization=organization,
                                             external_id__startswith=PREFIX).exists():
        return
    scoring = scoring_of(organization)
    manual_keys = [a.key for a in scoring.attributes if not scoring.automatic(a.key)]
    team = next((t for t in people.teams if t.members.count() >= MATES + 2), None)
    if scoring.scorecard is None or len(manual_keys) < 2 or team is None:
        return
    coached_key, other_key = manual_keys[0], manual_keys[-1]
    names = {a.key: a.name for a in scoring.attributes}
    members = sorted(team.members.all(), key=lambda u: u.username)
    coached, mates = members[0], members[1:1 + MATES]

    today = today_for(organization)
    assigned = today - timedelta(days=6)
    tz = organization.tzinfo
    plan = []  # (agent, day, answer of the coached attribute)
    before = [assigned - timedelta(days=d) for d in range(7, 0, -1)]
    after = [assigned + timedelta(days=d) for d in range(7)]
    for days, yes_share in ((before, 0.25), (after, 0.85)):
        answers = _pattern(len(days) * PER_DAY, round(len(days) * PER_DAY * yes_share))
        for i, day in enumerate(d for d in days for _ in range(PER_DAY)):
            plan.append((coached, day, coached_key, answers[i]))
    for mate_index, mate in enumerate(mates):
        for days in (before, after):
            chosen = days[mate_index % 2::2]
            answers = _pattern(len(chosen), len(chosen) // 2)
            plan.extend((mate, day, coached_key, yes)
                        for day, yes in zip(chosen, answers, strict=True))
    # The sparse agent: the remaining team mate with the fewest audits of the other area
    # in these days, given two audits before and one after.
    audited = dict(ScoreRollup.objects.filter(
        organization=organization, kind=EvaluationKind.MANUAL, attribute_key=other_key,
        day__gte=before[0], agent__in=members[1 + MATES:]).values("agent_id")
        .annotate(n=Sum("n")).values_list("agent_id", "n"))
    sparse = min(members[1 + MATES:], key=lambda u: (audited.get(u.pk, 0), u.username))
    for day in (*before[-2:], after[0]):
        plan.append((sparse, day, other_key, False))

    items = []
    for number, (agent, day, _key, _yes) in enumerate(plan, start=1):
        opened = datetime.combine(day, time(9), tz) + timedelta(minutes=13 * (number % 40))
        opened = min(opened, timezone.now() - timedelta(minutes=30))
        items.append({
            "external_id": f"{PREFIX}{number:04d}", "kind": "call", "state": "resolved",
            "short_description": "Billing question", "team": team.name,
            "assigned_to": agent.username, "resolved_by": agent.username,
            "opened_at": opened, "resolved_at": opened + timedelta(minutes=8),
            "transcript": [{"speaker": "customer", "text": "I have a question about my bill.",
                            "at": 0},
                           {"speaker": "agent", "text": "Let me look at that for you.",
                            "at": 20}],
        })
    upsert_work_items(organization=organization, items=items)
    # Resolved work the skills seeder has not counted yet: count it now, as the nightly
    # rebuild (or a second seed) would, so a second seed_demo changes nothing.
    rebuild_recommendations(organization=organization)
    interactions = {w.external_id: w for w in WorkItem.objects.filter(
        organization=organization, external_id__startswith=PREFIX)
        .select_related("organization", "assigned_to", "resolved_by")}
    first_of: dict = {}
    for number, (agent, _day, key, yes) in enumerate(plan, start=1):
        interaction = interactions[f"{PREFIX}{number:04d}"]
        audit = start_audit(interaction=interaction, evaluator=qa)
        answers = []
        for attribute in audit.scorecard.attributes.all():
            value = ("yes" if yes else "no") if attribute.key == key else "yes"
            if attribute.answer_type == "scale":
                value = attribute.scale_max
            answers.append(AnswerInput(attribute.key, value))
        submit_audit(evaluation=audit, answers=answers, actor=qa)
        first_of.setdefault(agent.pk, (interaction, audit))

    made = []
    for agent, key in ((coached, coached_key), (sparse, other_key)):
        name = f"{names[key]} on every contact"
        interaction, audit = first_of[agent.pk]
        assignment = create_assignment(
            organization=organization, agent=agent, assigner=qa, name=name,
            areas=[(key, names[key])],
            interactions=[MarkedInteraction(interaction, audit, names[key])],
            follow_up_date=today + timedelta(days=7),
            strengths="Friendly and clear.", improvements=f"{names[key]}: see the examples.",
            action_plan=["Listen back the marked call", "Practise with the examples"])
        made.append(assignment.pk)
    # Assignments are dated the day they are made; the demo's were made six days ago.
    CoachingAssignment.objects.filter(pk__in=made).update(assigned_date=assigned)
    AssignmentInteraction.objects.filter(assignment_id__in=made).update(reviewed_at=None)
    if stdout is not None:
        stdout.write(f"  coaching monitor: {len(plan)} audits, 2 assignments in "
                     f"{organization.slug}\n")
