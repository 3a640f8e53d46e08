"""``{% peer person %}``: the person's name, or their pseudonym when the organization shows
peers as pseudonyms and the viewer may not see this person by name
(:mod:`tenancy.pseudonyms`). ``{% peer_named person as named %}`` says which, so a page
links to a person's own page only when it shows their name."""

from django import template

from ..pseudonyms import peer_names

register = template.Library()


@register.simple_tag(takes_context=True)
def peer(context, person) -> str:
    return peer_names(context["request"]).label(person)


@register.simple_tag(takes_context=True)
def peer_named(context, person) -> bool:
    return peer_names(context["request"]).is_named(person)
