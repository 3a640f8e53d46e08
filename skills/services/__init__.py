"""Every write to skills goes through these services (see each module's docstring).

``award_skill`` is the one entry point other apps use to give a user a skill.
"""

from ..errors import SkillError
from .awards import (
    Cause,
    award_skill,
    cause_of,
    lower_skill,
    set_skill_level,
    supersede_recommendations,
)
from .catalogue import (
    create_level,
    delete_level,
    ensure_level_scale,
    move_level,
    save_skill,
    update_level,
    validate_skill,
)
from .imports import ImportReport, import_user_skills
from .recommendations import (
    RebuildReport,
    RecommenderSettings,
    RuleReport,
    apply_recommendation_rule,
    approve_recommendation,
    notify_recommendation_coaches,
    rebuild_recommendations,
    recommender_settings,
    reject_recommendation,
    reopen_recommendation,
    update_recommendations_for_item,
    update_recommendations_for_items,
)
from .requirements import SkillCatalog
from .reviews import (
    approve_skill_review,
    reject_skill_review,
    request_skill_review,
    withdraw_skill_review,
)

__all__ = [
    "Cause",
    "RebuildReport",
    "RecommenderSettings",
    "RuleReport",
    "apply_recommendation_rule",
    "approve_recommendation",
    "notify_recommendation_coaches",
    "rebuild_recommendations",
    "recommender_settings",
    "reject_recommendation",
    "reopen_recommendation",
    "supersede_recommendations",
    "update_recommendations_for_item",
    "update_recommendations_for_items",
    "ImportReport",
    "SkillCatalog",
    "SkillError",
    "approve_skill_review",
    "award_skill",
    "cause_of",
    "create_level",
    "delete_level",
    "ensure_level_scale",
    "import_user_skills",
    "lower_skill",
    "move_level",
    "reject_skill_review",
    "request_skill_review",
    "save_skill",
    "set_skill_level",
    "update_level",
    "validate_skill",
    "withdraw_skill_review",
]
