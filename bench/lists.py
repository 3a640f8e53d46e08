"""List pages at a realistic size (issue 22, point 3): p50/p95, queries and HTML size of
every list page, as the org admin and as a coach of the seeded demo.

    DATABASE_URL=postgres://coachdesk_owner@127.0.0.1:5432/coachdesk \\
        .venv/bin/python manage.py seed_demo --agents 200
    DATABASE_URL=postgres://coachdesk_owner@127.0.0.1:5432/coachdesk \\
        .venv/bin/python bench/lists.py [--org acme] [--runs 20] [--top-up]

``--top-up`` first brings the lists the demo keeps short up to the sizes issue 22 measured at
500 agents, per agent — skill recommendations 1.5, open learning tasks 1.1, responses to one
survey 2 — by bulk-creating rows in the tenant (it adds only what is missing, so a second
run adds nothing). Then ``ANALYZE``, and each page as ``<org>-admin`` and ``<org>-coach-1``
after one warm-up: p50 and p95 of ``--runs`` GETs of the whole request (bench/pagetime.py),
its query count, the medians of its time in the database and of this process's CPU time (on
a shared machine the wall clock also measures the neighbours), and its HTML in kB. Prints
figures; never fails for being slow.
"""

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402
from pagetime import measure_page  # noqa: E402

from learning.enums import OPEN_STATES  # noqa: E402
from learning.models import CourseItem, LearningTask  # noqa: E402
from skills.models import Skill, SkillRecommendation  # noqa: E402
from surveys.enums import Audience  # noqa: E402
from surveys.models import SurveyResponse, SurveyTemplate  # noqa: E402
from tenancy import rls  # noqa: E402
from tenancy.models import Membership, Organization, User  # noqa: E402
from work.models import WorkItem  # noqa: E402

PER_AGENT = {"recommendations": 1.5, "learning tasks": 1.1, "survey responses": 2.0}


def top_up(organization: Organization, agents: list[int]) -> dict[str, int]:
    """Add the rows missing to reach PER_AGENT; returns how many of each were added."""
    now = timezone.now()
    today = timezone.localdate(timezone=organization.tzinfo)
    added = {}
    want = int(PER_AGENT["recommendations"] * len(agents))
    have = SkillRecommendation.objects.filter(organization=organization).count()
    taken = set(SkillRecommendation.objects.filter(organization=organization)
                .values_list("user_id", "skill_id"))
    skills = list(Skill.objects.filter(organization=organization).values_list("pk", flat=True))
    new = []
    for n, (agent, skill) in enumerate((a, s) for s in skills for a in agents):
        if have + len(new) >= want:
            break
        if (agent, skill) not in taken:
            new.append(SkillRecommendation(organization=organization, user_id=agent,
                                           skill_id=skill, count=10 + n % 7, threshold=10,
                                           score=0.5 + (n % 50) / 100, evidence=[]))
    SkillRecommendation.objects.bulk_create(new)
    added["recommendations"] = len(new)

    want = int(PER_AGENT["learning tasks"] * len(agents))
    have = LearningTask.objects.filter(organization=organization).count()
    taken = set(LearningTask.objects.filter(organization=organization, state__in=OPEN_STATES)
                .values_list("assigned_to_id", "course_item_id"))
    courses = list(CourseItem.objects.filter(organization=organization)
                   .values_list("pk", flat=True))
    new = []
    for n, (agent, course) in enumerate((a, c) for c in courses for a in agents):
        if have + len(new) >= want:
            break
        if (agent, course) not in taken:
            new.append(LearningTask(organization=organization, assigned_to_id=agent,
                                    course_item_id=course,
                                    due_date=today + datetime.timedelta(days=n % 40 - 10)))
    LearningTask.objects.bulk_create(new)
    added["learning tasks"] = len(new)

    template = survey_template(organization)
    want = int(PER_AGENT["survey responses"] * len(agents))
    have = SurveyResponse.objects.filter(organization=organization, template=template).count()
    new = [SurveyResponse(organization=organization, template=template,
                          respondent_id=agents[n % len(agents)], context_label="Bench",
                          due_at=now + datetime.timedelta(days=n % 14))
           for n in range(max(0, want - have))]
    SurveyResponse.objects.bulk_create(new)
    added["survey responses"] = len(new)
    return added


def survey_template(organization: Organization) -> SurveyTemplate:
    """The survey with most responses that an org admin sees listed one by one."""
    return (SurveyTemplate.objects.filter(organization=organization)
            .exclude(audience=Audience.TRAINEE_ABOUT_COACH)
            .annotate(n=Count("responses")).order_by("-n", "pk").first())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", default="acme")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top-up", action="store_true")
    args = parser.parse_args()
    with rls.platform("bench set-up"), scopes_disabled():
        organization = Organization.objects.get(slug=args.org)
        admin = User.objects.get(username=f"{args.org}-admin")
        coach = User.objects.get(username=f"{args.org}-coach-1")
        agents = list(Membership.objects.filter(organization=organization, is_agent=True)
                      .order_by("user_id").values_list("user_id", flat=True))
    with rls.tenant(organization), scope(organization=organization):
        if args.top_up:
            print("top-up:", ", ".join(f"{v} {k}" for k, v in top_up(organization,
                                                                       agents).items()))
        template = survey_template(organization)
        sizes = {
            "recommendations": SkillRecommendation.objects.filter(
                organization=organization).count(),
            "learning tasks": LearningTask.objects.filter(organization=organization).count(),
            "work items": WorkItem.objects.filter(organization=organization).count(),
            "survey responses": SurveyResponse.objects.filter(
                organization=organization, template=template).count(),
        }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"{connection.vendor}: {args.org}, {len(agents)} agents; "
          + ", ".join(f"{v} {k}" for k, v in sizes.items()))
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f} on {} CPUs".format(
        *os.getloadavg(), os.cpu_count()))
    base = f"/o/{args.org}/"
    pages = [
        ("recommendations (pending)", "skills/recommendations/"),
        ("recommendations (all)", "skills/recommendations/?state=all"),
        ("learning tasks", "learning/tasks/"),
        ("skill matrix", "skills/"),
        ("work list", "work/"),
        ("assessments", "coaching/assessments/"),
        ("survey results", f"surveys/templates/{template.pk}/results/"),
        ("team load", "routing/"),
    ]
    print(f"{'page':<28} {'as':<6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'db ms':>7} "
          f"{'cpu ms':>7} {'kB':>6}")
    for role, user in (("admin", admin), ("coach", coach)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for label, path in pages:
            response = client.get(base + path)
            if response.status_code != 200:
                print(f"{label:<28} {role:<6} {'(' + str(response.status_code) + ')':>8}")
                continue
            p50, p95, queries, db, cpu = measure_page(client, base + path, args.runs)
            print(f"{label:<28} {role:<6} {p50:>8.1f} {p95:>8.1f} {queries:>8} {db:>7.1f} "
                  f"{cpu:>7.1f} {len(response.content) / 1024:>6.0f}")


if __name__ == "__main__":
    main()
