"""The recommender's work-event handler: a resolution updates its agent's counts at once."""

from work.enums import DONE_STATES
from work.models import WorkEvent
from work.registry import register_handler

from .services import update_recommendations_for_item

RECOMMEND = "skills.recommend"


@register_handler(RECOMMEND)
def recommend(event: WorkEvent) -> None:
    item = event.work_item
    if item.state in DONE_STATES:
        update_recommendations_for_item(organization=item.organization, work_item=item)
