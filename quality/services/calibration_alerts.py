"""Calibration alerts: the tenant's thresholds and the e-mail to its QA leads (QA analysts
and org admins) when a finished calibration session has an attribute whose α is below the
α threshold, an evaluator whose deviation from the final answers (on the total score,
points of 100) is above the deviation threshold, or an attribute the automatic scorer
answered that far from the final answers.

Thresholds live in ``Organization.settings["quality"]["calibration"]``
(``alpha_threshold``, default 0.667: Krippendorff's bar for tentative conclusions;
``deviation_threshold``, default 15 points: the gap between assessors that makes scores
useless). :func:`send_calibration_alerts` is called once, after the transaction that
finished the session commits (see :func:`quality.services.calibration.set_final_answers`).
"""

from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django_scopes import scopes_disabled

from tenancy import rls
from tenancy.models import Membership, Organization
from tenancy.scoping import organization_scope

from ..enums import ALPHA_TENTATIVE, CalibrationState
from ..models import CalibrationAgreement, CalibrationDeviation, CalibrationSession
from ..notifications import _name, absolute_url
from .errors import QualityError

DEFAULT_ALPHA = ALPHA_TENTATIVE
DEFAULT_DEVIATION = 15.0


@dataclass(frozen=True)
class CalibrationThresholds:
    alpha_threshold: float = DEFAULT_ALPHA
    deviation_threshold: float = DEFAULT_DEVIATION


def calibration_thresholds(organization: Organization) -> CalibrationThresholds:
    raw = ((organization.settings or {}).get("quality") or {}).get("calibration") or {}
    known = {k: float(v) for k, v in raw.items()
             if k in CalibrationThresholds.__dataclass_fields__ and v is not None}
    return CalibrationThresholds(**known)


def _number(value, low: float, high: float, message: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
            or not low <= value <= high:
        raise QualityError(message, field=field)
    return float(value)


@transaction.atomic
def update_calibration_thresholds(*, organization: Organization, alpha_threshold: float,
                                  deviation_threshold: float) -> Organization:
    """Save the alert thresholds (errors name their field; nothing is saved then). Locks
    the organization row so a concurrent save of another settings key is not lost."""
    alpha = _number(alpha_threshold, 0.0, 1.0,
                    "The α threshold is a number from 0 to 1.", "alpha_threshold")
    deviation = _number(deviation_threshold, 0.0, 100.0,
                        "The deviation threshold is 0 to 100 points.", "deviation_threshold")
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    quality = dict((locked.settings or {}).get("quality") or {})
    quality["calibration"] = {"alpha_threshold": alpha, "deviation_threshold": deviation}
    locked.settings = {**(locked.settings or {}), "quality": quality}
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return organization


@dataclass(frozen=True)
class Breach:
    """An attribute below the α threshold, or an evaluator above the deviation one."""

    label: str
    value: float
    n: int


@dataclass(frozen=True)
class Breaches:
    thresholds: CalibrationThresholds
    attributes: list[Breach]
    evaluators: list[Breach]
    automatic: list[Breach] = ()  # attributes the automatic scorer answered far from final

    def __bool__(self) -> bool:
        return bool(self.attributes or self.evaluators or self.automatic)


def session_breaches(session: CalibrationSession) -> Breaches:
    """What of the session's recorded agreement crosses the tenant's thresholds: attributes
    (not the total) with α below the α threshold, evaluators whose deviation from the final
    answers on the total is above the deviation threshold, and the attributes on which the
    automatic scorer's answers are that far from the final answers (it answers only the
    attributes it has rules for, so it is judged per attribute, not on the total).
    """
    thresholds = calibration_thresholds(session.organization)
    attributes = [
        Breach(a.attribute_name, a.alpha, a.units)
        for a in CalibrationAgreement.objects.filter(session=session, alpha__isnull=False)
        .exclude(attribute_key="").order_by("id")
        if a.alpha < thresholds.alpha_threshold
    ]
    evaluators = [
        Breach(_name(d.evaluator, "An evaluator"), d.from_final, d.n)
        for d in CalibrationDeviation.objects.filter(
            session=session, is_auto=False, attribute_key="", from_final__isnull=False)
        .select_related("evaluator").order_by("-from_final", "evaluator_id")
        if d.from_final > thresholds.deviation_threshold
    ]
    names = dict(CalibrationAgreement.objects.filter(session=session)
                 .exclude(attribute_key="").values_list("attribute_key", "attribute_name"))
    automatic = [
        Breach(names.get(d.attribute_key, d.attribute_key), d.from_final, d.n)
        for d in CalibrationDeviation.objects.filter(
            session=session, is_auto=True, from_final__isnull=False).exclude(attribute_key="")
        .order_by("-from_final", "attribute_key")
        if d.from_final > thresholds.deviation_threshold
    ]
    return Breaches(thresholds, attributes, evaluators, automatic)


def qa_leads(organization: Organization) -> list:
    """The users an alert goes to: QA analysts and org admins with an e-mail address."""
    return [m.user for m in Membership.objects.filter(organization=organization)
            .filter(Q(is_qa_analyst=True) | Q(is_org_admin=True))
            .select_related("user").order_by("user__username")
            if m.user.email and m.user.is_active]


def send_calibration_alerts(session_pk: int) -> int:
    """E-mail every QA lead of the session's tenant when the finished session crosses a
    threshold; return how many e-mails were sent (0 when within the thresholds)."""
    with scopes_disabled(), rls.platform("a calibration session names its organization"):
        organization_id = (CalibrationSession.objects.filter(pk=session_pk)
                           .values_list("organization_id", flat=True).first())
    if organization_id is None:
        return 0
    with organization_scope(organization_id) as organization:
        if organization is None:
            return 0
        session = (CalibrationSession.objects
                   .filter(organization=organization, pk=session_pk,
                           state=CalibrationState.FINISHED)
                   .select_related("organization", "lead").first())
        if session is None:
            return 0
        breaches = session_breaches(session)
        if not breaches:
            return 0
        link = absolute_url(organization, "quality:calibration_detail", pk=session.pk)
        drift = absolute_url(organization, "quality:calibration_drift")
        subject = f"Calibration below threshold: {session.name}"
        sent = 0
        for user in qa_leads(organization):
            body = render_to_string("quality/email/calibration_alert.txt", {
                "session": session, "name": _name(user, "there"), "breaches": breaches,
                "thresholds": breaches.thresholds, "link": link, "drift_link": drift,
                "lead": _name(session.lead, "the lead"),
            })
            send_mail(subject, body, None, [user.email])
            sent += 1
        return sent
