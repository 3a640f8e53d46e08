"""Who may see and act on coaching assessments.

- Org admins see and act on every assessment.
- Coaches see and act on assessments they are the coach of, and on those of agents in the
  teams they manage or co-manage.
- Every member sees their own assessments, read-only.
"""

import rules

from tenancy.rules import is_coach, is_coach_of, is_member, is_org_admin


@rules.predicate
def is_assigned_coach(user, assessment) -> bool:
    return assessment is not None and assessment.coach_id == user.pk


@rules.predicate
def coaches_trainee(user, assessment) -> bool:
    return assessment is not None and is_coach_of(user, assessment.trainee)


can_act_on = is_org_admin | (is_coach & (is_assigned_coach | coaches_trainee))

rules.add_perm("coaching.view_overview", is_org_admin | is_coach)
rules.add_perm("coaching.view_assessment_list", is_org_admin | is_coach)
rules.add_perm("coaching.view_own_assessments", is_member)
rules.add_perm("coaching.act_on_assessment", can_act_on)
# Who sees which assessment is ``coaching.selectors.visible_assessments``.
rules.add_perm("coaching.open_assessment_for", is_org_admin | is_coach_of)

# --- Coaching from quality (marks, groups, coaching assignments) ------------------------
# QA analysts and org admins work with every agent; coaches with the agents they coach.
# Which agents and assignments a user reaches is decided by coaching.selectors_assignments.
from tenancy.rules import is_qa_analyst  # noqa: E402

rules.add_perm("coaching.manage_coaching_assignments", is_org_admin | is_qa_analyst | is_coach)
rules.add_perm("coaching.assign_coaching_to", is_org_admin | is_qa_analyst | is_coach_of)
rules.add_perm("coaching.view_own_coaching_assignments", is_member)

# --- Behaviour coaching plans ----------------------------------------------------------
# Coaches plan for the agents they coach, org admins for every member (which agents and
# plans a user reaches is coaching.selectors_plans); everyone sees their own sent plans.
rules.add_perm("coaching.plan_coaching", is_org_admin | is_coach)
rules.add_perm("coaching.view_own_plans", is_member)
# The outside advice provider (its URL, model and sealed API key) is the org admins'.
rules.add_perm("coaching.manage_advice_provider", is_org_admin)

# --- The coaching backlog: org admins see every open item, coaches their agents' and the
# unassigned ones (coaching.selectors_backlog); its settings and capacity are the admins'.
rules.add_perm("coaching.view_backlog", is_org_admin | is_coach)
