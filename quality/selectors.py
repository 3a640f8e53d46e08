"""Reads of the quality app: the tenant's quality settings, scorecards and evaluations as a
user may see them. (Pages add their own selectors below; visibility lives here.)"""

from dataclasses import asdict, dataclass, field

from django.db.models import Q, QuerySet

from tenancy.enums import Role
from tenancy.models import Organization, User
from tenancy.selectors import coachable_agents, sees_everything

from .enums import EvaluationKind, EvaluationState
from .models import Evaluation, Scorecard


@dataclass(frozen=True)
class ProviderSettings:
    """An outside scorer (an OpenAI-compatible chat endpoint); off unless a tenant sets it."""

    enabled: bool = False
    url: str = ""
    model: str = ""
    api_key: str = ""
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class QualitySettings:
    """The tenant's quality settings, in ``Organization.settings["quality"]``."""

    release_mode: str = "on_submit"  # or "after_delay"
    release_delay_hours: int = 24
    verify_min_kappa: float = 0.6
    verify_min_pairs: int = 30
    min_reviews: int = 10  # below this an aggregate says "too few reviews to act"
    learned_min_answers: int = 50
    audits_per_agent_week: int = 5
    audits_per_evaluator_day: int = 50
    provider: ProviderSettings = field(default_factory=ProviderSettings)

    def as_dict(self) -> dict:
        return asdict(self)


def quality_settings(organization: Organization) -> QualitySettings:
    raw = dict((organization.settings or {}).get("quality") or {})
    provider = ProviderSettings(**{
        k: v for k, v in (raw.pop("provider", None) or {}).items()
        if k in ProviderSettings.__dataclass_fields__
    })
    known = {k: v for k, v in raw.items() if k in QualitySettings.__dataclass_fields__}
    return QualitySettings(**known, provider=provider)


def current_scorecards(organization: Organization) -> QuerySet[Scorecard]:
    return (Scorecard.objects.filter(organization=organization, is_current=True)
            .prefetch_related("attributes").order_by("name"))


def scorecard_for(organization: Organization, *, queue: str = "") -> Scorecard | None:
    """The current scorecard for an interaction of ``queue``: the queue's own, else the
    default."""
    current = Scorecard.objects.filter(organization=organization, is_current=True)
    if queue:
        own = current.filter(queue=queue).first()
        if own is not None:
            return own
    return current.filter(is_default=True).first()


def visible_evaluations(organization: Organization, user: User) -> QuerySet[Evaluation]:
    """Evaluations ``user`` may open: every counted one for org admins and QA analysts, those
    of the agents they coach for coaches, and an agent's own released manual and automatic
    evaluations. Calibration evaluations are never shown here (calibration has its pages)."""
    base = (Evaluation.objects.filter(organization=organization)
            .exclude(kind=EvaluationKind.CALIBRATION)
            .select_related("interaction", "agent", "scorecard", "evaluator"))
    if sees_everything(organization, user, Role.QA_ANALYST):
        return base
    own = Q(agent=user, state=EvaluationState.RELEASED)
    return base.filter(own | Q(agent__in=coachable_agents(organization, user))
                       | Q(evaluator=user))
