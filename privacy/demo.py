"""Demo access records for ``seed_demo``: the acme Service Desk coach opening some of their
agents' released audits (and one of them twice), the QA analyst reading transcripts, the
org admin a skills page, and the workforce integration reading an evaluation through the
API. Runs again without duplicating (nothing is added once the tenant has records)."""

from datetime import timedelta

from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from .models import AccessChannel, AccessKind, AccessRecord

INTEGRATION = "Workforce analytics"


def _insert(rows: list[dict]) -> None:
    """Past records with their own times (``viewed_at`` is set on insert otherwise)."""
    table = connection.ops.quote_name(AccessRecord._meta.db_table)
    columns = list(rows[0])
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[row[c] for c in columns] for row in rows])


def seed_access_records(organization, people, stdout) -> None:
    if AccessRecord.objects.filter(organization=organization).exists() or not people.teams:
        return
    Evaluation = apps.get_model("quality", "Evaluation")  # noqa: N806 (read, never imported)
    team = people.teams[0]
    coach = team.manager
    agents = list(team.members.order_by("username"))
    now = timezone.now()
    slug = organization.slug
    rows: list[dict] = []

    def add(viewer, label, subject, kind, object_id, object_label, path, at,
            channel=AccessChannel.PAGE):
        rows.append({
            "organization_id": organization.pk, "subject_id": subject.pk,
            "viewer_id": viewer.pk if viewer else None, "viewer_label": label,
            "kind": kind, "channel": channel, "object_id": str(object_id),
            "object_label": object_label[:200], "path": path,
            "viewed_at": min(at, now - timedelta(minutes=len(rows) + 1)),
        })

    released = list(Evaluation.objects.filter(
        organization=organization, agent__in=agents, kind="manual", state="released",
    ).select_related("interaction", "agent").order_by("-released_at", "pk")[:6])
    for index, evaluation in enumerate(released):
        # the morning after the interaction, a coach going through their agents' audits
        at = evaluation.interaction_at + timedelta(days=1, hours=2 + index)
        label = f"Audit of {evaluation.interaction.label}"
        path = reverse("quality:evaluation", kwargs={"org_slug": slug, "pk": evaluation.pk})
        if coach is not None:
            add(coach, str(coach), evaluation.agent, AccessKind.EVALUATION, evaluation.pk,
                label, path, at)
            if index == 0:  # opened again the next day
                add(coach, str(coach), evaluation.agent, AccessKind.EVALUATION,
                    evaluation.pk, label, path, at + timedelta(days=1))
        if index < 2 and people.qa_analyst is not None:
            item = evaluation.interaction
            add(people.qa_analyst, str(people.qa_analyst), evaluation.agent,
                AccessKind.TRANSCRIPT, item.pk, f"Transcript of {item.label}",
                reverse("quality:interaction", kwargs={"org_slug": slug, "pk": item.pk}),
                at + timedelta(minutes=30))
        if index == 2:
            add(None, INTEGRATION, evaluation.agent, AccessKind.EVALUATION, evaluation.pk,
                label, f"/api/v1/evaluations/{evaluation.pk}", at + timedelta(hours=6),
                channel=AccessChannel.API)
    if agents and people.org_admin is not None:
        agent = agents[0]
        add(people.org_admin, str(people.org_admin), agent, AccessKind.SKILLS, agent.pk,
            "Skills and skill history",
            reverse("skills:person", kwargs={"org_slug": slug, "user_id": agent.pk}),
            now - timedelta(days=3, hours=4))
    if rows:
        _insert(rows)
        if stdout is not None:
            stdout.write(f"{slug}: {len(rows)} access records\n")
