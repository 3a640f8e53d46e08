"""Learning pages: the permission matrix of every page, forms and their errors, safe content,
due-date highlighting and constant query counts."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from learning.enums import EXCLUDE_WEEKENDS_SETTING, ContentSource
from learning.models import CatalogCourse, CourseItem, LearningCatalog, LearningTask
from learning.services import assign_course, cancel_task, save_course_item, start_task
from skills.models import UserSkill


def url(world, path):
    return world.tenant.url(f"learning/{path}")


def status_for(client, user, path, method="get", data=None):
    client.force_login(user)
    response = getattr(client, method)(path, data or {})
    client.logout()
    return response.status_code


def assign(world, course=None, agent=None, **kwargs):
    with world.tenant.scope():
        return assign_course(course_item=course or world.article, assignee=agent or world.agent,
                             assigned_by=world.coach, notify=False, **kwargs)


# --- the permission matrix ------------------------------------------------------------

MANAGER_PAGES = ["", "tasks/", "catalogs/", "courses/"]


@pytest.mark.parametrize("path", MANAGER_PAGES)
def test_manager_pages_matrix(world, client, path):
    target = url(world, path)
    ok = 302 if path == "" else 200
    assert status_for(client, world.coach, target) == ok
    assert status_for(client, world.learning_admin, target) == ok
    assert status_for(client, world.admin, target) == ok
    assert status_for(client, world.agent, target) == 403
    assert status_for(client, world.outsider, target) == 404


@pytest.mark.parametrize("path", ["catalogs/new/", "courses/new/", "courses/new/external/"])
def test_content_editor_pages_matrix(world, client, path):
    target = url(world, path)
    assert status_for(client, world.learning_admin, target) == 200
    assert status_for(client, world.admin, target) == 200
    assert status_for(client, world.coach, target) == 403
    assert status_for(client, world.agent, target) == 403
    assert status_for(client, world.outsider, target) == 404


def test_catalog_and_course_edit_pages_matrix(world, client):
    for target in (url(world, f"catalogs/{world.catalog.pk}/edit/"),
                   url(world, f"courses/{world.article.pk}/edit/")):
        assert status_for(client, world.learning_admin, target) == 200
        assert status_for(client, world.coach, target) == 403
        assert status_for(client, world.agent, target) == 403
        assert status_for(client, world.outsider, target) == 404
    # Another tenant's ids on one's own address: 404.
    with world.other.scope():
        other_catalog = LearningCatalog.objects.get()
    assert status_for(client, world.learning_admin,
                      url(world, f"catalogs/{other_catalog.pk}/edit/")) == 404
    assert status_for(client, world.learning_admin,
                      url(world, f"courses/{world.other_course.pk}/edit/")) == 404
    assert status_for(client, world.outsider,
                      world.other.url(f"learning/courses/{world.article.pk}/")) == 404


def test_catalog_detail_visible_to_its_teams_coaches_only(world, client):
    target = url(world, f"catalogs/{world.catalog2.pk}/")
    assert status_for(client, world.coach2, target) == 200
    assert status_for(client, world.learning_admin, target) == 200
    assert status_for(client, world.coach, target) == 404  # not a coach of Network Operations
    assert status_for(client, world.agent, target) == 403
    assert status_for(client, world.outsider, target) == 404


def test_settings_page_matrix(world, client):
    target = url(world, "settings/")
    assert status_for(client, world.admin, target) == 200
    assert status_for(client, world.learning_admin, target) == 403
    assert status_for(client, world.coach, target) == 403
    assert status_for(client, world.outsider, target) == 404


def test_assign_page_matrix(world, client):
    target = url(world, "tasks/assign/")
    assert status_for(client, world.coach, target) == 200
    assert status_for(client, world.learning_admin, target) == 200
    assert status_for(client, world.agent, target) == 403
    assert status_for(client, world.outsider, target) == 404


def test_my_learning_matrix(world, client):
    target = url(world, "me/")
    assert status_for(client, world.agent, target) == 200
    assert status_for(client, world.coach, target) == 200
    assert status_for(client, world.outsider, target) == 404


def test_task_detail_matrix(world, client):
    task = assign(world)
    target = url(world, f"tasks/{task.pk}/")
    assert status_for(client, world.agent, target) == 200  # own
    assert status_for(client, world.coach, target) == 200  # manages the agent's team
    assert status_for(client, world.co_coach, target) == 200  # co-manages it
    assert status_for(client, world.learning_admin, target) == 200
    assert status_for(client, world.agent2, target) == 404  # a team mate
    assert status_for(client, world.coach2, target) == 404  # another team's coach
    assert status_for(client, world.outsider, target) == 404
    assert status_for(client, world.outsider, world.other.url(f"learning/tasks/{task.pk}/")) == 404


def test_agent_completing_someone_elses_task_gets_404(world, client):
    task = assign(world)
    for action in ("start", "complete"):
        for user in (world.agent2, world.coach, world.learning_admin, world.outsider):
            assert status_for(client, user, url(world, f"tasks/{task.pk}/{action}/"),
                              "post") == 404
        assert status_for(client, world.outsider,
                          world.other.url(f"learning/tasks/{task.pk}/{action}/"), "post") == 404
    with world.tenant.scope():
        assert LearningTask.objects.get(pk=task.pk).state == "assigned"
        assert UserSkill.objects.count() == 0


def test_cancel_matrix(world, client):
    task = assign(world)
    target = url(world, f"tasks/{task.pk}/cancel/")
    assert status_for(client, world.agent2, target, "post") == 404
    assert status_for(client, world.coach2, target, "post") == 404
    assert status_for(client, world.outsider, target, "post") == 404
    assert status_for(client, world.agent, target, "post") == 403  # own task: sees, can't cancel
    with world.tenant.scope():
        assert LearningTask.objects.get(pk=task.pk).state == "assigned"
    assert status_for(client, world.coach, target, "post") == 302
    with world.tenant.scope():
        assert LearningTask.objects.get(pk=task.pk).state == "cancelled"


# --- agent flow ------------------------------------------------------------------------


def test_agent_starts_and_completes_own_task_and_gets_the_skills(world, client):
    task = assign(world)
    client.force_login(world.agent)
    response = client.post(url(world, f"tasks/{task.pk}/start/"), {"next": "my_learning"})
    assert response.status_code == 302
    assert response["Location"] == url(world, "me/")
    response = client.post(url(world, f"tasks/{task.pk}/complete/"), follow=True)
    assert response.redirect_chain == [(url(world, f"tasks/{task.pk}/"), 302)]
    assert "“VPN troubleshooting” completed. Skills added to your profile: Empathy, VPN." in (
        response.content.decode())
    with world.tenant.scope():
        assert LearningTask.objects.get(pk=task.pk).state == "completed"
        assert sorted(UserSkill.objects.filter(user=world.agent)
                      .values_list("skill__name", "level__name", "source")) == [
            ("Empathy", "Novice", "learning"), ("VPN", "Intermediate", "learning")]


def test_completion_says_what_really_changed_on_the_profile(world, client):
    from skills.services import award_skill

    task = assign(world)  # grants Empathy at Novice and VPN at Intermediate
    with world.tenant.scope():  # both already held at Novice
        for skill in (world.vpn, world.empathy):
            award_skill(user=world.agent, skill=skill, level=world.level("Novice"),
                        source="manual", actor=world.coach)
    client.force_login(world.agent)
    response = client.post(url(world, f"tasks/{task.pk}/complete/"), follow=True)
    assert ("“VPN troubleshooting” completed. Levels raised on your profile: VPN (Novice → "
            "Intermediate). Already on your profile at this level or higher: Empathy.") in (
        response.content.decode())
    with world.tenant.scope():
        assert dict(UserSkill.objects.filter(user=world.agent)
                    .values_list("skill__name", "level__name")) == {
            "Empathy": "Novice", "VPN": "Intermediate"}


def test_completing_a_cancelled_task_is_refused_with_a_message(world, client):
    task = assign(world)
    with world.tenant.scope():
        cancel_task(task=task, actor=world.coach)
    client.force_login(world.agent)
    response = client.post(url(world, f"tasks/{task.pk}/complete/"), follow=True)
    assert "This task was cancelled, so it can no longer be completed." in (
        response.content.decode())
    with world.tenant.scope():
        assert LearningTask.objects.get(pk=task.pk).state == "cancelled"
        assert UserSkill.objects.count() == 0


def test_my_learning_highlights_overdue_red_and_today_amber(world, client):
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    overdue = assign(world, world.article, due_date=today - datetime.timedelta(days=2))
    due_today = assign(world, world.external, due_date=today)
    with world.tenant.scope():
        later_course = save_course_item(organization=world.tenant.org, title="Later",
                                        source=ContentSource.URL, url="https://v.example/1")
    later = assign(world, later_course, due_date=today + datetime.timedelta(days=3))
    client.force_login(world.agent)
    html = client.get(url(world, "me/")).content.decode()
    assert html.count("due-card-overdue") == 1
    assert html.count("due-card-today") == 1
    assert html.count("due-card-later") == 1
    assert html.index(f'id="task-{overdue.pk}"') < html.index(f'id="task-{due_today.pk}"') < (
        html.index(f'id="task-{later.pk}"'))
    assert '<span class="badge text-bg-danger">Overdue</span>' in html
    assert '<span class="badge due-today-badge">Due today</span>' in html
    assert "1 overdue" in html and "1 due today" in html


def test_my_learning_lists_only_own_tasks(world, client):
    assign(world, world.article, agent=world.agent2)
    client.force_login(world.agent)
    html = client.get(url(world, "me/")).content.decode()
    assert "VPN troubleshooting" not in html
    assert "no open learning tasks" in html


def test_task_page_renders_the_article_sanitised(world, client, unscoped):
    # Written around the services on purpose: rendering cleans again.
    CourseItem.objects.filter(pk=world.article.pk).update(
        body='<p onclick="x()">Read</p><script>alert(1)</script>'
             '<a href="javascript:alert(2)">bad</a><img src=x onerror=alert(3)>')
    task = assign(world)
    client.force_login(world.agent)
    html = client.get(url(world, f"tasks/{task.pk}/")).content.decode()
    body = html[html.index('<article class="course-body"'):html.index("</article>")]
    assert body.endswith('<p>Read</p><a rel="noopener noreferrer nofollow">bad</a><img src="x">')
    assert "alert" not in body and "onclick" not in body and "javascript:" not in body


def test_task_page_links_out_safely_to_an_external_course(world, client):
    task = assign(world, world.external)
    client.force_login(world.agent)
    html = client.get(url(world, f"tasks/{task.pk}/")).content.decode()
    assert ('<a class="btn btn-primary" href="https://www.udemy.com/course/firewalls/" '
            'target="_blank" rel="noopener noreferrer">Go to the course on Udemy') in html
    assert "Opens <strong>www.udemy.com</strong> in a new tab." in html


# --- coach pages ---------------------------------------------------------------------


def _make_tasks(world, count):
    with world.tenant.scope():
        for i in range(count):
            course = save_course_item(organization=world.tenant.org, title=f"Course {i}",
                                      source=ContentSource.URL, url=f"https://v.example/{i}",
                                      skills=[(world.vpn, world.levels[0])])
            CatalogCourse.objects.create(organization=world.tenant.org, catalog=world.catalog,
                                         course=course)
            for agent in (world.agent, world.agent2, world.agent3):
                task = assign_course(course_item=course, assignee=agent,
                                     assigned_by=world.coach, notify=False)
                if i % 2:
                    start_task(task=task, actor=agent)


def test_task_list_shows_only_the_coachs_teams(world, client):
    assign(world, world.article, agent=world.agent)
    assign(world, world.external, agent=world.agent3)
    client.force_login(world.coach)
    response = client.get(url(world, "tasks/"))
    tasks = response.context["tasks"]
    assert [(t.assigned_to.username, t.course_item.title) for t in tasks] == [
        ("abe", "VPN troubleshooting")]
    client.force_login(world.learning_admin)
    tasks = client.get(url(world, "tasks/")).context["tasks"]
    assert sorted(t.assigned_to.username for t in tasks) == ["abe", "ann"]


def test_task_list_filters_by_state_agent_course_and_overdue(world, client):
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    a = assign(world, world.article, agent=world.agent, due_date=today - datetime.timedelta(1))
    b = assign(world, world.external, agent=world.agent)
    c = assign(world, world.external, agent=world.agent2)
    with world.tenant.scope():
        start_task(task=b, actor=world.agent)
    client.force_login(world.coach)

    def pks(query):
        return [t.pk for t in client.get(url(world, "tasks/"), query).context["tasks"]]

    assert pks({"state": "in_progress"}) == [b.pk]
    assert sorted(pks({"agent": world.agent.pk})) == sorted([a.pk, b.pk])
    assert sorted(pks({"course": world.external.pk})) == sorted([b.pk, c.pk])
    assert pks({"overdue": "on"}) == [a.pk]
    assert pks({"state": "completed"}) == []
    response = client.get(url(world, "tasks/"), {"overdue": "on"})
    assert response.context["counts"]["overdue"] == 1


def test_task_list_htmx_returns_only_the_results(world, client):
    assign(world)
    client.force_login(world.coach)
    response = client.get(url(world, "tasks/"), {"state": "assigned"},
                          headers={"HX-Request": "true", "HX-Target": "task-results"})
    html = response.content.decode()
    assert '<table class="table table-hover align-middle" id="task-table">' in html
    assert "<html" not in html


def test_task_list_query_count_is_constant(world, client, django_assert_num_queries):
    client.force_login(world.coach)
    _make_tasks(world, 2)
    client.get(url(world, "tasks/"))  # warm the session
    # 14: the tasks' origins (learning.extensions.task_origins, coaching's) are one query,
    # the page's count another, the course filter's choices a third.
    with django_assert_num_queries(14) as small:
        client.get(url(world, "tasks/"))
    _make_tasks(world, 6)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url(world, "tasks/"))
    assert len(response.context["tasks"]) == 2 * 8


def test_my_learning_query_count_is_constant(world, client, django_assert_num_queries):
    client.force_login(world.agent)
    _make_tasks(world, 1)
    client.get(url(world, "me/"))
    with django_assert_num_queries(9) as small:
        client.get(url(world, "me/"))
    _make_tasks(world, 5)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url(world, "me/"))
    assert len(response.context["open_tasks"]) == 6


@pytest.mark.parametrize(("path", "expected"), [
    ("catalogs/", 10), ("courses/", 11), ("catalogs/{catalog}/", 14),
])
def test_catalog_and_course_lists_query_counts_are_constant(world, client, path, expected,
                                                            django_assert_num_queries):
    client.force_login(world.learning_admin)
    target = url(world, path.format(catalog=world.catalog.pk))
    client.get(target)
    with django_assert_num_queries(expected):
        client.get(target)
    _make_tasks(world, 4)  # four more courses with skills, on the catalog, with tasks
    with world.tenant.scope():
        for i in range(3):
            catalog = LearningCatalog.objects.create(organization=world.tenant.org,
                                                     title=f"Extra {i}")
            catalog.team_links.create(organization=world.tenant.org, team=world.team)
    with django_assert_num_queries(expected):
        response = client.get(target)
    assert response.status_code == 200


def test_assign_form_assigns_a_course_to_a_whole_team_and_agents(
        world, client, django_capture_on_commit_callbacks):
    client.force_login(world.coach)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(world, "tasks/assign/"), {
            "course": world.article.pk, "catalog": world.catalog.pk, "teams": [world.team.pk],
        }, follow=True)
    assert "“VPN troubleshooting” assigned to 2 people." in response.content.decode()
    with world.tenant.scope():
        assert sorted(LearningTask.objects.values_list("assigned_to__username", "catalog__title",
                                                       "assigned_by__username")) == [
            ("abe", "Service desk essentials", "carl"), ("amy", "Service desk essentials", "carl")]
    assert sorted(m.to[0] for m in mail.outbox) == ["abe@example.com", "amy@example.com"]
    response = client.post(url(world, "tasks/assign/"), {
        "course": world.article.pk, "agents": [world.agent.pk]}, follow=True)
    assert "“VPN troubleshooting” assigned to 0 people. 1 already had it open and keeps that " \
           "task." in response.content.decode()


def test_assign_form_limits_a_coach_to_their_teams_agents_and_catalogs(world, client):
    client.force_login(world.coach)
    response = client.post(url(world, "tasks/assign/"), {
        "course": world.article.pk, "agents": [world.agent3.pk]})
    assert response.status_code == 200
    assert "Select a valid choice." in response.context["form"].errors["agents"][0]
    # A course only on another team's catalog is not offered.
    with world.tenant.scope():
        hidden = save_course_item(organization=world.tenant.org, title="Routing",
                                  source=ContentSource.URL, url="https://v.example/r",
                                  catalogs=[world.catalog2])
    response = client.post(url(world, "tasks/assign/"), {
        "course": hidden.pk, "agents": [world.agent.pk]})
    assert "course" in response.context["form"].errors
    response = client.post(url(world, "tasks/assign/"), {"course": world.article.pk})
    assert response.context["form"].non_field_errors() == [
        "Choose at least one agent or a team with agents."]
    with world.tenant.scope():
        assert LearningTask.objects.count() == 0


def test_assign_form_refuses_a_catalog_without_the_course(world, client):
    client.force_login(world.learning_admin)
    response = client.post(url(world, "tasks/assign/"), {
        "course": world.article.pk, "catalog": world.catalog2.pk, "agents": [world.agent.pk]})
    assert response.context["form"].errors["catalog"] == [
        "“VPN troubleshooting” is not in the catalog “Network basics”."]


# --- learning admin pages --------------------------------------------------------------


def test_catalog_title_clash_is_a_form_error(world, client):
    client.force_login(world.learning_admin)
    response = client.post(url(world, "catalogs/new/"), {"title": "  network BASICS "})
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [
        "A catalog called “network BASICS” already exists; choose another title."]
    response = client.post(url(world, f"catalogs/{world.catalog.pk}/edit/"),
                           {"title": "Network basics"})
    assert response.context["form"].errors["title"] == [
        "A catalog called “Network basics” already exists; choose another title."]
    with world.tenant.scope():
        assert LearningCatalog.objects.count() == 2


def test_catalog_create_with_teams_then_add_and_remove_courses(world, client):
    client.force_login(world.learning_admin)
    response = client.post(url(world, "catalogs/new/"), {
        "title": "Soft skills", "description": "Talking to people", "teams": [world.team2.pk]})
    with world.tenant.scope():
        catalog = LearningCatalog.objects.get(title="Soft skills")
        assert catalog.owner == world.learning_admin
        assert list(catalog.teams.values_list("name", flat=True)) == ["Network Operations"]
    assert response["Location"] == url(world, f"catalogs/{catalog.pk}/")
    client.post(url(world, f"catalogs/{catalog.pk}/courses/add/"),
                {"courses": [world.article.pk, world.external.pk]})
    with world.tenant.scope():
        assert sorted(catalog.courses.values_list("title", flat=True)) == [
            "Firewalls on Udemy", "VPN troubleshooting"]
    client.post(url(world, f"catalogs/{catalog.pk}/courses/{world.article.pk}/remove/"))
    with world.tenant.scope():
        assert list(catalog.courses.values_list("title", flat=True)) == ["Firewalls on Udemy"]
    # Another tenant's course cannot be added.
    response = client.post(url(world, f"catalogs/{catalog.pk}/courses/add/"),
                           {"courses": [world.other_course.pk]}, follow=True)
    assert "Select a valid choice." in response.content.decode()


def test_internal_course_editor_saves_a_sanitised_article_with_skills(world, client):
    client.force_login(world.learning_admin)
    response = client.post(url(world, "courses/new/"), {
        "title": "Phishing", "source": "article",
        "body": '<h2>Spot it</h2><p onmouseover="x()">Look at the sender</p>'
                '<script>steal()</script><a href="javascript:void(0)">more</a>',
        "days_to_complete": "4", "estimated_minutes": "25", "catalogs": [world.catalog.pk],
        "active": "on", "skills-TOTAL_FORMS": "2", "skills-INITIAL_FORMS": "0",
        "skills-0-skill": world.empathy.pk, "skills-0-level": world.level("Advanced").pk,
        "skills-1-skill": "", "skills-1-level": "",
    })
    with world.tenant.scope():
        course = CourseItem.objects.get(title="Phishing")
        assert response["Location"] == url(world, f"courses/{course.pk}/")
        assert course.body == ('<h2>Spot it</h2><p>Look at the sender</p>'
                               '<a rel="noopener noreferrer nofollow">more</a>')
        assert (course.days_to_complete, course.estimated_minutes, course.created_by) == (
            4, 25, world.learning_admin)
        assert list(course.granted_skills.values_list("skill__name", "level__name")) == [
            ("Empathy", "Advanced")]
        assert list(course.catalogs.values_list("title", flat=True)) == [
            "Service desk essentials"]


@pytest.mark.parametrize("bad_url", ["javascript:alert(1)", "ftp://x.example/c",
                                     "data:text/html,x"])
def test_external_course_entry_refuses_a_non_http_url(world, client, bad_url):
    client.force_login(world.learning_admin)
    response = client.post(url(world, "courses/new/external/"), {
        "title": "Evil", "source": "external", "provider": "udemy", "url": bad_url,
        "days_to_complete": "5", "skills-TOTAL_FORMS": "0", "skills-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["url"] == [
        "Enter a web address starting with http:// or https:// (other kinds of links are "
        "refused)."]
    with world.tenant.scope():
        assert not CourseItem.objects.filter(title="Evil").exists()


def test_external_course_entry_saves_provider_and_url(world, client):
    client.force_login(world.learning_admin)
    client.post(url(world, "courses/new/external/"), {
        "title": "Cornerstone ITIL", "source": "external", "provider": "cornerstone",
        "url": "https://cornerstone.example.com/itil", "days_to_complete": "20",
        "skills-TOTAL_FORMS": "1", "skills-INITIAL_FORMS": "0",
        "skills-0-skill": world.vpn.pk, "skills-0-level": "",
    })
    with world.tenant.scope():
        assert not CourseItem.objects.filter(title="Cornerstone ITIL").exists()  # level missing
    response = client.post(url(world, "courses/new/external/"), {
        "title": "Cornerstone ITIL", "source": "external", "provider": "cornerstone",
        "url": "https://cornerstone.example.com/itil", "days_to_complete": "20",
        "skills-TOTAL_FORMS": "0", "skills-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    with world.tenant.scope():
        course = CourseItem.objects.get(title="Cornerstone ITIL")
        assert (course.source, course.provider, course.url, course.days_to_complete) == (
            "external", "cornerstone", "https://cornerstone.example.com/itil", 20)


def test_course_editor_refuses_skills_of_another_tenant(world, client, unscoped):
    from skills.models import Skill

    other_skill = Skill.objects.create(organization=world.other.org, name="Billing")
    client.force_login(world.learning_admin)
    response = client.post(url(world, f"courses/{world.article.pk}/edit/"), {
        "title": "VPN troubleshooting", "source": "article", "body": "<p>x</p>",
        "days_to_complete": "5", "skills-TOTAL_FORMS": "1", "skills-INITIAL_FORMS": "0",
        "skills-0-skill": other_skill.pk, "skills-0-level": world.levels[0].pk,
    })
    assert response.status_code == 200
    assert "Select a valid choice." in str(response.context["formset"].errors)


def test_learning_settings_switch_weekends(world, client, unscoped):
    client.force_login(world.admin)
    response = client.post(url(world, "settings/"), {"exclude_weekends": "on"})
    assert response.status_code == 302
    world.tenant.org.refresh_from_db()
    assert world.tenant.org.settings == {EXCLUDE_WEEKENDS_SETTING: True}
    html = client.get(url(world, "settings/")).content.decode()
    assert "Saturday, Sunday" in html
    client.post(url(world, "settings/"), {})
    world.tenant.org.refresh_from_db()
    assert world.tenant.org.settings == {EXCLUDE_WEEKENDS_SETTING: False}
