"""Subject access export: everything one tenant holds about one person, as a zip.

The zip holds ``data.json`` (the person, the counts, and per model its rows as
dictionaries with readable labels beside the ids) and ``csv/<app>.<Model>.csv`` for
each model with rows. Only the one organization's rows: a person in two tenants gets
two separate exports. Each export is recorded as a :class:`~privacy.models.
PersonalDataRequest` of kind ``export``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .models import PersonalDataRequest, RequestKind
from .subject import (
    ABOUT,
    CHILDREN,
    NOT_EXPORTED,
    PERSON_FIELDS,
    Subject,
    direct_rows,
    mentions,
    model,
    person_rows,
)

FORMAT = "coachdesk-subject-access/1"


@dataclass
class Export:
    data: dict
    counts: dict[str, int] = field(default_factory=dict)
    request: PersonalDataRequest | None = None
    path: Path | None = None


class _Labels:
    """Readable labels of related rows, each looked up once."""

    def __init__(self):
        self.cache: dict[tuple[str, int], str] = {}

    def of(self, obj: models.Model, fk: models.ForeignKey) -> str | None:
        pk = getattr(obj, fk.attname)
        if pk is None:
            return None
        key = (fk.related_model._meta.label, pk)
        if key not in self.cache:
            related = fk.related_model._base_manager.filter(pk=pk).first()
            self.cache[key] = str(related) if related is not None else None
        return self.cache[key]


def row_dict(obj: models.Model, labels: _Labels, why: list[str]) -> dict:
    """One row as a dictionary: every column but the organization and secrets; a foreign
    key as ``<name>_id`` and its label as ``<name>``; a choice also as ``<name>_display``."""
    skip = NOT_EXPORTED.get(obj._meta.label, frozenset())
    row: dict = {"id": obj.pk}
    for f in obj._meta.concrete_fields:
        if f.primary_key or f.name == "organization" or f.name in skip:
            continue
        if isinstance(f, models.BinaryField):
            continue
        if f.is_relation:
            row[f.attname] = getattr(obj, f.attname)
            row[f.name] = labels.of(obj, f)
            continue
        value = getattr(obj, f.attname)
        if isinstance(f, models.FileField):
            value = value.name if value else ""
        row[f.name] = value
        if f.choices:
            row[f"{f.name}_display"] = getattr(obj, f"get_{f.name}_display")()
    row["included_because"] = why
    return row


def _why(obj: models.Model, label: str, subject: Subject, child_pks: set[int]) -> list[str]:
    reasons = [name for name in PERSON_FIELDS.get(label, {})
               if getattr(obj, f"{name}_id") == subject.user.pk]
    if obj.pk in child_pks:
        reasons.append(f"its {CHILDREN[label][0]} is about the person")
    return reasons


def collect(subject: Subject) -> Export:
    """The export's data (call inside the organization's scope)."""
    organization, user = subject.organization, subject.user
    labels = _Labels()
    child_pks = {
        label: set(model(label).objects.filter(
            organization=organization,
            **{f"{fk}__in": direct_rows(organization, user, kinds=(ABOUT,))[parent]
               .values("pk")}).values_list("pk", flat=True))
        for label, (fk, parent) in CHILDREN.items()
    }
    by_model: dict[str, dict[int, dict]] = {}
    for label, qs in person_rows(organization, user).items():
        for obj in qs.distinct().order_by("pk"):
            by_model.setdefault(label, {})[obj.pk] = row_dict(
                obj, labels, _why(obj, label, subject, child_pks.get(label, set())))
    for mention in mentions(organization, user):
        label = mention.model._meta.label
        rows = by_model.setdefault(label, {})
        missing = [pk for pk in mention.pks if pk not in rows]
        for obj in model(label).objects.filter(pk__in=missing).order_by("pk"):
            rows[obj.pk] = row_dict(obj, labels, [])
        for pk in mention.pks:
            rows[pk]["included_because"].append(
                "names the person in " + ", ".join(mention.fields[pk]))
    data_rows = {label: [rows[pk] for pk in sorted(rows)]
                 for label, rows in sorted(by_model.items()) if rows}
    counts = {label: len(rows) for label, rows in data_rows.items()}
    data = {
        "format": FORMAT,
        "generated_at": timezone.now(),
        "organization": {"name": organization.name, "slug": organization.slug},
        "person": {
            "username": user.username, "first_name": user.first_name,
            "last_name": user.last_name, "email": user.email,
            "date_joined": user.date_joined, "last_login": user.last_login,
            "member": subject.membership is not None,
        },
        "counts": counts,
        "data": data_rows,
    }
    return Export(data=data, counts=counts)


def _csv(rows: list[dict]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if value is None:
        return ""
    return DjangoJSONEncoder().default(value) if not isinstance(
        value, (str, int, float, bool)) else value


def write_zip(export: Export, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(export.data, cls=DjangoJSONEncoder,
                                                 ensure_ascii=False, indent=2))
        for label, rows in export.data["data"].items():
            archive.writestr(f"csv/{label}.csv", _csv(rows))
    return path


def default_path(subject: Subject, when=None) -> Path:
    when = when or timezone.now()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in subject.user.username)
    return Path(f"subject-access-{subject.organization.slug}-{safe}-{when:%Y%m%d-%H%M%S}.zip")


@transaction.atomic
def export_person(*, subject: Subject, path: Path | None = None,
                  requested_by: str) -> Export:
    """Write the zip and record the export (call inside the organization's scope).

    Side effects: the file at ``path`` (default: ``subject-access-<org>-<user>-<time>.zip``
    in the working directory) and one :class:`PersonalDataRequest` of kind ``export``.
    """
    export = collect(subject)
    export.path = write_zip(export, Path(path) if path else default_path(subject))
    export.request = PersonalDataRequest.objects.create(
        organization=subject.organization, kind=RequestKind.EXPORT, subject=subject.user,
        subject_label=subject.label, requested_by=requested_by,
        summary={"rows": export.counts, "file": export.path.name},
    )
    return export
