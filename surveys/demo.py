"""Demo surveys for ``manage.py seed_demo``: a coach survey and a trainee survey, sent for
a set of coaching sessions in every demo team and answered for a realistic share of them.

Idempotent: templates are found by name, and sessions are sent only once per template.
Coaching assessments may not exist yet, so sessions carry a context label instead.
"""

import random

from .enums import Audience, QuestionKind
from .models import SurveyResponse, SurveyTemplate
from .services import dispatch_survey, save_question, save_template, submit_survey

COACH_SURVEY = "Coaching review of the trainee"
TRAINEE_SURVEY = "How was your coaching?"

COACH_QUESTIONS = [
    dict(text="How well did the trainee diagnose the problem?", kind=QuestionKind.RATING,
         scale_min=1, scale_max=5, min_label="Poorly", max_label="Expertly", weight=2),
    dict(text="Did the trainee follow the documented procedure?", kind=QuestionKind.YES_NO,
         allows_na=True, help_text="Answer “not applicable” when no procedure covers the case."),
    dict(text="How complete were the work notes?", kind=QuestionKind.CHOICE,
         choices=[("Complete and clear", 100), ("Mostly complete", 70),
                  ("Missing key steps", 30), ("Absent", 0)]),
    dict(text="How did the trainee communicate with the customer?", kind=QuestionKind.RATING,
         scale_min=1, scale_max=5, min_label="Unclear", max_label="Excellent"),
    dict(text="What should the trainee practise next?", kind=QuestionKind.TEXT, required=False),
]
TRAINEE_QUESTIONS = [
    dict(text="How useful was this coaching session for your daily work?",
         kind=QuestionKind.RATING, scale_min=1, scale_max=5, min_label="Not useful",
         max_label="Very useful", weight=2),
    dict(text="Did your coach explain clearly what to do differently?", kind=QuestionKind.YES_NO),
    dict(text="Were the learning tasks you got relevant?", kind=QuestionKind.RATING,
         scale_min=1, scale_max=5, min_label="Not at all", max_label="Very", allows_na=True,
         help_text="Answer “not applicable” if you got no learning tasks."),
    dict(text="Anything your coach could do better?", kind=QuestionKind.TEXT, required=False),
]
OPPORTUNITIES = ["Reopened incidents", "SLA breaches", "Long handle time", "Low CSAT follow-up"]
COMMENTS = [
    "Pair on a few network tickets.", "Write the work notes while working, not after.",
    "More concrete examples would help.", "Great session, thanks!", "Shorter sessions, please.",
    "Check the knowledge base before escalating.",
]


def _template(organization, name, audience, description, questions) -> SurveyTemplate:
    template = SurveyTemplate.objects.filter(organization=organization, name=name).first()
    if template is not None:
        return template
    template = save_template(organization=organization, name=name, audience=audience,
                             description=description)
    for question in questions:
        save_question(template=template, **question)
    return template


def _answers(template: SurveyTemplate, rng: random.Random, skill: float) -> dict[int, str]:
    answers = {}
    for q in template.questions.prefetch_related("choices"):
        if q.allows_na and rng.random() < 0.15:
            answers[q.pk] = "na"
        elif q.kind == QuestionKind.RATING:
            value = round(q.scale_min + (q.scale_max - q.scale_min) * skill + rng.uniform(-1, 1))
            answers[q.pk] = str(max(q.scale_min, min(q.scale_max, value)))
        elif q.kind == QuestionKind.YES_NO:
            answers[q.pk] = "yes" if rng.random() < 0.3 + 0.6 * skill else "no"
        elif q.kind == QuestionKind.CHOICE:
            choices = list(q.choices.all())
            answers[q.pk] = str(min(choices, key=lambda c: abs(c.score / 100 - skill)).pk)
        elif rng.random() < 0.5:
            answers[q.pk] = rng.choice(COMMENTS)
    return answers


def seed_surveys(organization, people, stdout) -> None:
    coach_template = _template(
        organization, COACH_SURVEY, Audience.COACH_ABOUT_TRAINEE,
        "Your review of the trainee's work on this case. Its score becomes the assessment rating.",
        COACH_QUESTIONS,
    )
    trainee_template = _template(
        organization, TRAINEE_SURVEY, Audience.TRAINEE_ABOUT_COACH,
        # Who sees the answers is said under it, following the survey setting.
        "Tell us how the coaching went.",
        TRAINEE_QUESTIONS,
    )
    if SurveyResponse.objects.filter(organization=organization,
                                     template=coach_template).exists():
        return
    rng = random.Random(f"surveys-{organization.slug}")
    sent = answered = 0
    for team in people.teams:
        coach = team.manager
        if coach is None:
            continue
        coach_skill = rng.uniform(0.45, 0.9)
        agents = sorted(team.members.all(), key=lambda u: u.username)[:8]
        for index, agent in enumerate(agents):
            opportunity = OPPORTUNITIES[(index + len(team.name)) % len(OPPORTUNITIES)]
            context = f"{opportunity} · {team.name} session {index + 1}"
            for template, respondent, subject, skill in (
                (coach_template, coach, agent, rng.uniform(0.3, 0.95)),
                (trainee_template, agent, coach, coach_skill),
            ):
                response = dispatch_survey(
                    template=template, respondent=respondent, subject=subject,
                    opportunity_label=opportunity, context_label=context, notify=False,
                )
                sent += 1
                # The first agent of each team keeps open surveys to show in the demo.
                if index > 0 and rng.random() < 0.7:
                    submit_survey(response=response, respondent=respondent,
                                  answers=_answers(template, rng, skill))
                    answered += 1
    if stdout is not None:
        stdout.write(f"  {organization.slug}: {sent} demo surveys sent, {answered} answered\n")
