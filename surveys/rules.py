"""Who may build surveys, read their results, and answer them.

- Org admins build templates, read every result and the coach effectiveness report, and
  set the reminder and due-date settings.
- QA analysts read results and coach effectiveness (they measure coaching).
- Coaches see coach effectiveness for themselves only.
- Every member answers the surveys sent to them — and only those (the views look surveys
  up by respondent, so anyone else's is a 404).
- A trainee's answers about their coach are seen with the trainee's name only by the
  trainee and — for surveys not sent anonymously (the organization's survey setting) — by
  org admins. Coaches, QA analysts and everyone else see them only in aggregates of at
  least three (``surveys.selectors``).
"""

import rules

from tenancy.rules import is_coach, is_manager, is_member, is_org_admin, is_qa_analyst

can_read_results = is_org_admin | is_qa_analyst


@rules.predicate
def is_respondent(user, response) -> bool:
    return response is not None and response.respondent_id == user.pk


@rules.predicate
def answered_openly(user, response) -> bool:
    return response is not None and not response.anonymous


rules.add_perm("surveys.manage_templates", is_org_admin)
rules.add_perm("surveys.view_results", can_read_results)
rules.add_perm("surveys.view_effectiveness", can_read_results | is_coach)
rules.add_perm("surveys.view_all_effectiveness", can_read_results)
rules.add_perm("surveys.manage_settings", is_org_admin)
rules.add_perm("surveys.view_manager_surveys", is_manager)
rules.add_perm("surveys.take_surveys", is_member)
# Trainee answers (not sent anonymously) may be read one by one: org admins only.
rules.add_perm("surveys.view_trainee_answers", is_org_admin)
# One trainee response with its answers and respondent (a coaching assessment's page).
rules.add_perm("surveys.view_trainee_response", is_respondent | (is_org_admin & answered_openly))
