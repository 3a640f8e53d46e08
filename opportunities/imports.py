"""Opportunities as code: create or update a tenant's opportunities from a JSON list.

Only ``name`` and ``condition`` are required. Skills, levels, courses and surveys are
named (case-insensitively) and must exist in the organization: ``"courses": ["Firewall
basics"]`` names course items by title, ``"coach_survey"`` a coach-about-trainee survey
template and ``"trainee_survey"`` a trainee-about-coach one. An unknown name refuses the
whole file with a message naming the entry.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from learning.models import CourseItem
from skills.models import Skill, SkillLevel
from surveys.enums import Audience
from surveys.models import SurveyTemplate
from tenancy.errors import ImportRefused
from tenancy.models import Membership, Organization

from .enums import CoachChoice, FiresOn
from .models import CoachingOpportunity
from .services import OpportunityData, OpportunityError, save_opportunity

KNOWN_KEYS = frozenset({
    "name", "description", "active", "kinds", "fires_on", "condition", "due_in_days",
    "suppress_days", "sample_rate", "exempt_first_days", "coach", "virtual_coach", "skills",
    "courses", "coach_survey", "trainee_survey",
})


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0


def _int(entry: dict, key: str, default: int) -> Any:
    value = entry.get(key, default)
    return default if value is None else value


def _text(entry: dict, key: str) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise OpportunityError(f"'{key}' must be text or null.")
    return value


def _survey(organization: Organization, entry: dict, key: str,
            audience: str) -> SurveyTemplate | None:
    name = _text(entry, key).strip()
    if not name:
        return None
    template = SurveyTemplate.objects.filter(organization=organization,
                                             name__iexact=name).order_by("pk").first()
    if template is None:
        raise OpportunityError(f"'{key}': no survey named “{name}”.")
    if template.audience != audience:
        raise OpportunityError(
            f"'{key}': “{template.name}” is a {template.get_audience_display().lower()} "
            f"survey; use a {Audience(audience).label.lower()} survey.")
    return template


def _parse(organization: Organization, entry: Any) -> OpportunityData:
    if not isinstance(entry, dict):
        raise OpportunityError("each opportunity is an object.")
    unknown = sorted(set(entry) - KNOWN_KEYS)
    if unknown:
        raise OpportunityError(f"unknown key '{unknown[0]}'.")
    for key in ("name", "condition"):
        if key not in entry:
            raise OpportunityError(f"'{key}' is required.")
    if not isinstance(entry["name"], str):
        raise OpportunityError("'name' must be text.")
    kinds = entry.get("kinds") or []
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise OpportunityError("'kinds' must be a list of work-item kinds.")
    active = entry.get("active", True)
    if not isinstance(active, bool):
        raise OpportunityError("'active' must be true or false.")
    coach = entry.get("coach") or CoachChoice.TEAM_MANAGER
    if not isinstance(coach, str):
        raise OpportunityError("'coach' is team_manager, round_robin or a username.")
    named_coach = None
    if coach not in (CoachChoice.TEAM_MANAGER, CoachChoice.ROUND_ROBIN):
        membership = (
            Membership.objects.filter(organization=organization, user__username=coach)
            .select_related("user").first()
        )
        if membership is None or not membership.is_coach:
            raise OpportunityError(
                f"'coach': “{coach}” is not a coach of this organization "
                "(use team_manager, round_robin or a coach's username)."
            )
        named_coach, coach = membership.user, CoachChoice.NAMED
    virtual = entry.get("virtual_coach")
    if virtual is not None and not (
        isinstance(virtual, dict) and isinstance(virtual.get("name"), str)
        and virtual["name"].strip() and set(virtual) == {"name"}
    ):
        raise OpportunityError("'virtual_coach' is null or {\"name\": \"…\"}.")
    skills = []
    raw_skills = entry.get("skills") or []
    if not isinstance(raw_skills, list):
        raise OpportunityError("'skills' must be a list of {\"skill\", \"level\"} objects.")
    for index, item in enumerate(raw_skills):
        if not isinstance(item, dict) or not isinstance(item.get("skill"), str) \
                or not isinstance(item.get("level"), str):
            raise OpportunityError(f"skills[{index}]: give \"skill\" and \"level\" names.")
        skill = Skill.objects.annotate(lname=Lower("name")).filter(
            organization=organization, lname=item["skill"].strip().lower()
        ).first()
        if skill is None:
            raise OpportunityError(f"skills[{index}]: no skill named “{item['skill']}”.")
        level = SkillLevel.objects.annotate(lname=Lower("name")).filter(
            organization=organization, lname=item["level"].strip().lower()
        ).first()
        if level is None:
            raise OpportunityError(f"skills[{index}]: no level named “{item['level']}”.")
        skills.append((skill, level))
    titles = entry.get("courses") or []
    if not isinstance(titles, list) or not all(isinstance(c, str) for c in titles):
        raise OpportunityError("'courses' must be a list of course titles.")
    courses = []
    for index, title in enumerate(titles):
        course = (
            CourseItem.objects.filter(organization=organization, title__iexact=title.strip())
            .order_by("-active", "pk").first()
        )
        if course is None:
            raise OpportunityError(f"courses[{index}]: no course titled “{title}”.")
        if course not in courses:
            courses.append(course)
    return OpportunityData(
        name=entry["name"],
        condition=entry["condition"],
        description=_text(entry, "description"),
        active=active,
        kinds=kinds,
        fires_on=entry.get("fires_on") or FiresOn.UPDATE,
        coach_choice=coach,
        named_coach=named_coach,
        due_in_days=_int(entry, "due_in_days", 7),
        suppress_days=_int(entry, "suppress_days", 0),
        sample_rate=_int(entry, "sample_rate", 100),
        exempt_first_days=_int(entry, "exempt_first_days", 0),
        skills=skills,
        courses=courses,
        coach_survey=_survey(organization, entry, "coach_survey",
                             Audience.COACH_ABOUT_TRAINEE),
        trainee_survey=_survey(organization, entry, "trainee_survey",
                               Audience.TRAINEE_ABOUT_COACH),
        virtual_coach_name=virtual["name"] if virtual else "",
    )


def import_opportunities(*, organization: Organization, entries: Any) -> ImportSummary:
    """Create or update opportunities by name (case-insensitive), all or nothing.

    Raises :class:`ImportRefused` naming the entry (index and name) and the bad part.
    """
    if not isinstance(entries, list):
        raise ImportRefused("The file must hold a list of opportunities.")
    summary = ImportSummary()
    seen: dict[str, int] = {}
    with transaction.atomic():
        for index, entry in enumerate(entries):
            label = f"[{index}]"
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                label = f"[{index}] “{entry['name']}”"
                key = entry["name"].strip().lower()
                if key in seen:
                    raise ImportRefused(f"{label}: the name repeats entry [{seen[key]}].")
                seen[key] = index
            try:
                data = _parse(organization, entry)
                existing = CoachingOpportunity.objects.annotate(lname=Lower("name")).filter(
                    organization=organization, lname=data.name.strip().lower()
                ).first()
                save_opportunity(organization=organization, data=data, opportunity=existing)
            except OpportunityError as error:
                raise ImportRefused(f"{label}: {error.message}") from None
            if existing is None:
                summary.created += 1
            else:
                summary.updated += 1
    return summary
