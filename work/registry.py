"""Plug points for the features above ``work``.

* **Event handlers.** Coaching opportunities, the recommender and routing react to work
  events. Each registers a handler from its ``AppConfig.ready``::

      from work.registry import register_handler

      @register_handler("opportunities.evaluate")
      def evaluate(event): ...

  The outbox worker calls every handler once per event (see
  :func:`work.services.process_work_events`) inside a transaction with the record of the
  run, so a handler's database writes and its "done" mark commit together.

* **Skill catalogue.** Work items name the skills they required. Work keeps the names as
  the source sent them (``WorkItemSkill``: change detection, history). The skills app
  registers a catalogue: ingest then asks it which names are unknown (an error, or created
  with ``create_missing``) and hands it the requirements to link to real skills in the
  same transaction. Without a catalogue any name is accepted as it is.

* **Item panels.** Features above ``work`` add a card to the work-item page (routing's
  "Suggested agents") with :func:`register_item_panel`: ``fn(request, item)`` returns
  rendered HTML, or ``None`` to show nothing for this user or item.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tenancy.models import Organization

    from .models import WorkEvent

Handler = Callable[["WorkEvent"], None]

_HANDLERS: dict[str, Handler] = {}


def register_handler(name: str) -> Callable[[Handler], Handler]:
    """Register ``fn(event)`` under a stable ``name`` (the key of its run records)."""
    if not name or len(name) > 100:
        raise ValueError("A handler name is 1–100 characters, such as 'app.what_it_does'.")

    def decorator(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return decorator


def unregister_handler(name: str) -> None:
    _HANDLERS.pop(name, None)


ItemPanel = Callable[..., "str | None"]

_ITEM_PANELS: dict[str, ItemPanel] = {}


def register_item_panel(name: str, fn: ItemPanel) -> None:
    """Show ``fn(request, item)``'s HTML as a card on the work-item page (by ``name``)."""
    _ITEM_PANELS[name] = fn


def unregister_item_panel(name: str) -> None:
    _ITEM_PANELS.pop(name, None)


def item_panels(request, item) -> list[str]:
    """The panels' HTML for this request and item, in ``name`` order, empty ones left out."""
    rendered = (fn(request, item) for _name, fn in sorted(_ITEM_PANELS.items()))
    return [html for html in rendered if html]


def handlers() -> list[tuple[str, Handler]]:
    """Registered handlers in a stable order (by name)."""
    return sorted(_HANDLERS.items())


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


@dataclass
class _State:
    skill_catalog: SkillCatalog | None = None


_state = _State()


def set_skill_catalog(catalog: SkillCatalog | None) -> None:
    _state.skill_catalog = catalog


def skill_catalog() -> SkillCatalog | None:
    return _state.skill_catalog
