"""The rule scorer and customer sentiment: every rule's yes, no and N/A with the turns that
decided it."""

import pytest

from quality.models import Attribute
from quality.scoring.rules import NA, RULES, Conversation, RuleError, RuleScorer, evaluate
from quality.scoring.sentiment import compound, customer_sentiment

CHAT = [
    {"speaker": "agent", "text": "Thank you for calling Acme, this is Sam.", "at": 0},  # 0
    {"speaker": "customer", "text": "Hi, my router keeps dropping.", "at": 5},  # 1
    {"speaker": "agent", "text": "Let me check your line.", "at": 12},  # 2
    {"speaker": "customer", "text": "This is terrible, I am furious and angry.", "at": 70},  # 3
    {"speaker": "agent", "text": "I’m sorry about that, I understand.", "at": 80},  # 4
    {"speaker": "system", "text": "Transferred", "at": 81},  # 5
    {"speaker": "agent", "text": "I reset it. Is there anything else?", "at": 140},  # 6
    {"speaker": "customer", "text": "No, thanks, that is great!", "at": 150},  # 7
]


def rule(name, **options):
    return {"rule": name, **options}


@pytest.mark.parametrize(("spec", "expected"), [
    (rule("agent_says", phrases=["thank you for calling"]), (1, [0])),
    (rule("agent_says", phrases=["THANK YOU FOR CALLING"], within_first_turns=1), (1, [0])),
    (rule("agent_says", phrases=["anything else"], within_first_turns=2), (0, [])),
    (rule("agent_says", phrases=["anything else"], within_last_turns=1), (1, [6])),
    (rule("agent_says", phrases=["thank you for calling"], within_last_turns=2), (0, [])),
    # typographic apostrophes read as straight ones
    (rule("agent_says", phrases=["I'm sorry"]), (1, [4])),
    # word boundaries: "line" is not found in "lines", "reset it" is a phrase
    (rule("agent_says", phrases=["lines"]), (0, [])),
    (rule("agent_says", phrases=["reset   it"]), (1, [6])),
    (rule("agent_says", phrases=[r"reset\s+\w+"], regex=True), (1, [6])),
    (rule("agent_says", phrases=[r"^let me"], regex=True), (1, [2])),
    (rule("agent_never_says", phrases=["sorry", "anything else"]), (0, [4, 6])),
    (rule("agent_never_says", phrases=["guarantee"]), (1, [])),
    (rule("agent_never_says", phrases=["sorry"], within_first_turns=2), (1, [])),
    # the customer said "great", not the agent
    (rule("agent_says", phrases=["great"]), (0, [])),
])
def test_phrase_rules_answer_with_the_deciding_turns(spec, expected):
    assert evaluate(spec, CHAT) == expected


def test_phrase_rules_are_not_applicable_without_agent_turns():
    customer_only = [{"speaker": "customer", "text": "Hello?"}]
    assert evaluate(rule("agent_says", phrases=["hi"]), customer_only) == (NA, [])
    assert evaluate(rule("agent_never_says", phrases=["hi"]), customer_only) == (NA, [])


def test_handle_time_uses_the_item_then_the_last_offset():
    spec = rule("handle_time_at_most", seconds=150)
    assert evaluate(spec, CHAT, handle_time=151) == (0, [])
    assert evaluate(spec, CHAT, handle_time=150) == (1, [])
    assert evaluate(spec, CHAT) == (1, [7])
    assert evaluate(rule("handle_time_at_most", seconds=149), CHAT) == (0, [7])
    no_offsets = [{"speaker": "agent", "text": "Hi"}]
    assert evaluate(spec, no_offsets) == (NA, [])


