"""A small calibration session built through the services, shared by the calibration
agreement, drift, alert and API tests."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from quality.models import Scorecard
from quality.services.answers import AnswerInput
from quality.services.autoscore import score_interaction
from quality.services.calibration import (
    FinalAnswer,
    Pick,
    create_session,
    save_scores,
    set_final_answers,
    start_scoring,
)

from .conftest import make_interaction, make_scorecard

GREETED = [("agent", "Thank you for calling, how can I help?"), ("customer", "Hi.")]
CARD = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ("resolution", "Closing", "Resolution", 30, False, None, ("scale", 4)),
]
# Totals (weights 10 and 30): 25 · greeting + 18.75 · resolution.
# Per evaluator, per interaction: (greeting, resolution). The automatic scorer greets on
# the first two interactions (yes, yes, no, no) and cannot answer resolution.
SCORES = {
    "qa": [("yes", 4), ("yes", 3), ("no", 0), ("no", 2)],
    "admin": [("yes", 1), ("yes", 4), ("no", 2), ("no", 0)],
    "coach": [("yes", 2), ("yes", 0), ("no", 4), ("yes", 3)],
}
FINAL = SCORES["qa"]


def build_session(world, *, scores=SCORES, final=FINAL, finish=True, name="November"):
    """A session of four of alice's interactions (scored automatically) and three
    evaluators (QA analyst, org admin, coach), scored, revealed and finished through the
    services."""
    org = world.tenant.org
    with scopes_disabled():
        if not Scorecard.objects.filter(organization=org, key="customer-care").exists():
            make_scorecard(org, attributes=CARD)
        items = []
        for n in range(len(next(iter(scores.values())))):
            item = make_interaction(org, agent=world.agent, external_id=f"{name}-{n}",
                                    turns=GREETED if n < 2 else [("agent", "Yes?")])
            score_interaction(interaction=item)
            items.append(item)
        users = {"qa": world.qa, "admin": world.admin, "coach": world.coach}
        session = create_session(
            organization=org, actor=world.qa, name=name,
            deadline=timezone.now() + timedelta(days=3),
            evaluators=[users[k] for k in scores], picks=[Pick(item) for item in items])
        units = list(session.items.order_by("position"))
        for who, answers in scores.items():
            for unit, (greeting, resolution) in zip(units, answers, strict=True):
                evaluation = start_scoring(item=unit, evaluator=users[who])
                save_scores(evaluation=evaluation, actor=users[who], submit=True, answers=[
                    AnswerInput("greeting", greeting), AnswerInput("resolution", resolution)])
        session.refresh_from_db()
        if final is not None:
            set_final_answers(session=session, actor=world.qa, finish=finish, answers=[
                FinalAnswer(unit.pk, key, answer)
                for unit, pair in zip(units, final, strict=True)
                for key, answer in zip(("greeting", "resolution"), pair, strict=True)])
            session.refresh_from_db()
    return session


# A second session where the evaluators nearly agree: greeting α 1, resolution α 0.924;
# the org admin and the coach are each 4.6875 points from the final answers.
CLOSE = {
    "qa": [("yes", 4), ("yes", 3), ("no", 0), ("no", 2)],
    "admin": [("yes", 4), ("yes", 3), ("no", 1), ("no", 2)],
    "coach": [("yes", 4), ("yes", 2), ("no", 0), ("no", 2)],
}
