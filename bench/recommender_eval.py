"""Evaluate the skill recommender on real resolved issues (Apache HBase JIRA), against
simple baselines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python \\
        bench/recommender_eval.py ../shared/data/jira-hbase/issues

The data is read where it lies and never copied into the repository; without it the
script prints why it skips and exits 0 (CI never depends on it).

Components are skills and assignees are agents. Fixed issues with a named assignee are
split by resolution date (``--split`` of them before). An agent's profile is the
components they resolved at least ``--k`` times before the split. The earlier issues are
imported tagged with their components, the later ones untagged, through
``manage.py import_work_items``; profiles are awarded; ``manage.py recommend_skills
--json`` runs the recommender. Scores:

- recommendations: precision = share of recommended (agent, skill) pairs where the agent
  really resolved at least one later issue with that component; recall = share of the
  (agent, component) pairs outside the profile with at least ``--threshold`` later issues
  that were recommended;
- prediction: share of the later issues with a component whose best predicted skill is
  one of its components (accuracy), and share given any prediction (coverage);
- the same for baselines: predict the agent's most frequent earlier component, or the most
  frequent component overall, and recommend with the same counting rule.

Everything is written in a throw-away organization that is deleted at the end.
"""

import argparse
import csv
import io
import json
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "jira-hbase" / "issues"
TAIL_KEYS = ["Status", "Priority", "Resolution", "Affects_version", "Fix_version", "Component",
             "Label", "Environment", "Attachment number", "Assignee", "Reporter", "Create date",
             "Update date", "Resolved date"]


@dataclass
class Issue:
    key: str
    summary: str
    description: str
    components: list[str]
    assignee: str
    resolved: datetime


