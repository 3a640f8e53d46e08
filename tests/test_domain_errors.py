"""One domain error, translated the same way by forms, views and the API; one tenant check."""

import json

import pytest
from django import forms
from django.test import RequestFactory
from django_scopes import scopes_disabled

from coaching.services.errors import AssessmentError
from config.api import domain_error
from learning.errors import LearningError
from opportunities.conditions import ConditionError
from opportunities.services import OpportunityError
from routing.errors import RoutingConflict, RoutingError
from skills.errors import SkillError
from surveys.services.errors import SurveyAnswersInvalid, SurveyError
from tenancy.errors import DomainError, ImportRefused, add_service_error, same_tenant
from tenancy.services.errors import TenancyError
from tests.factories import TeamFactory
from work.services import ImportRefused as WorkImportRefused


class TitleForm(forms.Form):
    title = forms.CharField()


def _bound_form() -> TitleForm:
    form = TitleForm({"title": "Onboarding"})
    assert form.is_valid()
    return form


def test_every_app_error_is_a_domain_error_and_import_refused_is_one_class():
    errors = [AssessmentError, LearningError, ConditionError, OpportunityError, RoutingError,
              RoutingConflict, SkillError, SurveyError, SurveyAnswersInvalid, TenancyError,
              ImportRefused]
    assert [issubclass(error, DomainError) for error in errors] == [True] * len(errors)
    assert WorkImportRefused is ImportRefused


def test_domain_error_keeps_its_message_and_field():
    error = SkillError("A skill needs a name.", field="name")
    assert (error.message, error.field, error.messages, str(error)) == (
        "A skill needs a name.", "name", ["A skill needs a name."], "A skill needs a name.")
    plain = RoutingError("Choose an agent from the suggestions.")
    assert (plain.message, plain.field) == ("Choose an agent from the suggestions.", None)


def test_form_helper_puts_the_error_next_to_its_field():
    form = _bound_form()
    add_service_error(form, LearningError("A catalog called “Onboarding” already exists; "
                                          "choose another title.", field="title"))
    assert form.errors == {"title": [
        "A catalog called “Onboarding” already exists; choose another title."]}


def test_form_helper_puts_an_error_without_a_field_of_the_form_above_the_form():
    form = _bound_form()
    add_service_error(form, SkillError("Give each skill once: VPN.", field="skills"))
    add_service_error(form, SkillError("This skill is retired."))
    assert form.errors == {"__all__": ["Give each skill once: VPN.", "This skill is retired."]}


def test_form_helper_spreads_an_error_about_several_fields():
    form = _bound_form()
    add_service_error(form, TenancyError({"title": ["Too long."], "email": ["Not an address."]}))
    assert form.errors == {"title": ["Too long."], "__all__": ["Not an address."]}


def test_an_error_raised_in_a_field_clean_lands_on_that_field():
    class CheckedForm(TitleForm):
        def clean_title(self):
            raise LearningError("Taken.", field="title")

    form = CheckedForm({"title": "Onboarding"})
    assert form.errors == {"title": ["Taken."]}


@pytest.mark.parametrize(("error", "body"), [
    (RoutingError("INC1 is not routable."),
     {"detail": "INC1 is not routable.", "errors": []}),
    (SkillError("A skill needs a name.", field="name"),
     {"detail": "A skill needs a name.",
      "errors": [{"index": None, "field": "name", "message": "A skill needs a name."}]}),
    (TenancyError({"username": ["Taken."], "__all__": ["Nothing was saved."]}),
     {"detail": "Taken. Nothing was saved.",
      "errors": [{"index": None, "field": "username", "message": "Taken."}]}),
])
def test_api_answers_a_domain_error_with_the_422_body(error, body):
    response = domain_error(RequestFactory().post("/api/v1/work-items"), error)
    assert response.status_code == 422
    assert json.loads(response.content) == body


def test_same_tenant_accepts_rows_of_one_organization_and_skips_none(tenant_a):
    with scopes_disabled():
        first, second = TeamFactory(organization=tenant_a.org), TeamFactory(
            organization=tenant_a.org)
    # Rows of one organization pass: the check returns without raising.
    assert same_tenant(tenant_a.org, first, None, second) is None
    assert same_tenant(first, second) is None


def test_same_tenant_refuses_a_row_of_another_organization(tenant_a, tenant_b):
    with scopes_disabled():
        ours = TeamFactory(organization=tenant_a.org, name="Ours")
        theirs = TeamFactory(organization=tenant_b.org, name="Theirs")
    with pytest.raises(DomainError) as refused:
        same_tenant(tenant_a.org, ours, theirs)
    assert refused.value.messages == [
        "These belong to another organization and cannot be used here: Theirs."]
    with pytest.raises(SkillError) as refused:
        same_tenant(ours, theirs, error=SkillError,
                    message=lambda foreign: f"Not ours: {foreign[0].name}.")
    assert (refused.value.message, refused.value.field) == ("Not ours: Theirs.", None)
    with pytest.raises(OpportunityError) as refused:
        same_tenant(tenant_b.org, ours, error=OpportunityError, message="Foreign team.")
    assert refused.value.message == "Foreign team."
