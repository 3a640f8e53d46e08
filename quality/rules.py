"""Who may configure scorecards, audit interactions and read quality results.

- Org admins and QA analysts build scorecards and set the quality settings.
- QA analysts and coaches audit interactions (coaches: agents of the teams they coach;
  QA analysts and org admins: every agent), see every evaluation they may audit and the
  quality dashboards.
- Agents see their own released evaluations and their own dashboard — nothing of others.
"""

import rules

from tenancy.rules import is_coach, is_member, is_org_admin, is_qa_analyst

can_configure = is_org_admin | is_qa_analyst
can_audit = is_org_admin | is_qa_analyst | is_coach

rules.add_perm("quality.manage_scorecards", can_configure)
rules.add_perm("quality.manage_settings", can_configure)
rules.add_perm("quality.audit", can_audit)
rules.add_perm("quality.view_dashboards", can_audit)
rules.add_perm("quality.view_own_quality", is_member)
rules.add_perm("quality.allocate_audits", can_configure)

# Agent disputes: whoever audits reviews the disputes of their audits (the reviewers' queue);
# deciding one is quality.services.disputes.may_decide.
rules.add_perm("quality.review_disputes", can_audit)
