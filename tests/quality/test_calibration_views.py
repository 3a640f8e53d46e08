"""Calibration pages: the permission matrix of every view, blindness on the rendered pages
before the reveal, the lifecycle through the pages (open → three evaluators score five
interactions → revealed → final answers → finished) with its e-mails, errors by field with
nothing written, and constant query counts of the list and the session page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import CalibrationState, EvaluationKind, EvaluationState
from quality.models import (
    CalibrationCandidate,
    CalibrationItem,
    CalibrationReference,
    CalibrationSession,
    Evaluation,
)
from quality.services.answers import AnswerInput
from quality.services.autoscore import score_interaction
from quality.services.calibration import Pick, create_session, save_scores, start_scoring
from tests.factories import Tenant, make_world

from .conftest import QualityWorld, make_interaction, make_scorecard

pytestmark = pytest.mark.django_db

GREETED = [("agent", "Thank you for calling, how can I help?"), ("customer", "Hi.")]
CARD = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ("resolution", "Closing", "Resolution", 30, False, None, ("scale", 4)),
]
BASE = "quality/calibration/"
# (greeting, resolution) per interaction; total = 25·greeting + 18.75·resolution.
ANSWERS = {
    "queenie": [("yes", 4), ("yes", 3), ("no", 0), ("yes", 2), ("yes", 4)],
    "ada": [("yes", 4), ("yes", 4), ("no", 1), ("yes", 2), ("no", 4)],
    "carl": [("yes", 2), ("no", 3), ("no", 0), ("yes", 2), ("yes", 4)],
}


@pytest.fixture
def cal(db) -> QualityWorld:
    """acme: quinn (QA analyst, leads), queenie (QA analyst), ada and otto (org admins),
    carl and cleo (coaches), alice and bob (agents); five chats of alice and bob (the
    first four greeted), scored automatically; globex's olga."""
    def person(username, first, last):
        return {"username": username, "first_name": first, "last_name": last}

    base = make_world(
        tenant=Tenant(slug="acme"), other=Tenant(slug="globex"),
        admin=person("ada", "Ada", "Admin"), coach=person("carl", "Carl", "Coach"),
        coach2=person("cleo", "Cleo", "Coach"), agent=person("alice", "Alice", "Agent"),
        agent2=person("bob", "Bob", "Agent"), outsider="olga", team="Care",
        staff={"qa": (["qa_analyst"], person("quinn", "Quinn", "Lead")),
               "qa2": (["qa_analyst"], person("queenie", "Queenie", "Quist")),
               "admin2": (["org_admin"], person("otto", "Otto", "Owner"))},
    )
    world = QualityWorld(**base.as_kwargs(), qa=base.staff["qa"])
    world.qa2, world.admin2 = base.staff["qa2"], base.staff["admin2"]
    org = world.tenant.org
    world.card = make_scorecard(org, attributes=CARD)
    world.items = []
    with scopes_disabled():
        for n in range(5):
            item = make_interaction(org, agent=world.agent if n % 2 == 0 else world.agent2,
                                    external_id=f"CAL-{n + 1}",
                                    turns=GREETED if n < 4 else [("agent", "Yes?")],
                                    opened_at=timezone.now() - timedelta(days=5 - n))
            score_interaction(interaction=item)
            world.items.append(item)
    return world


def _session(world, *, items=None, evaluators=None, name="November calibration"):
    with scopes_disabled():
        return create_session(
            organization=world.tenant.org, actor=world.qa, name=name,
            deadline=timezone.now() + timedelta(days=3),
            evaluators=evaluators or [world.qa2, world.admin, world.coach],
            picks=[Pick(item) for item in (items or world.items)])


def _score(session, user, answers, *, comment="", start=1):
    """``user`` submits ``answers`` (greeting, resolution) from position ``start`` on."""
    with scopes_disabled():
        for item, (greeting, resolution) in zip(
                session.items.filter(position__gte=start).order_by("position"), answers,
                strict=False):
            evaluation = start_scoring(item=item, evaluator=user)
            save_scores(evaluation=evaluation, actor=user, submit=True, answers=[
                AnswerInput("greeting", greeting, comment=comment),
                AnswerInput("resolution", resolution)])


def _everyone_scores(world, session):
    for user in (world.qa2, world.admin, world.coach):
        _score(session, user, ANSWERS[user.username])


