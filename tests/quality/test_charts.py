"""The leaderboard's attribute bars: every row's whisker sits at its own bar's middle."""

from quality.charts import attribute_bars
from quality.selectors import AttributeState
from quality.stats import Estimate


def _attribute(name: str) -> AttributeState:
    return AttributeState(key=name.lower(), name=name, weight=10, scale=False, automatic=True,
                          verified=True, verified_scorers=frozenset({"rules:1"}), kappa=0.9,
                          pairs=40)


def test_whiskers_are_drawn_in_their_rows_group():
    estimate = Estimate(value=80.0, low=70.0, high=90.0, n=40, enough=True)
    bars = attribute_bars([(_attribute("Greeting"), estimate, "auto"),
                           (_attribute("Empathy"), estimate, "auto")], width=300,
                          bar_height=18, gap=10, label_width=150)
    # Each row is a group translated by its y; the whisker is at the bar's middle, 9.
    assert [(row["y"], row["mid"]) for row in bars["rows"]] == [(0, "9.0"), (28, "9.0")]
    assert bars["rows"][1]["whisker"] == {"x1": "360.0", "x2": "420.0"}
    assert bars["height"] == 56
