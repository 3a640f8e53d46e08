"""The interactions list and page, the audit screen, the evaluation page and My audit queue:
the permission matrix, errors next to the attribute, and constant query counts."""

from datetime import timedelta

import pytest
from django_scopes import scopes_disabled

from quality.enums import EvaluationState
from quality.models import AuditAssignment, BestResponse, Evaluation

from .conftest import T0, calibration_item, make_interaction, make_scorecard

ALL_YES = {"greeting": "yes", "empathy": "yes", "compliance": "yes",
           "product-knowledge": "yes", "communication": "yes", "etiquette": "yes"}


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


@pytest.fixture
def item(world, card):
    return make_interaction(
        world.tenant.org, agent=world.agent, external_id="C-1", queue="billing",
        turns=[("agent", "Thank you for calling"), ("customer", "My bill is wrong"),
               ("agent", "I am sorry, let me fix that")])


@pytest.fixture
def other_item(world, card):
    return make_interaction(world.tenant.org, agent=world.agent3, external_id="C-2",
                            opened_at=T0 + timedelta(days=1))


def _url(world, path):
    return world.tenant.url(f"quality/{path}")


def _post_answers(values, action="save", comment=""):
    data = {f"answer-{k}": v for k, v in values.items()}
    data.update({"action": action, "comment": comment})
    return data


def _audit(client, world, item, values=ALL_YES, action="submit"):
    response = client.post(_url(world, f"interactions/{item.pk}/audit/"))
    assert response.status_code == 302
    pk = int(response.url.rstrip("/").rsplit("/", 1)[1])
    response = client.post(_url(world, f"audits/{pk}/"), _post_answers(values, action))
    return pk, response


# --- interactions list and page ----------------------------------------------------------


def test_interactions_list_permission_matrix(world, item, other_item, client, login):
    login(world.qa)
    page = client.get(_url(world, "interactions/"))
    assert page.status_code == 200
    assert [i.external_id for i in page.context["page"].object_list] == ["C-2", "C-1"]

    login(world.coach)
    page = client.get(_url(world, "interactions/"))
    assert [i.external_id for i in page.context["page"].object_list] == ["C-1"]

    login(world.agent)
    assert client.get(_url(world, "interactions/")).status_code == 403
    login(world.outsider)
    assert client.get(_url(world, "interactions/")).status_code == 404


def test_interactions_list_filters(world, item, other_item, client, login):
    login(world.qa)
    _, submitted = _audit(client, world, item)
    assert submitted.status_code == 302

    def ids(query):
        page = client.get(_url(world, f"interactions/?{query}"))
        assert page.status_code == 200
        return [(i.external_id, i.audit_score) for i in page.context["page"].object_list]

    assert ids(f"agent={world.agent.pk}") == [("C-1", 100.0)]
    assert ids("has_audit=no") == [("C-2", None)]
    assert ids("has_transcript=yes") == [("C-1", 100.0)]
    assert ids("has_transcript=no") == [("C-2", None)]
    assert ids("has_transcript=yes&has_audit=no") == []
    bad_choice = client.get(_url(world, "interactions/?has_transcript=maybe"))
    assert list(bad_choice.context["form"].errors) == ["has_transcript"]
    assert ids("queue=billing") == [("C-1", 100.0)]
    assert ids("date_from=2026-11-03&date_to=2026-11-03") == [("C-2", None)]
    bad = client.get(_url(world, "interactions/?date_from=2026-11-03&date_to=2026-11-01"))
    assert bad.context["form"].errors == {"date_to": ["“To” is before “From”."]}


def test_interactions_list_query_count_is_constant(world, card, client, login,
                                                   django_assert_num_queries):
    login(world.qa)
    for i in range(3):
        make_interaction(world.tenant.org, agent=world.agent, external_id=f"A-{i}")
    client.get(_url(world, "interactions/"))  # warm the session
    with django_assert_num_queries(11):  # 12 with the agents select
        assert client.get(_url(world, "interactions/")).status_code == 200
    for i in range(12):
        make_interaction(world.tenant.org, agent=world.agent2, external_id=f"B-{i}",
                         queue=f"q{i}")
    with django_assert_num_queries(11):
        page = client.get(_url(world, "interactions/"))
    assert len(page.context["page"].object_list) == 15


