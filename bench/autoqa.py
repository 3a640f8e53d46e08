"""Benchmark: interactions auto-scored per second per process, with a 10-attribute
scorecard and 30-turn transcripts (aim ≥ 100/s: a 120,000-interaction day in well under
an hour on one core).

Usage (the database must be migrated; PostgreSQL as in production)::

    DATABASE_URL=postgres://… .venv/bin/python bench/autoqa.py [--interactions N]

Two figures:

- *scorers only*: the rule scorer on 10 attributes plus the customer's sentiment (VADER)
  and the choice of answers, in memory — the CPU cost of scoring;
- *end to end*: :func:`quality.services.autoscore.score_interaction` on interactions stored
  in a throw-away organization — reading the transcript, scoring, writing the evaluation,
  its answers, history and rollups, releasing it — in one batch (a
  :class:`~quality.services.autoscore.ScoringContext`), as the worker's handler does; with
  the queries per new interaction in a batch and alone, and the rate of rescoring an
  unchanged interaction.

Transcripts are synthetic but shaped like support chats (greeting, problem, checks,
frustration, apology, resolution, closing; offsets in seconds). Prints both rates and
their ratio to the aim; never fails for slowness. Deletes its organization at the end.
"""

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from quality.enums import AnswerType  # noqa: E402
from quality.models import Attribute, Evaluation, Scorecard  # noqa: E402
from quality.services.autoscore import (  # noqa: E402
    ScoringContext,
    choose_answers,
    run_scorers,
    score_interaction,
)
from tenancy.models import Organization, User  # noqa: E402
from tenancy.services import add_member  # noqa: E402
from work.models import Transcript, WorkItem  # noqa: E402

AIM = 100.0

ATTRIBUTES = [
    ("greeting", {"rule": "agent_says", "phrases": ["thank you for calling",
                                                    "thanks for contacting"],
                  "within_first_turns": 2}),
    ("verification", {"rule": "agent_says", "regex": True,
                      "phrases": [r"(account|order) number", r"date of birth"]}),
    ("empathy", {"rule": "agent_says", "phrases": ["sorry", "i understand", "apologize"]}),
    ("apology", {"rule": "customer_negative_then_agent_says",
                 "phrases": ["sorry", "apologize", "i understand"]}),
    ("compliance", {"rule": "agent_never_says", "phrases": ["guarantee", "your password is",
                                                            "not my problem"]}),
    ("closing", {"rule": "agent_says", "phrases": ["anything else", "have a great day"],
                 "within_last_turns": 3}),
    ("handle-time", {"rule": "handle_time_at_most", "seconds": 900}),
    ("silence", {"rule": "silence_at_most", "seconds": 90}),
    ("satisfaction", {"rule": "sentiment_at_least", "threshold": 0.05}),
    ("ownership", {"rule": "learned"}),
]

AGENT = {
    "open": ["Thank you for calling Northwind support, my name is {name}. How can I help?",
             "Hi, thanks for contacting us! This is {name}, what can I do for you today?",
             "Good morning, you're through to {name}. What seems to be the problem?"],
    "verify": ["Could I have your account number, please?",
               "Can you confirm your order number and the date of birth on the account?",
               "Before I look, may I have the email address on the account?"],
    "work": ["Let me pull that up for you, one moment.",
             "I can see the order here; it left our warehouse on Monday.",
             "I'm checking with the billing team now.",
             "I have reset the connection from our side, could you restart the router?",
             "The refund was issued yesterday and should arrive in 3 to 5 business days.",
             "I've updated the delivery address on the order.",
             "That plan includes unlimited calls but data is capped at 20 GB.",
             "I see two charges; the second one is a pre-authorisation that will drop off."],
    "empathy": ["I'm really sorry about the trouble this has caused.",
                "I understand how frustrating that must be, let's fix it.",
                "I apologize for the wait, thanks for your patience."],
    "bad": ["I guarantee it will never happen again.", "Well, that is not my problem."],
    "close": ["Is there anything else I can help you with today?",
              "Glad we sorted it. Have a great day!", "Okay, bye."],
}
CUSTOMER = {
    "problem": ["Hi, my internet keeps dropping every evening.",
                "I was charged twice for my last order.",
                "My parcel says delivered but it's not here.",
                "I can't log in to my account since the update."],
    "detail": ["Sure, it's 4471 2290.", "It started last Tuesday.", "Yes, that's right.",
               "I already restarted it twice.", "It was the blue one, size medium.",
               "Okay, hold on.", "The email is on the account, yes."],
    "angry": ["This is ridiculous, I've called three times already and nobody helps!",
              "Honestly this is terrible service, I'm really annoyed.",
              "I'm so frustrated, I want to cancel."],
    "happy": ["Great, thank you so much, that's really helpful!", "Perfect, thanks.",
              "Okay that works, appreciate it."],
}


