"""Who sees suggestions and team load, who assigns, who changes routing settings."""

import rules

from tenancy.rules import is_coach, is_org_admin
from tenancy.selectors import teams_coached_by
from work.models import WorkItem


@rules.predicate
def coaches_item_team(user, item) -> bool:
    """The user manages (or co-manages) the item's team."""
    if not isinstance(item, WorkItem) or item.team_id is None:
        return False
    return teams_coached_by(item.organization, user).filter(pk=item.team_id).exists()


rules.add_perm("routing.view_team_load", is_coach | is_org_admin)
rules.add_perm("routing.view_suggestions", is_coach | is_org_admin)
rules.add_perm("routing.assign", is_org_admin | (is_coach & coaches_item_team))
rules.add_perm("routing.manage_settings", is_org_admin)
