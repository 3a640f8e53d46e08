"""Who may see work items and who may import them."""

import rules

from tenancy.rules import is_manager, is_org_admin

rules.add_perm("work.view_work_items", is_manager)
rules.add_perm("work.import_work_items", is_org_admin)
