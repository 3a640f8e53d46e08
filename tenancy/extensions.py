"""How an app lets the apps above it plug in: one typed :class:`Registry`, and tenancy's own
extension points.

Apps import only downward. When a lower app must show or run something an upper app owns,
it declares an extension point — a module-level ``Registry`` in its ``extensions.py`` —
and the upper app registers into it from its ``AppConfig.ready``. The name of a point says
*when* what is registered runs:

- ``on_<event>``: inside the transaction of the event; raising aborts the event.
- ``after_<event>_committed``: after the event's transaction committed; an error is logged
  (or recorded and retried) and never undoes the event.
- a plain noun (``navigation_entries``, ``work_item_panels``…): read while a page or an
  answer is built.

Where the caller sits above the callee there is no extension point: it calls the function
(completing an assessment calls learning and surveys directly).

Tenancy's points: the workspace navigation, the agent's "My coaching" cards and sections,
and the demo data of ``seed_demo``.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Organization


class Registry[T]:
    """Values registered under unique keys, in registration order.

    ``register(key, value)`` adds one; ``register(key)`` is the decorator form. Registering
    a key again with the same value does nothing (``ready()`` may run twice); with another
    value it raises :class:`ImproperlyConfigured`, so two apps never silently replace each
    other. Tests change a point with :meth:`unregister` or, restoring it afterwards,
    :meth:`replaced`.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, T] = {}

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self._entries) or 'empty'}>"

    @overload
    def register(self, key: str) -> Callable[[T], T]: ...

    @overload
    def register(self, key: str, value: T) -> T: ...

    def register(self, key: str, value: Any = ...) -> Any:
        if not key or not isinstance(key, str) or len(key) > 100:
            raise ImproperlyConfigured(
                f"{self.name}: a key is 1–100 characters, such as 'app.what_it_does'."
            )
        if value is ...:
            return lambda fn: self.register(key, fn)
        current = self._entries.get(key, ...)
        if current is not ... and current != value:
            raise ImproperlyConfigured(
                f"{self.name}: {key!r} is already registered ({current!r}); unregister it "
                "first to replace it."
            )
        self._entries[key] = value
        return value

    def unregister(self, key: str) -> None:
        """Remove ``key`` if it is registered."""
        self._entries.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._entries.get(key)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def one(self) -> T | None:
        """The value of a point that takes a single provider; None when nobody registered."""
        if len(self._entries) > 1:
            raise ImproperlyConfigured(
                f"{self.name} takes one provider; registered: {', '.join(self._entries)}."
            )
        return next(iter(self._entries.values()), None)

    @contextmanager
    def replaced(self, entries: Mapping[str, T] | None = None) -> Iterator["Registry[T]"]:
        """For tests: exactly ``entries`` (none by default) inside the block, the
        registered ones again after it."""
        saved = self._entries
        self._entries = dict(entries or {})
        try:
            yield self
        finally:
            self._entries = saved


# --- tenancy's extension points --------------------------------------------------------


@dataclass(frozen=True)
class NavEntry:
    """A link of the workspace navigation, shown to members with ``permission``, in
    ``order``. Highlighted on its own page and on the pages named by ``match`` (view-name
    prefixes such as ``"skills:overview"``); when an app has a single entry, on every page
    of its namespace. Entries sharing a ``group`` (such as ``"Quality"``) are shown together
    in one dropdown menu named after the group, placed where its first entry would be;
    ``group=None`` keeps the entry a link of its own."""

    workspace: str  # "manager" or "agent"
    label: str
    url_name: str
    permission: str
    order: int
    match: tuple[str, ...] = ()
    group: str | None = None

    def __post_init__(self) -> None:
        if self.workspace not in ("manager", "agent"):
            raise ImproperlyConfigured(f"Unknown workspace {self.workspace!r}.")

    @property
    def namespace(self) -> str:
        return self.url_name.split(":")[0]


@dataclass(frozen=True)
class SummaryCard:
    """A card of the agent's "My coaching" page, in ``order``: ``card(request)`` returns
    ``{"title", "value", "caption", "url", "tone"}`` for the signed-in member, or None to
    show nothing."""

    order: int
    card: Callable[["HttpRequest"], dict | None]


# The workspace navigation, keyed by URL name; read for every page (tenancy.navigation).
navigation_entries: Registry[NavEntry] = Registry("tenancy.navigation_entries")

# The cards of "My coaching", keyed by app; read when the page is built.
summary_cards: Registry[SummaryCard] = Registry("tenancy.summary_cards")

# Sections of "My coaching" below its cards, keyed by app-qualified name ("quality.review"):
# fn(request) returns the section's rendered HTML for the signed-in member, or None to show
# nothing; read when the page is built, in key order.
MyCoachingSection = Callable[["HttpRequest"], "str | None"]
my_coaching_sections: Registry[MyCoachingSection] = Registry("tenancy.my_coaching_sections")

# seed_demo: fn(organization, people, stdout) adds an app's demo data, in registration
# (INSTALLED_APPS) order, inside the organization's scope; runs again without duplicating.
DemoSeeder = Callable[["Organization", Any, Any], None]
demo_seeders: Registry[DemoSeeder] = Registry("tenancy.demo_seeders")
