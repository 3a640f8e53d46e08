"""Free text has a maximum length (issue 12, item 7): a 12,000-character self-review
justification stretched the coach's page; it is refused with a message next to the field."""

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from skills.models import SkillReview

LIMIT = 4_000


def _request(client, world, justification):
    return client.post(world.tenant.url("skills/me/"), {
        "skill": world.empathy.pk, "level": world.level("Advanced").pk,
        "justification": justification})


def test_an_over_long_justification_is_refused_with_a_message(world, login):
    client = login(world.agent)
    response = _request(client, world, "x" * 12_000)
    assert response.status_code == 200
    assert response.context["form"].errors == {"justification": [
        "Ensure this value has at most 4000 characters (it has 12000)."]}
    assert 'maxlength="4000"' in response.content.decode()
    with world.tenant.scope():
        assert not SkillReview.objects.exists()
    assert _request(client, world, "y" * LIMIT).status_code == 302
    with world.tenant.scope():
        assert len(SkillReview.objects.get().justification) == LIMIT


def test_only_the_agent_sends_it_and_another_tenant_sees_nothing(world, login, client):
    assert _request(login(world.skill_admin), world, "x" * 12_000).status_code == 404
    client.logout()
    assert _request(login(world.outsider), world, "x" * 12_000).status_code == 404
    with world.tenant.scope():
        assert not SkillReview.objects.exists()


@pytest.mark.parametrize(("field", "limit"), [
    ("justification", LIMIT), ("decision_comment", LIMIT),
])
def test_the_model_bounds_the_text_too(world, field, limit):
    review = SkillReview(organization=world.tenant.org, user=world.agent, skill=world.empathy,
                         level=world.levels[0], justification="ok")
    setattr(review, field, "z" * (limit + 1))
    with pytest.raises(ValidationError) as refused:
        review.clean_fields(exclude=["state"])  # the FSM field may not be set directly
    assert refused.value.message_dict[field] == [
        f"At most {limit:,} characters (this has {limit + 1})."]


def test_every_free_text_field_of_the_apps_has_a_maximum_length():
    apps_of_ours = {"tenancy", "work", "skills", "learning", "surveys", "opportunities",
                    "routing", "coaching"}
    unbounded = [
        f"{model._meta.label}.{field.name}"
        for model in django_apps.get_models() if model._meta.app_label in apps_of_ours
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.editable and (
            field.max_length is None
            or not any(isinstance(v, MaxLengthValidator) for v in field.validators))
    ]
    assert unbounded == []
