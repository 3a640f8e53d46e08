"""Demo quality data for ``manage.py seed_demo``: the "Customer care" scorecard, a few
hundred calls, chats and e-mails with transcripts (:mod:`quality.demo_transcripts`), every
one scored automatically, about a tenth audited by the QA analyst and the coaches, and a
few best-response bookmarks. With "Agent accept & dispute" on, six released audits of the
QA analyst are under the agents' review in every state (:func:`_reviews`).

Everything goes through the services a user's actions go through: the scorecard through
the import (:func:`quality.services.scorecards.import_scorecards`), the interactions
through work ingest (:func:`work.services.upsert_work_items`, so they have the same events
as a real feed), the automatic evaluations through the scorer, the audits through
start/save/submit. The auditors answer from what the agent really did
(:class:`quality.demo_transcripts.Facts`): where a rule catches that behaviour well
(greeting, compliance, closing, solving) the rule's answers agree with theirs and become
verified; where it does not (communication judged by handle time, empathy judged by an
apology right after a negative turn) they stay unverified.

Idempotent: each part is skipped when it is already there. Runs after the work, skills,
learning and surveys demo data, before routing and coaching.
"""

import random
from datetime import datetime, time, timedelta

from django.db import models, transaction
from django.utils import timezone

from skills.services import rebuild_recommendations
from tenancy.models import Organization, User
from work.models import WorkItem
from work.services import MAX_BATCH, upsert_work_items

from .demo_calibration import seed_calibration
from .demo_transcripts import (
    APOLOGY_PHRASES,
    CLOSING_PHRASES,
    FORBIDDEN_PHRASES,
    GREETING_PHRASES,
    SOLVED_PHRASES,
    TEAM_TOPICS,
    TOPIC_BY_KEY,
    TOPICS,
    Conversation,
    Facts,
    make_conversation,
    style_for,
)
from .enums import AnswerType, EvaluationKind, EvaluationState, ReleaseMode
from .models import Answer, BestResponse, Evaluation, Scorecard
from .selectors import quality_settings
from .services.agreement import refresh_agreement
from .services.allocation import allocate_week, current_week
from .services.answers import AnswerInput
from .services.audits import bookmark_best_response, save_draft, start_audit, submit_audit
from .services.autoscore import score_interaction
from .services.disputes import (
    Decision,
    DisputedAttribute,
    acknowledge,
    decide_dispute,
    open_review,
    raise_dispute,
)
from .services.scorecards import import_scorecards
from .services.settings import update_dispute_settings, update_quality_settings

DEMO_PREFIX = "DEMO-QA-"
SCORECARD_NAME = "Customer care"
INTERACTIONS = 300  # for a tenant with a QA analyst; smaller tenants get 10 per agent
DAYS = 30
AUDIT_SHARE = 0.12  # about a tenth of the interactions are audited by hand…
AUDITS_OVER_THE_BAR = 6  # …but with a QA analyst at least the verification bar's pairs + 6
AWAITING_RELEASE = 6  # the last audits wait for their release (the tenant releases later)
CHANNELS = ["call"] * 9 + ["chat"] * 7 + ["email"] * 4
CHANNEL_NAMES = {"call": "phone", "chat": "chat", "email": "email"}

