"""The automatic-rule schema: what each rule accepts, its normalized form and its messages."""

import pytest

from quality.scoring.rule_specs import describe_rule, validate_auto, validate_rule


@pytest.mark.parametrize(("raw", "normalized"), [
    ({"rule": "agent_says", "phrases": [" thank you for calling "], "within_first_turns": 2},
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ({"within_last_turns": 3, "phrases": ["bye"], "rule": "agent_never_says", "regex": False},
     {"rule": "agent_never_says", "phrases": ["bye"], "within_last_turns": 3}),
    ({"rule": "agent_says", "phrases": [r"\bsorry\b"], "regex": True},
     {"rule": "agent_says", "phrases": [r"\bsorry\b"], "regex": True}),
    ({"rule": "handle_time_at_most", "seconds": 600},
     {"rule": "handle_time_at_most", "seconds": 600}),
    ({"rule": "customer_negative_then_agent_says", "phrases": ["sorry"]},
     {"rule": "customer_negative_then_agent_says", "phrases": ["sorry"], "within_turns": 2}),
    ({"rule": "customer_negative_then_agent_says", "phrases": ["sorry"], "within_turns": 1},
     {"rule": "customer_negative_then_agent_says", "phrases": ["sorry"], "within_turns": 1}),
    ({"rule": "silence_at_most", "seconds": 30}, {"rule": "silence_at_most", "seconds": 30}),
    ({"rule": "sentiment_at_least", "threshold": 0},
     {"rule": "sentiment_at_least", "threshold": 0.0}),
    ({"rule": "sentiment_at_least", "threshold": -0.25},
     {"rule": "sentiment_at_least", "threshold": -0.25}),
    ({"rule": "learned"}, {"rule": "learned"}),
])
def test_validate_rule_normalizes_and_is_idempotent(raw, normalized):
    assert validate_rule(raw) == normalized
    assert list(validate_rule(raw)) == list(normalized)
    assert validate_rule(validate_rule(raw)) == normalized


@pytest.mark.parametrize(("raw", "message"), [
    (None, "an automatic rule must be an object with a “rule” name."),
    (["agent_says"], "an automatic rule must be an object with a “rule” name."),
    ({"phrases": ["hi"]},
     "a rule needs a “rule” name, one of: agent_says, agent_never_says, handle_time_at_most, "
     "customer_negative_then_agent_says, silence_at_most, sentiment_at_least, learned."),
    ({"rule": "agent_shouts"},
     "unknown rule 'agent_shouts'; use one of: agent_says, agent_never_says, "
     "handle_time_at_most, customer_negative_then_agent_says, silence_at_most, "
     "sentiment_at_least, learned."),
    ({"rule": "agent_says"}, "rule “agent_says”: “phrases” must be a non-empty list of texts."),
    ({"rule": "agent_says", "phrases": []},
     "rule “agent_says”: “phrases” must be a non-empty list of texts."),
    ({"rule": "agent_says", "phrases": "hello"},
     "rule “agent_says”: “phrases” must be a non-empty list of texts."),
    ({"rule": "agent_never_says", "phrases": ["ok", "  "]},
     "rule “agent_never_says”: phrase 2 must be a non-empty text."),
    ({"rule": "agent_says", "phrases": ["ok", 3]},
     "rule “agent_says”: phrase 2 must be a non-empty text."),
    ({"rule": "agent_says", "phrases": ["(unclosed"], "regex": True},
     "rule “agent_says”: phrase 1 is not a valid regular expression "
     "(missing ), unterminated subpattern at position 0)."),
    ({"rule": "agent_says", "phrases": ["hi"], "regex": "yes"},
     "rule “agent_says”: “regex” must be true or false."),
    ({"rule": "agent_says", "phrases": ["hi"], "within_first_turns": 2, "within_last_turns": 2},
     "rule “agent_says”: give “within_first_turns” or “within_last_turns”, not both."),
    ({"rule": "agent_says", "phrases": ["hi"], "within_first_turns": 0},
     "rule “agent_says”: “within_first_turns” must be a whole number of at least 1."),
    ({"rule": "agent_says", "phrases": ["hi"], "within_last_turns": 1.5},
     "rule “agent_says”: “within_last_turns” must be a whole number of at least 1."),
    ({"rule": "agent_says", "phrases": ["hi"], "within_first_turns": True},
     "rule “agent_says”: “within_first_turns” must be a whole number of at least 1."),
    ({"rule": "agent_says", "phrases": ["hi"], "within_turns": 2},
     "rule “agent_says” does not take “within_turns” "
     "(its options: phrases, regex, within_first_turns, within_last_turns)."),
    ({"rule": "handle_time_at_most"},
     "rule “handle_time_at_most” needs “seconds” (a whole number of at least 1)."),
    ({"rule": "handle_time_at_most", "seconds": 0},
     "rule “handle_time_at_most”: “seconds” must be a whole number of at least 1."),
    ({"rule": "silence_at_most", "seconds": "30"},
     "rule “silence_at_most”: “seconds” must be a whole number of at least 1."),
    ({"rule": "customer_negative_then_agent_says", "phrases": ["sorry"], "within_turns": 0},
     "rule “customer_negative_then_agent_says”: “within_turns” must be a whole number of "
     "at least 1."),
    ({"rule": "sentiment_at_least"},
     "rule “sentiment_at_least” needs “threshold”, a number from -1 to 1."),
    ({"rule": "sentiment_at_least", "threshold": 1.5},
     "rule “sentiment_at_least” needs “threshold”, a number from -1 to 1."),
    ({"rule": "sentiment_at_least", "threshold": float("nan")},
     "rule “sentiment_at_least” needs “threshold”, a number from -1 to 1."),
    ({"rule": "learned", "phrases": ["hi"]},
     "rule “learned” does not take “phrases” (its options: none)."),
])
def test_validate_rule_refuses_with_a_readable_message(raw, message):
    with pytest.raises(ValueError) as excinfo:
        validate_rule(raw)
    assert str(excinfo.value) == message


def test_validate_auto_treats_empty_as_no_rule():
    assert validate_auto(None) is None
    assert validate_auto({}) is None
    assert validate_auto({"rule": "learned"}) == {"rule": "learned"}


def test_describe_rule_reads_like_a_sentence():
    assert describe_rule(None) == "Scored by hand only"
    assert describe_rule({"rule": "agent_says", "phrases": ["hello", "hi"],
                          "within_first_turns": 2}) == (
        "Agent says one of the phrases “hello”, “hi” within the first 2 agent turns")
    assert describe_rule({"rule": "agent_never_says", "phrases": ["x+"], "regex": True}) == (
        "Agent never says any of the patterns “x+”")
    assert describe_rule({"rule": "handle_time_at_most", "seconds": 600}) == (
        "Handle time at most 600 s")
    assert describe_rule({"rule": "sentiment_at_least", "threshold": 0.0}) == (
        "Customer sentiment at the end at least 0")
