"""Evaluate the automatic rule scorer against labelled real conversations (the STAR
schema-guided agent↔customer chats, Rasa, MIT licence).

    .venv/bin/python bench/autoqa_eval.py [../shared/data/star/star-shared.tar.gz]

The data is read where it lies and never copied into the repository; without it the
script prints why it skips and exits 0 (CI never depends on it).

Labels that map to attributes (what the customer saw: customer utterances and the agent's
sent replies, in order; ``at`` = seconds since the first visible turn):

- **Greeting** — yes when one of the agent's first 2 turns is the schema's ``hello`` reply.
  Rule: ``agent_says`` greeting phrases within the first 2 agent turns.
- **Closing** — yes when one of the agent's last 3 turns is ``anything_else`` or a
  ``goodbye_*`` reply. Rule: ``agent_says`` closing phrases within the last 3 agent turns.
- **Manner** — the customer's questionnaire answer to "was the assistant calm and
  helpful?". Rule: ``sentiment_at_least`` 0.05 over the customer's last 3 turns (VADER); a
  proxy, expected to be weak: the label is the customer's judgement of the *agent*.

Only the ``ActionLabel`` decides the label; the rules read the text only, with phrases
written for contact centres in general (not taken from the data's templates), so free-typed
agent replies that greet or close count for the rule but not for the label. Prints, per
attribute, n, the label's yes share, percent agreement, Cohen's κ and the confusion counts.
"""

import argparse
import json
import os
import re
import sys
import tarfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "star" / "star-shared.tar.gz"

import django  # noqa: E402

django.setup()

from quality.models import Attribute  # noqa: E402
from quality.scoring.rules import NA, Conversation, RuleScorer  # noqa: E402
from quality.services.agreement import cohen_kappa, percent_agreement  # noqa: E402

VISIBLE = {("User", "utter"): "customer", ("Wizard", "utter"): "agent",
           ("Wizard", "pick_suggestion"): "agent"}

RULES = {
    "greeting": {"rule": "agent_says", "within_first_turns": 2, "phrases": [
        "hello", "hi", "hey", "good morning", "good afternoon", "good evening", "welcome",
        "how can i help", "how may i help", "what can i do for you", "thank you for calling",
        "thanks for contacting"]},
    "closing": {"rule": "agent_says", "within_last_turns": 3, "phrases": [
        "anything else", "goodbye", "bye", "have a nice day", "have a great day",
        "have a good day", "take care", "thank you for calling", "thanks for contacting",
        "glad i could help", "is there something else"]},
    "manner": {"rule": "sentiment_at_least", "threshold": 0.05},
}


def load(path: Path):
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if re.fullmatch(r"dialogues/\d+\.json", member.name):
                yield json.load(archive.extractfile(member))


def transcript(dialogue) -> tuple[list[dict], list[str | None]]:
    turns, labels, start = [], [], None
    for event in dialogue["Events"]:
        speaker = VISIBLE.get((event["Agent"], event["Action"]))
        if speaker is None:
            continue
        at = event.get("UnixTime")
        if at is not None and start is None:
            start = at
        turn = {"speaker": speaker, "text": event.get("Text") or ""}
        if at is not None:
            turn["at"] = round(at - start, 1)
        turns.append(turn)
        labels.append(event.get("ActionLabel") if speaker == "agent" else None)
    return turns, labels


def labels_of(dialogue, turns, action_labels) -> dict[str, int | None]:
    agent = [i for i, t in enumerate(turns) if t["speaker"] == "agent"]
    if not agent:
        return {}
    first, last = agent[:2], agent[-3:]
    found = {
        "greeting": int(any(action_labels[i] == "hello" for i in first)),
        "closing": int(any((action_labels[i] or "") == "anything_else"
                           or (action_labels[i] or "").startswith("goodbye") for i in last)),
    }
    manner = [q["Answer"] for q in dialogue.get("UserQuestionnaire") or []
              if "calm and helpful" in q.get("Question", "")]
    if manner:
        found["manner"] = int(bool(manner[0]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--limit", type=int, default=0, help="read at most this many dialogues")
    args = parser.parse_args()
    if not args.path.exists():
        print(f"skipped: {args.path} is not here (see ../shared/data/star/SOURCE.md)")
        return

    scorer = RuleScorer()
    attributes = [Attribute(pk=n, key=key, name=key.title(), auto=rule, answer_type="yes_no")
                  for n, (key, rule) in enumerate(RULES.items(), start=1)]
    pairs: dict[str, list[tuple[int, int]]] = {key: [] for key in RULES}
    skipped = Counter()
    dialogues = 0
    for dialogue in load(args.path):
        dialogues += 1
        if args.limit and dialogues > args.limit:
            break
        turns, action_labels = transcript(dialogue)
        truth = labels_of(dialogue, turns, action_labels)
        if not truth:
            skipped["no agent turn"] += 1
            continue
        answers, errors = scorer.score(attributes, Conversation(turns))
        assert not errors, errors
        for key, label in truth.items():
            answer = answers.get(key)
            if answer is None or answer.value == NA:
                skipped[f"{key}: rule N/A"] += 1
                continue
            pairs[key].append((int(answer.value), label))

    print(f"autoqa eval on STAR ({args.path.name}): {dialogues} dialogues read")
    print(f"{'attribute':10} {'n':>6} {'label yes':>9} {'rule yes':>8} {'agree':>7} {'kappa':>7}"
          "   confusion (rule/label: yy yn ny nn)")
    for key, found in pairs.items():
        rule = [r for r, _ in found]
        label = [h for _, h in found]
        counts = Counter(found)
        print(f"{key:10} {len(found):6d} {sum(label) / len(label):9.3f} "
              f"{sum(rule) / len(rule):8.3f} {percent_agreement(rule, label):7.3f} "
              f"{cohen_kappa(rule, label):7.3f}   "
              f"{counts[(1, 1)]} {counts[(1, 0)]} {counts[(0, 1)]} {counts[(0, 0)]}")
    if skipped:
        print("left out:", ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())))


if __name__ == "__main__":
    main()
