"""Opportunities' extension point, filled by the apps above opportunities (coaching) from
their ``AppConfig.ready`` — opportunities never imports them.

:data:`match_links` — ``fn(request, matches) -> {match id: URL}``: where a line of an
opportunity's match log leads, such as the assessment it opened (coaching). Read while the
opportunity's page is built; one query per provider.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tenancy.extensions import Registry

if TYPE_CHECKING:
    from .models import OpportunityMatch

match_links: Registry[Callable[..., dict[int, str]]] = Registry("opportunities.match_links")


def with_links(request, matches: Sequence["OpportunityMatch"]) -> Sequence["OpportunityMatch"]:
    """Give each match its ``link`` URL ("" when nothing registered knows one)."""
    links: dict[int, str] = {}
    if matches:
        for provider in match_links:
            links.update(provider(request, matches))
    for match in matches:
        match.link = links.get(match.pk, "")
    return matches
