"""Interactions (issue 14, item 1): queue, topic and transcript through the API, the CSV
import and import_transcripts; the change recorded in the event; the transcript endpoint;
the work item page showing the conversation."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from work import services
from work.models import Transcript, WorkEvent, WorkItem

TURNS = [
    {"speaker": "customer", "text": "My invoice is wrong.", "at": 0},
    {"speaker": "agent", "text": "Sorry to hear that, let me check.", "at": 4.5},
    {"speaker": "system", "text": "Call transferred to billing."},
]
CALL = {"external_id": "CALL1", "kind": "call", "queue": "Billing", "topic": "Invoice",
        "handle_time_seconds": 340, "transcript": TURNS}


def stored():
    """Every work item, transcript and event of every tenant, to prove a refusal wrote
    nothing."""
    with scopes_disabled():
        return (
            sorted(WorkItem.objects.values_list("organization_id", "external_id", "kind",
                                                "queue", "topic")),
            sorted(Transcript.objects.values_list("work_item__external_id", "turns",
                                                  "turn_count")),
            WorkEvent.objects.count(),
        )


def transcript_of(tenant, external_id):
    with tenant.scope():
        return Transcript.objects.filter(work_item__external_id=external_id).values_list(
            "turns", "turn_count").first()


def last_changes(tenant, external_id):
    with tenant.scope():
        return WorkEvent.objects.filter(work_item__external_id=external_id).order_by(
            "-id").values_list("type", "changes").first()


# --- the work-items API ------------------------------------------------------------------


def test_api_creates_an_interaction_with_queue_topic_and_transcript(api_a, tenant_a):
    response = api_a.post("work-items", CALL)
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert transcript_of(tenant_a, "CALL1") == (TURNS, 3)
    event_type, changes = last_changes(tenant_a, "CALL1")
    assert event_type == "created"
    assert changes["transcript"] == [None, 3]
    assert changes["queue"] == [None, "Billing"]
    assert changes["topic"] == [None, "Invoice"]
    body = api_a.get("work-items/CALL1").json()
    assert (body["queue"], body["topic"], body["handle_time_seconds"]) == (
        "Billing", "Invoice", 340)


def test_api_update_records_the_transcript_change_with_turn_counts(api_a, tenant_a):
    api_a.post("work-items", CALL)
    longer = [*TURNS, {"speaker": "agent", "text": "Fixed, anything else?", "at": 60}]
    assert api_a.post("work-items", {"external_id": "CALL1", "transcript": longer}).json() == {
        "created": 0, "updated": 1, "unchanged": 0}
    assert transcript_of(tenant_a, "CALL1") == (longer, 4)
    assert last_changes(tenant_a, "CALL1") == ("updated", {"transcript": [3, 4]})
    # Same number of turns, one text changed: still a change.
    edited = [*longer[:3], {"speaker": "agent", "text": "Fixed. Anything else?", "at": 60}]
    api_a.post("work-items", {"external_id": "CALL1", "transcript": edited})
    assert last_changes(tenant_a, "CALL1") == ("updated", {"transcript": [4, 4]})


def test_api_same_or_omitted_transcript_is_unchanged(api_a, tenant_a):
    api_a.post("work-items", CALL)
    events = stored()[2]
    assert api_a.post("work-items", {"external_id": "CALL1", "transcript": TURNS}).json() == {
        "created": 0, "updated": 0, "unchanged": 1}
    # Omitted: the stored transcript stays; other changes do not mention it.
    assert api_a.post("work-items", {"external_id": "CALL1", "queue": "VIP"}).json() == {
        "created": 0, "updated": 1, "unchanged": 0}
    assert last_changes(tenant_a, "CALL1") == ("updated", {"queue": ["Billing", "VIP"]})
    assert transcript_of(tenant_a, "CALL1") == (TURNS, 3)
    assert stored()[2] == events + 1


@pytest.mark.parametrize("removal", [[], None])
def test_api_empty_list_or_null_removes_the_transcript(api_a, tenant_a, removal):
    api_a.post("work-items", CALL)
    assert api_a.post("work-items", {"external_id": "CALL1", "transcript": removal}).json() == {
        "created": 0, "updated": 1, "unchanged": 0}
    assert transcript_of(tenant_a, "CALL1") is None
    assert last_changes(tenant_a, "CALL1") == ("updated", {"transcript": [3, 0]})
    # Removing what is not there changes nothing.
    assert api_a.post("work-items", {"external_id": "CALL1", "transcript": []}).json() == {
        "created": 0, "updated": 0, "unchanged": 1}


def test_api_turn_without_at_comes_back_without_it(api_a):
    turns = [{"speaker": "agent", "text": "Hello"}, {"speaker": "customer", "text": "Hi",
                                                     "at": None}]
    api_a.post("work-items", {"external_id": "CHAT1", "kind": "chat", "transcript": turns})
    response = api_a.get("interactions/CHAT1/transcript")
    assert response.status_code == 200
    assert response.json() == [{"speaker": "agent", "text": "Hello"},
                               {"speaker": "customer", "text": "Hi"}]


def many_turns(count):
    return [{"speaker": "agent", "text": "ok"}] * count


BAD_TRANSCRIPTS = [
    pytest.param(
        {"kind": "call", "transcript": [*TURNS, {"speaker": "bot", "text": "Beep"}]},
        [{"index": 0, "field": "transcript[3].speaker",
          "message": "Unknown speaker “bot”: use agent, customer or system."}],
        id="unknown-speaker"),
    pytest.param(
        {"kind": "call", "transcript": "Hello, how can I help?"},
        [{"index": 0, "field": "transcript",
          "message": 'Expected a list of turns ({"speaker", "text", "at"}), or [] to remove '
                     'the transcript.'}],
        id="not-a-list"),
    pytest.param(
        {"kind": "call", "transcript": {"speaker": "agent", "text": "Hi"}},
        [{"index": 0, "field": "transcript",
          "message": 'Expected a list of turns ({"speaker", "text", "at"}), or [] to remove '
                     'the transcript.'}],
        id="an-object"),
    pytest.param(
        {"kind": "chat", "transcript": many_turns(2001)},
        [{"index": 0, "field": "transcript",
          "message": "A transcript has at most 2,000 turns (this one has 2,001)."}],
        id="too-many-turns"),
    pytest.param(
        {"kind": "incident", "transcript": TURNS},
        [{"index": 0, "field": "transcript",
          "message": "Only interactions (a call, chat or e-mail) have a transcript; this item "
                     "is an incident."}],
        id="on-an-incident"),
    pytest.param(
        {"kind": "call", "transcript": [{"speaker": "agent", "text": "Hi", "at": -3}]},
        [{"index": 0, "field": "transcript[0].at",
          "message": "-3 is negative: at counts seconds from the start of the interaction "
                     "(0 or more)."}],
        id="negative-at"),
    pytest.param(
        {"kind": "call", "transcript": [{"speaker": "agent", "text": "Hi", "at": "5"}]},
        [{"index": 0, "field": "transcript[0].at",
          "message": "Expected a number of seconds from the start of the interaction."}],
        id="at-as-text"),
    pytest.param(
        {"kind": "email", "transcript": [{"speaker": "agent", "text": "x" * 10_001}]},
        [{"index": 0, "field": "transcript[0].text",
          "message": "A turn has at most 10,000 characters (this one has 10,001)."}],
        id="long-text"),
    pytest.param(
        {"kind": "email", "transcript": [{"speaker": "agent", "text": "a\x00b"}]},
        [{"index": 0, "field": "transcript[0].text",
          "message": "Text cannot contain the NUL character (\\x00)."}],
        id="nul"),
    pytest.param(
        {"kind": "chat", "transcript": [{"speaker": "agent", "text": "  "},
                                        {"text": "Hi", "mood": "happy"}, "Hello"]},
        [{"index": 0, "field": "transcript[0].text", "message": "A turn cannot be empty."},
         {"index": 0, "field": "transcript[1].mood",
          "message": "Unknown field; a turn has speaker, text and (optional) at."},
         {"index": 0, "field": "transcript[1].speaker",
          "message": "Each turn needs a speaker: agent, customer or system."},
         {"index": 0, "field": "transcript[2]",
          "message": "Each turn is an object with speaker, text and (optional) at."}],
        id="several-problems"),
]


@pytest.mark.parametrize(("fields", "expected"), BAD_TRANSCRIPTS)
def test_api_refuses_a_bad_transcript_and_writes_nothing(api_a, tenant_a, fields, expected):
    api_a.post("work-items", {"external_id": "OK1", "kind": "chat", "transcript": TURNS})
    before = stored()
    response = api_a.post("work-items", [{"external_id": "X1", **fields},
                                         {"external_id": "X2", "kind": "call"}])
    assert response.status_code == 422
    assert response.json() == {"detail": "1 of the items are invalid; nothing was written.",
                               "errors": expected}
    assert stored() == before


def test_api_refuses_nan_at_in_the_body(api_a):
    before = stored()
    body = ('{"external_id": "C1", "kind": "call", "transcript": '
            '[{"speaker": "agent", "text": "Hi", "at": NaN}]}')
    response = api_a.post("work-items", body=body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"index": 0, "field": "transcript[0].at",
                                          "message": "Expected a finite number of seconds."}]
    assert stored() == before


def test_api_refuses_an_interaction_with_a_transcript_becoming_an_incident(api_a, tenant_a):
    api_a.post("work-items", CALL)
    before = stored()
    response = api_a.post("work-items", {"external_id": "CALL1", "kind": "incident"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"index": 0, "field": "kind", "message": (
        "Only interactions (a call, chat or e-mail) have a transcript; this item is an "
        "incident. This item has a transcript: send \"transcript\": [] with the new kind to "
        "remove it.")}]
    assert stored() == before
    # Sending the removal with it is accepted.
    ok = api_a.post("work-items", {"external_id": "CALL1", "kind": "incident", "transcript": []})
    assert ok.status_code == 200
    assert last_changes(tenant_a, "CALL1") == (
        "updated", {"kind": ["call", "incident"], "transcript": [3, 0]})


def test_api_refuses_bad_queue_and_topic(api_a):
    response = api_a.post("work-items", {"external_id": "C1", "kind": "call",
                                         "queue": "q" * 101, "topic": 5})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"queue", "topic"}


# --- the change the auto-scorer reacts to --------------------------------------------------


def test_event_changes_carry_the_transcript_only_when_it_changed(tenant_a):
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[CALL])
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "CALL1", "state": "resolved", "transcript": TURNS}])
        events = list(WorkEvent.objects.order_by("id").values_list("type", "changes"))
    assert [changes.get("transcript") for _type, changes in events] == [[None, 3], None]
    assert events[1] == ("resolved", {"state": ["new", "resolved"]})


# --- the CSV import --------------------------------------------------------------------------


def csv_file(tmp_path, rows):
    import csv

    path = tmp_path / "items.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "kind", "queue", "topic", "transcript"])
        writer.writerows(rows)
    return path


def test_csv_import_reads_a_transcript_json_cell(tenant_a, tmp_path):
    path = csv_file(tmp_path, [
        ["CALL1", "call", "Billing", "Invoice", json.dumps(TURNS)],
        ["CHAT1", "chat", "", "", ""],
    ])
    with tenant_a.scope(), path.open("rb") as stream:
        result = services.import_work_items_csv(organization=tenant_a.org, stream=stream)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert transcript_of(tenant_a, "CALL1") == (TURNS, 3)
    assert transcript_of(tenant_a, "CHAT1") is None
    with tenant_a.scope():
        assert WorkItem.objects.get(external_id="CALL1").queue == "Billing"


def test_csv_import_takes_a_transcript_cell_larger_than_csvs_default_limit(tenant_a, tmp_path):
    turns = [{"speaker": "agent", "text": "x" * 10_000}] * 20  # ~200 KB in one cell
    path = csv_file(tmp_path, [["CALL1", "call", "", "", json.dumps(turns)]])
    with tenant_a.scope(), path.open("rb") as stream:
        services.import_work_items_csv(organization=tenant_a.org, stream=stream)
    assert transcript_of(tenant_a, "CALL1")[1] == 20


def test_csv_import_broken_json_cell_is_a_row_error_naming_the_column(tenant_a, tmp_path):
    path = csv_file(tmp_path, [
        ["CALL1", "call", "", "", json.dumps(TURNS)],
        ["CALL2", "call", "", "", '[{"speaker": "agent", "text": "Hi"'],
        ["CALL3", "call", "", "", json.dumps([{"speaker": "robot", "text": "Hi"}])],
    ])
    before = stored()
    with tenant_a.scope(), path.open("rb") as stream, pytest.raises(
            services.ImportFailed) as failed:
        services.import_work_items_csv(organization=tenant_a.org, stream=stream)
    assert [str(error) for error in failed.value.errors] == [
        "line 3, column transcript: The transcript is not valid JSON (Expecting ',' delimiter: "
        "line 1 column 35 (char 34)); write the list of turns, such as [{\"speaker\": "
        "\"agent\", \"text\": \"Hello\", \"at\": 0}].",
        "line 4, column transcript[0].speaker: Unknown speaker “robot”: use agent, customer "
        "or system.",
    ]
    assert stored() == before


# --- manage.py import_transcripts ---------------------------------------------------------


def jsonl(tmp_path, lines, name="interactions.jsonl"):
    path = tmp_path / name
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                            for line in lines), encoding="utf-8")
    return str(path)


def run(tenant, path, *flags):
    out, err = StringIO(), StringIO()
    call_command("import_transcripts", "--org", tenant.org.slug, path, *flags,
                 stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def refuse(tenant, path, *flags):
    err = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_transcripts", "--org", tenant.org.slug, path, *flags,
                     stdout=StringIO(), stderr=err)
    return str(excinfo.value), err.getvalue().splitlines()


def line(external_id, kind="call", turns=TURNS, **fields):
    return {"external_id": external_id, "kind": kind, "transcript": turns, **fields}


def test_command_creates_updates_and_counts(tenant_a, tmp_path):
    agent = tenant_a.member(roles=["agent"], username="ana")
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "C2", "kind": "call", "transcript": TURNS},
            {"external_id": "C3", "kind": "chat", "transcript": TURNS[:1]},
        ])
    path = jsonl(tmp_path, [
        line("C1", assigned_to="ana", state="resolved", opened_at="2025-03-01T09:30:00Z",
             queue="Billing", topic="Refund", handle_time_seconds=95,
             short_description="Refund call"),
        "",
        line("C2"),
        line("C3", kind="chat"),
    ])
    out, _err = run(tenant_a, path)
    assert out.startswith("Created 1, updated 1, unchanged 1 of 3 interactions in ")
    with tenant_a.scope():
        item = WorkItem.objects.get(external_id="C1")
        assert (item.assigned_to, item.state, item.queue, item.topic,
                item.handle_time_seconds) == (agent, "resolved", "Billing", "Refund", 95)
    assert transcript_of(tenant_a, "C1") == (TURNS, 3)
    assert transcript_of(tenant_a, "C3") == (TURNS, 3)
    assert last_changes(tenant_a, "C3") == ("updated", {"transcript": [1, 3]})


def test_command_writes_in_batches_of_500(tenant_a, tmp_path, django_capture_on_commit_callbacks):
    path = jsonl(tmp_path, [line(f"C{i}", turns=TURNS[:1]) for i in range(1001)])
    with django_capture_on_commit_callbacks() as callbacks:
        out, _err = run(tenant_a, path)
    assert out.startswith("Created 1,001, updated 0, unchanged 0 of 1,001 interactions")
    assert len(callbacks) == 3  # one transaction (and outbox dispatch) per batch
    with scopes_disabled():
        assert Transcript.objects.count() == 1001


def test_command_refuses_the_file_naming_line_and_field_and_writes_nothing(tenant_a, tmp_path):
    path = jsonl(tmp_path, [
        line("C1"),
        line("C2", turns=[{"speaker": "bot", "text": "Beep"}]),
        "{not json",
        line("C4", kind="incident"),
        line("C1"),
        {"external_id": "C6", "kind": "chat"},
        line("C7", assigned_to="nobody"),
    ])
    before = stored()
    message, errors = refuse(tenant_a, path)
    assert message == f"6 error(s) in {path}; nothing was written."
    assert errors == [
        "line 2, field transcript[0].speaker: Unknown speaker “bot”: use agent, customer or "
        "system.",
        "line 3: Not valid JSON: Expecting property name enclosed in double quotes: line 1 "
        "column 2 (char 1).",
        "line 4, field kind: “incident” is not an interaction; use call, chat or email.",
        "line 5, field external_id: “C1” appears twice in this file (first on line 1).",
        "line 6, field transcript: Each line needs a transcript (a list of turns, or [] to "
        "remove one).",
        "line 7, field assigned_to: No member of this organization has the username or "
        "e-mail “nobody”.",
    ]
    assert stored() == before


def test_command_bad_line_after_the_first_batch_still_writes_nothing(tenant_a, tmp_path):
    lines = [line(f"C{i}", turns=TURNS[:1]) for i in range(700)]
    lines[650] = line("C650", turns=[{"speaker": "agent", "text": "Hi", "at": -1}])
    path = jsonl(tmp_path, lines)
    message, errors = refuse(tenant_a, path)
    assert message == f"1 error(s) in {path}; nothing was written."
    assert errors == ["line 651, field transcript[0].at: -1 is negative: at counts seconds "
                      "from the start of the interaction (0 or more)."]
    assert stored() == ([], [], 0)


def test_command_dry_run_counts_and_writes_nothing(tenant_a, tmp_path):
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[line("C1")])
    before = stored()
    path = jsonl(tmp_path, [line("C1"), line("C2"), line("C3", kind="email")])
    out, _err = run(tenant_a, path, "--dry-run")
    assert out.startswith("Dry run, nothing written: would create 2, updated 0, unchanged 1 "
                          "of 3 interactions in ")
    assert stored() == before


def test_command_refuses_unknown_org_and_missing_file(tenant_a, tmp_path):
    with pytest.raises(CommandError, match="No organization with slug “nope”."):
        call_command("import_transcripts", "--org", "nope", str(tmp_path / "x.jsonl"))
    message, _errors = refuse(tenant_a, str(tmp_path / "missing.jsonl"))
    assert message == f"Cannot read {tmp_path / 'missing.jsonl'}: No such file or directory."


def test_command_reports_a_line_that_is_not_utf8(tenant_a, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(line("C1")).encode() + b"\n" + b'{"x": "\xff"}\n')
    message, errors = refuse(tenant_a, str(path))
    assert errors == ["line 2: This line is not UTF-8 text (byte 0xff cannot be read)."]
    assert stored() == ([], [], 0)


# --- GET /api/v1/interactions/{external_id}/transcript -------------------------------------


def test_transcript_endpoint_returns_the_turns(api_a):
    api_a.post("work-items", {**CALL, "external_id": "snow/CALL/1"})
    response = api_a.get("interactions/snow/CALL/1/transcript")
    assert response.status_code == 200
    assert response.json() == TURNS


def test_transcript_endpoint_says_why_it_is_404(api_a, api_b):
    api_a.post("work-items", [CALL, {"external_id": "CHAT9", "kind": "chat"},
                              {"external_id": "INC1", "kind": "incident"}])
    cases = {
        "NOPE": "No work item with external_id “NOPE”.",
        "CHAT9": "The chat “CHAT9” has no transcript.",
        "INC1": "“INC1” is an incident, not an interaction; only calls, chats and e-mails "
                "have a transcript.",
    }
    for external_id, detail in cases.items():
        response = api_a.get(f"interactions/{external_id}/transcript")
        assert (response.status_code, response.json()) == (404, {"detail": detail})
    # Another tenant's token: as if it did not exist.
    response = api_b.get("interactions/CALL1/transcript")
    assert (response.status_code, response.json()) == (
        404, {"detail": "No work item with external_id “CALL1”."})


def test_transcript_endpoint_needs_a_token(client):
    response = client.get("/api/v1/interactions/CALL1/transcript")
    assert response.status_code == 401


def test_openapi_documents_the_transcript(api_a):
    schema = api_a.get("openapi.json").json()
    operation = schema["paths"]["/api/v1/interactions/{external_id}/transcript"]["get"]
    assert operation["tags"] == ["Interactions"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "422", "429"}
    item_in = schema["components"]["schemas"]["WorkItemIn"]["properties"]
    assert {"queue", "topic", "transcript"} <= set(item_in)
    turn = schema["components"]["schemas"]["Turn"]
    assert turn["properties"]["speaker"]["enum"] == ["agent", "customer", "system"]
    assert turn["required"] == ["speaker", "text"]


# --- the work item page ---------------------------------------------------------------------


def test_work_item_page_shows_the_conversation(login, client, tenant_a, tenant_b):
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[
            {**CALL, "transcript": [*TURNS, {"speaker": "agent", "text": "Done <b>now</b>",
                                             "at": 3725}]}])
        item = WorkItem.objects.get()
    url = tenant_a.url(f"work/{item.pk}/")
    coach = tenant_a.member(roles=["coach"])
    html = login(coach).get(url).content.decode()
    assert "Transcript" in html and "4 turns" in html
    assert "Billing" in html and "Invoice" in html and "5 min 40 s" in html
    assert 'id="turn-1"' in html and 'id="turn-4"' in html
    assert "turn-customer" in html and "turn-agent" in html and "turn-system" in html
    assert "My invoice is wrong." in html
    assert '<time datetime="PT4.5S">0:04</time>' in html
    assert '<time datetime="PT3725S">1:02:05</time>' in html
    assert "Done &lt;b&gt;now&lt;/b&gt;" in html  # escaped, never markup
    assert html.index("My invoice is wrong.") < html.index("Call transferred to billing.")
    client.logout()
    agent = tenant_a.member(roles=["agent"])
    assert login(agent).get(url).status_code == 403
    client.logout()
    outsider = tenant_b.member(roles=["org_admin"])
    assert login(outsider).get(url).status_code == 404


def test_work_item_page_of_an_interaction_without_transcript_says_so(login, tenant_a):
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "CHAT1", "kind": "chat"}, {"external_id": "INC1", "kind": "incident"}])
        chat, incident = (WorkItem.objects.get(external_id=x) for x in ("CHAT1", "INC1"))
    client = login(tenant_a.member(roles=["coach"]))
    assert "No transcript for this chat." in client.get(
        tenant_a.url(f"work/{chat.pk}/")).content.decode()
    html = client.get(tenant_a.url(f"work/{incident.pk}/")).content.decode()
    assert "No transcript" not in html and "Transcript" not in html
