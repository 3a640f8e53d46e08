"""Bulk import of a skill inventory (CSV) through ``award_skill`` with source import.

All or nothing: every line is checked and applied inside one transaction; if any line is
wrong, or on a dry run, everything is rolled back and the report lists what would happen
and every error by line number.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django_scopes import scopes_disabled

from tenancy.models import Membership, Organization, User
from tenancy.validation import BadValue, check_text
from work.services.imports import MAX_CELL_CHARS

from ..enums import Source
from ..errors import SkillError
from ..models import Skill, UserSkill
from .awards import award_skill
from .catalogue import ensure_level_scale, save_skill

REQUIRED_COLUMNS = ("user", "skill", "level")
OPTIONAL_COLUMNS = ("parent", "category")
# The longest value each column can hold (the model fields' lengths).
CELL_LIMITS = {"user": 254, "skill": 120, "level": 60, "parent": 120, "category": 80}


@dataclass
class ImportReport:
    lines: int = 0
    added: int = 0
    raised: int = 0
    unchanged: int = 0
    kept_higher: int = 0
    created_skills: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        text = (
            f"{verb} {self.lines} lines: {self.added} skills added, {self.raised} raised, "
            f"{self.unchanged} already held at that level, {self.kept_higher} kept at a higher "
            "level"
        )
        if self.created_skills:
            text += f"; new skills: {', '.join(self.created_skills)}"
        return text + "."


def _members_by_key(organization: Organization) -> dict[str, User]:
    with scopes_disabled():
        users = User.objects.filter(
            pk__in=Membership.objects.filter(organization=organization).values("user_id")
        )
        index: dict[str, User] = {}
        for user in users:
            index[user.username.lower()] = user
            if user.email:
                index.setdefault(user.email.lower(), user)
    return index


def _skill_named(organization, name: str, cache: dict[str, Skill]) -> Skill | None:
    key = name.lower()
    if key not in cache:
        found = Skill.objects.filter(organization=organization, name__iexact=name).first()
        if found is None:
            return None
        cache[key] = found
    return cache[key]


def import_user_skills(
    *,
    organization: Organization,
    csv_text: str,
    create_missing: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
) -> ImportReport:
    """Import ``csv_text`` (columns user, skill, level; optional parent, category).

    ``user`` is a username or e-mail of a member; ``level`` a level name of the scale (blank:
    the lowest). Unknown skills are errors unless ``create_missing``. Returns the report; on
    any error or a dry run nothing is kept.
    """
    report = ImportReport(dry_run=dry_run)
    # The CSV reader's cell limit is one per process; work's imports raise it, so raise it
    # here too: a long cell is then always reported by its column ("at most N fit"),
    # whichever import ran first.
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        header = next(reader, None)
    except csv.Error as error:
        report.errors.append((1, f"The file is not valid CSV: {error}."))
        return report
    headers = [h.strip().lower() for h in (header or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        report.errors.append((1, f"Missing column(s): {', '.join(missing)}. "
                                 "The header must name user, skill and level."))
        return report
    with transaction.atomic():
        levels = ensure_level_scale(organization=organization)
        level_by_name = {lv.name.lower(): lv for lv in levels}
        members = _members_by_key(organization)
        skills: dict[str, Skill] = {}
        for line_no, cells in _records(reader, report):
            if not any(cell.strip() for cell in cells):
                continue
            report.lines += 1
            try:
                row = _row(headers, cells)
                _import_line(organization, row, report, members=members, skills=skills,
                             level_by_name=level_by_name, lowest=levels[0],
                             create_missing=create_missing, actor=actor)
            except SkillError as error:
                report.errors.append((line_no, error.message))
        if report.errors or dry_run:
            transaction.set_rollback(True)
    return report


def _records(reader, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells); a file that stops being CSV (a cell over
    the reader's size limit, a stray quote) ends with an error on its line."""
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            yield start, cells
    except csv.Error as error:
        report.errors.append((line, f"This line is not valid CSV ({error}); nothing after "
                                    "it was read."))


def _row(headers: list[str], cells: list[str]) -> dict[str, str]:
    """The named cells of one record, each checked; SkillError when a cell is missing or
    cannot be stored."""
    if len(cells) != len(headers):
        raise SkillError(f"This line has {len(cells)} cells; the header has {len(headers)}.")
    row = {}
    for name, cell in zip(headers, cells, strict=True):
        if not name:
            continue
        cell = cell.strip()
        limit = CELL_LIMITS.get(name)
        if limit is not None and len(cell) > limit:
            raise SkillError(f"The {name} has {len(cell):,} characters; at most {limit} fit.")
        try:
            row[name] = check_text(cell)
        except BadValue as error:
            raise SkillError(f"The {name}: {error}") from None
    return row


def _import_line(organization, row, report, *, members, skills, level_by_name, lowest,
                 create_missing, actor) -> None:
    user_key, skill_name = row.get("user", ""), row.get("skill", "")
    level_name = row.get("level", "")
    if not user_key or not skill_name:
        raise SkillError("Each line needs a user and a skill.")
    user = members.get(user_key.lower())
    if user is None:
        raise SkillError(f"No member of {organization.name} has the username or e-mail "
                         f"“{user_key}”.")
    level = level_by_name.get(level_name.lower()) if level_name else lowest
    if level is None:
        names = ", ".join(lv.name for lv in level_by_name.values())
        raise SkillError(f"“{level_name}” is not a level of the scale ({names}).")
    skill = _skill_named(organization, skill_name, skills)
    if skill is None:
        if not create_missing:
            raise SkillError(f"No skill is named “{skill_name}” (use --create-missing, or "
                             "“Create unknown skills”, to add it).")
        parent = None
        parent_name = row.get("parent", "")
        if parent_name:
            parent = _skill_named(organization, parent_name, skills)
            if parent is None:
                parent = save_skill(organization=organization, name=parent_name,
                                    category=row.get("category", ""))
                skills[parent.name.lower()] = parent
                report.created_skills.append(parent.name)
        skill = save_skill(organization=organization, name=skill_name, parent=parent,
                           category=row.get("category", ""))
        skills[skill.name.lower()] = skill
        report.created_skills.append(skill.name)
    held = UserSkill.objects.filter(user=user, skill=skill).select_related("level").first()
    award_skill(user=user, skill=skill, level=level, source=Source.IMPORT, actor=actor)
    if held is None:
        report.added += 1
    elif held.level.rank < level.rank:
        report.raised += 1
    elif held.level.rank == level.rank:
        report.unchanged += 1
    else:
        report.kept_higher += 1

