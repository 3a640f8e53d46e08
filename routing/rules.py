"""Who sees suggestions and team load, who assigns, who changes routing settings."""

import rules

from tenancy.rules import is_coach, is_org_admin
from work.models import WorkItem


@rules.predicate
def coaches_item_team(user, item) -> bool:
    """The user manages (or co-manages) the item's team."""
    if not isinstance(item, WorkItem) or item.team is None:
        return False
    team = item.team
    return team.manager_id == user.pk or team.manager_links.filter(user=user).exists()


rules.add_perm("routing.view_team_load", is_coach | is_org_admin)
rules.add_perm("routing.view_suggestions", is_coach | is_org_admin)
rules.add_perm("routing.assign", is_org_admin | (is_coach & coaches_item_team))
rules.add_perm("routing.manage_settings", is_org_admin)