def test_interaction_page_permission_matrix(world, item, client, login):
    login(world.qa)
    page = client.get(_url(world, f"interactions/{item.pk}/"))
    assert page.status_code == 200
    assert "My bill is wrong" in page.content.decode()
    login(world.coach)
    assert client.get(_url(world, f"interactions/{item.pk}/")).status_code == 200
    login(world.coach2)  # coaches another team
    assert client.get(_url(world, f"interactions/{item.pk}/")).status_code == 404
    assert client.post(_url(world, f"interactions/{item.pk}/audit/")).status_code == 404
    login(world.agent)
    assert client.get(_url(world, f"interactions/{item.pk}/")).status_code == 403
    login(world.outsider)
    assert client.get(_url(world, f"interactions/{item.pk}/")).status_code == 404


def test_bookmark_from_the_page_once(world, item, client, login):
    login(world.coach)
    url = _url(world, f"interactions/{item.pk}/best-responses/")
    first = client.post(url, {"attribute_key": "empathy", "note": "Calm"}, follow=True)
    again = client.post(url, {"attribute_key": "empathy"}, follow=True)
    assert [str(m) for m in first.context["messages"]] == [
        "Bookmarked as a best response for “Empathy”."]
    assert [str(m) for m in again.context["messages"]] == [
        "C-1 is already a best response for “Empathy”."]
    with scopes_disabled():
        bookmark = BestResponse.objects.get()
    login(world.coach2)
    assert client.post(_url(world, f"best-responses/{bookmark.pk}/remove/")).status_code == 404
    login(world.qa)
    assert client.post(_url(world, f"best-responses/{bookmark.pk}/remove/")).status_code == 302
    with scopes_disabled():
        assert BestResponse.objects.count() == 0


# --- the audit screen --------------------------------------------------------------------


def test_audit_screen_saves_drafts_and_submits(world, item, client, login):
    login(world.qa)
    pk, saved = _audit(client, world, item, {"greeting": "yes", "empathy": "no"}, "save")
    assert saved.status_code == 302 and saved.url == _url(world, f"audits/{pk}/")
    screen = client.get(_url(world, f"audits/{pk}/"))
    html = screen.content.decode()
    assert screen.status_code == 200
    assert 'id="answer-empathy-no" value="no" autocomplete="off" checked' in html
    assert 'data-evidence=""' in html  # no automatic evaluation: no evidence yet

    refused = client.post(_url(world, f"audits/{pk}/"),
                          _post_answers({"greeting": "no"}, "submit", comment="Rushed"))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert ('Answer every attribute before submitting: “Empathy”, “Compliance”, “Product '
            'knowledge”, “Communication”, “Etiquette” not answered.') in html
    assert 'id="error-empathy"' in html  # next to the attribute
    assert 'id="answer-greeting-no" value="no" autocomplete="off" checked' in html  # as typed
    assert ">Rushed</textarea>" in html
    with scopes_disabled():
        assert Evaluation.objects.get(pk=pk).state == EvaluationState.DRAFT
        assert Evaluation.objects.get(pk=pk).answers.get(attribute__key="greeting").value == 1

    done = client.post(_url(world, f"audits/{pk}/"),
                       _post_answers({**ALL_YES, "etiquette": "no"}, "submit"))
    assert done.status_code == 302 and done.url == _url(world, f"evaluations/{pk}/")
    with scopes_disabled():
        evaluation = Evaluation.objects.get(pk=pk)
    assert (evaluation.state, evaluation.total) == (EvaluationState.RELEASED, 85.0)


def test_bad_answer_is_shown_next_to_its_attribute(world, item, client, login):
    login(world.qa)
    pk, response = _audit(client, world, item, {"greeting": "maybe"}, "save")
    assert response.status_code == 400
    assert ('<p class="errorlist mb-0" id="error-greeting" role="alert">“Greeting” is answered '
            "yes, no or na; got &#x27;maybe&#x27;.</p>") in response.content.decode()


