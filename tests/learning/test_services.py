"""Learning services: catalogs, course content (sanitised, http(s) only), assigning with due
dates, completion awarding the course's skills once, cancellation, assessment training."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from learning.enums import EXCLUDE_WEEKENDS_SETTING, ContentSource, Provider, TaskState
from learning.models import CatalogTeam, CourseSkill, LearningTask
from learning.services import (
    LearningError,
    add_course_to_catalog,
    assign_course,
    assign_courses,
    cancel_task,
    complete_task,
    remove_course_from_catalog,
    save_catalog,
    save_course_item,
    set_exclude_weekends,
    start_task,
)
from skills.models import SkillChange, UserSkill
from skills.services import award_skill

EVIL_BODY = (
    '<p onclick="steal()">Hello <strong>agent</strong></p>'
    '<script>alert("x")</script>'
    '<a href="javascript:alert(1)">click</a> '
    '<a href="https://kb.example.com/vpn" onmouseover="x()">kb</a>'
    '<img src="x" onerror="alert(2)">'
    '<iframe src="https://evil.example"></iframe><style>body{}</style>'
)
CLEAN_BODY = (
    '<p>Hello <strong>agent</strong></p>'
    '<a rel="noopener noreferrer nofollow">click</a> '
    '<a href="https://kb.example.com/vpn" rel="noopener noreferrer nofollow">kb</a>'
    '<img src="x">'
)


def holdings(user):
    return sorted(UserSkill.objects.filter(user=user)
                  .values_list("skill__name", "level__name", "source"))


# --- catalogs ------------------------------------------------------------------------


def test_save_catalog_refuses_a_title_clash_ignoring_case(world):
    with world.tenant.scope():
        with pytest.raises(LearningError, match="A catalog called “SERVICE DESK ESSENTIALS” "
                                                "already exists"):
            save_catalog(organization=world.tenant.org, title="SERVICE DESK ESSENTIALS")
        renamed = save_catalog(organization=world.tenant.org, catalog=world.catalog,
                               title="Service Desk Essentials", teams=[world.team, world.team2])
        assert renamed.title == "Service Desk Essentials"
        assert sorted(CatalogTeam.objects.filter(catalog=renamed)
                      .values_list("team__name", flat=True)) == ["Network Operations",
                                                                  "Service Desk"]


def test_save_catalog_same_title_in_another_tenant_is_fine(world):
    with world.other.scope():
        catalog = save_catalog(organization=world.other.org, title="Service desk essentials")
        assert catalog.organization == world.other.org


def test_save_catalog_refuses_a_team_of_another_tenant(world, unscoped):
    from tenancy.models import Team

    other_team = Team.objects.get(organization=world.other.org)
    with pytest.raises(LearningError, match="Applicable teams must belong to Alpha: Billing"):
        save_catalog(organization=world.tenant.org, title="New", teams=[other_team])


def test_catalog_courses_added_once_and_removed(world):
    with world.tenant.scope():
        add_course_to_catalog(catalog=world.catalog2, courses=[world.article, world.external])
        add_course_to_catalog(catalog=world.catalog2, courses=[world.article])
        assert sorted(world.catalog2.courses.values_list("title", flat=True)) == [
            "Firewalls on Udemy", "VPN troubleshooting"]
        remove_course_from_catalog(catalog=world.catalog2, course=world.article)
        assert list(world.catalog2.courses.values_list("title", flat=True)) == [
            "Firewalls on Udemy"]
        # A course sits in several catalogs.
        assert sorted(world.external.catalogs.values_list("title", flat=True)) == [
            "Network basics", "Service desk essentials"]


def test_add_course_to_catalog_refuses_a_course_of_another_tenant(world, unscoped):
    with pytest.raises(LearningError, match="Course items must belong to Alpha"):
        add_course_to_catalog(catalog=world.catalog, courses=[world.other_course])


# --- course items --------------------------------------------------------------------


def test_save_course_item_sanitises_the_article_body(world):
    with world.tenant.scope():
        course = save_course_item(organization=world.tenant.org, title="Evil",
                                  source=ContentSource.ARTICLE, body=EVIL_BODY)
        course.refresh_from_db()
        assert course.body == CLEAN_BODY


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "ftp://files.example.com/course", "data:text/html,hi",
    "file:///etc/passwd", "www.udemy.com/course", "",
])
def test_save_course_item_refuses_a_non_http_url(world, url):
    with world.tenant.scope():
        with pytest.raises(LearningError) as error:
            save_course_item(organization=world.tenant.org, title="Bad link",
                             source=ContentSource.EXTERNAL, provider=Provider.OTHER, url=url)
        assert error.value.field == "url"


def test_save_course_item_external_needs_a_provider_and_keeps_no_body(world):
    with world.tenant.scope():
        with pytest.raises(LearningError, match="Choose the provider"):
            save_course_item(organization=world.tenant.org, title="X",
                             source=ContentSource.EXTERNAL, url="https://a.example/")
        course = save_course_item(organization=world.tenant.org, title="Pluralsight VPN",
                                  source=ContentSource.EXTERNAL, provider=Provider.PLURALSIGHT,
                                  url="https://app.pluralsight.com/vpn", body="<p>ignored</p>")
        assert (course.provider, course.url, course.body, course.days_to_complete) == (
            "pluralsight", "https://app.pluralsight.com/vpn", "", 5)


def test_save_course_item_refuses_skills_of_another_tenant_and_twice_the_same(world, unscoped):
    from skills.models import Skill, SkillLevel

    other_skill = Skill.objects.create(organization=world.other.org, name="Other")
    other_level = SkillLevel.objects.create(organization=world.other.org, name="L", rank=1)
    with pytest.raises(LearningError, match="Skills must belong to Alpha: Other"):
        save_course_item(organization=world.tenant.org, title="X", source=ContentSource.URL,
                         url="https://a.example/", skills=[(other_skill, world.levels[0])])
    with pytest.raises(LearningError, match="Skill levels must belong to Alpha"):
        save_course_item(organization=world.tenant.org, title="X", source=ContentSource.URL,
                         url="https://a.example/", skills=[(world.vpn, other_level)])
    with pytest.raises(LearningError, match="Give each skill once: VPN"):
        save_course_item(organization=world.tenant.org, title="X", source=ContentSource.URL,
                         url="https://a.example/",
                         skills=[(world.vpn, world.levels[0]), (world.vpn, world.levels[1])])


def test_save_course_item_replaces_granted_skills(world):
    with world.tenant.scope():
        save_course_item(organization=world.tenant.org, course=world.article,
                         title="VPN troubleshooting", source=ContentSource.ARTICLE,
                         body="<p>x</p>", skills=[(world.vpn, world.level("Expert"))])
        assert list(CourseSkill.objects.filter(course=world.article)
                    .values_list("skill__name", "level__name")) == [("VPN", "Expert")]


# --- assigning -----------------------------------------------------------------------


def test_assign_course_due_date_and_one_email_with_a_direct_link(
        world, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://coach.example.com"
    with world.tenant.scope():
        today = timezone.localdate(timezone=world.tenant.org.tzinfo)
        with django_capture_on_commit_callbacks(execute=True):
            task = assign_course(course_item=world.article, assignee=world.agent,
                                 assigned_by=world.coach, catalog=world.catalog)
        assert (task.state, task.due_date, task.assigned_by, task.catalog) == (
            "assigned", today + datetime.timedelta(days=5), world.coach, world.catalog)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["abe@example.com"]
    assert message.subject == "New training: VPN troubleshooting"
    assert f"https://coach.example.com/o/alpha/learning/tasks/{task.pk}/" in message.body
    assert "https://coach.example.com/o/alpha/learning/me/" in message.body


def test_assign_course_skips_weekends_when_the_tenant_says_so(world):
    with world.tenant.scope():
        set_exclude_weekends(organization=world.tenant.org, exclude=True)
        world.tenant.org.refresh_from_db()
        assert world.tenant.org.settings[EXCLUDE_WEEKENDS_SETTING] is True
        task = assign_course(course_item=world.article, assignee=world.agent, assigned_by=None)
        from learning.due_dates import add_days

        today = timezone.localdate(timezone=world.tenant.org.tzinfo)
        assert task.due_date == add_days(today, 5, skip_weekdays=[5, 6])
        assert task.due_date.weekday() < 5


def test_set_exclude_weekends_keeps_other_settings(world, unscoped):
    world.tenant.org.settings = {"other": 1}
    world.tenant.org.save()
    set_exclude_weekends(organization=world.tenant.org, exclude=True)
    world.tenant.org.refresh_from_db()
    assert world.tenant.org.settings == {"other": 1, EXCLUDE_WEEKENDS_SETTING: True}


def test_assign_courses_is_idempotent_for_open_tasks(world, django_capture_on_commit_callbacks):
    with world.tenant.scope():
        with django_capture_on_commit_callbacks(execute=True):
            first = assign_courses(course_items=[world.article, world.external],
                                   assignees=[world.agent, world.agent2], assigned_by=world.coach)
            again = assign_courses(course_items=[world.article],
                                   assignees=[world.agent, world.agent3], assigned_by=world.coach)
        assert [t.is_new for t in first] == [True, True, True, True]
        assert [t.is_new for t in again] == [False, True]
        assert again[0].pk == first[0].pk
        assert LearningTask.objects.count() == 5
    # One e-mail per person per call: abe, amy (2 tasks each), then ann.
    assert [(m.to[0], m.subject) for m in mail.outbox] == [
        ("abe@example.com", "2 new learning tasks"), ("amy@example.com", "2 new learning tasks"),
        ("ann@example.com", "New training: VPN troubleshooting"),
    ]


def test_assign_course_again_after_completion_creates_a_new_task(world):
    with world.tenant.scope():
        task = assign_course(course_item=world.external, assignee=world.agent, assigned_by=None)
        complete_task(task=task, actor=world.agent)
        second = assign_course(course_item=world.external, assignee=world.agent,
                               assigned_by=None)
        assert second.pk != task.pk
        assert second.state == "assigned"


def test_assign_course_refuses_another_tenants_rows(world, unscoped):
    with pytest.raises(LearningError, match="People given training must be members of Alpha: "
                                            "Bob Brown"):
        assign_course(course_item=world.article, assignee=world.outsider, assigned_by=None)
    with pytest.raises(LearningError, match="Course items must belong to Alpha"):
        assign_courses(course_items=[world.article, world.other_course], assignees=[world.agent],
                       assigned_by=None)
    assert LearningTask.objects.count() == 0


def test_assign_course_refuses_a_catalog_without_the_course_and_a_retired_course(world):
    with world.tenant.scope():
        with pytest.raises(LearningError, match="Not in the catalog “Network basics”: "
                                                "VPN troubleshooting"):
            assign_course(course_item=world.article, assignee=world.agent, assigned_by=None,
                          catalog=world.catalog2)
        world.article.active = False
        world.article.save()
        with pytest.raises(LearningError, match="Retired courses cannot be assigned: "
                                                "VPN troubleshooting"):
            assign_course(course_item=world.article, assignee=world.agent, assigned_by=None)


# --- lifecycle and skills ------------------------------------------------------------


def test_complete_task_awards_exactly_the_courses_skills_once(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.empathy, level=world.level("Advanced"),
                    source="manual")
        task = assign_course(course_item=world.article, assignee=world.agent,
                             assigned_by=world.coach)
        started = start_task(task=task, actor=world.agent)
        assert started.state == "in_progress" and started.started_at is not None
        done = complete_task(task=task, actor=world.agent)
        assert done.state == "completed" and done.completed_at is not None
        # VPN added at Intermediate; Empathy already held higher, so left alone.
        assert holdings(world.agent) == [("Empathy", "Advanced", "manual"),
                                         ("VPN", "Intermediate", "learning")]
        changes = list(SkillChange.objects.filter(user=world.agent, source="learning")
                       .values_list("skill__name", "kind", "cause_type", "cause_id"))
        assert changes == [("VPN", "added", "learningtask", task.pk)]
        with pytest.raises(LearningError, match="already completed"):
            complete_task(task=task, actor=world.agent)
        assert SkillChange.objects.filter(user=world.agent, source="learning").count() == 1
        assert holdings(world.agent2) == []


def test_complete_task_from_assigned_starts_it_first(world):
    with world.tenant.scope():
        task = assign_course(course_item=world.external, assignee=world.agent, assigned_by=None)
        done = complete_task(task=task, actor=world.agent)
        assert done.state == "completed"
        assert done.started_at == done.completed_at


def test_complete_task_of_someone_else_is_refused(world):
    with world.tenant.scope():
        task = assign_course(course_item=world.article, assignee=world.agent, assigned_by=None)
        with pytest.raises(LearningError, match="Only the person the task is assigned to"):
            complete_task(task=task, actor=world.agent2)
        with pytest.raises(LearningError, match="Only the person the task is assigned to"):
            start_task(task=task, actor=world.coach)
        task.refresh_from_db()
        assert task.state == "assigned"


def test_complete_a_cancelled_task_is_refused(world):
    with world.tenant.scope():
        task = assign_course(course_item=world.article, assignee=world.agent, assigned_by=None)
        cancelled = cancel_task(task=task, actor=world.coach)
        assert (cancelled.state, cancelled.cancelled_by) == ("cancelled", world.coach)
        with pytest.raises(LearningError, match="This task was cancelled, so it can no longer "
                                                "be completed."):
            complete_task(task=task, actor=world.agent)
        with pytest.raises(LearningError, match="cancelled, so it can no longer be started"):
            start_task(task=task, actor=world.agent)
        with pytest.raises(LearningError, match="cancelled, so it can no longer be cancelled"):
            cancel_task(task=task, actor=world.coach)
        assert holdings(world.agent) == []
        assert LearningTask.objects.get(pk=task.pk).state == TaskState.CANCELLED


def test_complete_task_skips_a_retired_skill(world):
    with world.tenant.scope():
        world.empathy.active = False
        world.empathy.save()
        task = assign_course(course_item=world.article, assignee=world.agent, assigned_by=None)
        complete_task(task=task, actor=world.agent)
        assert holdings(world.agent) == [("VPN", "Intermediate", "learning")]
