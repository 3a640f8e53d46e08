"""Who may read the access log: every member their own entries ("who looked at my
data"), org admins the whole tenant's (and its CSV export)."""

import rules

from tenancy.rules import is_member, is_org_admin

rules.add_perm("privacy.view_own_access_log", is_member)
rules.add_perm("privacy.view_access_log", is_org_admin)