# The scorecard, as an administrator would import it (weights sum to 100).
SCORECARD = {
    "name": SCORECARD_NAME,
    "default": True,
    "attributes": [
        {"name": "Greeting", "section": "Opening", "answer": "yes_no", "weight": 10,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "Opens with the company greeting and their own name, before anything "
                     "else. In an e-mail: thanks the customer for writing in the first reply.",
         "auto": {"rule": "agent_says", "phrases": GREETING_PHRASES,
                  "within_first_turns": 2}},
        {"name": "Empathy", "section": "Conversation", "answer": "yes_no", "weight": 20,
         "critical": False, "na_allowed": True, "disputable": True,
         "guidance": "When the customer is upset, acknowledges it in the next reply — an "
                     "apology or naming the frustration — before moving on to the fix. N/A "
                     "when the customer was never upset.",
         "auto": {"rule": "customer_negative_then_agent_says", "phrases": APOLOGY_PHRASES,
                  "within_turns": 2}},
        {"name": "Product knowledge", "section": "Conversation", "answer": "scale:4",
         "weight": 20, "critical": False, "na_allowed": True, "disputable": True,
         "guidance": "0: wrong or guessed. 2: correct but unsure, had to look everything "
                     "up. 4: explains the cause and the options with confidence and "
                     "the right figures (prices, dates, limits).",
         "auto": {"rule": "learned"}},
        {"name": "Communication", "section": "Conversation", "answer": "yes_no", "weight": 10,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "Explains in short, plain steps the customer can follow; no jargon, no "
                     "rambling. The automatic check only looks at whether the contact was "
                     "handled within ten minutes.",
         "auto": {"rule": "handle_time_at_most", "seconds": 600}},
        {"name": "Compliance", "section": "Compliance", "answer": "yes_no", "weight": 15,
         "critical": True, "na_allowed": False, "disputable": False,
         "guidance": "Never promises an outcome we do not control, never reads out a "
                     "password, never asks for a full card number, never talks about "
                     "colleagues or the company off the record. A failure sets the whole "
                     "evaluation to 0.",
         "auto": {"rule": "agent_never_says", "phrases": FORBIDDEN_PHRASES}},
        {"name": "Problem solving", "section": "Resolution", "answer": "yes_no", "weight": 15,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "Fixes the problem in this contact and says what was done. Passing it "
                     "on with a clear next step is a no here; the coaching is about what "
                     "could have been fixed first time.",
         "auto": {"rule": "agent_says", "phrases": SOLVED_PHRASES}},
        {"name": "Etiquette", "section": "Closing", "answer": "yes_no", "weight": 10,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "Offers further help and says goodbye politely at the end; a curt "
                     "\"bye\" or a thread that just stops is a no.",
         "auto": {"rule": "agent_says", "phrases": CLOSING_PHRASES, "within_last_turns": 2}},
    ],
}

# What an auditor writes beside a "no".
COMMENTS = {
    "greeting": "No greeting or name at the start.",
    "empathy": "The customer was upset and the reply went straight to the process.",
    "communication": "The explanation wandered; the customer had to piece it together.",
    "compliance": "Promised something we cannot control / said what must never be said.",
    "problem-solving": "Passed on; this one could have been fixed in the contact.",
    "etiquette": "No offer of further help, abrupt goodbye.",
}


def _demo_items(organization: Organization):
    return WorkItem.objects.filter(organization=organization,
                                   external_id__startswith=DEMO_PREFIX)


def _scorecard(organization: Organization, actor: User | None) -> Scorecard:
    card = Scorecard.objects.filter(organization=organization, name=SCORECARD_NAME,
                                    is_current=True).first()
    if card is None:
        import_scorecards(organization=organization, entries=[SCORECARD], actor=actor)
        card = Scorecard.objects.get(organization=organization, name=SCORECARD_NAME,
                                     is_current=True)
    return card


def _opened_at(rng: random.Random, tz, now: datetime) -> datetime:
    """A working-hours moment in the last ``DAYS`` days (the tenant's time zone)."""
    day = timezone.localdate(now, tz) - timedelta(days=rng.randrange(DAYS))
    moment = datetime.combine(day, time(8), tzinfo=tz) + timedelta(
        minutes=rng.randrange(10 * 60))
    return moment if moment < now - timedelta(hours=1) else moment - timedelta(days=1)