def _fresh(session):
    with scopes_disabled():
        return CalibrationSession.objects.get(pk=session.pk)


def _url(world, path=""):
    return world.tenant.url(BASE + path)


# --- the permission matrix ---------------------------------------------------------------


def _status(client, login, user, url, *, post=None):
    if user is None:
        client.logout()
    else:
        login(user)
    response = client.post(url, post or {}) if post is not None else client.get(url)
    return response.status_code


def test_sessions_list_permission_matrix(cal, client, login):
    session = _session(cal)
    url = _url(cal)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert _status(client, login, cal.agent, url) == 404
    assert _status(client, login, cal.outsider, url) == 404
    login(cal.coach2)  # a coach in no session: an empty list
    page = client.get(url)
    assert (page.status_code, page.context["tab"], page.context["may_create"]) == (
        200, "mine", False)
    assert [key for key, _ in page.context["tabs"]] == ["mine", "all"]
    assert list(page.context["page"].object_list) == []
    assert "You are not invited to score in any session." in page.content.decode()
    login(cal.coach)  # invited
    page = client.get(url)
    assert [(s.name, s.item_count, s.evaluator_count, s.submitted_count, s.my_scored)
            for s in page.context["page"].object_list] == [
        ("November calibration", 5, 3, 0, 0)]
    for user in (cal.qa, cal.admin2):  # the lead, an org admin
        login(user)
        page = client.get(url)
        assert (page.context["tab"], page.context["may_create"]) == ("all", True)
        assert [s.pk for s in page.context["page"].object_list] == [session.pk]
    login(cal.qa)
    assert [s.pk for s in client.get(url + "?tab=lead").context["page"].object_list] == [
        session.pk]
    assert list(client.get(url + "?tab=mine").context["page"].object_list) == []


def test_session_pages_permission_matrix(cal, client, login):
    session = _session(cal)
    pages = {
        "detail": _url(cal, f"{session.pk}/"),
        "score": _url(cal, f"{session.pk}/score/1/"),
    }
    for url in pages.values():
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    denied = [cal.agent, cal.coach2, cal.outsider]
    for user in denied:
        assert _status(client, login, user, pages["detail"]) == 404
        assert _status(client, login, user, pages["score"]) == 404
    # the session page: participants, the lead, QA analysts and org admins
    for user in (cal.coach, cal.qa2, cal.admin, cal.qa, cal.admin2):
        assert _status(client, login, user, pages["detail"]) == 200
    # scoring: the evaluators only — not the lead nor an org admin who is not invited
    for user in (cal.coach, cal.qa2, cal.admin):
        assert _status(client, login, user, pages["score"]) == 200
    for user in (cal.qa, cal.admin2):
        assert _status(client, login, user, pages["score"]) == 404
    login(cal.coach)
    assert client.get(_url(cal, f"{session.pk}/score/6/")).status_code == 404
    response = client.get(_url(cal, f"{session.pk}/score/"))
    assert (response.status_code, response.url) == (302, pages["score"])
    # another tenant's session is 404 for a member of this one, and the other way round
    with scopes_disabled():
        other_card = make_scorecard(cal.other.org)
        assert other_card.pk
    assert _status(client, login, cal.outsider,
                   cal.other.url(BASE + f"{session.pk}/")) == 404


