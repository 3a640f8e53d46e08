"""The organization's quality settings, kept in ``Organization.settings["quality"]`` (read
through :func:`quality.selectors.quality_settings`)."""

from urllib.parse import urlsplit

from django.db import transaction

from tenancy.enums import Role
from tenancy.models import Organization, User
from tenancy.sealed import seal
from tenancy.selectors import sees_everything

from ..enums import ReleaseMode
from ..selectors import PROVIDER_KEY_PURPOSE, quality_settings
from .errors import QualityError

# (field, lowest, highest, sentence) — the bounds a person can act on.
BOUNDS = {
    "release_delay_hours": (1, 720, "Release audits 1 to 720 hours (30 days) after submitting."),
    "verify_min_kappa": (0.0, 1.0, "The agreement bar (Cohen's κ) is a number from 0 to 1."),
    "verify_min_pairs": (5, 10_000, "Verify an attribute over 5 to 10,000 pairs of automatic "
                                    "and audit answers."),
    "min_reviews": (1, 1_000, "The minimum number of reviews to act on is 1 to 1,000."),
    "learned_min_answers": (10, 100_000, "A learned scorer needs 10 to 100,000 audit answers "
                                         "to train on."),
    "audits_per_agent_week": (0, 100, "Audit 0 to 100 interactions per agent per week "
                                      "(0: allocate none)."),
    "audits_per_evaluator_day": (1, 500, "An evaluator audits 1 to 500 interactions a day."),
    "provider_timeout_seconds": (1.0, 120.0, "The outside scorer's timeout is 1 to 120 "
                                             "seconds."),
    "max_rounds": (1, 5, "Allow 1 to 5 dispute rounds."),
    "window_days": (1, 90, "Agents may answer an audit 1 to 90 days after its release."),
    "sla_hours": (1, 720, "Reviewers decide a dispute within 1 to 720 hours (30 days)."),
}
MAX_URL = 500
MAX_MODEL = 200
MAX_API_KEY = 500


def _check(name: str, value) -> None:
    low, high, message = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or value != value or not low <= value <= high:
        raise QualityError(message, field=name)
    if isinstance(low, int) and not isinstance(value, int):
        raise QualityError(message, field=name)


@transaction.atomic
def update_quality_settings(
    *, organization: Organization, release_mode: str, release_delay_hours: int,
    verify_min_kappa: float, verify_min_pairs: int, min_reviews: int,
    learned_min_answers: int, audits_per_agent_week: int, audits_per_evaluator_day: int,
    provider_enabled: bool, provider_url: str = "", provider_model: str = "",
    provider_api_key: str | None = None, clear_provider_api_key: bool = False,
    provider_timeout_seconds: float = 10.0,
) -> Organization:
    """Save the quality settings (every field at once; errors name their field).

    ``provider_api_key``: ``None`` or empty keeps the stored key (it is never shown back),
    ``clear_provider_api_key`` removes it. An enabled outside scorer needs an http(s) URL
    and a model. Locks the organization row so a concurrent save of another settings key
    is not lost.
    """
    if release_mode not in ReleaseMode.values:
        raise QualityError("Release audits on submit or after a delay.", field="release_mode")
    for name, value in (
        ("release_delay_hours", release_delay_hours), ("verify_min_kappa", verify_min_kappa),
        ("verify_min_pairs", verify_min_pairs), ("min_reviews", min_reviews),
        ("learned_min_answers", learned_min_answers),
        ("audits_per_agent_week", audits_per_agent_week),
        ("audits_per_evaluator_day", audits_per_evaluator_day),
        ("provider_timeout_seconds", provider_timeout_seconds),
    ):
        _check(name, value)
    provider_url = (provider_url or "").strip()
    provider_model = (provider_model or "").strip()
    if len(provider_url) > MAX_URL:
        raise QualityError(f"The URL is longer than {MAX_URL} characters.", field="provider_url")
    if provider_url:
        parts = urlsplit(provider_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise QualityError("The outside scorer's URL starts with http:// or https://.",
                               field="provider_url")
    if len(provider_model) > MAX_MODEL:
        raise QualityError(f"The model name is longer than {MAX_MODEL} characters.",
                           field="provider_model")
    if provider_api_key and len(provider_api_key) > MAX_API_KEY:
        raise QualityError(f"The API key is longer than {MAX_API_KEY} characters.",
                           field="provider_api_key")
    if provider_enabled and not provider_url:
        raise QualityError("Give the outside scorer's URL to turn it on.", field="provider_url")
    if provider_enabled and not provider_model:
        raise QualityError("Give the outside scorer's model to turn it on.",
                           field="provider_model")

    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    api_key = quality_settings(locked).provider.api_key
    if clear_provider_api_key:
        api_key = ""
    elif provider_api_key:
        api_key = provider_api_key.strip()
    locked.settings = {
        **(locked.settings or {}),
        "quality": {
            **((locked.settings or {}).get("quality") or {}),
            "release_mode": release_mode,
            "release_delay_hours": release_delay_hours,
            "verify_min_kappa": float(verify_min_kappa),
            "verify_min_pairs": verify_min_pairs,
            "min_reviews": min_reviews,
            "learned_min_answers": learned_min_answers,
            "audits_per_agent_week": audits_per_agent_week,
            "audits_per_evaluator_day": audits_per_evaluator_day,
            "provider": {
                "enabled": provider_enabled, "url": provider_url, "model": provider_model,
                # The key is stored sealed (tenancy.sealed), never in clear.
                "api_key_sealed": seal(api_key, purpose=PROVIDER_KEY_PURPOSE) if api_key
                else "",
                "timeout_seconds": float(provider_timeout_seconds),
            },
        },
    }
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return organization


@transaction.atomic
def update_dispute_settings(
    *, organization: Organization, enabled: bool, max_rounds: int = 2, window_days: int = 7,
    sla_hours: int = 48, arbitrator: User | None = None,
) -> Organization:
    """Save "Agent accept & dispute" (every field at once; errors name their field).

    The arbitrator, if any, decides every dispute's last round instead of the auditor: a
    QA analyst or org admin of the organization. Turning it on affects audits released
    from then on; turning it off leaves reviews under way to finish.
    """
    for name, value in (("max_rounds", max_rounds), ("window_days", window_days),
                        ("sla_hours", sla_hours)):
        _check(name, value)
    if arbitrator is not None and not sees_everything(organization, arbitrator,
                                                      Role.QA_ANALYST):
        raise QualityError("The arbitrator is a QA analyst or an org admin of this "
                           "organization.", field="arbitrator")
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    quality = dict((locked.settings or {}).get("quality") or {})
    quality["disputes"] = {
        "enabled": bool(enabled), "max_rounds": max_rounds, "window_days": window_days,
        "sla_hours": sla_hours, "arbitrator_id": arbitrator.pk if arbitrator else None,
    }
    locked.settings = {**(locked.settings or {}), "quality": quality}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return organization