def test_apology_after_a_negative_customer_turn():
    spec = rule("customer_negative_then_agent_says", phrases=["sorry", "apologize"])
    assert evaluate(spec, CHAT) == (1, [3, 4])
    # The apology comes 2 agent turns late.
    late = [*CHAT[:4], {"speaker": "agent", "text": "Checking."},
            {"speaker": "agent", "text": "Still checking."},
            {"speaker": "agent", "text": "So sorry!"}]
    assert evaluate(spec, late) == (0, [3, 4, 5])
    assert evaluate({**spec, "within_turns": 3}, late) == (1, [3, 6])
    # No negative customer turn: not applicable.
    assert evaluate(spec, [CHAT[0], CHAT[1], CHAT[2]]) == (NA, [])
    # A negative last word nobody could answer is left out.
    assert evaluate(spec, [CHAT[0], CHAT[3]]) == (NA, [])


def test_silence_is_the_longest_gap_between_offsets():
    assert evaluate(rule("silence_at_most", seconds=60), CHAT) == (1, [5, 6])
    assert evaluate(rule("silence_at_most", seconds=58), CHAT) == (0, [5, 6])
    assert evaluate(rule("silence_at_most", seconds=5), [CHAT[0]]) == (NA, [])


def test_sentiment_at_the_end_reads_the_last_three_customer_turns():
    assert evaluate(rule("sentiment_at_least", threshold=-0.9), CHAT) == (1, [1, 3, 7])
    assert evaluate(rule("sentiment_at_least", threshold=0.5), CHAT) == (0, [1, 3, 7])
    assert evaluate(rule("sentiment_at_least", threshold=0), [CHAT[0]]) == (NA, [])


def test_learned_rules_are_left_to_the_learned_scorer():
    assert evaluate(rule("learned"), CHAT) is None


def test_sentiment_sign_follows_the_text():
    assert compound("Thank you so much, this is wonderful and you were very helpful!") > 0.5
    assert compound("This is awful. I hate this terrible service and I am angry.") < -0.5
    assert compound("") == 0.0
    happy = customer_sentiment([{"speaker": "customer", "text": "Great, thanks a lot!"},
                                {"speaker": "agent", "text": "I hate to say it"}])
    assert happy > 0
    assert customer_sentiment([{"speaker": "agent", "text": "Hello"}]) is None
    assert Conversation(CHAT).sentiment() == round(
        sum(compound(CHAT[i]["text"]) for i in (1, 3, 7)) / 3, 4)


def _attribute(pk, key, auto, *, scale_max=None):
    return Attribute(pk=pk, key=key, name=key.title(), auto=auto, scale_max=scale_max,
                     answer_type="scale" if scale_max else "yes_no")


def test_scorer_maps_scales_and_isolates_a_bad_rule():
    attributes = [
        _attribute(1, "greeting", rule("agent_says", phrases=["thank you for calling"])),
        _attribute(2, "closing", rule("agent_says", phrases=["goodbye"]), scale_max=4),
        _attribute(3, "tone", rule("agent_says", phrases=["sorry"]), scale_max=4),
        _attribute(4, "broken", rule("agent_says", phrases=["("], regex=True)),
        _attribute(5, "manual", None),
        _attribute(6, "learned", rule("learned")),
    ]
    answers, errors = RuleScorer().score(attributes, Conversation(CHAT))
    assert answers == {"greeting": (1, [0]), "closing": (0, []), "tone": (4, [4])}
    assert list(errors) == ["broken"]
    assert "not a valid regular expression" in errors["broken"]


def test_compiled_rules_are_cached_per_attribute_and_rule():
    scorer = RuleScorer()
    attribute = _attribute(7, "greeting", rule("agent_says", phrases=["hello"]))
    first = scorer.compiled(attribute)
    assert scorer.compiled(attribute) is first
    attribute.auto = rule("agent_says", phrases=["hi"])
    assert scorer.compiled(attribute) is not first
    with pytest.raises(RuleError, match="unknown rule"):
        scorer.compiled(_attribute(8, "x", {"rule": "telepathy"}))
    assert RULES.name == "rules:1"
