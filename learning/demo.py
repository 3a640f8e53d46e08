"""Demo learning for ``seed_demo``: two catalogs with internal and external courses that
grant the demo skills, and learning tasks in every state, some overdue.

Idempotent: catalogs and courses are found by title, and tasks are only seeded once per
organization.
"""

import datetime
import random

from django.utils import timezone

from skills.models import Skill, SkillLevel

from .enums import ContentSource, Provider
from .models import CourseItem, LearningCatalog, LearningTask
from .services import (
    add_course_to_catalog,
    assign_course,
    cancel_task,
    complete_task,
    save_catalog,
    save_course_item,
    start_task,
)

PASSWORD_ARTICLE = """
<h2>Before you reset anything</h2>
<p>Confirm who is calling. Use <strong>two</strong> of the verification questions in the
identity policy; never the employee number alone.</p>
<h3>Steps</h3>
<ol>
  <li>Open the directory record and check the account is not disabled by HR.</li>
  <li>Trigger the self-service reset link to the registered phone.</li>
  <li>If self-service fails, set a one-time password and tick <em>change at next sign-in</em>.</li>
</ol>
<p>Log the reset in the ticket with the verification you used.</p>
"""

EMPATHY_ARTICLE = """
<h2>Hear the person, then the problem</h2>
<p>Start by naming what you hear: “That sounds frustrating, especially before a deadline.”</p>
<ul>
  <li>Let the caller finish: no interrupting in the first minute.</li>
  <li>Repeat the issue back in your own words.</li>
  <li>Say what you will do next and when they will hear from you.</li>
</ul>
"""

# title, source, provider, url, body, days, minutes, description, [(skill, level index)]
COURSES = [
    ("Password resets the safe way", ContentSource.ARTICLE, "", "", PASSWORD_ARTICLE, 3, 15,
     "Verify the caller, reset, and record it.", [("Password reset", 1)]),
    ("MFA enrolment walkthrough", ContentSource.URL, "",
     "https://www.youtube.com/watch?v=0mvCeNsTa1g", "", 5, 12,
     "A short video on enrolling and re-enrolling authenticator apps.", [("MFA", 0)]),
    ("VPN troubleshooting checklist", ContentSource.FREE_FORM, "", "",
     "<p>Check the client version, the certificate date, then the split-tunnel setting. "
     "Escalate to Network Operations with the client log attached.</p>", 4, 20,
     "What to check before escalating a VPN ticket.", [("VPN", 1)]),
    ("Firewall fundamentals", ContentSource.EXTERNAL, Provider.PLURALSIGHT,
     "https://www.pluralsight.com/courses/firewall-fundamentals", "", 10, 180,
     "Rules, zones and logging on next-generation firewalls.", [("Firewall", 1)]),
    ("Active Directory administration", ContentSource.EXTERNAL, Provider.UDEMY,
     "https://www.udemy.com/course/active-directory/", "", 14, 420,
     "Users, groups and policies for support staff.",
     [("Active Directory", 2), ("Identity", 0)]),
    ("Empathy on the phone", ContentSource.ARTICLE, "", "", EMPATHY_ARTICLE, 2, 10,
     "Three habits that calm a difficult call.", [("Empathy", 1)]),
    ("De-escalation techniques", ContentSource.EXTERNAL, Provider.CORNERSTONE,
     "https://www.cornerstoneondemand.com/", "", 7, 90,
     "Recognise escalation early and steer the call back.", [("De-escalation", 1)]),
    ("Billing disputes: first response", ContentSource.ARTICLE, "", "",
     "<p>Acknowledge the charge, check the invoice history, and offer the dispute form "
     "link.</p>", 3, 15, "Handling a customer who disputes an invoice.", [("Billing", 0)]),
]

CATALOGS = [
    ("IT service desk essentials",
     "Identity, access and connectivity for first-line IT support.",
     ["Service Desk", "Network Operations"],
     ["Password resets the safe way", "MFA enrolment walkthrough",
      "VPN troubleshooting checklist", "Firewall fundamentals",
      "Active Directory administration"]),
    ("Customer care excellence",
     "Talking to customers: empathy, calm and clear answers.",
     ["Customer Care", "Billing"],
     ["Empathy on the phone", "De-escalation techniques", "Billing disputes: first response"]),
]


def seed_learning(organization, people, stdout) -> None:
    levels = list(SkillLevel.objects.filter(organization=organization).order_by("rank"))
    skills = {s.name.lower(): s for s in Skill.objects.filter(organization=organization)}
    owner = people.learning_admin or people.org_admin
    courses = {}
    for title, source, provider, url, body, days, minutes, description, grants in COURSES:
        course = CourseItem.objects.filter(organization=organization, title=title).first()
        if course is None:
            course = save_course_item(
                organization=organization, title=title, source=source, provider=provider,
                url=url, body=body, days_to_complete=days, estimated_minutes=minutes,
                description=description, created_by=owner,
                skills=[(skills[name.lower()], levels[min(i, len(levels) - 1)])
                        for name, i in grants if name.lower() in skills and levels],
            )
        courses[title] = course
    teams = {t.name: t for t in people.teams}
    for title, description, team_names, course_titles in CATALOGS:
        catalog = LearningCatalog.objects.filter(organization=organization, title=title).first()
        if catalog is None:
            catalog = save_catalog(
                organization=organization, title=title, description=description, owner=owner,
                teams=[teams[n] for n in team_names if n in teams],
            )
        add_course_to_catalog(catalog=catalog, courses=[courses[t] for t in course_titles])
    if not LearningTask.objects.filter(organization=organization).exists():
        _seed_tasks(organization, people, courses)
    if stdout is not None:
        stdout.write(f"  learning: {len(courses)} courses, "
                     f"{LearningTask.objects.filter(organization=organization).count()} tasks "
                     f"in {organization.slug}")


def _seed_tasks(organization, people, courses) -> None:
    rng = random.Random(f"learning-{organization.slug}")
    catalogs = {c.title: c for c in LearningCatalog.objects.filter(organization=organization)}
    today = timezone.localdate(timezone=organization.tzinfo)
    titles = list(courses)
    for index, team in enumerate(people.teams):
        coach = team.manager
        agents = sorted(team.members.all(), key=lambda u: u.username)[:6]
        for position, agent in enumerate(agents):
            course = courses[titles[(index * 3 + position) % len(titles)]]
            catalog = next((c for c in catalogs.values()
                            if c.course_links.filter(course=course).exists()), None)
            # 0 overdue, 1 due today and started, 2 started, 3 completed, 4 cancelled,
            # 5 assigned; overdue and due-today tasks get their due date set explicitly.
            plan = position
            due = {0: today - datetime.timedelta(days=rng.randint(1, 4)), 1: today}.get(plan)
            task = assign_course(course_item=course, assignee=agent, assigned_by=coach,
                                 catalog=catalog, due_date=due, notify=False)
            if plan in (1, 2):
                start_task(task=task, actor=agent)
            elif plan == 3:
                complete_task(task=task, actor=agent)
            elif plan == 4:
                cancel_task(task=task, actor=coach)