def parse(path: Path) -> Issue | None:
    """One issue file (the parsing rule of the data's SOURCE.md); None when unusable."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").removesuffix("\n")
    lines = text.split("\n")
    tail, head = lines[-28:], "\n".join(lines[:-28])
    fields = {tail[i].rstrip(":"): tail[i + 1] for i in range(0, 28, 2)}
    if list(fields) != TAIL_KEYS:
        return None
    summary, _, description = head.removeprefix("Summary:\n").partition("\nDescription:\n")
    if fields["Resolution"] != "Fixed" or fields["Assignee"] in ("", "Unassigned"):
        return None
    if not fields["Resolved date"]:
        return None
    components = []
    if fields["Component"] != "None":
        for raw in fields["Component"].split(", "):
            name = raw.strip().rstrip(",").strip()
            if name and not re.fullmatch(r"\(\d+\)", name):
                components.append(name)
    return Issue(path.stem, summary.strip(), description.strip(), components,
                 fields["Assignee"], datetime.strptime(fields["Resolved date"], "%d/%b/%y %H:%M"))


def username(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100] or "someone"


def prf(predicted: set, truth_any: set, truth_recall: set) -> tuple[float, float]:
    precision = len(predicted & truth_any) / len(predicted) if predicted else 0.0
    recall = len(predicted & truth_recall) / len(truth_recall) if truth_recall else 0.0
    return precision, recall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH),
                        help="Folder of HBASE-<n>.txt files.")
    parser.add_argument("--split", type=float, default=0.7)
    parser.add_argument("--k", type=int, default=3, help="Resolutions that make a profile skill.")
    parser.add_argument("--threshold", type=int, default=3)
    parser.add_argument("--similarity", type=float, default=0.2)
    parser.add_argument("--neighbours", type=int, default=5)
    args = parser.parse_args()
    folder = Path(args.path)
    files = sorted(folder.glob("HBASE-*.txt")) if folder.is_dir() else []
    if not files:
        print(f"Skipping: no HBASE-*.txt files in {folder} (local evaluation data).")
        return 0

    issues = sorted(filter(None, map(parse, files)), key=lambda i: (i.resolved, i.key))
    cut = int(len(issues) * args.split)
    before, after = issues[:cut], issues[cut:]
    profile: dict[str, set[str]] = defaultdict(set)
    earlier = Counter((i.assignee, c) for i in before for c in i.components)
    for (agent, component), n in earlier.items():
        if n >= args.k:
            profile[agent].add(component)
    later = Counter((i.assignee, c) for i in after for c in i.components)
    truth_any = {pair for pair in later if pair[1] not in profile[pair[0]]}
    truth_recall = {p for p in truth_any if later[p] >= args.threshold}

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from config.celery import app as celery_app

    # The outbox tasks of the import go nowhere: the evaluation runs the full rebuild itself.
    celery_app.conf.broker_url = "memory://"
    celery_app.conf.task_always_eager = False
    from django.core.management import call_command
    from django_scopes import scope, scopes_disabled

    from skills.models import Skill, WorkItemPrediction
    from skills.services import award_skill, ensure_level_scale
    from tenancy.models import Organization, User

    slug = f"eval-hbase-{os.getpid()}"
    org = Organization.objects.create(name="HBase evaluation", slug=slug, settings={
        "recommender": {"similarity_threshold": args.similarity,
                        "neighbours": args.neighbours}})
    names = {i.assignee: f"{slug}-{username(i.assignee)}" for i in issues}
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", encoding="utf-8",
                                         delete=False) as handle:
            writer = csv.writer(handle)
            writer.writerow(["external_id", "kind", "state", "short_description",
                             "description", "resolved_by", "resolved_at", "skills"])
            for index, i in enumerate(issues):
                tagged = index < cut
                writer.writerow([i.key, "problem", "resolved", i.summary[:500],
                                 i.description, names[i.assignee], i.resolved.isoformat(),
                                 ";".join(i.components) if tagged else ""])
        call_command("import_work_items", handle.name, "--org", slug, "--create-missing",
                     stdout=io.StringIO())
        os.unlink(handle.name)
        with scope(organization=org):
            lowest = ensure_level_scale(organization=org)[0]
            skills = {s.name: s for s in Skill.objects.filter(organization=org)}
            users = {u.username: u for u in User.objects.filter(username__startswith=slug)}
            for agent, components in profile.items():
                for c in components:
                    if c in skills:
                        award_skill(user=users[names[agent]], skill=skills[c], level=lowest,
                                    source="import")
            out = io.StringIO()
            call_command("recommend_skills", "--org", slug, "--threshold",
                         str(args.threshold), "--json", stdout=out)
            recs = [json.loads(line) for line in out.getvalue().splitlines() if line]
            by_user = {v: k for k, v in names.items()}
            recommended = {(by_user[r["agent"]], r["skill"]) for r in recs}
            predictions: dict[str, str] = {}
            for key, skill, _score in (WorkItemPrediction.objects.filter(organization=org)
                                       .order_by("work_item_id", "-score")
                                       .values_list("work_item__external_id", "skill__name",
                                                    "score")):
                predictions.setdefault(key, skill)
    finally:
        with scopes_disabled():
            # People first: their skill history protects the organization's skills.
            User.objects.filter(username__startswith=f"{slug}-").delete()
            org.delete()

    scored = [i for i in after if i.components]
    own = {a: Counter(c for i in before if i.assignee == a for c in i.components)
           for a in {i.assignee for i in issues}}
    popular = Counter(c for i in before for c in i.components).most_common(1)[0][0]

    def accuracy(guess) -> tuple[float, float]:
        given = [(i, guess(i)) for i in scored]
        given = [(i, g) for i, g in given if g]
        hits = sum(1 for i, g in given if g in i.components)
        return hits / len(scored), len(given) / len(scored)

    def rule(guess) -> set:
        counts = Counter((i.assignee, guess(i)) for i in after if guess(i))
        counts.update((i.assignee, c) for i in before for c in i.components)
        return {p for p, n in counts.items()
                if n >= args.threshold and p[1] not in profile[p[0]]}

    def agent_top(i):
        return own[i.assignee].most_common(1)[0][0] if own[i.assignee] else None

    rows = [
        ("TF-IDF recommender", *accuracy(lambda i: predictions.get(i.key)),
         *prf(recommended, truth_any, truth_recall), len(recommended)),
        ("Agent's most frequent skill", *accuracy(agent_top),
         *prf(rule(agent_top), truth_any, truth_recall), len(rule(agent_top))),
        ("Most frequent skill overall", *accuracy(lambda i: popular),
         *prf(rule(lambda i: popular), truth_any, truth_recall), len(rule(lambda i: popular))),
    ]
    print(f"{len(issues):,} fixed issues with an assignee: {len(before):,} before the split "
          f"(tagged), {len(after):,} after (untagged; {len(scored):,} have a component). "
          f"k={args.k}, threshold={args.threshold}, similarity ≥ {args.similarity}, "
          f"{args.neighbours} neighbours. {len(truth_recall)} (agent, new skill) pairs with "
          f"≥ threshold later issues.")
    print(f"{'method':<30} {'pred. acc':>9} {'coverage':>9} {'rec. prec':>9} {'rec. recall':>11}"
          f" {'recs':>5}")
    for name, acc, cov, p, r, n in rows:
        print(f"{name:<30} {acc:>9.1%} {cov:>9.1%} {p:>9.1%} {r:>11.1%} {n:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