def synthetic_turns(rng: random.Random, count: int = 30) -> list[dict]:
    turns, at = [], 0
    for i in range(count):
        agent = i % 2 == 0
        if agent:
            if i == 0:
                text = rng.choice(AGENT["open"]).format(name=rng.choice(["Sam", "Ana", "Lee"]))
            elif i == 2:
                text = rng.choice(AGENT["verify"])
            elif i >= count - 4:
                text = rng.choice(AGENT["close"])
            elif rng.random() < 0.15:
                text = rng.choice(AGENT["empathy"])
            elif rng.random() < 0.02:
                text = rng.choice(AGENT["bad"])
            else:
                text = rng.choice(AGENT["work"])
        elif i == 1:
            text = rng.choice(CUSTOMER["problem"])
        elif i >= count - 3:
            text = rng.choice(CUSTOMER["happy"])
        elif rng.random() < 0.15:
            text = rng.choice(CUSTOMER["angry"])
        else:
            text = rng.choice(CUSTOMER["detail"])
        turns.append({"speaker": "agent" if agent else "customer", "text": text, "at": at})
        at += rng.randint(3, 60 if rng.random() < 0.95 else 150)
    return turns


def make_scorecard(organization) -> Scorecard:
    card = Scorecard.objects.create(organization=organization, key="bench", name="Bench",
                                    is_default=True)
    for position, (key, auto) in enumerate(ATTRIBUTES):
        Attribute.objects.create(organization=organization, scorecard=card, key=key,
                                 name=key.replace("-", " ").title(), position=position,
                                 weight=10, auto=auto, answer_type=AnswerType.YES_NO)
    return card


def bench_scorers(organization, card, transcripts) -> float:
    attributes = list(card.attributes.all())
    started = time.perf_counter()
    for turns in transcripts:
        outcome = run_scorers(organization=organization, scorecard=card, attributes=attributes,
                              turns=turns, handle_time=None, learned_scorers=[])
        choose_answers(attributes, outcome, {})
    return len(transcripts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--show-queries", action="store_true")
    args = parser.parse_args()
    rng = random.Random(14)
    transcripts = [synthetic_turns(rng, args.turns) for _ in range(args.interactions)]

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    organization = Organization.objects.create(name="Bench", slug=slug)
    try:
        with scope(organization=organization):
            agent = User.objects.create(username=f"{slug}-agent")
            add_member(organization=organization, user=agent, roles=["agent"])
            card = make_scorecard(organization)
            scorers_rate = bench_scorers(organization, card, transcripts)

            items = WorkItem.objects.bulk_create([
                WorkItem(organization=organization, kind="chat", external_id=f"CH{i}",
                         assigned_to=agent, resolved_by=agent, state="resolved")
                for i in range(args.interactions)
            ])
            Transcript.objects.bulk_create([
                Transcript(organization=organization, work_item=item, turns=turns,
                           turn_count=len(turns))
                for item, turns in zip(items, transcripts, strict=True)
            ])
            # As the worker's outbox does: commits do not wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")
            # Alone: everything read afresh (a call outside a batch).
            score_interaction(interaction=items[0])  # warm the process's caches
            with CaptureQueriesContext(connection) as queries:
                score_interaction(interaction=items[1])
            alone = len(queries)
            # In a batch, as the worker's handler scores a run of work events.
            context = ScoringContext()
            score_interaction(interaction=items[2], context=context)
            with CaptureQueriesContext(connection) as queries:
                score_interaction(interaction=items[3], context=context)
            per_interaction = len(queries)
            if args.show_queries:
                for query in queries.captured_queries:
                    print(f"  {query['time']:>6} {query['sql'][:150]}")
            started, cpu_started = time.perf_counter(), time.process_time()
            for item in items[4:]:
                score_interaction(interaction=item, context=context)
            elapsed = time.perf_counter() - started
            end_to_end = (len(items) - 4) / elapsed
            cpu_rate = (len(items) - 4) / (time.process_time() - cpu_started)
            sample = items[4:204]
            with CaptureQueriesContext(connection) as queries:
                score_interaction(interaction=sample[0], context=context)
            rescore_queries = len(queries)
            rescore_started = time.perf_counter()
            for item in sample:
                score_interaction(interaction=item, context=context)  # unchanged: read, compare
            rescore = len(sample) / (time.perf_counter() - rescore_started)
    finally:
        with scopes_disabled():
            # Evaluations protect their scorecard version, which protects the organization.
            Evaluation.objects.filter(organization=organization).delete()
            Scorecard.objects.filter(organization=organization).delete()
            organization.delete()
            User.objects.filter(username__startswith=f"{slug}-").delete()

    print(f"autoqa bench: {args.interactions} interactions, {len(ATTRIBUTES)} attributes, "
          f"{args.turns}-turn transcripts, {connection.vendor}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (a shared machine slows every figure "
          "but the query counts)")
    print(f"  scorers only (rules + sentiment + choice): {scorers_rate:8.1f} interactions/s "
          f"({scorers_rate / AIM:.1f}× the {AIM:.0f}/s aim)")
    print(f"  end to end (score_interaction, writes):    {end_to_end:8.1f} interactions/s "
          f"({end_to_end / AIM:.2f}× the aim)")
    print(f"  end to end, this process's CPU time only:  {cpu_rate:8.1f} interactions/s "
          "(without waiting for the database)")
    print(f"  queries per new interaction: {per_interaction} in a batch, {alone} alone")
    print(f"  rescoring an unchanged interaction:        {rescore:8.1f} interactions/s "
          f"({rescore_queries} queries each)")
    print(f"  a 120,000-interaction day on one process:  {120_000 / end_to_end / 60:.0f} min")


if __name__ == "__main__":
    main()
