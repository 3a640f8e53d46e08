"""Recommender benchmark: full rebuild time and peak memory, against a dense baseline, and
the incremental update per resolution.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python bench/recommender.py

1. **Index rebuild** at ``--sizes`` synthetic resolved items (default 100,000 and
   1,000,000; half tagged with one of 50 skills, texts drawn from per-skill topics): fit
   the model on the tagged half and predict the skills of the untagged half
   (:class:`skills.recommender.TextIndex` with the default settings — TF-IDF, one logistic
   regression per skill, the neighbour vote — exactly what ``rebuild_recommendations`` runs
   between reading and writing rows). Each size runs in a fresh process so its peak
   resident memory is its own.
2. **Dense baseline** in the same run: the brute-force pairwise cosine of dense TF-IDF
   vectors (``sklearn.metrics.pairwise.cosine_similarity``) on ``--baseline-size`` items,
   where the dense matrices still fit in memory, against our index on the same items;
   the ratio is printed.
3. **Incremental**: a throw-away organization with ``--db-items`` resolved items, one full
   rebuild, then ``--resolutions`` resolutions each scored through
   :func:`skills.services.update_recommendations_for_item` (what the work-event handler
   runs); p50 and p95 per resolution. **Freshness**: every other resolution is a newly
   tagged item and the next one an untagged item with the same text: the tagged one must
   be among its neighbours with no rebuild in between (the stored index plus the tagged
   items changed since it was built); the count is printed. The organization is deleted
   at the end.

The database reads and writes of a 1M-item rebuild are not in part 1 (see part 3 for the
per-resolution path through the database). A benchmark never fails for being slow.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SKILLS = 50
TOPIC_WORDS = 40
GENERAL_WORDS = 3000


def synthetic(n: int, seed: int = 7):
    """(texts, item ids, skill sets or None for untagged) of ``n`` resolved items."""
    rng = random.Random(seed)
    topics = [[f"t{s}w{w}" for w in range(TOPIC_WORDS)] for s in range(SKILLS)]
    general = [f"g{w}" for w in range(GENERAL_WORDS)]
    texts, ids, skills = [], [], []
    for i in range(n):
        skill = rng.randrange(SKILLS)
        words = rng.choices(topics[skill], k=rng.randint(4, 9))
        words += rng.choices(general, k=rng.randint(3, 8))
        rng.shuffle(words)
        texts.append(" ".join(words))
        ids.append(i + 1)
        skills.append({skill} if i % 2 == 0 else None)
    return texts, ids, skills


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_size(n: int) -> dict:
    from skills.recommender import TextIndex

    texts, ids, skills = synthetic(n)
    tagged = [i for i, s in enumerate(skills) if s is not None]
    untagged = [i for i, s in enumerate(skills) if s is None]
    base = _peak_mb()
    started = time.perf_counter()
    index = TextIndex.fit(texts=[texts[i] for i in tagged], item_ids=[ids[i] for i in tagged],
                          skills=[skills[i] for i in tagged])
    fitted = time.perf_counter()
    predicted = sum(1 for found in index.predict([texts[i] for i in untagged]) if found)
    done = time.perf_counter()
    return {"n": n, "fit_s": fitted - started, "predict_s": done - fitted,
            "total_s": done - started, "peak_mb": _peak_mb(), "before_mb": base,
            "predicted": predicted, "untagged": len(untagged)}


def baseline(n: int) -> dict:
    from sklearn.metrics.pairwise import cosine_similarity

    from skills.recommender import TextIndex

    texts, ids, skills = synthetic(n, seed=11)
    tagged = [i for i, s in enumerate(skills) if s is not None]
    untagged = [i for i, s in enumerate(skills) if s is None]
    started = time.perf_counter()
    index = TextIndex.fit(texts=[texts[i] for i in tagged], item_ids=[ids[i] for i in tagged],
                          skills=[skills[i] for i in tagged])
    ours = index.neighbours([texts[i] for i in untagged], k=5, min_similarity=0.3)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    dense_tagged = index.matrix.toarray()
    dense_queries = index.vectorizer.transform([texts[i] for i in untagged]).toarray()
    sims = cosine_similarity(dense_queries, dense_tagged)
    top = (-sims).argsort(axis=1)[:, :5]
    dense_s = time.perf_counter() - started
    agree = sum(
        1 for row, mine in zip(top, ours, strict=True)
        if mine and index.item_ids[row[0]] == mine[0][0]
        or not mine
    ) / len(ours)
    return {"n": n, "ours_s": ours_s, "dense_s": dense_s, "dense_mb":
            (dense_tagged.nbytes + dense_queries.nbytes + sims.nbytes) / 2**20,
            "top1_agreement": agree}


def incremental(db_items: int, resolutions: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from config.celery import app as celery_app

    celery_app.conf.broker_url = "memory://"
    celery_app.conf.task_always_eager = False
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from skills.models import WorkItemPrediction, WorkItemSkill
    from skills.services import (
        ensure_level_scale,
        rebuild_recommendations,
        save_skill,
        update_recommendations_for_item,
    )
    from tenancy import rls
    from tenancy.models import Membership, Organization, User
    from work.models import WorkItem

    texts, _ids, skills = synthetic(db_items + resolutions, seed=3)
    slug = f"bench-rec-{os.getpid()}"
    with rls.platform("bench set-up"):
        org = Organization.objects.create(name="Recommender bench", slug=slug)
    try:
        with scope(organization=org):
            ensure_level_scale(organization=org)
            catalogue = [save_skill(organization=org, name=f"Skill {s}") for s in range(SKILLS)]
            agents = []
            for a in range(50):
                user = User.objects.create(username=f"{slug}-a{a}")
                Membership.objects.create(organization=org, user=user, is_agent=True)
                agents.append(user)
            rows = [WorkItem(organization=org, kind="incident", external_id=f"B-{i}",
                             short_description=texts[i],
                             state="resolved" if i < db_items else "in_progress",
                             resolved_by=agents[i % len(agents)])
                    for i in range(db_items + resolutions)]
            WorkItem.objects.bulk_create(rows, batch_size=5000)
            WorkItemSkill.objects.bulk_create([
                WorkItemSkill(organization=org, work_item=rows[i],
                              skill=catalogue[next(iter(skills[i]))])
                for i in range(db_items) if skills[i] is not None], batch_size=5000)
            started = time.perf_counter()
            rebuild_recommendations(organization=org)
            rebuild_s = time.perf_counter() - started
            # Freshness: every other resolution is a tagged item; the next one, untagged,
            # has the same text, so the tagged one must be its nearest neighbour at once
            # (no rebuild in between). Both kinds are timed.
            timings, fresh = {"tagged": [], "untagged": []}, 0
            for j, item in enumerate(rows[db_items:]):
                tagged = j % 2 == 0
                started = time.perf_counter()
                with transaction.atomic():
                    if tagged:
                        # The skill of the item's synthetic topic (even rows have one).
                        topic = next(iter(skills[db_items + j]))
                        WorkItemSkill.objects.create(organization=org, work_item=item,
                                                     skill=catalogue[topic])
                    else:
                        item.short_description = rows[db_items + j - 1].short_description
                    WorkItem.objects.filter(pk=item.pk).update(
                        state="resolved", short_description=item.short_description,
                        updated_at=timezone.now())
                    item.state = "resolved"
                    update_recommendations_for_item(organization=org, work_item=item)
                timings["tagged" if tagged else "untagged"].append(
                    (time.perf_counter() - started) * 1000)
                if not tagged:
                    previous = rows[db_items + j - 1].pk
                    fresh += any(n[0] == previous
                                 for found in WorkItemPrediction.objects.filter(
                                     work_item=item).values_list("neighbours", flat=True)
                                 for n in found)
    finally:
        with rls.platform("bench clean-up"), scopes_disabled():
            User.objects.filter(username__startswith=f"{slug}-").delete()
            org.delete()
    every = sorted(timings["tagged"] + timings["untagged"])
    untagged = sorted(timings["untagged"])
    return {"db_items": db_items, "rebuild_s": rebuild_s,
            "p50_ms": every[len(every) // 2], "p95_ms": every[int(len(every) * 0.95) - 1],
            "untagged_p95_ms": untagged[int(len(untagged) * 0.95) - 1],
            "fresh": fresh, "fresh_of": len(untagged), "n": len(every)}


def _child(kind: str, *args) -> dict:
    out = subprocess.run([sys.executable, __file__, f"--{kind}", *map(str, args)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--baseline-size", type=int, default=20000)
    parser.add_argument("--db-items", type=int, default=20000, help="Even.")
    parser.add_argument("--resolutions", type=int, default=200)
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dense", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one)))
        return
    if args.dense:
        print(json.dumps(baseline(args.dense)))
        return
    print(f"{'items':>10} {'fit s':>8} {'predict s':>10} {'total s':>8} {'peak MB':>8}")
    for n in (int(x) for x in args.sizes.split(",")):
        r = _child("one", n)
        print(f"{n:>10,} {r['fit_s']:>8.1f} {r['predict_s']:>10.1f} {r['total_s']:>8.1f} "
              f"{r['peak_mb']:>8.0f}   ({r['predicted']:,} of {r['untagged']:,} untagged "
              "given a skill)")
    b = _child("dense", args.baseline_size)
    print(f"\nDense pairwise cosine on {b['n']:,} items: {b['dense_s']:.1f} s "
          f"({b['dense_mb']:.0f} MB of dense arrays) vs sparse index {b['ours_s']:.1f} s: "
          f"{b['dense_s'] / b['ours_s']:.1f}× slower; top-1 neighbour agreement "
          f"{b['top1_agreement']:.1%}")
    if not args.skip_db:
        r = incremental(args.db_items, args.resolutions)
        print(f"\nIncremental on {r['db_items']:,} items in the database (full rebuild "
              f"{r['rebuild_s']:.1f} s): {r['n']} resolutions, p50 {r['p50_ms']:.1f} ms, "
              f"p95 {r['p95_ms']:.1f} ms (aim 50 ms: {r['p95_ms'] / 50:.2f}×); untagged "
              f"resolutions p95 {r['untagged_p95_ms']:.1f} ms. Freshness: the tagged item "
              f"resolved just before was a neighbour of {r['fresh']} of {r['fresh_of']} "
              "untagged ones (no rebuild in between)")


if __name__ == "__main__":
    main()
