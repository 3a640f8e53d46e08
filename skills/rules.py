"""Who may see and change skills.

- Skill admins and org admins own the catalogue and the level scale, and see and edit
  everyone's skills.
- Coaches see the matrix of the teams they manage and edit the skills of those agents; they
  decide the self-reviews of those agents (never their own).
- Every member sees their own skills and may ask for a review of them.
"""

import rules

from tenancy.rules import (
    is_agent,
    is_coach,
    is_coach_of,
    is_member,
    is_org_admin,
    is_skill_admin,
)

is_skill_owner = is_skill_admin | is_org_admin


@rules.predicate
def is_coach_of_review_agent(user, review) -> bool:
    return review is not None and is_coach_of(user, review.user)


@rules.predicate
def is_own_review(user, review) -> bool:
    return review is not None and review.user_id == user.pk


@rules.predicate
def is_open_review(user, review) -> bool:
    return review is not None and review.is_open


@rules.predicate
def is_coach_of_recommended_agent(user, rec) -> bool:
    return rec is not None and is_coach_of(user, rec.user)


@rules.predicate
def is_own_recommendation(user, rec) -> bool:
    return rec is not None and rec.user_id == user.pk


@rules.predicate
def is_pending_recommendation(user, rec) -> bool:
    return rec is not None and rec.is_pending


@rules.predicate
def is_rejected_recommendation(user, rec) -> bool:
    return rec is not None and rec.state == "rejected"


# ``is_coach_of`` is the coach role AND the team relation: a manager whose coach role was
# removed edits and decides nothing, even while still recorded as a team's manager.
can_edit_skills_of = is_skill_owner | is_coach_of
can_decide_review = (is_coach_of_review_agent | is_org_admin) & ~is_own_review

rules.add_perm("skills.view_skills_workspace", is_skill_owner | is_coach)
rules.add_perm("skills.view_matrix", is_skill_owner | is_coach)
rules.add_perm("skills.view_overview", is_skill_owner | is_coach)
rules.add_perm("skills.manage_catalogue", is_skill_owner)
rules.add_perm("skills.import_user_skills", is_skill_owner)
rules.add_perm("skills.edit_user_skills", can_edit_skills_of)
rules.add_perm("skills.view_my_skills", is_member)
rules.add_perm("skills.request_review", is_agent)
rules.add_perm("skills.list_reviews", is_coach | is_org_admin)
rules.add_perm("skills.view_review", is_own_review | can_decide_review)
rules.add_perm("skills.decide_review", can_decide_review & is_open_review)
rules.add_perm("skills.withdraw_review", is_own_review & is_open_review)

# Recommendations go to the agent's coaches; org admins may decide any and reopen rejections.
can_decide_recommendation = (
    (is_coach_of_recommended_agent | is_org_admin) & ~is_own_recommendation
)
rules.add_perm("skills.list_recommendations", is_coach | is_org_admin | is_skill_admin)
rules.add_perm("skills.view_recommendation", can_decide_recommendation | is_skill_owner)
rules.add_perm("skills.decide_recommendation",
               can_decide_recommendation & is_pending_recommendation)
rules.add_perm("skills.reopen_recommendation", is_org_admin & is_rejected_recommendation)
