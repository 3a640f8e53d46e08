"""seed_demo's learning data: two catalogs, internal and external courses granting the demo
skills, tasks in every state (some overdue); a second run adds nothing."""

from django.utils import timezone

from learning.demo import seed_learning
from learning.models import CourseItem, CourseSkill, LearningCatalog, LearningTask
from tenancy.demo import DemoPeople


def test_seed_learning_covers_every_state_and_is_idempotent(world, tenant_a):
    agents = [tenant_a.member(roles=["agent"], username=f"demo-agent-{i}") for i in range(6)]
    desk = tenant_a.team(name="Customer Care", manager=world.coach, members=agents)
    people = DemoPeople(world.admin, [world.coach], None, None, world.learning_admin, agents,
                        [desk])
    with tenant_a.scope():
        seed_learning(tenant_a.org, people, None)
        counts = (LearningCatalog.objects.count(), CourseItem.objects.count(),
                  LearningTask.objects.count(), CourseSkill.objects.count())
        seed_learning(tenant_a.org, people, None)
        assert (LearningCatalog.objects.count(), CourseItem.objects.count(),
                LearningTask.objects.count(), CourseSkill.objects.count()) == counts
        titles = set(LearningCatalog.objects.values_list("title", flat=True))
        assert {"IT service desk essentials", "Customer care excellence"} <= titles
        sources = set(CourseItem.objects.values_list("source", flat=True))
        assert sources == {"article", "url", "free_form", "external"}
        # The world's VPN and Empathy skills are granted by the demo courses that name them.
        assert set(CourseSkill.objects.values_list("skill__name", flat=True)) >= {"VPN",
                                                                                  "Empathy"}
        tasks = LearningTask.objects.filter(assigned_to__in=agents)
        assert sorted(tasks.values_list("state", flat=True)) == [
            "assigned", "assigned", "cancelled", "completed", "in_progress", "in_progress"]
        today = timezone.localdate(timezone=tenant_a.org.tzinfo)
        assert tasks.filter(state="assigned", due_date__lt=today).count() == 1
        assert tasks.filter(due_date=today, state="in_progress").count() == 1
