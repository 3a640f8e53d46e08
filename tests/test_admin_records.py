"""Records only services write are not addable in the Django admin (issue 12, item 7).

"Add routing decision" answered 500. Every admin add page is now either a working form or
absent (403), for an org admin and a superuser alike; records (routing decisions, work
events and items, handler runs, imports, opportunity matches, skill history and holdings,
self-reviews, learning tasks, assessments, sent surveys) are never addable; the pure logs
are not editable either.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from coaching.models import CoachingAssessment
from learning.models import LearningTask
from opportunities.models import OpportunityMatch
from routing.models import RoutingDecision
from skills.models import SkillChange, SkillReview, UserSkill
from surveys.models import SurveyResponse
from work.models import HandlerRun, WorkEvent, WorkImport, WorkItem

RECORDS = [RoutingDecision, WorkEvent, WorkItem, WorkImport, OpportunityMatch, SkillChange,
           UserSkill, SkillReview, LearningTask, CoachingAssessment, SurveyResponse]


@pytest.fixture
def admins(tenant_a, tenant_b):
    org_admin = tenant_a.member(roles=["org_admin"], username="ada", is_staff=True)
    superuser = tenant_b.member(roles=["org_admin"], username="root", is_staff=True,
                                is_superuser=True)
    return {"org_admin": org_admin, "superuser": superuser}


def _add_url(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/"


@pytest.mark.parametrize("who", ["org_admin", "superuser"])
@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_records_have_no_add_page_and_no_add_button(admins, client, who, model):
    client.force_login(admins[who])
    assert client.get(_add_url(model)).status_code == 403
    assert client.post(_add_url(model), {}).status_code == 403
    changelist = client.get(_add_url(model).removesuffix("add/"))
    assert changelist.status_code == 200
    assert changelist.context["has_add_permission"] is False


@pytest.mark.parametrize("model", [RoutingDecision, WorkEvent, OpportunityMatch, SkillChange],
                         ids=lambda m: m.__name__)
def test_records_are_not_editable_either(admins, model):
    request = RequestFactory().get("/admin/")
    request.user = admins["superuser"]
    model_admin = admin.site._registry[model]
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False


def test_handler_runs_show_only_inside_their_event(admins):
    assert HandlerRun not in admin.site._registry
    request = RequestFactory().get("/admin/")
    request.user = admins["superuser"]
    inline = next(i for i in admin.site._registry[WorkEvent].get_inline_instances(request)
                  if i.model is HandlerRun)
    assert inline.has_add_permission(request, None) is False


@pytest.mark.parametrize("who", ["org_admin", "superuser"])
def test_every_admin_add_page_is_a_form_or_absent_never_a_500(admins, client, who):
    client.force_login(admins[who])
    answers = {}
    for model in admin.site._registry:
        answers[model.__name__] = client.get(_add_url(model)).status_code
    assert set(answers.values()) <= {200, 403}, answers
    assert {name for name, status in answers.items() if status == 403} >= {
        m.__name__ for m in RECORDS}
