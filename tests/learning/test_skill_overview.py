"""The skill overview page shows learning's "pending users" and "course items" sections."""

from learning.services import assign_course, complete_task, start_task


def test_skill_overview_shows_pending_users_and_course_items(world, client):
    with world.tenant.scope():
        open_task = assign_course(course_item=world.article, assignee=world.agent,
                                  assigned_by=world.coach, notify=False)
        started = assign_course(course_item=world.article, assignee=world.agent2,
                                assigned_by=world.coach, notify=False)
        start_task(task=started, actor=world.agent2)
        done = assign_course(course_item=world.article, assignee=world.agent3,
                             assigned_by=world.coach, notify=False)
        complete_task(task=done, actor=world.agent3)
    client.force_login(world.learning_admin)
    client.force_login(world.coach)
    response = client.get(world.tenant.url(f"skills/catalogue/{world.vpn.pk}/"))
    sections = {s.title: s for s in response.context["sections"]}
    pending = sections["Pending users from learning (2)"]
    assert [(i.label, i.url) for i in pending.items] == [
        ("Abe Ames", f"/o/alpha/learning/tasks/{open_task.pk}/"),
        ("Amy Adler", f"/o/alpha/learning/tasks/{started.pk}/"),
    ]
    assert pending.items[1].detail.startswith("VPN troubleshooting · in progress · due ")
    courses = sections["Course items (1)"]
    assert [(i.label, i.url, i.detail) for i in courses.items] == [
        ("VPN troubleshooting", f"/o/alpha/learning/courses/{world.article.pk}/",
         "Article · grants Intermediate")]
    html = response.content.decode()
    assert "Pending users from learning (2)" in html and "Course items (1)" in html


def test_skill_overview_sections_are_empty_for_a_skill_no_course_grants(world, client):
    from skills.services import save_skill

    with world.tenant.scope():
        skill = save_skill(organization=world.tenant.org, name="Printing")
    client.force_login(world.coach)
    response = client.get(world.tenant.url(f"skills/catalogue/{skill.pk}/"))
    html = response.content.decode()
    assert "No one is working on a course that grants this skill." in html
    assert "No course grants this skill yet." in html


def test_skill_history_links_to_the_learning_task(world, client):
    with world.tenant.scope():
        task = assign_course(course_item=world.article, assignee=world.agent,
                             assigned_by=world.coach, notify=False)
        complete_task(task=task, actor=world.agent)
    client.force_login(world.agent)
    html = client.get(world.tenant.url("skills/me/")).content.decode()
    assert f'<a href="/o/alpha/learning/tasks/{task.pk}/">Learning task #{task.pk}</a>' in html
