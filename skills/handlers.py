"""The recommender's work-event handler: resolutions update their agents' counts at once."""

from work.enums import DONE_STATES
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services import update_recommendations_for_items

RECOMMEND = "skills.recommend"


@after_work_event_committed.register(RECOMMEND)
def recommend(events: list[WorkEvent]) -> None:
    # The outbox hands over a batch of one tenant's events, their organization loaded.
    resolved = [event.work_item for event in events if event.work_item.state in DONE_STATES]
    if resolved:
        update_recommendations_for_items(organization=events[0].organization,
                                         work_items=resolved)
