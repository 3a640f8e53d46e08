"""Demo skills for ``seed_demo``: an IT service desk skill tree, levels for the demo agents,
a pending self-review, and recommendations from the demo work items (work's seeder runs
first; ingest links the skills those items require).

Idempotent: awarding what is held changes nothing, and existing skills are found by name.
"""

import random

from django.apps import apps
from django.utils import timezone

from .enums import ChangeKind, RecommendationState, ReviewState, SkillType, Source
from .models import (
    RecommenderIndex,
    Skill,
    SkillChange,
    SkillRecommendation,
    SkillReview,
    UserSkill,
)
from .services import (
    award_skill,
    ensure_level_scale,
    rebuild_recommendations,
    request_skill_review,
    save_skill,
    supersede_recommendations,
)

# (parent, category, type, description, children)
TREE = [
    ("Networking", "Infrastructure", SkillType.TECHNICAL,
     "Connectivity, routing and security of the network.",
     ["Firewall changes", "Routing", "VPN", "Wireless networking", "DNS"]),
    ("Identity", "Infrastructure", SkillType.TECHNICAL,
     "Accounts, access and authentication.",
     ["Identity and access", "Active Directory", "MFA", "Password resets"]),
    ("End-user", "Workplace", SkillType.TECHNICAL,
     "Devices and software people use every day.",
     ["Hardware troubleshooting", "Printing", "Microsoft 365", "Software packaging",
      "Patch management"]),
    ("Communication", "Soft skills", SkillType.SOFT,
     "How agents talk and write to the people they help.",
     ["Empathy", "Written notes", "De-escalation", "Complaint handling"]),
    ("Customer service", "Customer care", SkillType.PROCESS,
     "Orders, billing and returns for customers.",
     ["Order tracking", "Refunds", "Billing disputes", "Payments", "Returns", "Retention",
      "Account changes", "Product knowledge"]),
]

# Which branches each demo team leans on (by team position), for realistic levels.
TEAM_FOCUS = [
    ["Identity", "End-user", "Communication"],
    ["Networking", "Identity", "Communication"],
    ["Customer service", "Communication"],
]


def seed_skills(organization, people, stdout) -> None:
    levels = ensure_level_scale(organization=organization)
    children_of: dict[str, list[Skill]] = {}
    for parent_name, category, skill_type, description, children in TREE:
        parent = _skill(organization, parent_name, category, skill_type, description, None)
        children_of[parent_name] = [
            _skill(organization, name, category, skill_type, "", parent) for name in children
        ]
    rng = random.Random(f"skills-{organization.slug}")
    awards = []
    for index, team in enumerate(people.teams):
        focus = TEAM_FOCUS[index % len(TEAM_FOCUS)]
        manager = team.manager
        for agent in sorted(team.members.all(), key=lambda u: u.username):
            for branch in focus:
                for skill in rng.sample(children_of[branch], k=min(2, len(children_of[branch]))):
                    level = levels[min(rng.randrange(len(levels)), len(levels) - 1)]
                    awards.append((agent, skill, level, manager))
    _award(organization, awards)
    if people.agents and len(levels) > 1:
        agent = people.agents[0]
        skill = children_of["Communication"][2]  # De-escalation
        open_review = SkillReview.objects.filter(user=agent, skill=skill,
                                                 state=ReviewState.REQUESTED).exists()
        held = agent.user_skills.filter(skill=skill).select_related("level").first()
        if not open_review and (held is None or held.level.rank < levels[-1].rank):
            target = levels[-1] if held else levels[1]
            request_skill_review(
                user=agent, skill=skill, level=target, requested_by=agent,
                justification="Calmed three escalated callers last week; see the notes on "
                              "the tickets and the customer's thank-you e-mail.",
            )
    if apps.is_installed("work") and not RecommenderIndex.objects.filter(
            organization=organization).exists():
        # Agents who keep resolving work needing skills they lack get recommendations now.
        # Once: a second run leaves the recommendations as the first run and the work
        # resolved after it (predicted one by one against the stored index) left them — a
        # rebuild would refit and rewrite their evidence, which is the nightly job's to do.
        report = rebuild_recommendations(organization=organization)
        if stdout is not None:
            pending = SkillRecommendation.objects.filter(
                organization=organization, state=RecommendationState.PENDING).count()
            stdout.write(f"  skills: {report.resolved} resolved items indexed, "
                         f"{pending} pending recommendations")
    if stdout is not None:
        stdout.write(f"  skills: {Skill.objects.filter(organization=organization).count()} "
                     f"skills in {organization.slug}")


def _award(organization, awards: list[tuple]) -> None:
    """``award_skill(user, skill, level, source=import, actor)`` for each award, in order.

    The first award of a skill an agent does not hold yet (on a new demo tenant: every one,
    thousands at 500 agents) is written in bulk: the holding and its "added" history line,
    the rows ``award_skill`` writes, and a pending recommendation of it superseded as
    ``award_skill`` does (a new tenant has none). Every other award (a second one of the
    same skill, a re-run of the seed) goes through ``award_skill``, which keeps the higher
    level and writes the history of a raise."""
    held = set(UserSkill.objects.filter(
        organization=organization, user_id__in={agent.pk for agent, *_ in awards},
    ).values_list("user_id", "skill_id"))
    fresh, others = [], []
    for award in awards:
        agent, skill, _level, _actor = award
        key = (agent.pk, skill.pk)
        if key in held or not skill.active:
            others.append(award)
        else:
            held.add(key)
            fresh.append(award)
    now = timezone.now()
    UserSkill.objects.bulk_create([
        UserSkill(organization=organization, user=agent, skill=skill, level=level,
                  source=Source.IMPORT, awarded_by=actor, acquired_at=now, changed_at=now)
        for agent, skill, level, actor in fresh
    ], batch_size=1000)
    SkillChange.objects.bulk_create([
        SkillChange(organization=organization, user=agent, skill=skill, kind=ChangeKind.ADDED,
                    from_level=None, to_level=level, source=Source.IMPORT, actor=actor,
                    cause_type="", cause_id=None, note="")
        for agent, skill, level, actor in fresh
    ], batch_size=1000)
    pairs = {(agent.pk, skill.pk): (agent, skill) for agent, skill, _level, _actor in fresh}
    pending = set(SkillRecommendation.objects.filter(
        organization=organization, state=RecommendationState.PENDING,
        user_id__in={user_id for user_id, _ in pairs},
    ).values_list("user_id", "skill_id")) & set(pairs)
    for key in sorted(pending):
        supersede_recommendations(user=pairs[key][0], skill=pairs[key][1])
    for agent, skill, level, actor in others:
        award_skill(user=agent, skill=skill, level=level, source=Source.IMPORT, actor=actor)


def _skill(organization, name, category, skill_type, description, parent) -> Skill:
    existing = Skill.objects.filter(organization=organization, name__iexact=name).first()
    if existing is not None:
        return existing
    return save_skill(organization=organization, name=name, category=category,
                      skill_type=skill_type, description=description, parent=parent)
