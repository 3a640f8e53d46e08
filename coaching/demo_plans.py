"""Demo data for behaviour coaching plans (``seed_demo``, after the quality and coaching
seeders): a plan in every status, advice feedback, one agent who improved and one who did
not — all through :mod:`coaching.services.plans`.

The decided plans cover the last four weeks: they are created and sent like any plan, then
dated back (as the coaching-monitor demo dates its assignments) and decided by the beat
task's service from the agents' real audit scores; the targets are chosen from those
scores so that one plan reaches its target and one misses it. Skips quietly when the
quality demo did not run or no coach has agents with enough audits; runs once per tenant.
"""

import math
from datetime import timedelta

PERIOD_DAYS = 28


def seed_coaching_plans(organization, people, stdout) -> None:
    from tenancy.selectors import coachable_agents

    from .advice import compose_advice
    from .models import CoachingPlan
    from .selectors_behaviours import Sums, estimate_of, read_sums, scoring_of
    from .services.plans import (
        add_note,
        create_plan,
        evaluate_due_plans,
        open_plan,
        record_advice_feedback,
        send_plan,
        today_for,
    )

    if CoachingPlan.objects.filter(organization=organization).exists():
        return
    scoring = scoring_of(organization)
    if scoring.scorecard is None or not scoring.attributes:
        return
    today = today_for(organization)
    start, end = today - timedelta(days=PERIOD_DAYS), today - timedelta(days=1)
    # A coach with at least five agents, two of whom have a behaviour with enough audits
    # over the period (one to reach its target, one to miss it).
    for coach in people.coaches:
        coached_ids = set(coachable_agents(organization, coach).values_list("user_id",
                                                                           flat=True))
        agents = sorted((a for a in people.agents if a.pk in coached_ids),
                        key=lambda u: u.username)
        # Every agent's sums in one query (behaviour_score per agent and behaviour read
        # them one query each: thousands at 500 agents).
        sums = read_sums(organization, scoring, agents=[a.pk for a in agents], start=start,
                         end=end, keys=[a.key for a in scoring.attributes])
        scored = []
        for agent in agents:
            for attribute in scoring.attributes:
                score = estimate_of(sums.get(agent.pk, {}).get(attribute.key, Sums()),
                                    scoring.attribute(attribute.key), scoring.minimum)
                if score.enough and score.value is not None and 1 <= score.value <= 95:
                    scored.append((agent, attribute, score.value))
                    break
            if len(scored) == 2:
                break
        if len(agents) >= 5 and len(scored) == 2:
            break
    else:
        return
    (improved, improved_attr, improved_score), (missed, missed_attr, missed_score) = scored
    shared_one, working_one, draft_one = [a for a in agents
                                          if a not in (improved, missed)][:3]
    key = improved_attr.key

    def plan(agent, attribute, target, days):
        advice = compose_advice(organization, agent, attribute.key)
        made = create_plan(organization=organization, manager=coach, agent=agent,
                           attribute_key=attribute.key, advice=advice.text,
                           target_percent=target, target_date=today + timedelta(days=days),
                           example_ids=[item.pk for item in advice.examples],
                           advice_variant=advice.variant_key)
        return made

    reached = plan(improved, improved_attr, max(0, math.floor(improved_score)), 1)
    short = plan(missed, missed_attr, min(100, math.ceil(missed_score) + 10), 1)
    for decided in (reached, short):
        send_plan(plan=decided, actor=coach)
        add_note(plan=decided, author=coach, text="Went through the examples together.")
    # Sent four weeks ago, target yesterday: the beat task decides them from the audits.
    CoachingPlan.objects.filter(pk__in=[reached.pk, short.pk]).update(
        start_date=start, target_date=end)
    evaluate_due_plans(organization=organization, today=today)

    sent = send_plan(plan=plan(shared_one, improved_attr, 85, 21), actor=coach)
    working = send_plan(plan=plan(working_one, improved_attr, 80, 14), actor=coach)
    open_plan(plan=working, user=working_one)
    add_note(plan=working, author=coach, text="Agreed to listen back to one call a day.")
    plan(draft_one, improved_attr, 75, 28)

    record_advice_feedback(organization=organization, user=coach, attribute_key=key,
                           variant_key="embedded:contrast", vote=1)
    record_advice_feedback(organization=organization, user=people.org_admin,
                           attribute_key=key, variant_key="embedded:steps", vote=-1)
    if stdout is not None:
        stdout.write(f"  coaching plans: 5 plans (one per status; {sent.agent} shared) in "
                     f"{organization.slug}\n")
