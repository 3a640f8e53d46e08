"""Every workspace page at 30 and at 500 agents (issue 22, point 3): p50/p95 and queries of
each page for each demo role, the 500/30 ratio, and the pages that miss the aims.

    DATABASE_URL=postgres://coachdesk_owner@127.0.0.1:5432/coachdesk_pages \\
        .venv/bin/python bench/pages.py [--reuse] [--runs 15] [--sizes 30 500]

For each size it uses its own database, ``<name of DATABASE_URL>_a<size>`` (e.g.
``coachdesk_pages_a500``): it drops and creates it, migrates, runs ``manage.py seed_demo
--agents <size>`` and marks the database as seeded (a ``COMMENT ON DATABASE``). With
``--reuse`` a database already marked for its size is kept as it is — seeding 500 agents
takes minutes — so a second run measures the same data. The role in ``DATABASE_URL`` must
be allowed to create databases (``coachdesk_owner`` is). Then one process per database:
the lists the demo keeps short are topped up to the sizes issue 22 measured at 500 agents
(bench/lists.py ``top_up``, which adds only what is missing), ``ANALYZE``, and for each
role — org admin ``acme-admin``, coach ``acme-coach-1``, QA analyst ``acme-qa``, agent
``acme-agent-01``, skill admin ``acme-skills``, learning admin ``acme-learning`` (password
``coachdesk-demo``) — the pages are found the way a person finds them: the links of the
workspace navigation (its menus and the user menu), then the links on those pages and on
the pages they lead to (``--depth`` clicks), one page of each kind (URL name), so a list's
detail page is measured once and a new page in a menu is measured without editing this
file. Responses that are not a 200 HTML page (CSV exports, redirects, forms refused to
this role) are left out; ``--pages REGEX`` measures only the kinds it matches (e.g.
``'routing:|behaviours'``). Each page: p50 and p95 of ``--runs`` GETs after one warm-up
(bench/pagetime.py) and its query count; the two databases take turns page by page, so a
busy minute on a shared machine weighs on both sides of a ratio alike.

The table compares the sizes per role and page; the ratio is p95 at the largest size over
p95 at the smallest. A page misses the aims when its p95 at 500 agents is over 100 ms or
its ratio over 1.5 (or its query count differs between the sizes); those are listed at the
end. Prints figures; never fails for slowness.
"""

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import time
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ROLES = (("admin", "acme-admin"), ("coach", "acme-coach-1"), ("qa", "acme-qa"),
         ("agent", "acme-agent-01"), ("skills", "acme-skills"), ("learning", "acme-learning"))
PASSWORD = "coachdesk-demo"  # noqa: S105 - the demo's documented password
ORG = "acme"
AIM_P95_MS = 100.0
AIM_RATIO = 1.5
MARK = "bench/pages.py: seeded --agents {}"


# --- the parent: databases, seeding, the table --------------------------------------------

def _database_urls(base_url: str, size: int) -> tuple[str, str, str]:
    """``(url of the size's database, its name, url of the maintenance database)``."""
    parts = urlsplit(base_url)
    name = f"{parts.path.lstrip('/') or 'coachdesk'}_a{size}"
    return (urlunsplit(parts._replace(path="/" + name)), name,
            urlunsplit(parts._replace(path="/postgres")))


