"""Work's extension points, filled by the features above ``work`` from their
``AppConfig.ready`` (see :class:`tenancy.extensions.Registry`).

* :data:`after_work_event_committed` — coaching opportunities, the recommender and routing
  react to work events::

      from work.extensions import after_work_event_committed

      @after_work_event_committed.register("opportunities.evaluate")
      def evaluate(events): ...

  The key is the handler's stable name (the key of its run records). After the events'
  transaction committed, the outbox worker (:func:`work.services.process_work_events`)
  calls every handler with a batch of one tenant's events (in id order, each with its
  ``work_item`` and ``organization`` loaded), in a savepoint with the records of the run,
  so a handler's writes and its "done" marks commit together. A handler must give each
  event the same effect whether it comes alone or in a batch: one that raises on a batch
  is called again with each event alone, and the event it fails on is logged, recorded
  and retried later — the event itself stays. Batching is what makes the outbox fast:
  read what a batch needs in one query, not one per event.

* :data:`skill_catalog` — work items name the skills they required. Work keeps the names
  as the source sent them (``RequestedSkill``: change detection, history). The skills app
  registers one catalogue: ingest asks it which names are unknown (an error, or created
  with ``create_missing``) and hands it the requirements to link to real skills, inside
  the ingest transaction — the only writer of the resolved requirements
  (``skills.WorkItemSkill``). Without a catalogue any name is accepted as it is.

* :data:`predicted_skills` — one provider ``fn(item_ids) -> {item_id: [{"skill", "score"}]}``
  the work-item API adds to each item (the recommender's predictions).

* :data:`work_item_writes` — features that keep their own state of work items up to date
  (routing's per-agent load and last assignment): ``fn(organization, writes)`` is called
  inside the ingest transaction, after the items are written, with one
  :class:`ItemWrite` per created or changed item, so the state commits (or rolls back)
  with the change. Every write of ``assigned_to``, ``kind`` or ``state`` (API, CSV import,
  UI, routing, the demo) goes through ingest, hence through here.

* :data:`work_item_panels` — a card on the work-item page (routing's "Suggested agents"):
  ``fn(request, item)`` returns rendered HTML, or ``None`` to show nothing for this user or
  item. Shown in key order.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from tenancy.extensions import Registry

if TYPE_CHECKING:
    from tenancy.models import Organization

    from .models import WorkEvent, WorkItem

Handler = Callable[[list["WorkEvent"]], None]
ItemPanel = Callable[..., "str | None"]
PredictedSkills = Callable[[list[int]], dict[int, list[dict]]]


class SkillCatalog(Protocol):
    def unknown(self, organization: "Organization", names: Iterable[str]) -> set[str]:
        """The names (as given) that are not skills of the organization."""

    def create(self, organization: "Organization", names: Iterable[str]) -> None:
        """Create skills with these names."""

    def replace_requirements(
        self, organization: "Organization", requirements: dict[int, list[tuple[str, int | None]]]
    ) -> None:
        """Make each work item (by id) require exactly these (skill name, minimum level rank).

        Called in the ingest transaction, so the catalogue's links commit with the item.
        """


@dataclass(frozen=True)
class ItemWrite:
    """One created or changed item as ingest wrote it: ``item`` holds the new values (and
    its id), ``before`` the ``(assigned_to_id, kind, state)`` it had (``None`` when it is
    new), ``changed`` the names of the fields that changed, ``occurred_at`` the time of its
    event."""

    item: "WorkItem"
    before: tuple[int | None, str, str] | None
    changed: frozenset[str]
    occurred_at: datetime


WorkItemWrites = Callable[["Organization", list[ItemWrite]], None]

after_work_event_committed: Registry[Handler] = Registry("work.after_work_event_committed")
skill_catalog: Registry[SkillCatalog] = Registry("work.skill_catalog")
predicted_skills: Registry[PredictedSkills] = Registry("work.predicted_skills")
work_item_panels: Registry[ItemPanel] = Registry("work.work_item_panels")
work_item_writes: Registry[WorkItemWrites] = Registry("work.work_item_writes")


def handlers() -> list[tuple[str, Handler]]:
    """The event handlers in a stable order (by name), as the outbox runs them."""
    return sorted(after_work_event_committed.items())


def item_panels(request, item) -> list[str]:
    """The panels' HTML for this request and item, in key order, empty ones left out."""
    rendered = (fn(request, item) for _key, fn in sorted(work_item_panels.items()))
    return [html for html in rendered if html]