def test_audit_screen_permission_matrix(world, item, client, login):
    login(world.coach)
    pk, _ = _audit(client, world, item, {"greeting": "yes"}, "save")
    assert client.get(_url(world, f"audits/{pk}/")).status_code == 200
    login(world.qa)  # someone else's draft
    assert client.get(_url(world, f"audits/{pk}/")).status_code == 404
    login(world.agent)
    assert client.get(_url(world, f"audits/{pk}/")).status_code == 403
    login(world.outsider)
    assert client.get(_url(world, f"audits/{pk}/")).status_code == 404
    login(world.coach)
    client.post(_url(world, f"audits/{pk}/"), _post_answers(ALL_YES, "submit"))
    login(world.qa)  # a submitted audit: QA analysts may correct it
    corrected = client.post(_url(world, f"audits/{pk}/"),
                            _post_answers({**ALL_YES, "empathy": "no"}, "save"))
    assert corrected.status_code == 302
    login(world.coach2)
    assert client.get(_url(world, f"audits/{pk}/")).status_code == 404


# --- the evaluation page -----------------------------------------------------------------


def test_agents_see_only_their_own_released_evaluations(world, item, card, client, login):
    org = world.tenant.org
    org.settings = {"quality": {"release_mode": "after_delay"}}
    org.save(update_fields=["settings"])
    login(world.qa)
    pk, _ = _audit(client, world, item)
    with scopes_disabled():
        calibration = Evaluation.objects.create(
            organization=org, interaction=item, agent=world.agent, scorecard=card,
            kind="calibration", evaluator=world.qa, interaction_at=T0,
            calibration_item=calibration_item(world, item, card=card))
    url = _url(world, f"evaluations/{pk}/")

    login(world.agent)
    assert client.get(url).status_code == 404  # submitted, not released yet
    with scopes_disabled():
        Evaluation.objects.filter(pk=pk).update(state=EvaluationState.RELEASED)
    page = client.get(url)
    assert page.status_code == 200
    assert "Thank you for calling" in page.content.decode()
    assert client.get(_url(world, f"evaluations/{calibration.pk}/")).status_code == 404
    login(world.agent2)
    assert client.get(url).status_code == 404
    login(world.coach)
    assert client.get(url).status_code == 200
    login(world.coach2)
    assert client.get(url).status_code == 404
    login(world.outsider)
    assert client.get(url).status_code == 404


def test_evaluation_page_shows_the_history(world, item, client, login):
    login(world.qa)
    pk, _ = _audit(client, world, item)
    page = client.get(_url(world, f"evaluations/{pk}/"))
    history = [(c.action, c.attribute, c.before, c.after) for c in page.context["history"]]
    assert history[0] == ("started", "", None, "Draft")
    assert history[-2:] == [("submitted", "", None, "Submitted"),
                            ("released", "", "Submitted", "Released")]
    assert len(history) == 9


# --- My audit queue ----------------------------------------------------------------------


def test_audit_queue_and_allocation(world, item, other_item, client, login,
                                    django_assert_num_queries):
    org = world.tenant.org
    with scopes_disabled():
        AuditAssignment.objects.create(organization=org, interaction=other_item,
                                       agent=world.agent3, evaluator=world.qa,
                                       week=T0.date(), reason="Random sample")
        AuditAssignment.objects.create(organization=org, interaction=item, agent=world.agent,
                                       evaluator=world.qa, week=T0.date(), reason="new agent")
    login(world.qa)
    client.get(_url(world, "audits/"))
    with django_assert_num_queries(11):
        page = client.get(_url(world, "audits/"))
    assert [(a.interaction.external_id, a.reason) for a in page.context["assignments"]] == [
        ("C-1", "new agent"), ("C-2", "Random sample")]
    with scopes_disabled():
        for i in range(4):
            more = make_interaction(org, agent=world.agent2, external_id=f"M-{i}",
                                    opened_at=T0 + timedelta(days=2))
            AuditAssignment.objects.create(organization=org, interaction=more,
                                           agent=world.agent2, evaluator=world.qa,
                                           week=T0.date(), reason="Random sample")
    with django_assert_num_queries(11):
        assert len(client.get(_url(world, "audits/")).context["assignments"]) == 6
    assert page.context["may_allocate"] is True

    allocated = client.post(_url(world, "audits/allocate/"), follow=True)
    assert allocated.status_code == 200
    assert [str(m) for m in allocated.context["messages"]][0].startswith("Week of ")

    login(world.coach)
    page = client.get(_url(world, "audits/"))
    assert page.status_code == 200 and page.context["assignments"] == []
    assert client.post(_url(world, "audits/allocate/")).status_code == 403
    login(world.agent)
    assert client.get(_url(world, "audits/")).status_code == 403
    login(world.outsider)
    assert client.get(_url(world, "audits/")).status_code == 404


