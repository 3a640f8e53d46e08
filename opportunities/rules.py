"""Who may configure coaching opportunities: organization admins."""

import rules

from tenancy.rules import is_org_admin

rules.add_perm("opportunities.manage_opportunities", is_org_admin)