def test_create_reveal_final_and_search_permission_matrix(cal, client, login):
    session = _session(cal)
    create = _url(cal, "new/")
    search = _url(cal, "new/search/?q=CAL")
    reveal = _url(cal, f"{session.pk}/reveal/")
    final = _url(cal, f"{session.pk}/final/")
    for url in (create, search):
        client.logout()
        assert client.get(url).status_code == 302
    for url in (reveal, final):
        client.logout()
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    # creating: QA analysts and org admins only
    for user in (cal.agent, cal.coach, cal.coach2, cal.outsider):
        assert _status(client, login, user, create) == 404
        assert _status(client, login, user, search) == 404
    for user in (cal.qa, cal.admin2):
        assert _status(client, login, user, create) == 200
    login(cal.qa)
    fragment = client.get(search, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert [i.external_id for i in fragment.context["results"]] == [
        "CAL-5", "CAL-4", "CAL-3", "CAL-2", "CAL-1"]
    assert "<html" not in fragment.content.decode()
    # revealing and final answers: the lead, QA analysts, org admins — not a participant
    for user in (cal.agent, cal.coach, cal.coach2, cal.outsider):
        assert _status(client, login, user, reveal, post={}) == 404
        assert _status(client, login, user, final, post={}) == 404
    for user in (cal.qa, cal.qa2, cal.admin2):
        login(user)
        response = client.post(reveal, follow=True)
        assert "3 evaluators still scoring" in response.content.decode()
        assert client.post(final, {"final-1-greeting": "yes"}).status_code == 400
    assert _fresh(session).state == CalibrationState.SCORING


# --- blindness -----------------------------------------------------------------------------


def test_nobody_sees_anybody_elses_answers_before_the_reveal(cal, client, login):
    session = _session(cal)
    with scopes_disabled():
        first = session.items.get(position=1)
        evaluation = start_scoring(item=first, evaluator=cal.qa2)
        save_scores(evaluation=evaluation, actor=cal.qa2, submit=True,
                    comment="QUEENIE-OVERALL-REMARK", answers=[
                        AnswerInput("greeting", "yes", comment="QUEENIE-HEARD-THE-GREETING"),
                        AnswerInput("resolution", 3)])
    secrets = ("QUEENIE-OVERALL-REMARK", "QUEENIE-HEARD-THE-GREETING")
    own = login(cal.qa2).get(_url(cal, f"{session.pk}/score/1/")).content.decode()
    assert all(secret in own for secret in secrets)  # the evaluator sees their own
    assert 'id="answer-resolution-3" value="3" autocomplete="off" checked' in own
    for user, url in ((cal.admin, f"{session.pk}/score/1/"), (cal.coach, f"{session.pk}/"),
                      (cal.qa, f"{session.pk}/"), (cal.admin2, f"{session.pk}/"),
                      (cal.admin, f"{session.pk}/")):
        html = login(user).get(_url(cal, url)).content.decode()
        assert not any(secret in html for secret in secrets), (user, url)
        assert "81.25" not in html  # queenie's total (25 + 18.75·3)
    score = login(cal.admin).get(_url(cal, f"{session.pk}/score/1/"))
    assert 'checked' not in score.content.decode().split('id="audit-form"')[1]
    detail = login(cal.qa).get(_url(cal, f"{session.pk}/"))
    assert "table" not in detail.context and "panel" not in detail.context
    assert [(p.name, p.scored, p.done) for p in detail.context["progress"]] == [
        ("Queenie Quist", 1, False), ("Ada Admin", 0, False), ("Carl Coach", 0, False)]
    # once revealed, the comments are on the session page
    _score(session, cal.qa2, ANSWERS["queenie"][1:], start=2)
    _score(session, cal.admin, ANSWERS["ada"])
    _score(session, cal.coach, ANSWERS["carl"])
    html = login(cal.admin2).get(_url(cal, f"{session.pk}/")).content.decode()
    assert "QUEENIE-HEARD-THE-GREETING" in html


# --- the lifecycle through the pages -------------------------------------------------------


def _form(world, **changes):
    data = {
        "name": "November calibration",
        "scorecard": str(world.card.pk),
        "deadline": (timezone.localtime(timezone.now(), world.tenant.org.tzinfo)
                     + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "evaluators": [str(u.pk) for u in (world.qa2, world.admin, world.coach)],
        "interactions": "CAL-1, CAL-2\nCAL-3",
        "picked": [str(world.items[3].pk), str(world.items[4].pk)],
        "notes": "Listen for the greeting.",
    }
    data.update(changes)
    return data


def _post_scores(client, world, session, position, greeting, resolution, action="submit"):
    return client.post(world.tenant.url(f"{BASE}{session.pk}/score/{position}/"), {
        "answer-greeting": greeting, "answer-resolution": str(resolution),
        "comment-greeting": "", "comment-resolution": "", "comment": "", "action": action})


def test_lifecycle_through_the_pages(cal, client, login, django_capture_on_commit_callbacks):
    login(cal.qa)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(cal, "new/"), _form(cal))
    with scopes_disabled():
        session = CalibrationSession.objects.get()
        items = list(session.items.order_by("position").select_related("interaction"))
        assert [i.interaction.external_id for i in items] == [
            "CAL-1", "CAL-2", "CAL-3", "CAL-4", "CAL-5"]
        assert list(session.participants.order_by("id").values_list(
            "evaluator__username", flat=True)) == ["queenie", "ada", "carl"]
        assert (session.lead, session.scorecard, session.notes) == (
            cal.qa, cal.card, "Listen for the greeting.")
    assert (response.status_code, response.url) == (302, _url(cal, f"{session.pk}/"))
    # every evaluator is invited with a direct link to score
    link = f"{settings.SITE_URL}/o/acme/quality/calibration/{session.pk}/score/"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ada@example.com", "carl@example.com", "queenie@example.com"]
    assert {m.subject for m in mail.outbox} == {"Calibration to score: November calibration"}
    assert all(link in m.body and "5 interactions to score" in m.body and "(UTC)" in m.body
               for m in mail.outbox)
    mail.outbox.clear()

    # queenie opens the link: the first interaction; a draft, then submits two
    login(cal.qa2)
    assert client.get(link).url == _url(cal, f"{session.pk}/score/1/")
    assert _post_scores(client, cal, session, 1, "yes", "", action="save").status_code == 302
    with scopes_disabled():
        draft = Evaluation.objects.get(kind=EvaluationKind.CALIBRATION, evaluator=cal.qa2)
        assert (draft.state, draft.total) == (EvaluationState.DRAFT, 100.0)  # greeting only
    for position, (greeting, resolution) in enumerate(ANSWERS["queenie"][:2], start=1):
        response = _post_scores(client, cal, session, position, greeting, resolution)
    assert response.url == _url(cal, f"{session.pk}/score/3/")
    page = client.get(response.url)
    assert "2 of 5 scored" in page.content.decode()
    # a submitted interaction is read-only
    done = client.get(_url(cal, f"{session.pk}/score/1/"))
    assert done.context["editable"] is False
    assert "You submitted this interaction" in done.content.decode()
    for position, (greeting, resolution) in enumerate(ANSWERS["queenie"][2:], start=3):
        response = _post_scores(client, cal, session, position, greeting, resolution)
    assert response.url == _url(cal, f"{session.pk}/")

    # the lead sees progress only and cannot reveal yet
    detail = login(cal.qa).get(_url(cal, f"{session.pk}/"))
    assert [(p.name, p.scored, p.done) for p in detail.context["progress"]] == [
        ("Queenie Quist", 5, True), ("Ada Admin", 0, False), ("Carl Coach", 0, False)]
    assert detail.context["may_reveal"] is False

    for user in (cal.admin, cal.coach):
        login(user)
        with django_capture_on_commit_callbacks(execute=True):
            for position, (greeting, resolution) in enumerate(ANSWERS[user.username],
                                                              start=1):
                response = _post_scores(client, cal, session, position, greeting, resolution)
    assert response.url == _url(cal, f"{session.pk}/")  # the last submit revealed
    assert _fresh(session).state == CalibrationState.REVEALED
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["quinn@example.com"], "Scores revealed: November calibration")]
    assert f"{settings.SITE_URL}/o/acme/quality/calibration/{session.pk}/" in mail.outbox[0].body
    assert "3 of 3 evaluators scored all 5 interactions" in mail.outbox[0].body
    # after the reveal the scoring screen is read-only
    after = login(cal.coach).get(_url(cal, f"{session.pk}/score/2/"))
    assert (after.context["editable"], after.context["open_for_scoring"]) == (False, False)
    assert "The scores are revealed." in after.content.decode()

    # the reveal table
    detail = login(cal.qa).get(_url(cal, f"{session.pk}/"))
    table = detail.context["table"]
    assert table.raters == ["Queenie Quist", "Ada Admin", "Carl Coach", "Automatic scorer"]
    first, second, third, fourth, fifth = table.items

    def cells(line):
        return [(c.text, c.differs) for c in line.cells]

    assert cells(first.lines[0]) == [("Yes", False), ("Yes", False), ("Yes", False),
                                     ("Yes", False)]
    assert cells(first.lines[1]) == [("4/4", False), ("4/4", False), ("2/4", True),
                                     ("—", False)]
    assert (first.lines[1].majority, first.totals, first.spread) == (
        "4/4", ["100", "100", "62.5", "100"], 37.5)
    assert cells(second.lines[0]) == [("Yes", False), ("Yes", False), ("No", True),
                                      ("Yes", False)]
    assert second.lines[1].majority == "3/4"
    assert cells(second.lines[1]) == [("3/4", False), ("4/4", True), ("3/4", False),
                                      ("—", False)]
    assert (second.totals, second.disagreements) == (["81.25", "100", "56.25", "100"], 2)
    # nobody heard a greeting in the third; the automatic scorer did
    assert cells(third.lines[0]) == [("No", False), ("No", False), ("No", False),
                                     ("Yes", True)]
    assert cells(third.lines[1]) == [("0/4", False), ("1/4", True), ("0/4", False),
                                     ("—", False)]
    assert (third.totals, third.disagreements) == (["0", "18.75", "0", "100"], 1)
    assert (fourth.disagreements, fourth.totals[:3]) == (0, ["62.5", "62.5", "62.5"])
    # the automatic scorer heard no greeting in the fifth: it differs from the majority
    assert cells(fifth.lines[0]) == [("Yes", False), ("No", True), ("Yes", False),
                                     ("No", True)]
    assert (fifth.totals, fifth.disagreements) == (["100", "75", "100", "0"], 1)
    assert table.mean_totals == ["68.75", "71.25", "56.25", "80"]
    html = detail.content.decode()
    assert html.count('<td class="text-center cal-differs') == 7
    assert 'id="calibration-agreement"' in html  # the agreement panel

    # final answers: finishing with one missing is refused, nothing written, input kept
    final = _url(cal, f"{session.pk}/final/")
    answers = {}
    for item, (greeting, resolution) in zip(items, ANSWERS["queenie"], strict=True):
        answers[f"final-{item.pk}-greeting"] = greeting
        answers[f"final-{item.pk}-resolution"] = str(resolution)
        answers[f"note-{item.pk}-resolution"] = f"Note {item.position}"
    answers[f"final-{items[4].pk}-resolution"] = ""
    refused = client.post(final, {**answers, "action": "finish", "notes": "Kept notes"})
    assert refused.status_code == 400
    assert refused.context["error"].field == f"{items[4].pk}-resolution"
    html = refused.content.decode()
    assert f'id="error-{items[4].pk}-resolution"' in html
    assert "Set every final answer before finishing: 1 missing" in html
    assert f'href="#final-{items[4].pk}-resolution">Go to the answer</a>' in html
    assert 'value="Note 2"' in html and "Kept notes</textarea>" in html
    with scopes_disabled():
        assert CalibrationReference.objects.count() == 0
    bad = client.post(final, {**answers, f"final-{items[0].pk}-resolution": "9"})
    assert bad.status_code == 400 and bad.context["error"].field == f"{items[0].pk}-resolution"
    with scopes_disabled():
        assert CalibrationReference.objects.count() == 0
    # saved (nine answers), then finished
    saved = client.post(final, {**answers, "action": "save"})
    assert saved.status_code == 302
    with scopes_disabled():
        assert CalibrationReference.objects.count() == 9
    answers[f"final-{items[4].pk}-resolution"] = "4"
    with django_capture_on_commit_callbacks(execute=True):
        finished = client.post(final, {**answers, "action": "finish", "notes": "Agreed."})
    assert finished.status_code == 302
    session = _fresh(session)
    assert (session.state, session.notes) == (CalibrationState.FINISHED, "Agreed.")
    detail = client.get(_url(cal, f"{session.pk}/"))
    assert detail.context["editing_final"] is False
    html = detail.content.decode()
    assert 'id="final-form"' not in html
    table = detail.context["table"]
    assert [line.final for line in table.items[1].lines] == ["Yes", "3/4"]
    assert [i.final_total for i in table.items] == ["100", "81.25", "0", "62.5", "100"]
    assert "Note 2" in html
    # the finished session is read-only for its lead too
    assert client.post(final, answers).status_code == 400


