"""The recommender's work-event handler: a resolution updates its agent's counts at once."""

from django_scopes import get_scope

from tenancy.models import Organization
from work.enums import DONE_STATES
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services import update_recommendations_for_item

RECOMMEND = "skills.recommend"


@after_work_event_committed.register(RECOMMEND)
def recommend(event: WorkEvent) -> None:
    item = event.work_item
    if item.state in DONE_STATES:
        # The outbox task runs in the tenant's scope with the organization loaded: no
        # query per event for it.
        scoped = get_scope().get("organization")
        if isinstance(scoped, Organization) and scoped.pk == item.organization_id:
            item.organization = scoped
        update_recommendations_for_item(organization=item.organization, work_item=item)