def test_audit_queue_pages_oldest_interaction_first(world, client, login, monkeypatch,
                                                    django_assert_num_queries):
    from quality.views import audits

    monkeypatch.setattr(audits, "QUEUE_PAGE_SIZE", 2)
    org = world.tenant.org
    with scopes_disabled():
        for i in range(5):
            more = make_interaction(org, agent=world.agent2, external_id=f"Q-{i}",
                                    opened_at=T0 + timedelta(hours=5 - i))
            AuditAssignment.objects.create(organization=org, interaction=more,
                                           agent=world.agent2, evaluator=world.qa,
                                           week=T0.date(), reason="Random sample")
    login(world.qa)
    url = _url(world, "audits/")
    client.get(url)
    with django_assert_num_queries(11):
        first = client.get(url)
    assert [a.interaction.external_id for a in first.context["assignments"]] == ["Q-4", "Q-3"]
    html = first.content.decode()
    assert '<span class="badge text-bg-secondary">5</span>' in html
    assert "audits 1–2 of 5" in html and 'href="?page=2" rel="next"' in html
    with django_assert_num_queries(11):
        last = client.get(url, {"page": 3})
    assert [a.interaction.external_id for a in last.context["assignments"]] == ["Q-0"]
    assert [a.interaction.external_id for a in client.get(
        url, {"page": 99}).context["assignments"]] == ["Q-0"]


def test_qa_analysts_land_on_their_audit_queue(world, client, login):
    login(world.qa)
    assert client.get(world.tenant.url()).url == _url(world, "audits/")
    login(world.coach)
    assert client.get(world.tenant.url()).url == world.tenant.url("coaching/")


def test_automatic_evaluation_page_labels_verified_answers_and_highlights_evidence(
        world, item, card, client, login):
    from quality.models import AttributeAgreement
    from quality.services.autoscore import score_interaction

    with scopes_disabled():
        auto = score_interaction(interaction=item, scorecard=card)
        scorers = dict(auto.answers.values_list("attribute__key", "scorer"))
        evidence = dict(auto.answers.values_list("attribute__key", "evidence"))
        AttributeAgreement.objects.create(
            organization=world.tenant.org, scorecard_key="customer-care",
            attribute_key="greeting", scorer=scorers["greeting"], pairs=40, kappa=0.8,
            verified=True)
        AttributeAgreement.objects.create(
            organization=world.tenant.org, scorecard_key="customer-care",
            attribute_key="empathy", scorer=scorers["empathy"], pairs=12, kappa=0.42,
            verified=False)
    assert (evidence["greeting"], evidence["empathy"]) == ([0], [2])
    url = _url(world, f"evaluations/{auto.pk}/")

    login(world.agent)
    page = client.get(url)
    assert page.status_code == 200
    html = " ".join(page.content.decode().split())
    rows = {a.attribute.key: (a.verified, a.measured and a.measured["pairs"])
            for _, answers in page.context["sections"] for a in answers}
    assert rows["greeting"] == (True, 40)
    assert rows["empathy"] == (False, 12)
    assert rows["compliance"] == (False, None)
    assert page.context["evidence_turns"] == {0, 2}
    assert "They do not count toward your scores." in html
    assert ('<span class="badge text-bg-secondary">unverified</span> '
            '<span class="small text-body-secondary">(κ 0.42, n 12)</span>') in html
    assert "(not measured yet)" in html
    assert '<span class="badge text-bg-success">verified</span>' in html
    assert 'Evidence: <a href="#turn-0">turn 1</a>' in html
    assert 'Evidence: <a href="#turn-2">turn 3</a>' in html
    assert 'class="turn turn-agent evidence" id="turn-0"' in html
    assert 'class="turn turn-customer" id="turn-1"' in html
    assert 'class="turn turn-agent evidence" id="turn-2"' in html

    login(world.coach)
    html = " ".join(client.get(url).content.decode().split())
    assert "they do not count toward the agent’s scores." in html
    login(world.agent2)
    assert client.get(url).status_code == 404
    login(world.outsider)
    assert client.get(url).status_code == 404