def test_create_form_errors_by_field_keep_the_input(cal, client, login):
    login(cal.qa)
    response = client.post(_url(cal, "new/"), _form(
        cal, name="  ", interactions="CAL-1 NOPE-9", evaluators=[str(cal.qa2.pk)]))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "name": ["This field is required."],
        "evaluators": ["Invite at least two evaluators: agreement needs two raters."],
        "interactions": ["No call, chat or e-mail you may audit is numbered NOPE-9."],
    }
    html = response.content.decode()
    assert "CAL-1 NOPE-9</textarea>" in html
    ticked = cal.items[3].pk
    assert f'value="{ticked}" id="pick-{ticked}" form="calibration-form" checked' in html
    # the service's refusals land on their field too
    past = (timezone.localtime(timezone.now(), cal.tenant.org.tzinfo)
            - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_url(cal, "new/"), _form(cal, deadline=past))
    assert response.context["form"].errors == {"deadline": ["The deadline is in the future."]}
    # an agent is no evaluator (the service says so next to the field)
    response = client.post(_url(cal, "new/"), _form(cal, evaluators=[str(cal.qa2.pk),
                                                                     str(cal.agent2.pk)]))
    assert list(response.context["form"].errors) == ["evaluators"]
    with scopes_disabled():
        # alice handled CAL-1: she is no evaluator anyway (an agent); carl handles none
        own = make_interaction(cal.tenant.org, agent=cal.coach, external_id="CARL-1")
        assert own.pk
    response = client.post(_url(cal, "new/"), _form(cal, interactions="CARL-1", picked=[]))
    assert response.context["form"].errors == {"evaluators": [
        "Carl Coach handled one of the interactions and cannot calibrate on their own work."]}
    # an interaction of another tenant cannot be picked
    with scopes_disabled():
        foreign = make_interaction(cal.other.org, agent=cal.outsider, external_id="CAL-1")
    response = client.post(_url(cal, "new/"), _form(cal, interactions="",
                                                    picked=[str(foreign.pk)]))
    assert list(response.context["form"].errors) == ["picked"]
    with scopes_disabled():
        assert CalibrationSession.objects.count() == 0
        assert CalibrationItem.objects.count() == 0
    assert mail.outbox == []