def _interactions(organization: Organization, people, rng: random.Random, count: int | None
                  ) -> dict[str, tuple[Conversation, User]]:
    """Create the demo interactions through ingest; returns their conversations by external
    id (the facts the auditors answer from)."""
    teams = {}
    for team in people.teams:
        for member in team.members.all():
            teams.setdefault(member.pk, team)
    agents = [a for a in people.agents if a.pk in teams]
    if not agents:
        return {}
    if count is None:
        count = INTERACTIONS if people.qa_analyst else 10 * len(agents)
    tz = organization.tzinfo
    now = timezone.now()
    items, conversations = [], {}
    for number in range(1, count + 1):
        index = (number - 1) % len(agents)
        agent = agents[index]
        team = teams[agent.pk]
        topic = TOPIC_BY_KEY[rng.choice(TEAM_TOPICS.get(team.name)
                                        or [t.key for t in TOPICS])]
        channel = rng.choice(CHANNELS)
        conversation = make_conversation(
            rng, channel=channel, style=style_for(people.agents.index(agent)), topic=topic,
            agent_name=agent.first_name or agent.username, org_name=organization.name)
        opened = _opened_at(rng, tz, now)
        external_id = f"{DEMO_PREFIX}{number:05d}"
        resolved = opened + timedelta(seconds=conversation.turns[-1]["at"] + 60)
        items.append({
            "external_id": external_id,
            "number": f"{channel.upper()}-Q{number:05d}",
            "kind": channel,
            "state": "resolved" if conversation.facts.solved else "closed",
            "short_description": topic.short,
            "description": f"{topic.name} ({CHANNEL_NAMES[channel]}), {topic.queue} queue.",
            "priority": 2 if conversation.escalated else 3,
            "category": topic.category,
            "subcategory": topic.name,
            "team": team.name,
            "assigned_to": agent.username,
            "resolved_by": agent.username,
            "opened_at": opened,
            "resolved_at": min(resolved, now),
            "escalated": conversation.escalated,
            "channel": CHANNEL_NAMES[channel],
            "handle_time_seconds": conversation.handle_time_seconds,
            "queue": topic.queue,
            "topic": topic.name,
            "transcript": conversation.turns,
        })
        conversations[external_id] = (conversation, agent)
    for start in range(0, len(items), MAX_BATCH):
        upsert_work_items(organization=organization, items=items[start:start + MAX_BATCH])
    return conversations


def _answers(facts: Facts) -> list[AnswerInput]:
    """An auditor's answers: what the agent did, read from the conversation."""
    said = {
        "greeting": facts.greeted,
        "empathy": facts.apologised,
        "communication": facts.clear,
        "compliance": not facts.slipped,
        "problem-solving": facts.solved,
        "etiquette": facts.closed,
    }
    answers = [AnswerInput(attribute_key="product-knowledge", answer=facts.knowledge)]
    for key, value in said.items():
        if value is None:
            answers.append(AnswerInput(attribute_key=key, answer="na"))
        else:
            answers.append(AnswerInput(attribute_key=key, answer="yes" if value else "no",
                                       comment="" if value else COMMENTS[key]))
    return answers


def _auditor(people, agent: User) -> User | None:
    """The coach of the agent's (first) team, who may audit them."""
    coach = next((t.manager for t in people.teams
                  if t.manager_id and agent in t.members.all()), None)
    return coach


def _release_later(organization: Organization) -> None:
    settings = quality_settings(organization)
    update_quality_settings(
        organization=organization, release_mode=ReleaseMode.AFTER_DELAY,
        release_delay_hours=settings.release_delay_hours,
        verify_min_kappa=settings.verify_min_kappa, verify_min_pairs=settings.verify_min_pairs,
        min_reviews=settings.min_reviews, learned_min_answers=settings.learned_min_answers,
        audits_per_agent_week=settings.audits_per_agent_week,
        audits_per_evaluator_day=settings.audits_per_evaluator_day,
        provider_enabled=settings.provider.enabled, provider_url=settings.provider.url,
        provider_model=settings.provider.model,
        provider_timeout_seconds=settings.provider.timeout_seconds,
    )


