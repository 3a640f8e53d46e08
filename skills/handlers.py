"""The recommender's work-event handler: a resolution updates its agent's counts at once."""

from work.enums import DONE_STATES
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services import update_recommendations_for_item

RECOMMEND = "skills.recommend"


@after_work_event_committed.register(RECOMMEND)
def recommend(event: WorkEvent) -> None:
    item = event.work_item
    if item.state in DONE_STATES:
        update_recommendations_for_item(organization=item.organization, work_item=item)