def test_create_form_prefilled_from_candidates_and_disputed_evaluations(cal, client, login):
    from quality.services.audits import start_audit, submit_audit

    with scopes_disabled():
        audit = start_audit(interaction=cal.items[0], evaluator=cal.qa)
        audit = submit_audit(evaluation=audit, actor=cal.qa, answers=[
            AnswerInput("greeting", "yes"), AnswerInput("resolution", 2)])
        other = start_audit(interaction=cal.items[1], evaluator=cal.qa)
        other = submit_audit(evaluation=other, actor=cal.qa, answers=[
            AnswerInput("greeting", "no"), AnswerInput("resolution", 1)])
        candidate = CalibrationCandidate.objects.create(
            organization=cal.tenant.org, subject="attribute", attribute_key="resolution",
            attribute_name="Resolution", reason="Overturned 6 of 8.")
        candidate.evaluations.add(other)
    login(cal.qa)
    # the dispute analytics' open candidates link here
    analytics = client.get(cal.tenant.url("quality/disputes/analytics/")).content.decode()
    assert (f'id="start-calibration" href="/o/acme/quality/calibration/new/'
            f'?candidate={candidate.pk}"') in analytics
    page = client.get(_url(cal, f"new/?candidate={candidate.pk}&evaluation={audit.pk}"))
    form = page.context["form"]
    assert (form.initial["candidates"], form.initial["disputed"]) == ([candidate.pk],
                                                                      [audit.pk])
    assert [e.pk for e in form.fields["disputed"].queryset] == [audit.pk]
    html = page.content.decode()
    assert f'value="{candidate.pk}" class="form-check-input" id="id_candidates_0" checked' in html
    assert "Attribute Resolution: its disputed evaluations (Overturned 6 of 8.)" in html
    response = client.post(_url(cal, "new/"), _form(
        cal, interactions="CAL-5", picked=[], candidates=[str(candidate.pk)],
        disputed=[str(audit.pk)]))
    assert response.status_code == 302
    with scopes_disabled():
        session = CalibrationSession.objects.get()
        assert list(session.items.order_by("position").values_list(
            "interaction__external_id", "source")) == [
            ("CAL-5", "picked"), ("CAL-1", "disputed"), ("CAL-2", "flagged")]
        candidate.refresh_from_db()
        assert candidate.session == session