def _audits(organization: Organization, people, rng: random.Random,
            conversations: dict[str, tuple[Conversation, User]]) -> int:
    """About a tenth of the interactions audited: half of them the lowest automatic
    scores (where auditors look first), the rest at random; one left as a draft, the last
    few submitted after the tenant switched to delayed release (awaiting release)."""
    autos = list(Evaluation.objects.filter(
        organization=organization, kind=EvaluationKind.AUTO,
        interaction__external_id__in=list(conversations),
    ).select_related("interaction").order_by("total", "interaction__external_id"))
    wanted = max(1, round(len(autos) * AUDIT_SHARE))
    if people.qa_analyst:
        wanted = max(wanted, quality_settings(organization).verify_min_pairs
                     + AUDITS_OVER_THE_BAR)
    lowest = autos[:wanted // 2]
    rest = autos[wanted // 2:]
    chosen = lowest + rng.sample(rest, k=min(len(rest), wanted - len(lowest)))
    rng.shuffle(chosen)
    awaiting = AWAITING_RELEASE if len(chosen) > 3 * AWAITING_RELEASE else 0
    done = 0
    for position, auto in enumerate(chosen):
        conversation, agent = conversations[auto.interaction.external_id]
        # Two audits in three by the QA analyst, the rest by the agent's coach.
        auditor = people.qa_analyst if people.qa_analyst and position % 3 else \
            _auditor(people, agent)
        if auditor is None:
            continue
        audit = start_audit(interaction=auto.interaction, evaluator=auditor)
        answers = _answers(conversation.facts)
        if position == 0:  # one audit left half done
            save_draft(evaluation=audit, answers=answers[:3], actor=auditor)
            continue
        if position == len(chosen) - awaiting:
            _release_later(organization)
        submit_audit(evaluation=audit, answers=answers, actor=auditor,
                     comment="Listened to the whole contact." if position % 4 == 0 else None)
        done += 1
    return done


def _best_responses(organization: Organization, people,
                    conversations: dict[str, tuple[Conversation, User]]) -> None:
    """Bookmark the best examples of three behaviours."""
    if BestResponse.objects.filter(organization=organization).exists():
        return
    wanted = {
        "empathy": lambda f: f.upset and f.apologised and f.solved and f.knowledge == 4,
        "problem-solving": lambda f: f.solved and f.knowledge == 4 and f.clear,
        "etiquette": lambda f: f.greeted and f.closed and f.solved and not f.upset,
    }
    used = set()
    for key, fits in wanted.items():
        for external_id, (conversation, agent) in sorted(conversations.items()):
            if external_id in used or not fits(conversation.facts) or conversation.facts.slipped:
                continue
            actor = people.qa_analyst or _auditor(people, agent)
            if actor is None:
                continue
            interaction = WorkItem.objects.get(organization=organization,
                                               external_id=external_id)
            bookmark_best_response(interaction=interaction, attribute_key=key, actor=actor,
                                   note="A good example to play in coaching sessions.")
            used.add(external_id)
            break


# The agents' reviews of the demo: how many audits end up in each state.
WINDOW_DAYS = 7
REVIEWS = {"pending_agent": 2, "pending_supervisor": 1, "re_evaluated": 1, "resolved": 1,
           "accepted": 1}


def _contested(evaluation: Evaluation) -> str | None:
    """The key of a disputable yes/no attribute the audit answered "no" (what an agent
    would contest), or None."""
    return next((a.attribute.key for a in evaluation.answers.all()
                 if a.attribute.disputable and a.attribute.answer_type == AnswerType.YES_NO
                 and a.value == 0 and not a.na), None)


def _reviews(organization: Organization, people) -> int:
    """Turn "Agent accept & dispute" on and put six of the QA analyst's released audits
    (of different agents where possible) under review through the dispute services: two
    pending the agent, one disputed and pending the reviewer, one re-evaluated (a changed
    answer), one resolved after two rounds and one accepted. Returns how many (0, leaving
    the setting off, when the tenant has no QA analyst or too few audits of theirs)."""
    qa = people.qa_analyst
    if qa is None:
        return 0
    window = timedelta(days=WINDOW_DAYS)
    released = list(Evaluation.objects.filter(
        organization=organization, kind=EvaluationKind.MANUAL, evaluator=qa,
        state=EvaluationState.RELEASED, agent__isnull=False, review_state="",
        released_at__gt=timezone.now() - window + timedelta(hours=1),
    ).select_related("agent").prefetch_related(
        models.Prefetch("answers", queryset=Answer.objects.select_related("attribute")))
        .order_by("id"))
    # Different agents first, then the rest; the contested ones need a "no" to contest.
    firsts, again, seen = [], [], set()
    for evaluation in released:
        (again if evaluation.agent_id in seen else firsts).append(evaluation)
        seen.add(evaluation.agent_id)
    ordered = firsts + again
    contestable = [e for e in ordered if _contested(e)]
    plain = [e for e in ordered if e not in contestable[:3]]
    if len(contestable) < 3 or len(plain) < 3:
        return 0
    update_dispute_settings(organization=organization, enabled=True, max_rounds=2,
                            window_days=WINDOW_DAYS, sla_hours=48)
    disputed, changed, two_rounds = contestable[:3]
    waiting_1, waiting_2, accepted = plain[:3]
    for evaluation in (disputed, changed, two_rounds, waiting_1, waiting_2, accepted):
        with transaction.atomic():
            locked = Evaluation.objects.select_for_update(of=("self",)).select_related(
                "organization").get(pk=evaluation.pk)
            open_review(locked, actor=qa)
    acknowledge(evaluation=accepted, agent=accepted.agent)

    def contest(evaluation, reason, proposed="yes"):
        key = _contested(evaluation)
        return key, raise_dispute(evaluation=evaluation, agent=evaluation.agent, items=[
            DisputedAttribute(key, reason, proposed)])

    contest(disputed, "I did this; please listen to the whole contact.")
    key, dispute = contest(changed, "It is there in the transcript, near the end.")
    decide_dispute(dispute=dispute, reviewer=qa, decisions=[
        Decision(key, "changed", "You are right: it is there. Changed to yes.", "yes")])
    key, dispute = contest(two_rounds, "The customer cut me off before I could.")
    decide_dispute(dispute=dispute, reviewer=qa, decisions=[
        Decision(key, "upheld", "There was time before the customer hung up.")])
    key, dispute = contest(two_rounds, "Please ask a second reviewer to listen.", None)
    decide_dispute(dispute=dispute, reviewer=qa, decisions=[
        Decision(key, "upheld", "Listened again: the answer stands.")])
    return sum(REVIEWS.values())


def seed_quality(organization: Organization, people, stdout=None, *,
                 interactions: int | None = None) -> None:
    """The registered demo seeder; ``interactions`` overrides how many are made (tests)."""
    if _demo_items(organization).exists():
        seed_calibration(organization, people, stdout)  # idempotent: only what is missing
        return
    rng = random.Random(f"quality-{organization.slug}")
    scorecard = _scorecard(organization, people.org_admin)
    conversations = _interactions(organization, people, rng, interactions)
    # These interactions are resolved work too, and the skills seeder has already indexed
    # the resolved work: count them now, as the nightly rebuild (or a second seed) would.
    rebuild_recommendations(organization=organization)
    scored = 0
    items = (_demo_items(organization).select_related(
        "organization", "assigned_to", "resolved_by").order_by("external_id"))
    for interaction in items:
        # Scored here rather than waiting for the outbox; the work-event handler then finds
        # the automatic evaluation of this scorecard version unchanged and leaves it.
        score_interaction(interaction=interaction, scorecard=scorecard)
        scored += 1
    audited = _audits(organization, people, rng, conversations)
    if audited:
        refresh_agreement(organization=organization)
    _best_responses(organization, people, conversations)
    reviews = _reviews(organization, people) if audited else 0
    # Fill this week's audit queues, so the QA analyst does not land on an empty one.
    allocation = allocate_week(organization=organization,
                               week_start=current_week(organization))
    if stdout is not None:
        stdout.write(f"  quality: {scored} interactions scored, {audited} audited, "
                     f"{allocation.assigned} allocated for audit, {reviews} under the "
                     f"agents' review in {organization.slug}\n")
    seed_calibration(organization, people, stdout)
