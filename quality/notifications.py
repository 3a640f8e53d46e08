"""E-mails of agent disputes, each with a direct link (``settings.SITE_URL`` + the tenant
URL): the reviewer is told of a new dispute round, the agent of the decision, and each
reviewer gets a daily digest of their overdue rounds.

:func:`dispute_raised` and :func:`dispute_decided` are called by
:mod:`quality.services.disputes` after its transaction commits, with the round's id; they
read the round in its organization's scope and send at once. A person without an e-mail
address is skipped.
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy import rls
from tenancy.models import Organization, User
from tenancy.scoping import organization_scope

from .enums import ReviewState
from .models import Dispute
from .selectors import quality_settings


def absolute_url(organization: Organization, name: str, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"org_slug": organization.slug, **kwargs})


def review_link(dispute: Dispute) -> str:
    """The reviewer's decision page of the round."""
    return absolute_url(dispute.organization, "quality:dispute_review", pk=dispute.pk)


def evaluation_link(dispute: Dispute) -> str:
    """The agent's page of the disputed evaluation."""
    return absolute_url(dispute.organization, "quality:evaluation", pk=dispute.evaluation_id)


def _name(user: User | None, fallback: str) -> str:
    if user is None:
        return fallback
    return user.get_full_name() or user.username


def _local(organization: Organization, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{timezone.localtime(moment, organization.tzinfo):%-d %b %Y %H:%M}"


def _total(value) -> str:
    return "—" if value is None else f"{value:g}"


def _load(dispute_pk: int) -> Dispute | None:
    with scopes_disabled(), rls.platform("a dispute names its organization"):
        organization_id = (Dispute.objects.filter(pk=dispute_pk)
                           .values_list("organization_id", flat=True).first())
    if organization_id is None:
        return None
    with organization_scope(organization_id) as organization:
        if organization is None:
            return None
        dispute = (Dispute.objects.filter(organization=organization, pk=dispute_pk)
                   .select_related("organization", "evaluation__interaction",
                                   "evaluation__agent", "reviewer", "decided_by")
                   .first())
        if dispute is not None:
            dispute.contested = list(dispute.items.select_related("attribute"))
        return dispute


def _qa_leads(organization: Organization) -> list[str]:
    """The addresses of the organization's active QA analysts and org admins."""
    from django.db.models import Q

    from tenancy.models import Membership

    emails = Membership.objects.filter(
        Q(is_qa_analyst=True) | Q(is_org_admin=True), organization=organization,
        user__is_active=True,
    ).exclude(user__email="").values_list("user__email", flat=True)
    return sorted(set(emails))


def dispute_raised(dispute_pk: int) -> bool:
    """Tell the round's reviewer an agent disputed an audit — or, when the round has no
    reviewer who can be written to (the auditor left, no arbitrator), the organization's
    QA analysts and org admins, who may all decide it; return whether it was sent."""
    dispute = _load(dispute_pk)
    if dispute is None:
        return False
    organization = dispute.organization
    if dispute.reviewer is not None and dispute.reviewer.email:
        recipients, reviewer = [dispute.reviewer.email], _name(dispute.reviewer, "reviewer")
    else:
        recipients, reviewer = _qa_leads(organization), "QA team"
    if not recipients:
        return False
    evaluation = dispute.evaluation
    agent = _name(evaluation.agent, "An agent")
    body = render_to_string("quality/email/dispute_raised.txt", {
        "dispute": dispute, "evaluation": evaluation, "agent": agent,
        "reviewer": reviewer, "items": dispute.contested,
        "max_rounds": quality_settings(organization).disputes.max_rounds,
        "due": _local(organization, dispute.due_at), "link": review_link(dispute),
    })
    subject = f"Dispute to decide: {agent} on {evaluation.interaction.label}"
    send_mail(subject, body, None, recipients)
    return True


def review_requested(evaluation_pk: int) -> bool:
    """Tell the agent an audit of their work was released for their review: the total, the
    answer-by date and a direct link to accept or dispute it; return whether it was sent."""
    from .models import Evaluation

    with scopes_disabled(), rls.platform("an evaluation names its organization"):
        evaluation = (Evaluation.objects.select_related("organization", "agent", "interaction")
                      .filter(pk=evaluation_pk).first())
    if evaluation is None or evaluation.review_state != ReviewState.PENDING_AGENT:
        return False
    agent = evaluation.agent
    if agent is None or not agent.email or not agent.is_active:
        return False
    organization = evaluation.organization
    body = render_to_string("quality/email/review_requested.txt", {
        "agent": _name(agent, "there"), "evaluation": evaluation,
        "total": _total(evaluation.total),
        "answer_by": _local(organization, evaluation.review_due_at),
        "link": absolute_url(organization, "quality:evaluation", pk=evaluation.pk),
    })
    subject = f"Your audit of {evaluation.interaction.label} is ready for your review"
    send_mail(subject, body, None, [agent.email])
    return True


def dispute_decided(dispute_pk: int) -> bool:
    """Tell the agent how their dispute round was decided; return whether it was sent."""
    dispute = _load(dispute_pk)
    if dispute is None or dispute.decided_at is None:
        return False
    evaluation = dispute.evaluation
    agent = evaluation.agent
    if agent is None or not agent.email:
        return False
    body = render_to_string("quality/email/dispute_decided.txt", {
        "dispute": dispute, "evaluation": evaluation, "agent": _name(agent, "there"),
        "items": dispute.contested, "decided_by": _name(dispute.decided_by, "The reviewer"),
        "before": _total(dispute.total_before), "after": _total(dispute.total_after),
        "resolved": evaluation.review_state == ReviewState.RESOLVED,
        "answer_by": _local(dispute.organization, evaluation.review_due_at),
        "link": evaluation_link(dispute),
    })
    subject = f"Your dispute of {evaluation.interaction.label} was decided"
    send_mail(subject, body, None, [agent.email])
    return True


def overdue_digest(organization: Organization, reviewer: User,
                   disputes: Sequence[Dispute], now: datetime) -> None:
    """One reviewer's daily list of overdue rounds (the caller chose them and claimed the
    day; see :mod:`quality.services.dispute_digest`)."""
    if not reviewer.email or not disputes:
        return
    from .selectors_reviewer import sla_age

    lines = [{"dispute": d, "agent": _name(d.evaluation.agent, "an agent"),
              "age": sla_age(d, now).label, "due": _local(organization, d.due_at),
              "link": review_link(d)} for d in disputes]
    body = render_to_string("quality/email/dispute_digest.txt", {
        "reviewer": _name(reviewer, "reviewer"), "lines": lines,
        "queue_link": absolute_url(organization, "quality:dispute_queue"),
    })
    count = len(disputes)
    subject = (f"1 overdue dispute to decide: {disputes[0].evaluation.interaction.label}"
               if count == 1 else f"{count} overdue disputes to decide")
    send_mail(subject, body, None, [reviewer.email])