# --- query counts --------------------------------------------------------------------------


def _queries(client, url, django_assert_num_queries, count):
    with django_assert_num_queries(count):
        assert client.get(url).status_code == 200


def test_sessions_list_reads_in_constant_queries(cal, client, login, django_assert_num_queries):
    _session(cal, items=cal.items[:1])
    login(cal.qa)
    url = _url(cal, "?tab=all")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(3):
        _session(cal, items=cal.items[n:n + 2], name=f"S{n}")
    _queries(client, url, django_assert_num_queries, len(one))


@pytest.mark.parametrize("revealed", [False, True])
def test_session_page_reads_in_constant_queries(cal, client, login, django_assert_num_queries,
                                                revealed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = _session(cal, items=cal.items[:1], evaluators=[cal.qa2, cal.admin])
    big = _session(cal, name="Big", evaluators=[cal.qa2, cal.admin, cal.coach])
    if revealed:
        _score(small, cal.qa2, ANSWERS["queenie"][:1], comment="Heard it.")
        _score(small, cal.admin, ANSWERS["ada"][:1])
        _everyone_scores(cal, big)
        assert _fresh(big).state == CalibrationState.REVEALED
    login(cal.qa)
    client.get(_url(cal, f"{small.pk}/"))
    with CaptureQueriesContext(connection) as one:
        assert client.get(_url(cal, f"{small.pk}/")).status_code == 200
    _queries(client, _url(cal, f"{big.pk}/"), django_assert_num_queries, len(one))


def test_a_disputed_audit_links_to_a_new_session_for_qa_leads(cal, client, login):
    from quality.services.disputes import DisputedAttribute, raise_dispute

    from .conftest import released_audit, turn_disputes_on

    turn_disputes_on(cal.tenant.org)
    audit = released_audit(cal, answers={"greeting": "no", "resolution": 2})
    with scopes_disabled():
        dispute = raise_dispute(evaluation=audit, agent=cal.agent, items=[
            DisputedAttribute("greeting", "I greeted in turn 1.", "yes")])
    url = cal.tenant.url(f"quality/disputes/review/{dispute.pk}/")
    link = f'href="/o/acme/quality/calibration/new/?evaluation={audit.pk}"'
    assert link in login(cal.qa).get(url).content.decode()
    page = client.get(_url(cal, f"new/?evaluation={audit.pk}"))
    assert [e.pk for e in page.context["form"].fields["disputed"].queryset] == [audit.pk]
    # greeting no (0 of 10), resolution 2/4 (15 of 30): 37.5
    assert "CHAT-D1 (Alice Agent, audit total 37.5)" in page.content.decode()


# --- scoring: errors, the deadline ----------------------------------------------------------


def test_scoring_errors_by_attribute_keep_the_input_and_write_nothing(cal, client, login):
    session = _session(cal)
    login(cal.coach)
    url = _url(cal, f"{session.pk}/score/1/")
    response = client.post(url, {"answer-greeting": "yes", "answer-resolution": "",
                                 "comment-greeting": "Warm hello", "comment": "Overall",
                                 "action": "submit"})
    assert response.status_code == 400
    assert response.context["error"].field == "resolution"
    html = response.content.decode()
    assert 'id="error-resolution"' in html
    assert 'id="answer-greeting-yes" value="yes" autocomplete="off" checked' in html
    assert 'value="Warm hello"' in html and ">Overall</textarea>" in html
    with scopes_disabled():
        assert not Evaluation.objects.filter(kind=EvaluationKind.CALIBRATION).exists()
    response = client.post(url, {"answer-greeting": "maybe", "action": "save"})
    assert (response.status_code, response.context["error"].field) == (400, "greeting")
    with scopes_disabled():
        assert not Evaluation.objects.filter(kind=EvaluationKind.CALIBRATION).exists()


def test_after_the_deadline_scoring_is_read_only_and_the_lead_reveals(
        cal, client, login, django_capture_on_commit_callbacks):
    session = _session(cal)
    _score(session, cal.qa2, ANSWERS["queenie"])
    _score(session, cal.admin, ANSWERS["ada"][:2])
    login(cal.qa)
    assert client.get(_url(cal, f"{session.pk}/")).context["may_reveal"] is False
    with scopes_disabled():
        CalibrationSession.objects.filter(pk=session.pk).update(
            deadline=timezone.now() - timedelta(minutes=5))
    page = login(cal.coach).get(_url(cal, f"{session.pk}/score/1/"))
    assert (page.context["editable"], page.context["open_for_scoring"]) == (False, False)
    assert "The deadline passed: scoring is over." in page.content.decode()
    response = client.post(_url(cal, f"{session.pk}/score/1/"),
                           {"answer-greeting": "yes", "answer-resolution": "4",
                            "action": "submit"}, follow=True)
    assert "scoring is over" in response.content.decode()
    with scopes_disabled():
        assert not Evaluation.objects.filter(evaluator=cal.coach).exists()
    detail = login(cal.qa).get(_url(cal, f"{session.pk}/"))
    assert detail.context["may_reveal"] is True
    assert 'id="reveal-button"' in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(cal, f"{session.pk}/reveal/"), follow=True)
    assert "The scores are revealed: set the final answers." in response.content.decode()
    assert _fresh(session).state == CalibrationState.REVEALED
    assert [m.to for m in mail.outbox] == [["quinn@example.com"]]
    assert ("1 of 3 evaluators scored all 5 interactions (the deadline passed)"
            in mail.outbox[0].body)
    table = response.context["table"]
    # Ada scored two, Carl none: their other cells are empty
    assert [i.totals for i in table.items][2] == ["0", "—", "—", "100"]
    assert [i.totals for i in table.items][0] == ["100", "100", "—", "100"]


