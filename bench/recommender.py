"""Recommender benchmark: full rebuild time and peak memory, against a dense baseline, and
the incremental update per resolution.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python bench/recommender.py
    … bench/recommender.py --skip-compute --skip-db --db-sizes 250000,500000,1000000

1. **Index rebuild** at ``--sizes`` synthetic resolved items (default 100,000 and
   1,000,000; half tagged with one of 50 skills, texts drawn from per-skill topics): fit
   the model on the tagged half and predict the skills of the untagged half
   (:class:`skills.recommender.TextIndex` with the default settings — TF-IDF, one logistic
   regression per skill, the neighbour vote — exactly what ``rebuild_recommendations`` runs
   between reading and writing rows). Each size runs in a fresh process so its peak
   resident memory is its own. Then what the neighbour search loses against the exact one
   on 2,000 of the untagged items (above 50,000 tagged items the index's search is the
   clustered one): the share of the exact 10 nearest it finds, and the share of items
   given exactly the same skills.
2. **Dense baseline** in the same run: the brute-force pairwise cosine of dense TF-IDF
   vectors (``sklearn.metrics.pairwise.cosine_similarity``) on ``--baseline-size`` items,
   where the dense matrices still fit in memory, against our index on the same items;
   the ratio is printed.
3. **Incremental**: a throw-away organization with ``--db-items`` resolved items, one full
   rebuild, then ``--resolutions`` resolutions each scored through
   :func:`skills.services.update_recommendations_for_item` (what the work-event handler
   runs); p50 and p95 per resolution. The bulk-loaded rows are ``ANALYZE``d after the
   rebuild, as a tenant's tables have statistics (without them every plan is a guess: with a
   large other tenant in the table, a new organization's rows look like one row).
   **Freshness**: every other resolution is a newly tagged item and the next one an untagged
   item with the same text: the tagged one must be among its neighbours with no rebuild in
   between (the stored index plus the tagged items changed since it was built); the count is
   printed. The organization is deleted at the end.

4. **Rebuild from the database** (``--db-sizes 250000,500000,1000000``): one organization
   (``bench-rec-db``, kept between runs unless ``--drop``) grown to each size with
   set-based ``INSERT … SELECT FROM generate_series`` in SQL (``COPY`` is refused under
   row-level security; the same topics as part 1, a category per item, half tagged, 50
   agents), ``ANALYZE``d, then one full :func:`skills.services.rebuild_recommendations`
   (read, fit, predict, write, the rule for every agent) in a fresh process: wall time,
   the process's CPU seconds (the database's own work is not in it; on a shared machine
   wall time counts the wait for a core), peak resident memory (sampled every 50 ms) and
   the seconds of each stage, then the ratio of each size to the one before.

Parts 1 and 2 are compute only (no database). A benchmark never fails for being slow.
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
            "predicted": predicted, "untagged": len(untagged),
            **search_quality(index, [texts[i] for i in untagged[:SEARCH_SAMPLE]])}


SEARCH_SAMPLE = 2000  # untagged items whose neighbours are also found exactly


def search_quality(index, texts) -> dict:
    """What the index's neighbour search loses against the exact (brute-force) one on these
    items: the share of the exact 10 nearest tagged items it finds too, and the share of
    items given exactly the same skills. Both 1 when the search is the exact one."""
    from skills.neighbours import BruteForce

    s = index.settings
    found = index.neighbours(texts, k=s.neighbours, min_similarity=s.similarity_threshold)
    predicted = index.predict(texts)
    kind, search = type(index.search).__name__, index.search
    index.search = BruteForce()
    try:
        exact = index.neighbours(texts, k=s.neighbours, min_similarity=s.similarity_threshold)
        exact_predicted = index.predict(texts)
    finally:
        index.search = search
    shared = sum(len({i for i, _ in f} & {i for i, _ in e})
                 for f, e in zip(found, exact, strict=True))
    same = sum(1 for a, b in zip(predicted, exact_predicted, strict=True)
               if [p.skill_id for p in a] == [p.skill_id for p in b])
    return {"search": kind, "neighbour_recall": shared / max(1, sum(map(len, exact))),
            "same_skills": same / max(1, len(texts)), "sample": len(texts)}


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
            # Statistics of the bulk-loaded rows, as a tenant's tables have them (autovacuum
            # would take its time): without them the planner guesses every plan.
            _analyze(WorkItem, WorkItemSkill, WorkItemPrediction)
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


def _analyze(*models) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"ANALYZE {model._meta.db_table}")


DB_SLUG = "bench-rec-db"
DB_AGENTS = 50
DB_CATEGORIES = 20


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from config.celery import app as celery_app

    celery_app.conf.broker_url = "memory://"
    celery_app.conf.task_always_eager = False


def grow(organization, size: int) -> int:
    """Grow the bench organization to ``size`` resolved items in the database with set-based
    ``INSERT … SELECT FROM generate_series`` (``COPY`` is refused under row-level security):
    the same synthetic topics as :func:`synthetic` (item ``i`` needs skill ``i`` mod 50
    shuffled by a hash; its text draws 4–9 words of that skill's topic and 3–8 general
    words), a category that follows the skill four times in five, half the items tagged
    with their skill; then ``ANALYZE``. Returns the items added."""
    from django.db import connection, transaction

    from skills.models import Skill, WorkItemSkill
    from tenancy.models import Membership
    from work.models import WorkItem

    have = WorkItem.objects.filter(organization=organization).count()
    if have >= size:
        return 0
    agents = list(Membership.objects.filter(organization=organization, is_agent=True)
                  .order_by("user_id").values_list("user_id", flat=True))
    skills = dict(Skill.objects.filter(organization=organization)
                  .values_list("name", "pk"))
    skill_ids = [skills[f"Skill {s}"] for s in range(SKILLS)]
    # Per row: s = its skill, r(k) = a pseudo-random number in [0, 1) from the row and k.
    words = ("(SELECT string_agg(w, ' ' ORDER BY md5(w || g.i)) FROM ("
             f"SELECT 't' || s.s || 'w' || floor(r.x * {TOPIC_WORDS})::int AS w FROM "
             "generate_series(1, 4 + (g.i * 7 + 3) %% 6) AS n(n), "
             "LATERAL (SELECT abs(hashtext(g.i || 'a' || n.n)) / 2147483648.0) AS r(x) "
             "UNION ALL "
             f"SELECT 'g' || floor(r.x * {GENERAL_WORDS})::int FROM "
             "generate_series(1, 3 + (g.i * 5 + 1) %% 6) AS n(n), "
             "LATERAL (SELECT abs(hashtext(g.i || 'b' || n.n)) / 2147483648.0) AS r(x)"
             ") AS t(w))")
    sql = (
        "INSERT INTO work_workitem (organization_id, kind, external_id, number, "
        "short_description, description, state, category, subcategory, reassignment_count, "
        "reopen_count, escalated, sla_breached, channel, attributes, created_at, updated_at, "
        "resolved_at, resolved_by_id, queue, topic) "
        "SELECT %(org)s, 'incident', 'R-' || g.i, '', " + words + ", '', 'resolved', "
        "'cat' || CASE WHEN abs(hashtext(g.i || 'c')) %% 5 = 0 "
        "THEN abs(hashtext(g.i || 'd')) %% %(cats)s ELSE s.s %% %(cats)s END, '', 0, 0, false, "
        "false, '', '{}'::jsonb, %(now)s, %(now)s, %(now)s, "
        "(%(agents)s::bigint[])[1 + g.i %% %(n_agents)s], '', '' "
        "FROM generate_series(%(lo)s, %(hi)s) AS g(i), "
        "LATERAL (SELECT abs(hashtext(g.i || 's')) %% %(skills)s) AS s(s)")
    from django.utils import timezone

    now = timezone.now()
    step = 100_000
    with transaction.atomic(), connection.cursor() as cursor:
        for lo in range(have, size, step):
            hi = min(size, lo + step) - 1
            cursor.execute(sql, {"org": organization.pk, "lo": lo, "hi": hi, "now": now,
                                 "cats": DB_CATEGORIES, "agents": agents,
                                 "n_agents": len(agents), "skills": SKILLS})
            # Statistics for the rows just written (this transaction's own rows count):
            # without them the planner takes the item table for empty and joins the tagging
            # below by scanning it once per tagged item (minutes for a 100k-row step).
            cursor.execute("ANALYZE work_workitem")
            # Even items are tagged with their skill.
            cursor.execute(
                "INSERT INTO skills_workitemskill (organization_id, work_item_id, skill_id, "
                "done) SELECT w.organization_id, w.id, (%(ids)s::bigint[])[1 + "
                "abs(hashtext(substr(w.external_id, 3) || 's')) %% %(skills)s], false "
                "FROM work_workitem w WHERE w.organization_id = %(org)s AND w.external_id "
                "IN (SELECT 'R-' || i FROM generate_series(%(lo)s, %(hi)s, 2) AS i) "
                "AND substr(w.external_id, 3)::int %% 2 = 0",
                {"org": organization.pk, "lo": lo + lo % 2, "hi": hi, "ids": skill_ids,
                 "skills": SKILLS})
    _analyze(WorkItem, WorkItemSkill)
    return size - have


def db_organization(*, create: bool):
    from django_scopes import scopes_disabled

    from skills.services import ensure_level_scale, save_skill
    from tenancy import rls
    from tenancy.models import Membership, Organization, User

    with rls.platform("bench set-up"), scopes_disabled():
        org = Organization.objects.filter(slug=DB_SLUG).first()
        if org is not None or not create:
            return org
        org = Organization.objects.create(name="Recommender rebuild bench", slug=DB_SLUG)
    from django_scopes import scope

    with scope(organization=org):
        ensure_level_scale(organization=org)
        for s in range(SKILLS):
            save_skill(organization=org, name=f"Skill {s}")
        for a in range(DB_AGENTS):
            user = User.objects.create(username=f"{DB_SLUG}-a{a}")
            Membership.objects.create(organization=org, user=user, is_agent=True)
    return org


def db_rebuild(size: int) -> dict:
    """One full rebuild from the database (in its own process: its peak memory is its own)
    of the bench organization, grown to ``size`` items first (untimed)."""
    _django()
    from django_scopes import scope

    from skills.services import rebuild_recommendations

    org = db_organization(create=True)
    with scope(organization=org):
        grow(org, size)
        peak = _PeakSampler()
        cpu = time.process_time()
        started = time.perf_counter()
        report = rebuild_recommendations(organization=org)
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu
        peak.stop()
    return {"n": size, "total_s": total, "cpu_s": cpu,
            "peak_mb": max(peak.peak_mb, _peak_mb()),
            "resolved": report.resolved, "tagged": report.tagged,
            "predicted": report.predicted, "created": len(report.rule.created),
            "stages": getattr(report, "timings", {})}


class _PeakSampler:
    """Resident memory sampled every 50 ms (``ru_maxrss`` also counts Django's start-up)."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.05):
            with open("/proc/self/statm") as f:
                rss = int(f.read().split()[1]) * page / 2**20
            self.peak_mb = max(self.peak_mb, rss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def drop_db_organization() -> None:
    _django()
    from django_scopes import scopes_disabled

    from tenancy import rls
    from tenancy.models import User

    org = db_organization(create=False)
    if org is None:
        return
    with rls.platform("bench clean-up"), scopes_disabled():
        User.objects.filter(username__startswith=f"{DB_SLUG}-").delete()
        org.delete()


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
    parser.add_argument("--db-sizes", default="",
                        help="Full rebuilds from the database at these sizes (e.g. "
                             "250000,500000,1000000): the bench organization grows to each.")
    parser.add_argument("--drop", action="store_true",
                        help="Delete the rebuild bench's organization at the end.")
    parser.add_argument("--skip-compute", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db-rebuild", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dense", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one)))
        return
    if args.dense:
        print(json.dumps(baseline(args.dense)))
        return
    if args.db_rebuild:
        print(json.dumps(db_rebuild(args.db_rebuild)))
        return
    if args.db_sizes:
        rebuilt = {}
        print(f"{'items':>10} {'rebuild s':>10} {'CPU s':>7} {'peak MB':>8}  stages (s)")
        for n in (int(x) for x in args.db_sizes.split(",")):
            r = rebuilt[n] = _child("db-rebuild", n)
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
            print(f"{n:>10,} {r['total_s']:>10.1f} {r['cpu_s']:>7.1f} {r['peak_mb']:>8.0f}  "
                  f"{stages} "
                  f"({r['tagged']:,} tagged, {r['predicted']:,} predicted, "
                  f"{r['created']} recommendations created)", flush=True)
        sizes = sorted(rebuilt)
        for small, large in zip(sizes, sizes[1:], strict=False):
            ratio = rebuilt[large]["total_s"] / rebuilt[small]["total_s"]
            print(f"{large:,}/{small:,}: {ratio:.2f}× the time for {large / small:.1f}× the items")
        if args.drop:
            drop_db_organization()
        print(f"load average {os.getloadavg()[0]:.1f}")
    if args.skip_compute:
        if not args.skip_db:
            _incremental_report(args)
        return
    print(f"{'items':>10} {'fit s':>8} {'predict s':>10} {'total s':>8} {'peak MB':>8}")
    for n in (int(x) for x in args.sizes.split(",")):
        r = _child("one", n)
        print(f"{n:>10,} {r['fit_s']:>8.1f} {r['predict_s']:>10.1f} {r['total_s']:>8.1f} "
              f"{r['peak_mb']:>8.0f}   ({r['predicted']:,} of {r['untagged']:,} untagged "
              "given a skill)")
        print(f"{'':>10} {r['search']} search on {r['sample']:,} untagged items vs the exact "
              f"one: {r['neighbour_recall']:.1%} of the exact 10 nearest found, "
              f"{r['same_skills']:.1%} given the same skills")
    b = _child("dense", args.baseline_size)
    print(f"\nDense pairwise cosine on {b['n']:,} items: {b['dense_s']:.1f} s "
          f"({b['dense_mb']:.0f} MB of dense arrays) vs sparse index {b['ours_s']:.1f} s: "
          f"{b['dense_s'] / b['ours_s']:.1f}× slower; top-1 neighbour agreement "
          f"{b['top1_agreement']:.1%}")
    if not args.skip_db:
        _incremental_report(args)


def _incremental_report(args) -> None:
    if True:  # noqa: SIM108
        r = incremental(args.db_items, args.resolutions)
        print(f"\nIncremental on {r['db_items']:,} items in the database (full rebuild "
              f"{r['rebuild_s']:.1f} s): {r['n']} resolutions, p50 {r['p50_ms']:.1f} ms, "
              f"p95 {r['p95_ms']:.1f} ms (aim 50 ms: {r['p95_ms'] / 50:.2f}×); untagged "
              f"resolutions p95 {r['untagged_p95_ms']:.1f} ms. Freshness: the tagged item "
              f"resolved just before was a neighbour of {r['fresh']} of {r['fresh_of']} "
              "untagged ones (no rebuild in between)")


if __name__ == "__main__":
    main()
