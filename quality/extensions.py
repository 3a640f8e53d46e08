"""Quality's extension points, filled by the apps above it from their ``AppConfig.ready``
(see :class:`tenancy.extensions.Registry`).

* :data:`evaluation_actions` — buttons on the audit screen and the evaluation page
  (coaching's "Mark for coaching", "Add coaching assignment"): ``fn(request, evaluation)``
  returns rendered HTML, or ``None`` to show nothing for this user or evaluation. A page
  puts ``evaluation_actions_html(request, evaluation)`` in its context and renders each
  item with ``|safe``… or simply ``{% for html in actions %}{{ html }}{% endfor %}`` (the
  strings are marked safe).

* :data:`dashboard_cards` — cards of the QA dashboard (coaching's "Agents in coaching"):
  ``fn(request)`` returns ``{"title", "value", "caption", "url"}`` or ``None``. A page
  puts ``dashboard_cards_for(request)`` in its context. Optional keys: ``"html"`` (the
  card's body, rendered by the app, shown instead of ``value``) and ``"wide"`` (two
  columns). Cards may read the page's ``?period=``: the leaderboard re-renders them with
  every filter swap.
"""

from collections.abc import Callable

from django.utils.safestring import mark_safe

from tenancy.extensions import Registry

EvaluationAction = Callable[..., "str | None"]
DashboardCard = Callable[..., "dict | None"]

evaluation_actions: Registry[EvaluationAction] = Registry("quality.evaluation_actions")
dashboard_cards: Registry[DashboardCard] = Registry("quality.dashboard_cards")


def evaluation_actions_html(request, evaluation) -> list[str]:
    """The actions' HTML for this request and evaluation, in key order, empty ones left out."""
    rendered = (fn(request, evaluation) for _key, fn in sorted(evaluation_actions.items()))
    return [mark_safe(html) for html in rendered if html]  # noqa: S308 (rendered templates)


def dashboard_cards_for(request) -> list[dict]:
    """The QA dashboard's cards from the apps above quality, in key order."""
    cards = (fn(request) for _key, fn in sorted(dashboard_cards.items()))
    return [card for card in cards if card]