def _maintenance(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def prepare(base_url: str, size: int, reuse: bool) -> str:
    """The URL of a database seeded with ``size`` agents, seeding it unless reusable."""
    url, name, admin_url = _database_urls(base_url, size)
    with _maintenance(admin_url) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                           "WHERE datname = %s", [name]).fetchone()
        if reuse and row and row[0] == MARK.format(size):
            print(f"{name}: reused (seeded with {size} agents)", flush=True)
            return url
        if row:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)  # the demo's outbox events run in-process
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--agents", str(size),
                    "--quiet-logins"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    with _maintenance(admin_url) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{MARK.format(size)}'")
    print(f"{name}: migrated and seeded with {size} agents in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return url


class Child:
    """A process on one size's database that found its pages and measures one on request
    (the sizes take turns page by page, so a busy minute on a shared machine weighs on
    both sides of a ratio alike)."""

    def __init__(self, url: str, args):
        command = [sys.executable, __file__, "--serve", "--runs", str(args.runs),
                   "--depth", str(args.depth)]
        if args.roles:
            command += ["--roles", *args.roles]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pages = self._read()["pages"]

    def _read(self) -> dict:
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit(f"the measuring process ended ({self.process.wait()})")
            if line.startswith("{"):
                return json.loads(line)
            print(line, end="", flush=True)

    def measure(self, role: str, page: str) -> dict | None:
        self.process.stdin.write(json.dumps([role, page]) + "\n")
        self.process.stdin.flush()
        return self._read()["result"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def print_table(results: dict[int, list[dict]]) -> None:
    small, large = min(results), max(results)
    by_size = {size: {(r["role"], r["page"]): r for r in rows} for size, rows in results.items()}
    keys = list(by_size[large]) + [k for k in by_size[small] if k not in by_size[large]]
    head = (f"{'role':<6} {'page':<44} " + " ".join(
        f"{'p50@' + str(s):>8} {'p95@' + str(s):>8} {'q@' + str(s):>6}" for s in sorted(results))
        + f" {'ratio':>6}")
    print("\n" + head)
    print("-" * len(head))
    misses = []
    for key in keys:
        cells = []
        for size in sorted(results):
            row = by_size[size].get(key)
            cells.append(f"{row['p50']:>8.1f} {row['p95']:>8.1f} {row['queries']:>6}" if row
                         else f"{'-':>8} {'-':>8} {'-':>6}")
        a, b = by_size[small].get(key), by_size[large].get(key)
        ratio = b["p95"] / a["p95"] if a and b and a["p95"] else None
        print(f"{key[0]:<6} {key[1][:44]:<44} " + " ".join(cells)
              + (f" {ratio:>6.2f}" if ratio is not None else f" {'-':>6}"))
        reasons = []
        if b and b["p95"] > AIM_P95_MS:
            reasons.append(f"p95 {b['p95']:.0f} ms > {AIM_P95_MS:.0f} ms at {large} agents")
        if ratio is not None and ratio > AIM_RATIO:
            reasons.append(f"{large}/{small} ratio {ratio:.2f} > {AIM_RATIO}")
        if a and b and a["queries"] != b["queries"]:
            reasons.append(f"queries {a['queries']} -> {b['queries']}")
        if reasons:
            misses.append(f"MISS {key[0]:<6} {key[1]}: " + "; ".join(reasons)
                          + f"  [{b['url'] if b else a['url']}]")
    print(f"\n{len(keys)} pages (role x page); aims: p95 <= {AIM_P95_MS:.0f} ms at {large} "
          f"agents, {large}/{small} ratio <= {AIM_RATIO}; {len(misses)} miss:")
    for line in misses:
        print(line)


# --- the child: crawl and measure on one database ------------------------------------------

class _Links(HTMLParser):
    """The ``href`` of every ``<a>``: those inside ``<nav>`` and the others apart."""

    def __init__(self):
        super().__init__()
        self.nav, self.page, self._depth_in_nav = [], [], 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav":
            self._depth_in_nav += 1
        elif tag == "a" and attributes.get("href") and "download" not in attributes:
            (self.nav if self._depth_in_nav else self.page).append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "nav" and self._depth_in_nav:
            self._depth_in_nav -= 1


def _links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def crawl(client, depth: int) -> list[tuple[str, str]]:
    """``(page kind, url)`` of every page this client's user reaches from the workspace
    navigation within ``depth`` clicks, one url per kind (URL name; the navigation's own
    links keep their query string)."""
    from django.urls import Resolver404, resolve

    prefix = f"/o/{ORG}/"
    seen, found = set(), []

    def kind_of(url: str) -> str | None:
        path = urlsplit(url).path
        if not path.startswith(prefix):
            return None
        try:
            return resolve(path).view_name
        except Resolver404:
            return None

    def visit(url: str) -> str | None:
        """The page's HTML when it is a 200 HTML page, else None."""
        response = client.get(url)
        if (response.status_code != 200
                or not response.get("Content-Type", "").startswith("text/html")
                or getattr(response, "streaming", False)):
            return None
        return response.content.decode()

    start = client.get(prefix, follow=True)
    frontier = []
    for url in [start.request["PATH_INFO"]] + _links(start.content.decode()).nav:
        kind = kind_of(url)
        if kind and kind not in seen:
            seen.add(kind)
            frontier.append((kind, url))
    for level in range(depth + 1):
        following = []
        for kind, url in frontier:
            html = visit(url)
            if html is None:
                continue
            found.append((kind, url))
            if level == depth:
                continue
            for link in _links(html).page:
                link = link.split("#")[0]
                next_kind = kind_of(link)
                if next_kind and next_kind not in seen:
                    seen.add(next_kind)
                    following.append((next_kind, link))
        frontier = following
    return found


def serve(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per login otherwise
    warnings.filterwarnings("ignore", message="No directory at")  # STATIC_ROOT, unused here
    from django.db import connection
    from django.test import Client
    from django_scopes import scope, scopes_disabled
    from lists import top_up
    from pagetime import measure_page

    from tenancy import rls
    from tenancy.models import Membership, Organization

    with rls.platform("bench set-up"), scopes_disabled():
        organization = Organization.objects.get(slug=ORG)
        agents = list(Membership.objects.filter(organization=organization, is_agent=True)
                      .order_by("user_id").values_list("user_id", flat=True))
    with rls.tenant(organization), scope(organization=organization):
        added = top_up(organization, agents)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{connection.settings_dict['NAME']}: {len(agents)} agents; top-up "
          + ", ".join(f"{v} {k}" for k, v in added.items())
          + "; load average {:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(),
                                                                      os.cpu_count()),
          flush=True)
    clients, pages = {}, []
    for role, username in ROLES:
        if args.roles and role not in args.roles:
            continue
        client = Client(HTTP_HOST="localhost")
        assert client.login(username=username, password=PASSWORD), username
        clients[role] = client
        pages += [(role, kind, url) for kind, url in crawl(client, args.depth)]
    urls = {(role, kind): url for role, kind, url in pages}
    print(json.dumps({"pages": [[role, kind] for role, kind, _url in pages]}), flush=True)
    for line in sys.stdin:
        role, kind = json.loads(line)
        url = urls[(role, kind)]
        try:
            p50, p95, queries, _db, _cpu = measure_page(clients[role], url, args.runs)
        except AssertionError as error:  # the page answered other than 200 this time
            print(f"  {role} {kind} {url}: {error}", file=sys.stderr)
            result = None
        else:
            result = {"role": role, "page": kind, "url": url, "p50": p50, "p95": p95,
                      "queries": queries}
        print(json.dumps({"result": result}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 500])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--depth", type=int, default=3,
                        help="Clicks from the navigation to follow (default 3).")
    parser.add_argument("--reuse", action="store_true",
                        help="Keep a database already seeded for its size.")
    parser.add_argument("--roles", nargs="+", choices=[r for r, _ in ROLES])
    parser.add_argument("--pages", metavar="REGEX",
                        help="Measure only the pages whose kind (URL name, e.g. "
                             "routing:team_load) matches this regular expression (all are "
                             "still crawled).")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    base_url = os.environ.get("DATABASE_URL", "")
    if not re.match(r"postgres(ql)?://", base_url):
        sys.exit("bench/pages.py needs DATABASE_URL=postgres://… (a role that may create "
                 "databases)")
    children = {size: Child(prepare(base_url, size, args.reuse), args) for size in args.sizes}
    keys = []
    for child in children.values():
        keys += [tuple(k) for k in child.pages if tuple(k) not in keys]
    if args.pages:
        keys = [k for k in keys if re.search(args.pages, k[1])]
    results = {size: [] for size in children}
    for role, page in keys:
        for size, child in children.items():
            if [role, page] in child.pages:
                row = child.measure(role, page)
                if row:
                    results[size].append(row)
    for child in children.values():
        child.close()
    print_table(results)

if __name__ == "__main__":
    main()