# --- the admin --------------------------------------------------------------------------------


def test_admin_shows_calibration_records_of_the_tenant_only(cal, client):
    from quality.models import CalibrationDeviation

    session = _session(cal, items=cal.items[:2])
    _score(session, cal.qa2, ANSWERS["queenie"][:2])
    _score(session, cal.admin, ANSWERS["ada"][:2])
    _score(session, cal.coach, ANSWERS["carl"][:2])
    with scopes_disabled():
        from quality.services.calibration import FinalAnswer, set_final_answers

        set_final_answers(session=_fresh(session), actor=cal.qa, finish=True, answers=[
            FinalAnswer(item.pk, key, answer) for item, pair in zip(
                session.items.order_by("position"), ANSWERS["queenie"], strict=False)
            for key, answer in zip(("greeting", "resolution"), pair, strict=True)])
        other_org = cal.other.org
        make_scorecard(other_org, attributes=CARD)
        agent = cal.other.member(roles=["agent"], username="zed")
        leads = [cal.other.member(roles=["qa_analyst"], username=n) for n in ("gus", "gia")]
        foreign = create_session(
            organization=other_org, actor=leads[0], name="Globex round",
            deadline=timezone.now() + timedelta(days=1), evaluators=leads,
            picks=[Pick(make_interaction(other_org, agent=agent, external_id="G-1"))])
    staff = cal.tenant.member(roles=["org_admin"], username="stella", is_staff=True)
    client.force_login(staff)
    changelist = client.get("/admin/quality/calibrationsession/")
    assert changelist.status_code == 200
    assert [s.pk for s in changelist.context["cl"].result_list] == [session.pk]
    page = client.get(f"/admin/quality/calibrationsession/{session.pk}/change/")
    assert page.status_code == 200
    inlines = {i.opts.model.__name__: len(list(i)) for i in page.context["inline_admin_formsets"]}
    assert inlines == {"CalibrationItem": 2, "CalibrationParticipant": 3,
                       "CalibrationAgreement": 3}
    assert client.get(f"/admin/quality/calibrationsession/{foreign.pk}/change/"
                      ).status_code == 302
    assert client.get("/admin/quality/calibrationsession/add/").status_code == 403
    assert client.post(f"/admin/quality/calibrationsession/{session.pk}/change/",
                       {"name": "Renamed"}).status_code == 403
    assert _fresh(session).name == "November calibration"
    references = client.get("/admin/quality/calibrationreference/")
    assert len(references.context["cl"].result_list) == 4
    deviations = client.get("/admin/quality/calibrationdeviation/")
    with scopes_disabled():
        assert len(deviations.context["cl"].result_list) == CalibrationDeviation.objects.filter(
            session=session).count() > 0
    reference = references.context["cl"].result_list[0]
    assert client.post(f"/admin/quality/calibrationreference/{reference.pk}/delete/",
                       {"post": "yes"}).status_code == 403
