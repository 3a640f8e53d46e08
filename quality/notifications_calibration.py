"""E-mails of calibration sessions, each with a direct link (``settings.SITE_URL`` + the
tenant URL): every invited evaluator is asked to score (a link to their first interaction
to score), and the lead is told when the scores are revealed (a link to the reveal table).

:func:`invite_evaluators` and :func:`scores_revealed` are called by
:mod:`quality.services.calibration` after its transaction commits, with the session's id;
they read the session in its organization's scope and send at once. A person without an
e-mail address is skipped.
"""

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django_scopes import scopes_disabled

from tenancy import rls
from tenancy.scoping import organization_scope

from .models import CalibrationSession
from .notifications import _local, _name, absolute_url


def score_link(session: CalibrationSession) -> str:
    """The evaluator's blind scoring screen (it opens the first interaction to score)."""
    return absolute_url(session.organization, "quality:calibration_score_next", pk=session.pk)


def session_link(session: CalibrationSession) -> str:
    return absolute_url(session.organization, "quality:calibration_detail", pk=session.pk)


def _send(session_pk: int, send) -> int:
    with scopes_disabled(), rls.platform("a calibration session names its organization"):
        organization_id = (CalibrationSession.objects.filter(pk=session_pk)
                           .values_list("organization_id", flat=True).first())
    if organization_id is None:
        return 0
    with organization_scope(organization_id) as organization:
        if organization is None:
            return 0
        session = (CalibrationSession.objects.filter(organization=organization, pk=session_pk)
                   .select_related("organization", "scorecard", "lead").first())
        return 0 if session is None else send(session)


def invite_evaluators(session_pk: int) -> int:
    """Ask each evaluator of the session to score; return how many e-mails were sent."""
    def send(session: CalibrationSession) -> int:
        items = session.items.count()
        sent = 0
        for participant in session.participants.select_related("evaluator").order_by("id"):
            evaluator = participant.evaluator
            if not evaluator.email:
                continue
            body = render_to_string("quality/email/calibration_invitation.txt", {
                "session": session, "evaluator": _name(evaluator, "there"),
                "is_lead": evaluator.pk == session.lead_id,
                "lead": _name(session.lead, "A QA lead"), "items": items,
                "deadline": _local(session.organization, session.deadline),
                "link": score_link(session),
            })
            send_mail(f"Calibration to score: {session.name}", body, None, [evaluator.email])
            sent += 1
        return sent

    return _send(session_pk, send)


def scores_revealed(session_pk: int) -> int:
    """Tell the lead the scores are revealed (1 when sent)."""
    def send(session: CalibrationSession) -> int:
        lead = session.lead
        if lead is None or not lead.email:
            return 0
        participants = list(session.participants.order_by("id"))
        done = sum(1 for p in participants if p.submitted_at is not None)
        body = render_to_string("quality/email/calibration_revealed.txt", {
            "session": session, "lead": _name(lead, "there"), "done": done,
            "evaluators": len(participants), "items": session.items.count(),
            "link": session_link(session),
        })
        send_mail(f"Scores revealed: {session.name}", body, None, [lead.email])
        return 1

    return _send(session_pk, send)
