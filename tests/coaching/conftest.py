"""Fixtures for coaching tests: the common world of one tenant, with helpers to add
opportunities, courses, surveys and work."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from opportunities.services import OpportunityData, save_opportunity
from tenancy.models import Membership
from tests.factories import World, make_world
from work.services import process_work_events, upsert_work_items


@dataclass(kw_only=True)
class CoachingWorld(World):
    """The common cast of tenant A: ``coach`` manages ``team`` (``agent``, ``agent2``) with
    ``co_coach``; ``coach2`` manages ``team2`` (``agent3``, an agent outside the coach's team)."""

    def opportunity(self, name="Reassigned three times", *, condition=None, **kwargs):
        condition = condition or {"field": "reassignment_count", "op": "gte", "value": 3}
        kwargs.setdefault("fires_on", "any")
        with self.tenant.scope():
            return save_opportunity(
                organization=self.tenant.org,
                data=OpportunityData(name=name, condition=condition, **kwargs),
            )

    def course(self, title="Firewall basics", *, catalog_teams=None, skills=(), days=5,
               tenant=None):
        """A free-form course item (on a catalog for ``catalog_teams`` when given)."""
        from learning.enums import ContentSource
        from learning.services import save_catalog, save_course_item

        tenant = tenant or self.tenant
        with tenant.scope():
            catalogs = []
            if catalog_teams is not None:
                catalogs = [save_catalog(organization=tenant.org, title=f"Catalog of {title}",
                                         teams=catalog_teams)]
            return save_course_item(
                organization=tenant.org, title=title, source=ContentSource.FREE_FORM,
                body=f"<p>{title}.</p>", days_to_complete=days, catalogs=catalogs,
                skills=list(skills),
            )

    def survey(self, name="Coach review", *, audience="coach_about_trainee", tenant=None):
        """A survey template: a 1–5 rating (weight 2), a yes/no and an optional text."""
        from surveys.services import save_question, save_template

        tenant = tenant or self.tenant
        with tenant.scope():
            template = save_template(organization=tenant.org, name=name, audience=audience)
            save_question(template=template, text="Quality", kind="rating", scale_min=1,
                          scale_max=5, weight=2)
            save_question(template=template, text="Followed the procedure?", kind="yes_no")
            save_question(template=template, text="Notes", kind="text", required=False)
        return template

    def push(self, *items):
        """Upsert work items and run the outbox handlers on their events now."""
        with self.tenant.scope():
            summary = upsert_work_items(organization=self.tenant.org, items=list(items))
            process_work_events(organization=self.tenant.org, event_ids=summary.event_ids)
        return summary


@pytest.fixture
def world(tenant_a):
    base = make_world(
        tenant=tenant_a, admin="admin", coach="coach", co_coach="cocoach", coach2="othercoach",
        agent="agent", agent2="agent2", agent3="outsider",
        team="Service Desk", team2="Network",
    )
    # Everyone joined long ago unless a test says otherwise (exemption).
    with scopes_disabled():
        Membership.objects.filter(organization=tenant_a.org).update(
            joined_at=timezone.now() - timedelta(days=365)
        )
    return CoachingWorld(**base.as_kwargs())
